//! The controller: runs the pure decisions against real hosts. One [`reconciler::Reconciler`]
//! per cluster does passes (observe, [`crate::reconcile::cluster::decide`], act); the
//! [`executor`] carries a decision out on the hosts ([`ops::TaskHost`]); [`run`] drives
//! passes from Docker events, operation completions, timers and state changes, with backoff
//! on errors; the [`supervisor`] runs one reconciler per cluster for `watch`. [`hosts`] is the
//! one home of a host's capacity and status; [`inspect`] observes read-only; [`webhook`] (over [`http`]) turns a signed push into a fetch. It never decides
//! anything itself, and never prints: reports go to the caller's callbacks.

pub mod drift;
pub mod executor;
pub mod hosts;
pub mod http;
pub mod inspect;
pub mod metrics;
pub mod ops;
pub mod reconciler;
pub mod record;
pub mod registry_auth;
pub mod run;
pub mod scheduled;
pub mod secrets;
pub mod standalone;
pub mod supervisor;
pub mod traffic;
pub mod usage;
pub mod webhook;
