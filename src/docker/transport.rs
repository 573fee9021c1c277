//! How a host that is not local is reached: a [`Transport`] turns a host's endpoint into a
//! local unix socket that leads to its Docker daemon. The SSH transport ([`super::ssh`]) is
//! the real one; [`NoTransport`] refuses, for commands that must not open connections.

use anyhow::{Result, bail};

use crate::model::cluster::Endpoint;

/// Where the Runtime API socket of a host's managed proxy lives on that host (the proxy's
/// run directory is bind-mounted from the directory it is in). Per host name: hosts that
/// share one filesystem (network namespaces of one machine) keep theirs apart.
pub fn proxy_admin_socket(host: &str) -> String {
    let name: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("/var/lib/ecsctl/haproxy/{name}/admin.sock")
}

/// The local ends of what a transport forwards for one host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forwarded {
    /// Leads to the host's Docker daemon.
    pub docker: String,
    /// Leads to [`proxy_admin_socket`] on the host (connected only when used).
    pub proxy_admin: String,
}

/// Reaches hosts that are not local: local unix sockets that lead to the host's Docker
/// daemon and to its proxy's Runtime API, over one connection.
#[async_trait::async_trait]
pub trait Transport: Send + Sync {
    async fn socket(
        &self,
        host: &str,
        endpoint: &Endpoint,
        remote_socket: Option<&str>,
    ) -> Result<Forwarded>;
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
    ) -> Result<Forwarded> {
        bail!("host `{host}` ({endpoint}) needs the SSH transport, which is not available here")
    }
}
