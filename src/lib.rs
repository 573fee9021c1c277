//! ecsctl: Amazon ECS semantics on plain Docker hosts.
//!
//! The map of the crate. Pure parts take time, randomness and I/O as arguments; adapters
//! touch the disk, Docker, SSH and the terminal.
//!
//! | module | owns | pure? |
//! |---|---|---|
//! | [`diagnostics`] | errors and warnings about user input, with file:line:column; rendering | yes |
//! | [`model`] | manifests: parsing with positions, the typed ECS model, validation | yes (reads files in `model::load`) |
//! | [`suggest`] | did-you-mean | yes |

pub mod diagnostics;
pub mod model;
pub mod suggest;
