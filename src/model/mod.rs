//! Manifests: from text to a checked, typed model.
//!
//! text → [`yaml`]/[`json`] → [`node::Node`] (values with positions) → [`manifest`] (envelope
//! or plain ECS document, decoded by [`de`] into the [`ecs`] and [`cluster`] types) →
//! [`validate`] (semantic rules, references) → [`normalize`] (the canonical form that plans
//! compare and the state stores). [`load`] drives it for `-f PATH...`. [`effective`] reads a
//! spec's defaults as plain values (`essential: bool`, `DeploymentBounds`): the one place
//! they are decided, for every consumer. [`traffic`] holds the `TargetGroup` and
//! `LoadBalancer` kinds; [`scheduled`] the `ScheduledTask` kind, whose schedule
//! [`schedule_expr`] parses and steps through time. [`schema`] is the JSON Schema of manifests,
//! generated from these types.

pub mod alarm;
pub mod cluster;
pub mod de;
pub mod ecs;
pub mod effective;
pub mod fargate;
pub mod ignored;
pub mod json;
pub mod load;
pub mod manifest;
pub mod names;
pub mod node;
pub mod normalize;
pub mod scaling;
pub mod schedule_expr;
pub mod scheduled;
pub mod schema;
pub mod secrets;
pub mod template;
pub mod traffic;
pub mod units;
pub mod validate;
pub mod yaml;
