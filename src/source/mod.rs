//! Where manifests come from besides files: a Git repository ([`git`], an adapter over the
//! system `git`) and the push webhooks that say it changed ([`webhook`], pure signature
//! checks).

pub mod git;
pub mod webhook;
