//! The operations layer: every verb of ecsctl, once. Front ends (the CLI today, the ECS HTTP
//! API and the traffic controller next) parse their input, call one function here, and render
//! what it returns. Nothing here prints or reads the terminal: results are typed values,
//! failures are [`OpsError`], and long work reports through callbacks the caller passes.
//!
//! | module | verbs |
//! |---|---|
//! | [`converge`] | waiting for services to converge: reconciling here, or following a `watch` |
//! | [`error`] | the one error type of every operation |
//! | [`run_task`] | one-off tasks: placed and launched like service tasks, driven by the reconciler |
//! | [`session`] | what every operation works with: the state store, the way to hosts |
//! | [`manifests`] | `validate`/`plan`: load, check and plan manifests against the state |
//! | [`apply`] | `apply -f`, `apply PLANFILE`, watch's file changes: lock → plan → write → events |
//! | [`delete`] | `delete service NAME`, `delete -f`: a plan without the named objects |
//! | [`deploy`] | `deploy`: a pipeline's images (imagedefinitions.json, imageDetail.json) as a new revision |
//! | [`scale`] | `scale`, `rollback`: recorded imperative changes |
//! | [`hosts`] | `get hosts`, `drain`, `undrain` |
//! | [`tasks`] | `get tasks`, `describe task`, the tasks of a target (`logs`, `exec`), usage (`top`) |
//! | [`cluster_counts`] | a cluster's task and service counts, as ECS's `Cluster` and its `statistics` carry them |
//! | [`views`] | `get clusters|taskdefs|services`, `describe service|taskdef`, `events` |
//! | [`metrics`] | `watch --metrics`: one Prometheus scrape of the state, the runtime and the watch's own counts |
//! | [`sync`] | `watch --git`: fetch a ref, apply a new commit or refuse a bad one, the sync record (`get sync`) |
//! | [`migrate`] | `state migrate`: a state and its runtime records moved to another store |
//! | [`schema`] | `schema`: the JSON Schema of manifests, generated from the model |
//! | [`register`] | the ECS API's writes: register/deregister task definitions, create/update/delete services and clusters |
//! | [`revisions`] | deleted task definition revisions removed once no task or service uses them |
//! | [`resolve`], [`target`] | names to objects: clusters, services, hosts, task prefixes |

pub mod alarm;
pub mod apply;
pub mod cluster_counts;
pub mod converge;
pub mod delete;
pub mod deploy;
pub mod deployment;
pub mod drift;
pub mod error;
pub mod hosts;
pub mod manifests;
pub mod metrics;
pub mod migrate;
pub mod protection;
pub mod register;
pub mod resolve;
pub mod revisions;
pub mod run_task;
pub mod scale;
pub mod scaling;
pub mod scheduled;
pub mod schema;
pub mod session;
pub mod sync;
pub mod target;
pub mod tasks;
pub mod traffic;
pub mod views;

pub use error::{ObjectKind, OpsError, OpsResult};
pub use session::Session;
