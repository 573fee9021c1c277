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

pub mod converge;
pub mod error;
pub mod run_task;
pub mod session;

pub use error::{ObjectKind, OpsError, OpsResult};
pub use session::Session;
