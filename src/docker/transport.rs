//! How a host that is not local is reached: a [`Transport`] turns a host's endpoint into a
//! local unix socket that leads to its Docker daemon. The SSH transport ([`super::ssh`]) is
//! the real one; [`NoTransport`] refuses, for commands that must not open connections.

use anyhow::{Result, bail};

use crate::model::cluster::Endpoint;

/// Where the Runtime API socket of a cluster's managed proxy lives on a host (the proxy's
/// run directory is bind-mounted from the directory it is in). Per cluster and host name:
/// clusters sharing a machine, and hosts sharing one filesystem (network namespaces of one
/// machine), keep theirs apart.
pub fn proxy_admin_socket(cluster: &str, host: &str) -> String {
    let clean = |part: &str| -> String {
        part.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    format!(
        "/var/lib/ecsctl/haproxy/{}/{}/admin.sock",
        clean(cluster),
        clean(host)
    )
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
    /// `remote_socket`: the host's Docker socket when not the default; `proxy_admin`: the
    /// proxy socket's path on the host ([`proxy_admin_socket`]).
    async fn socket(
        &self,
        host: &str,
        endpoint: &Endpoint,
        remote_socket: Option<&str>,
        proxy_admin: &str,
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
        _proxy_admin: &str,
    ) -> Result<Forwarded> {
        bail!("host `{host}` ({endpoint}) needs the SSH transport, which is not available here")
    }
}
