//! Reconcile decisions: pure functions from (desired, observed, now) to steps. They never
//! sleep and never touch Docker; they say what to do and when to look again, and the
//! controller does it (the kube-rs contract: decide on a plain value, something else acts).
//!
//! - [`task`]: one task's ECS status and its containers' next step;
//! - [`service`]: a service's tasks, deployments, circuit breaker and events.
//! - [`scheduled`]: when a scheduled task runs, is skipped or was missed, and how its runs ended.

pub mod alarm;
pub mod cluster;
pub mod converge;
pub mod drift;
pub mod scaling;
pub mod scheduled;
pub mod service;
pub mod standalone;
pub mod task;
pub mod traffic;
pub mod usage;
