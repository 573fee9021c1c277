//! How a host that is not local is reached: a [`Transport`] turns a host's endpoint into a
//! local unix socket that leads to its Docker daemon. The SSH transport ([`super::ssh`]) is
//! the real one; [`NoTransport`] refuses, for commands that must not open connections.

use anyhow::{Result, bail};

use crate::model::cluster::Endpoint;

/// Reaches hosts that are not local: returns a local unix socket that leads to the host's
/// Docker daemon.
#[async_trait::async_trait]
pub trait Transport: Send + Sync {
    async fn socket(
        &self,
        host: &str,
        endpoint: &Endpoint,
        remote_socket: Option<&str>,
    ) -> Result<String>;
}

/// For commands that have no SSH transport configured.
pub struct NoTransport;

#[async_trait::async_trait]
impl Transport for NoTransport {
    async fn socket(
        &self,
        host: &str,
        endpoint: &Endpoint,
        _remote: Option<&str>,
    ) -> Result<String> {
        bail!("host `{host}` ({endpoint}) needs the SSH transport, which is not available here")
    }
}
