//! Traffic: the HAProxy that carries a cluster's listeners on each host, and how targets get
//! in and out of it without reloads.
//!
//! - [`config`] (pure): listeners, rules and target groups → the whole `haproxy.cfg`, every
//!   target with its admin state and weight (a reload forgets servers added at runtime, so
//!   the file is rewritten before any reload);
//! - [`runtime`] (pure): Runtime API commands (`add server`, `set server … state|weight`,
//!   `enable health`, `del server`, `show stat`) and their answers parsed;
//! - [`proxy`] (adapter, Docker): the managed proxy container on one host, through
//!   [`crate::docker::host::DockerHost`]: image, host network, restart policy, labels, the
//!   config uploaded through the Docker API, the admin socket in a host directory;
//! - [`client`] (adapter, unix socket): the Runtime API spoken over that socket, with the
//!   known traps handled (weight 0 until UP, drain, maint then `del server` with retry).
//!
//! Nothing here decides *when* a target registers or drains: that is the reconciler's.

pub mod client;
pub mod config;
pub mod proxy;
pub mod runtime;
