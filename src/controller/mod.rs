//! The controller: runs the pure decisions against real hosts. One [`reconciler::Reconciler`]
//! per cluster does passes; [`run`] drives passes from Docker events, operation completions,
//! timers and state changes, with backoff on errors. It never decides anything itself.

pub mod executor;
pub mod hosts;
pub mod inspect;
pub mod ops;
pub mod reconciler;
pub mod record;
pub mod run;
pub mod secrets;
pub mod supervisor;
