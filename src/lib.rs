//! ecsctl: Amazon ECS semantics on plain Docker hosts.
//!
//! The map of the crate. Pure parts take time, randomness and I/O as arguments; adapters
//! touch the disk, Docker, SSH and the terminal.
//!
//! | module | owns | pure? |
//! |---|---|---|
//! | [`diagnostics`] | errors and warnings about user input, with file:line:column; rendering | yes |
//! | [`model`] | manifests: parsing with positions, the typed ECS model, validation, normal form | yes (but `model::load` reads files) |
//! | [`plan`] | desired vs recorded state → plan; plan → next state; rendering | yes |
//! | [`schedule`] | placement: strategies and constraints over hosts with capacity, the cluster query language, capacity provider pools and their base/weight split | yes |
//! | [`registry`] | image references, the Docker client config's credential sources, when a host pulls | yes |
//! | [`reconcile`] | decisions: a task's status and container steps, a service's starts/stops/rollbacks | yes |
//! | [`state`] | the recorded state: the directory (versioned files, atomic writes, locks, leases) or PostgreSQL (rows, advisory lock, fenced leases) behind one `Store` | adapter (disk, database) |
//! | [`docker`] | one Docker host (bollard), local or through a [`docker::transport::Transport`] (SSH); labels, events, logs, exec | adapter (Docker, SSH) |
//! | [`traffic`] | the managed HAProxy of each host: config rendering and Runtime API commands (pure); the proxy container and the admin socket client | pure (`config`, `runtime`) + adapters (`proxy`, `client`) |
//! | [`controller`] | carries the decisions out on the hosts of a cluster; the reconcile loop with backoff | no (drives adapters) |
//! | [`ops`] | every verb, once: what front ends call; typed results and one error type; never prints | no (calls state, controller) |
//! | [`api`] | the ECS JSON API (`ecsctl serve`): SigV4, ECS shapes and errors → ops | adapter (HTTP) |
//! | [`cli`] | one file per subcommand: arguments → ops → render; output formats; exit codes | adapter (terminal) |
//! | [`source`] | manifests from a Git repository (the system `git`); push webhook signatures | adapter (git) + pure (`webhook`) |
//! | [`alloc`] | glibc's malloc in a long-running process: bounded arenas, freed pages given back | adapter (libc) |
//! | [`time`], [`ids`], [`suggest`], [`digest`], [`redact`] | timestamps, identifiers, did-you-mean, hashes and MACs, credentials out of URLs | yes |
//!
//! Imports run down this table's layers: `cli`/`api` → `ops` → `controller` → `traffic` →
//! `docker`/`state`/`source` → `reconcile`/`schedule`/`plan`/`registry` → `model` → `diagnostics`; nothing below
//! imports what is above.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod alloc;
pub mod api;
pub mod cli;
pub mod controller;
pub mod diagnostics;
pub mod digest;
pub mod docker;
pub mod ids;
pub mod model;
pub mod ops;
pub mod plan;
pub mod proxy;
pub mod reconcile;
pub mod redact;
pub mod registry;
pub mod schedule;
pub mod source;
pub mod state;
pub mod suggest;
pub mod time;
pub mod traffic;
