//! Reaching remote Docker daemons over SSH: ONE `ssh` process per host, forwarding the host's
//! Docker socket to a local unix socket that bollard connects to. Every Docker call is a
//! channel of that one connection (sshd's MaxSessions never comes into it).
//!
//! It is the system `ssh` (the user's `~/.ssh/config`, agent and known_hosts; `ECSCTL_SSH`
//! names another command), with what this project needs on top: unknown host keys are
//! refused (never trusted silently), nothing prompts, connecting and silence are bounded in
//! time, no connection multiplexing is shared with anything else, and the `ssh` process dies
//! with ecsctl (killed on drop, and by the kernel if ecsctl is killed).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

use super::transport::{Forwarded, Transport};
use crate::model::cluster::{DEFAULT_DOCKER_SOCKET, Endpoint};

/// How long establishing a tunnel may take (ConnectTimeout covers the TCP part).
const TUNNEL_TIMEOUT: Duration = Duration::from_secs(15);

struct Tunnel {
    child: Child,
    socket: PathBuf,
    /// The local end of the proxy's Runtime API socket, forwarded beside Docker's.
    admin: PathBuf,
    key: String,
}

/// The SSH transport: tunnels by host name, made on first use and remade when they die.
pub struct SshTransport {
    command: String,
    dir: PathBuf,
    tunnels: Mutex<HashMap<String, Tunnel>>,
}

impl SshTransport {
    pub fn new() -> Self {
        let command = std::env::var("ECSCTL_SSH")
            .ok()
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "ssh".into());
        let dir = std::env::temp_dir();
        sweep_stale_sockets(&dir);
        SshTransport {
            command,
            dir,
            tunnels: Mutex::new(HashMap::new()),
        }
    }

    /// The `ssh` arguments for a tunnel: each `(local, remote)` socket pair is one `-L`.
    /// Options given with `-o` win over the user's config.
    pub fn arguments(endpoint: &Endpoint, forwards: &[(&str, &str)]) -> Result<Vec<String>> {
        let Endpoint::Ssh { user, host, port } = endpoint else {
            bail!("not an ssh endpoint: {endpoint}");
        };
        let mut args: Vec<String> = [
            "-N",
            "-T",
            "-o",
            "ExitOnForwardFailure=yes",
            "-o",
            "StreamLocalBindUnlink=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=5",
            "-o",
            "ServerAliveInterval=2",
            "-o",
            "ServerAliveCountMax=3",
            "-o",
            "ControlMaster=no",
            "-o",
            "ControlPath=none",
            "-o",
            "LogLevel=ERROR",
        ]
        .into_iter()
        .map(str::to_string)
        .collect();
        if let Some(port) = port {
            args.push("-p".into());
            args.push(port.to_string());
        }
        for (local, remote) in forwards {
            args.push("-L".into());
            args.push(format!("{local}:{remote}"));
        }
        args.push(match user {
            Some(user) => format!("{user}@{host}"),
            None => host.clone(),
        });
        Ok(args)
    }

    async fn open(
        &self,
        host: &str,
        endpoint: &Endpoint,
        remote: &str,
        remote_admin: &str,
        key: String,
    ) -> Result<Tunnel> {
        let unique: u32 = rand::random();
        // Unix socket paths are short (about 100 bytes): keep this one small.
        let socket = self
            .dir
            .join(format!("ecsctl-{}-{unique:08x}.sock", std::process::id()));
        let admin = self
            .dir
            .join(format!("ecsctl-{}-{unique:08x}a.sock", std::process::id()));
        let local = socket.display().to_string();
        let local_admin = admin.display().to_string();
        let args = Self::arguments(endpoint, &[(&local, remote), (&local_admin, remote_admin)])?;
        let mut command = Command::new(&self.command);
        command
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // SAFETY: prctl in the child between fork and exec, async-signal-safe: the kernel sends
        // the ssh process SIGTERM when ecsctl goes away, even by SIGKILL.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = command
            .spawn()
            .map_err(|e| anyhow::anyhow!("host `{host}`: cannot run `{}`: {e}", self.command))?;
        let started = Instant::now();
        loop {
            if socket.exists() && admin.exists() {
                return Ok(Tunnel {
                    child,
                    socket,
                    admin,
                    key,
                });
            }
            if let Some(status) = child.try_wait()? {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr).await;
                }
                return Err(explain(host, endpoint, stderr.trim(), status.code()));
            }
            if started.elapsed() >= TUNNEL_TIMEOUT {
                let _ = child.kill().await;
                bail!(
                    "host `{host}` ({endpoint}): no SSH connection after {}s",
                    TUNNEL_TIMEOUT.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Default for SshTransport {
    fn default() -> Self {
        Self::new()
    }
}

/// What went wrong with an ssh connection, and what to do about it.
fn explain(host: &str, endpoint: &Endpoint, stderr: &str, code: Option<i32>) -> anyhow::Error {
    let Endpoint::Ssh {
        host: address,
        port,
        ..
    } = endpoint
    else {
        return anyhow::anyhow!("host `{host}`: {stderr}");
    };
    let port = port.unwrap_or(22);
    if stderr.contains("Host key verification failed")
        || stderr.contains("No ED25519 host key is known")
        || stderr.contains("host key for") && stderr.contains("is not known")
    {
        return anyhow::anyhow!(
            "host `{host}` ({endpoint}): its SSH host key is not known, and ecsctl refuses unknown hosts\n  help: check the host's fingerprint, then trust it: ssh-keyscan -p {port} {address} >> ~/.ssh/known_hosts"
        );
    }
    if stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
        return anyhow::anyhow!(
            "host `{host}` ({endpoint}): its SSH host key CHANGED since it was trusted; ecsctl will not connect\n  help: if the change is expected, remove the old key (ssh-keygen -R {address}) and trust the new one"
        );
    }
    if stderr.contains("Permission denied") {
        return anyhow::anyhow!(
            "host `{host}` ({endpoint}): SSH login refused: {stderr}\n  help: ecsctl uses your ssh keys and agent; `ssh {address}` must work without a password"
        );
    }
    let reason = if stderr.is_empty() {
        format!(
            "ssh exited with {}",
            code.map_or("a signal".to_string(), |c| format!("code {c}"))
        )
    } else {
        stderr.to_string()
    };
    anyhow::anyhow!("host `{host}` ({endpoint}): cannot connect over SSH: {reason}")
}

#[async_trait::async_trait]
impl Transport for SshTransport {
    async fn socket(
        &self,
        host: &str,
        endpoint: &Endpoint,
        remote_socket: Option<&str>,
        proxy_admin: &str,
    ) -> Result<Forwarded> {
        let remote = remote_socket.unwrap_or(DEFAULT_DOCKER_SOCKET);
        let key = format!("{endpoint}|{remote}|{proxy_admin}");
        let mut tunnels = self.tunnels.lock().await;
        if let Some(tunnel) = tunnels.get_mut(host) {
            let alive = matches!(tunnel.child.try_wait(), Ok(None));
            if alive && tunnel.key == key && tunnel.socket.exists() {
                return Ok(tunnel.forwarded());
            }
            if let Some(mut old) = tunnels.remove(host) {
                let _ = old.child.kill().await;
                old.remove_sockets();
            }
        }
        let tunnel = self.open(host, endpoint, remote, proxy_admin, key).await?;
        let forwarded = tunnel.forwarded();
        tunnels.insert(host.to_string(), tunnel);
        Ok(forwarded)
    }
}

impl Tunnel {
    fn forwarded(&self) -> Forwarded {
        Forwarded {
            docker: self.socket.display().to_string(),
            proxy_admin: self.admin.display().to_string(),
        }
    }

    fn remove_sockets(&self) {
        let _ = std::fs::remove_file(&self.socket);
        let _ = std::fs::remove_file(&self.admin);
    }
}

/// The pid in a tunnel socket's name (`ecsctl-<pid>-<unique>.sock`, `…a.sock` for the
/// proxy's).
fn socket_owner(file_name: &str) -> Option<u32> {
    let rest = file_name.strip_prefix("ecsctl-")?.strip_suffix(".sock")?;
    let (pid, unique) = rest.split_once('-')?;
    (!unique.is_empty()).then_some(())?;
    pid.parse().ok()
}

/// Removes the tunnel sockets of ecsctl processes that are gone (a `kill -9` leaves them:
/// nothing runs to unlink them). Best effort: a directory that cannot be read is left alone.
fn sweep_stale_sockets(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(socket_owner) else {
            continue;
        };
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

impl Drop for SshTransport {
    fn drop(&mut self) {
        if let Ok(mut tunnels) = self.tunnels.try_lock() {
            for (_, mut tunnel) in tunnels.drain() {
                let _ = tunnel.child.start_kill();
                tunnel.remove_sockets();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tunnel_socket_names_give_their_owner() {
        assert_eq!(super::socket_owner("ecsctl-4945-0dd9c00a.sock"), Some(4945));
        assert_eq!(super::socket_owner("ecsctl-4945-.sock"), None);
        assert_eq!(super::socket_owner("ecsctl-rig"), None);
        assert_eq!(super::socket_owner("ecsctl-test-image.lock"), None);
        assert_eq!(super::socket_owner("other-4945-0dd9c00a.sock"), None);
    }

    use super::*;

    #[test]
    fn one_forward_strict_keys_bounded_time() {
        let endpoint = Endpoint::parse("ssh://deploy@node-a:2222").expect("endpoint");
        let args = SshTransport::arguments(
            &endpoint,
            &[
                ("/tmp/l.sock", "/var/run/docker.sock"),
                ("/tmp/a.sock", "/var/lib/ecsctl/haproxy/node-a/admin.sock"),
            ],
        )
        .expect("args");
        let text = args.join(" ");
        assert!(text.starts_with("-N -T"));
        for option in [
            "StrictHostKeyChecking=yes",
            "BatchMode=yes",
            "ConnectTimeout=5",
            "ServerAliveInterval=2",
            "ServerAliveCountMax=3",
            "ExitOnForwardFailure=yes",
            "ControlMaster=no",
        ] {
            assert!(
                text.contains(&format!("-o {option}")),
                "{option} missing: {text}"
            );
        }
        assert!(
            text.ends_with(
                "-p 2222 -L /tmp/l.sock:/var/run/docker.sock -L /tmp/a.sock:/var/lib/ecsctl/haproxy/node-a/admin.sock deploy@node-a"
            ),
            "{text}"
        );
        let no_user = SshTransport::arguments(
            &Endpoint::parse("ssh://node-b").expect("e"),
            &[("/a", "/b")],
        )
        .expect("args");
        assert_eq!(no_user.last().map(String::as_str), Some("node-b"));
    }

    #[test]
    fn unknown_host_keys_are_explained() {
        let endpoint = Endpoint::parse("ssh://root@10.0.0.5:22").expect("endpoint");
        let error = explain(
            "node-a",
            &endpoint,
            "Host key verification failed.",
            Some(255),
        )
        .to_string();
        assert!(error.contains("refuses unknown hosts"), "{error}");
        assert!(
            error.contains("ssh-keyscan -p 22 10.0.0.5 >> ~/.ssh/known_hosts"),
            "{error}"
        );
    }
}
