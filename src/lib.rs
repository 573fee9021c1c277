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
//! | [`state`] | the state directory: versioned files, atomic writes, locks | adapter (disk) |
//! | [`cli`] | one file per subcommand; output formats; exit codes | adapter (terminal) |
//! | [`time`], [`ids`], [`suggest`] | timestamps, identifiers, did-you-mean | yes |

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod cli;
pub mod controller;
pub mod diagnostics;
pub mod docker;
pub mod ids;
pub mod model;
pub mod ops;
pub mod plan;
pub mod reconcile;
pub mod schedule;
pub mod state;
pub mod suggest;
pub mod time;
