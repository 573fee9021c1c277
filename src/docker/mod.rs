//! The Docker adapter: one host, reached over a unix socket (local, or forwarded over SSH),
//! spoken to with bollard. It builds containers from task definitions, observes them, and
//! reports Docker events; it decides nothing.

pub mod cgroup;
pub mod container_spec;
pub mod error;
pub mod exec;
pub mod host;
pub mod labels;
pub mod logs;
pub mod observe;
pub mod pause;
pub mod pull;
pub mod ssh;
pub mod ssh_control;
pub mod transport;
