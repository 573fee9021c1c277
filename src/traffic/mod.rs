//! Traffic, pure: the HAProxy that carries a cluster's listeners, as text and commands.
//!
//! - [`config`]: listeners, rules and target groups → the whole `haproxy.cfg`, every target
//!   with its admin state and weight (a reload forgets servers added at runtime, so the file
//!   is rewritten before any reload);
//! - [`runtime`]: Runtime API commands (`add server`, `set server … state|weight`,
//!   `enable health`, `del server`, `show stat`) and their answers parsed.
//!
//! Nothing here does I/O (the adapters are in `crate::proxy`) nor decides *when* a target
//! registers or drains (that is `reconcile::traffic`).

pub mod config;
pub mod runtime;
