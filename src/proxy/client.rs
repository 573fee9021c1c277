//! The HAProxy Runtime API over its unix socket (tokio): one command per connection, and
//! the target lifecycle with HAProxy's traps handled.
//!
//! - register: `add server` at weight 0 (a runtime server is optimistic: UP before any
//!   check), `enable health`, `state ready`, then the real weight only once `show stat` says
//!   UP with a passing check;
//! - drain: `state drain` (sessions finish, no new ones); [`RuntimeClient::sessions`] tells
//!   when they are gone;
//! - deregister: `state maint`, then `del server`, retried while HAProxy says it still has
//!   connections.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::UnixStream;

use crate::model::effective::traffic::EffectiveTargetGroup;
use crate::traffic::config::{AdminState, Server, backend_name};
use crate::traffic::runtime::{self, Answer, ServerStat};

const CALL_TIMEOUT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(200);

pub struct RuntimeClient {
    socket: PathBuf,
}

impl RuntimeClient {
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        RuntimeClient {
            socket: socket.into(),
        }
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Sends one command; returns the whole answer.
    pub async fn send(&self, command: &str) -> Result<String> {
        let exchange = async {
            let mut stream = UnixStream::connect(&self.socket).await?;
            stream.write_all(format!("{command}\n").as_bytes()).await?;
            let mut answer = String::new();
            stream.read_to_string(&mut answer).await?;
            Ok::<_, std::io::Error>(answer)
        };
        tokio::time::timeout(CALL_TIMEOUT, exchange)
            .await
            .map_err(|_| anyhow!("the proxy did not answer `{command}` in time"))?
            .with_context(|| {
                format!(
                    "sending `{command}` to the proxy at `{}`",
                    self.socket.display()
                )
            })
    }

    /// Sends a command that answers nothing on success.
    async fn command(&self, command: &str) -> Result<Answer> {
        Ok(runtime::answer(&self.send(command).await?))
    }

    async fn expect_ok(&self, command: &str) -> Result<()> {
        match self.command(command).await? {
            Answer::Ok => Ok(()),
            other => bail!("the proxy refused `{command}`: {other:?}"),
        }
    }

    /// Every server, by (backend, server).
    pub async fn stats(&self) -> Result<BTreeMap<(String, String), ServerStat>> {
        let text = self.send(runtime::SHOW_STAT).await?;
        runtime::parse_show_stat(&text).map_err(|e| anyhow!(e))
    }

    pub async fn stat(&self, target_group: &str, server: &str) -> Result<Option<ServerStat>> {
        Ok(self
            .stats()
            .await?
            .remove(&(backend_name(target_group), server.to_string())))
    }

    /// Adds a server and gives it its weight once it is healthy, waiting at most `timeout`.
    /// A server already there (a reload put it back) is only made ready. Returns whether the
    /// server became healthy; an unhealthy one stays at weight 0, checked.
    pub async fn register(
        &self,
        target_group: &str,
        settings: &EffectiveTargetGroup,
        server: &Server,
        timeout: Duration,
    ) -> Result<bool> {
        self.add(target_group, settings, server).await?;
        let checked = settings.check != crate::model::effective::traffic::HealthCheckKind::Disabled;
        let healthy = !checked
            || self
                .wait_healthy(target_group, &server.name, timeout)
                .await?;
        if healthy {
            self.expect_ok(&runtime::set_weight(
                target_group,
                &server.name,
                server.weight,
            ))
            .await?;
        }
        Ok(healthy)
    }

    /// Adds a server at weight 0 with its check enabled, in rotation (ready): it gets its
    /// weight from whoever sees its check pass. A server already there (a reload put it
    /// back) is only made ready.
    pub async fn add(
        &self,
        target_group: &str,
        settings: &EffectiveTargetGroup,
        server: &Server,
    ) -> Result<()> {
        let add = runtime::add_server(target_group, settings, server);
        match self.command(&add).await? {
            Answer::Ok | Answer::AlreadyExists => {}
            other => bail!("the proxy refused `{add}`: {other:?}"),
        }
        if settings.check != crate::model::effective::traffic::HealthCheckKind::Disabled {
            self.expect_ok(&runtime::enable_health(target_group, &server.name))
                .await?;
        }
        self.ready(target_group, &server.name).await
    }

    /// Back in rotation.
    pub async fn ready(&self, target_group: &str, server: &str) -> Result<()> {
        self.expect_ok(&runtime::set_state(target_group, server, AdminState::Ready))
            .await
    }

    /// Waits until the server is UP with a passing check (not merely optimistic).
    pub async fn wait_healthy(
        &self,
        target_group: &str,
        server: &str,
        timeout: Duration,
    ) -> Result<bool> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(stat) = self.stat(target_group, server).await?
                && stat.is_healthy()
            {
                return Ok(true);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    pub async fn set_weight(&self, target_group: &str, server: &str, weight: u32) -> Result<()> {
        self.expect_ok(&runtime::set_weight(target_group, server, weight))
            .await
    }

    /// No new sessions; the current ones finish.
    pub async fn drain(&self, target_group: &str, server: &str) -> Result<()> {
        self.expect_ok(&runtime::set_state(target_group, server, AdminState::Drain))
            .await
    }

    /// Current sessions of a server (0 when it is gone).
    pub async fn sessions(&self, target_group: &str, server: &str) -> Result<u64> {
        Ok(self
            .stat(target_group, server)
            .await?
            .map_or(0, |s| s.sessions))
    }

    /// Maint, then `del server`, retried while connections remain (at most `timeout`).
    /// A server that is already gone is fine.
    pub async fn deregister(
        &self,
        target_group: &str,
        server: &str,
        timeout: Duration,
    ) -> Result<()> {
        match self
            .command(&runtime::set_state(target_group, server, AdminState::Maint))
            .await?
        {
            Answer::Ok => {}
            Answer::NoSuchServer => return Ok(()),
            other => bail!("the proxy refused to put `{server}` in maint: {other:?}"),
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let del = runtime::del_server(target_group, server);
        loop {
            match self.command(&del).await? {
                Answer::Ok | Answer::NoSuchServer => return Ok(()),
                Answer::StillHasConnections if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(POLL).await;
                }
                other => bail!("the proxy refused `{del}`: {other:?}"),
            }
        }
    }
}
