//! Reaching remote Docker daemons over SSH: one SSH connection per host, forwarding the
//! host's Docker socket (and its proxy's Runtime API socket) to local unix sockets that
//! bollard connects to. Every Docker call is a channel of that one connection (sshd's
//! MaxSessions never comes into it).
//!
//! It is the system `ssh` (the user's `~/.ssh/config`, agent and known_hosts; `ECSCTL_SSH`
//! names another command), with what this project needs on top: unknown host keys are
//! refused (never trusted silently), nothing prompts, and connecting and silence are bounded
//! in time.
//!
//! Connections are shared between ecsctl commands (see [`super::ssh_control`]): the first
//! command to reach a host leaves an OpenSSH master behind, in ecsctl's own control directory
//! (`STATE_DIR/ssh/`, never the user's ControlPath), that ends `ECSCTL_SSH_PERSIST` (60 s)
//! after its last user; the next commands add their forwards to it instead of logging in. A
//! socket is used only when a master takes the forwards through it; when that fails,
//! `ssh -O check` tells a dead master (its socket is replaced) from a real forward error.
//! Each command cancels its forwards and removes their sockets when it ends; killed, it
//! leaves them to the master, which still ends after the persist time, and to the next
//! command's sweep.
//!
//! Without sharing (`ECSCTL_SSH_PERSIST=0`, an `ECSCTL_SSH` that is not OpenSSH, no state
//! directory) each command runs one `ssh` of its own per host, as before: it dies with
//! ecsctl (killed on drop, and by the kernel if ecsctl is killed).

use std::collections::HashMap;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::sync::{Mutex, OnceCell};

use super::ssh_control::{self, Master};
use super::transport::{Forwarded, Transport};
use crate::model::cluster::{DEFAULT_DOCKER_SOCKET, Endpoint};

/// How long establishing a tunnel may take (ConnectTimeout covers the TCP part).
const TUNNEL_TIMEOUT: Duration = Duration::from_secs(15);

/// How long a request to a local master (`ssh -O …`) may take: it does not touch the network,
/// so one that takes longer has a master that is stuck.
const CONTROL_TIMEOUT: Duration = Duration::from_secs(5);

/// What keeps a tunnel's forwards alive.
enum Link {
    /// An `ssh` process of this ecsctl's own, forwarding with `-L`.
    Own(Child),
    /// Forwards added to a shared master (socket `control`; its pid once asked); `cancel`
    /// are the `ssh` arguments that remove them again.
    Shared {
        master: Option<u32>,
        control: PathBuf,
        cancel: Vec<String>,
    },
}

struct Tunnel {
    link: Link,
    socket: PathBuf,
    /// The local end of the proxy's Runtime API socket, forwarded beside Docker's.
    admin: PathBuf,
    key: String,
}

/// Whether connections are shared, read once from `ECSCTL_SSH_PERSIST` and the state directory.
enum Sharing {
    Off,
    On {
        dir: PathBuf,
        persist: Duration,
    },
    /// `ECSCTL_SSH_PERSIST` cannot be read: the message, given when a host is reached.
    Invalid(String),
}

/// One host's tunnel, locked on its own so that hosts connect at the same time.
type Slot = Arc<Mutex<Option<Tunnel>>>;

/// The SSH transport: tunnels by host name, made on first use and remade when they die.
pub struct SshTransport {
    command: String,
    dir: PathBuf,
    sharing: Sharing,
    openssh: OnceCell<bool>,
    tunnels: std::sync::Mutex<HashMap<String, Slot>>,
}

impl SshTransport {
    /// `state_root`: the state directory, where shared connections live (`None`: none shared).
    pub fn new(state_root: Option<&Path>) -> Self {
        let command = std::env::var("ECSCTL_SSH")
            .ok()
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "ssh".into());
        let dir = std::env::temp_dir();
        sweep_stale_sockets(&dir);
        let persist = std::env::var(ssh_control::PERSIST_ENV).ok();
        let sharing = match (ssh_control::persist_time(persist.as_deref()), state_root) {
            (Err(e), _) => Sharing::Invalid(format!("{e:#}")),
            (Ok(Some(persist)), Some(root)) => Sharing::On {
                dir: ssh_control::control_dir(root),
                persist,
            },
            (Ok(_), _) => Sharing::Off,
        };
        SshTransport {
            command,
            dir,
            sharing,
            openssh: OnceCell::new(),
            tunnels: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The `ssh` arguments for a tunnel of its own: each `(local, remote)` socket pair is one
    /// `-L`. Options given with `-o` win over the user's config; no multiplexing at all.
    pub fn arguments(endpoint: &Endpoint, forwards: &[(&str, &str)]) -> Result<Vec<String>> {
        let mut args: Vec<String> = vec!["-N".into(), "-T".into()];
        args.extend(ssh_control::connection_options());
        args.extend(["-o", "ControlMaster=no", "-o", "ControlPath=none"].map(String::from));
        args.extend(ssh_control::forward_options(forwards));
        args.extend(ssh_control::destination(endpoint)?);
        Ok(args)
    }

    /// A command for `ssh` with `args`: no stdin or stdout, stderr kept for the explanation,
    /// killed on drop and (for what it does not fork off) when ecsctl goes away.
    fn ssh(&self, args: &[String]) -> Command {
        let mut command = Command::new(&self.command);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // SAFETY: prctl in the child between fork and exec, async-signal-safe: the kernel sends
        // the ssh process SIGTERM when ecsctl goes away, even by SIGKILL. A master forks
        // itself into the background, and a fork does not inherit this setting: it outlives
        // ecsctl on purpose, bounded by ControlPersist.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        command
    }

    /// Runs `ssh ARGS` to its end, within `timeout`: success, stderr, exit code.
    async fn run(&self, args: &[String], timeout: Duration) -> Result<(bool, String, Option<i32>)> {
        let child = self
            .ssh(args)
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot run `{}`: {e}", self.command))?;
        // On timeout the child is dropped, which kills it.
        match tokio::time::timeout(timeout, child.wait_with_output()).await {
            Ok(output) => {
                let output = output?;
                let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
                Ok((output.status.success(), stderr, output.status.code()))
            }
            Err(_) => Ok((
                false,
                format!(
                    "`{}` did not finish within {}s",
                    self.command,
                    timeout.as_secs()
                ),
                None,
            )),
        }
    }

    /// Whether the ssh command is OpenSSH (asked once: `ssh -V`).
    async fn speaks_openssh(&self) -> bool {
        *self
            .openssh
            .get_or_init(|| async {
                let Ok(child) = Command::new(&self.command)
                    .arg("-V")
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .kill_on_drop(true)
                    .spawn()
                else {
                    return false;
                };
                match tokio::time::timeout(CONTROL_TIMEOUT, child.wait_with_output()).await {
                    Ok(Ok(output)) => ssh_control::is_openssh(&format!(
                        "{}{}",
                        String::from_utf8_lossy(&output.stdout),
                        String::from_utf8_lossy(&output.stderr)
                    )),
                    _ => false,
                }
            })
            .await
    }

    /// The control socket for `endpoint`, when its connection is shared.
    async fn control(&self, endpoint: &Endpoint) -> Result<Option<PathBuf>> {
        let (dir, path) = match &self.sharing {
            Sharing::Invalid(message) => bail!("{message}"),
            Sharing::Off => return Ok(None),
            Sharing::On { dir, .. } => {
                match ssh_control::control_path(dir, &self.command, endpoint) {
                    Some(path) => (dir, path),
                    None => return Ok(None),
                }
            }
        };
        Ok((self.speaks_openssh().await && control_dir_ready(dir)).then_some(path))
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
        let forwards = [
            (local.as_str(), remote),
            (local_admin.as_str(), remote_admin),
        ];
        let link = match self.control(endpoint).await? {
            Some(control) => {
                self.forward_shared(host, endpoint, &control, &forwards)
                    .await
            }
            None => self.forward_own(host, endpoint, &forwards).await,
        };
        match link {
            Ok(link) if socket.exists() && admin.exists() => Ok(Tunnel {
                link,
                socket,
                admin,
                key,
            }),
            Ok(link) => {
                close(self, link).await;
                let _ = std::fs::remove_file(&socket);
                let _ = std::fs::remove_file(&admin);
                bail!(
                    "host `{host}` ({endpoint}): the SSH forward reported success but `{local}` does not exist"
                )
            }
            Err(e) => {
                let _ = std::fs::remove_file(&socket);
                let _ = std::fs::remove_file(&admin);
                Err(e)
            }
        }
    }

    /// A tunnel of its own: one `ssh` process forwarding `forwards`, up once both sockets exist.
    async fn forward_own(
        &self,
        host: &str,
        endpoint: &Endpoint,
        forwards: &[(&str, &str)],
    ) -> Result<Link> {
        let args = Self::arguments(endpoint, forwards)?;
        let mut child = self
            .ssh(&args)
            .spawn()
            .map_err(|e| anyhow::anyhow!("host `{host}`: cannot run `{}`: {e}", self.command))?;
        let started = Instant::now();
        loop {
            if forwards.iter().all(|(local, _)| Path::new(local).exists()) {
                return Ok(Link::Own(child));
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

    /// Forwards added to the shared master at `control`, or a master started with them when
    /// there is none. A live master takes the forwards at once (one `ssh -O forward`); only
    /// when that fails is the socket judged (`ssh -O check`): a stale one is replaced, never
    /// used.
    async fn forward_shared(
        &self,
        host: &str,
        endpoint: &Endpoint,
        control: &Path,
        forwards: &[(&str, &str)],
    ) -> Result<Link> {
        let link = Link::Shared {
            master: None,
            control: control.to_path_buf(),
            cancel: ssh_control::control_arguments("cancel", endpoint, control, forwards)?,
        };
        if std::fs::symlink_metadata(control).is_ok() {
            let (ok, stderr, code) = self.add_forwards(endpoint, control, forwards).await?;
            if ok {
                return Ok(link);
            }
            if let Master::Live(_) = self.judge(endpoint, control).await? {
                return Err(explain(host, endpoint, &stderr, code));
            }
        }
        let lock = ssh_control::start_lock_path(control);
        let _guard = tokio::task::spawn_blocking(move || {
            crate::state::lock::acquire(&lock, "start of an SSH connection", TUNNEL_TIMEOUT)
        })
        .await??;
        // Another command may have started a master while this one waited for the lock.
        match self.judge(endpoint, control).await? {
            Master::Live(_) => {
                let (ok, stderr, code) = self.add_forwards(endpoint, control, forwards).await?;
                return if ok {
                    Ok(link)
                } else {
                    Err(explain(host, endpoint, &stderr, code))
                };
            }
            Master::Stale => remove_stale(control)?,
            Master::Absent => {}
        }
        let Sharing::On { persist, .. } = &self.sharing else {
            bail!("host `{host}`: SSH connection sharing is off");
        };
        let args = ssh_control::master_arguments(endpoint, control, *persist, forwards)?;
        let (ok, stderr, code) = self.run(&args, TUNNEL_TIMEOUT).await?;
        if !ok {
            return Err(explain(host, endpoint, &stderr, code));
        }
        Ok(link)
    }

    async fn add_forwards(
        &self,
        endpoint: &Endpoint,
        control: &Path,
        forwards: &[(&str, &str)],
    ) -> Result<(bool, String, Option<i32>)> {
        let args = ssh_control::control_arguments("forward", endpoint, control, forwards)?;
        self.run(&args, CONTROL_TIMEOUT).await
    }

    /// Whether a tunnel's forwards still lead somewhere: its own ssh runs, or its master does
    /// (asked once with `ssh -O check`, then followed by its pid).
    async fn still_up(&self, endpoint: &Endpoint, tunnel: &mut Tunnel) -> bool {
        let link = match &mut tunnel.link {
            Link::Own(child) => matches!(child.try_wait(), Ok(None)),
            Link::Shared {
                master, control, ..
            } => {
                if master.is_none()
                    && let Ok(Master::Live(pid)) = self.judge(endpoint, control).await
                {
                    *master = Some(pid);
                }
                master.is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists())
                    && control.exists()
            }
        };
        link && tunnel.socket.exists()
    }

    /// What the control socket at `control` is worth (`ssh -O check` when there is one).
    async fn judge(&self, endpoint: &Endpoint, control: &Path) -> Result<Master> {
        if std::fs::symlink_metadata(control).is_err() {
            return Ok(ssh_control::judge(None));
        }
        let args = ssh_control::control_arguments("check", endpoint, control, &[])?;
        let (ok, said, _) = self.run(&args, CONTROL_TIMEOUT).await?;
        Ok(ssh_control::judge(Some((ok, &said))))
    }
}

/// Removes a control socket whose master is gone (a file of another kind is left alone:
/// ecsctl does not delete what it does not understand).
fn remove_stale(control: &Path) -> Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(meta) = std::fs::symlink_metadata(control) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        bail!(
            "`{}` is in the way of an SSH control socket and is not one; remove it",
            control.display()
        );
    }
    std::fs::remove_file(control).map_err(|e| {
        anyhow::anyhow!(
            "cannot remove the stale SSH control socket `{}`: {e}",
            control.display()
        )
    })
}

/// Makes the control directory (0700, owned by this user) when the state directory exists.
/// `false` when it cannot be used safely: connections are then not shared.
fn control_dir_ready(dir: &Path) -> bool {
    if !dir.parent().is_some_and(Path::is_dir) {
        return false;
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.mode(0o700);
    if let Err(e) = builder.create(dir)
        && e.kind() != std::io::ErrorKind::AlreadyExists
    {
        return false;
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() && meta.uid() == me => {
            meta.permissions().mode() & 0o777 == 0o700
                || std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).is_ok()
        }
        _ => false,
    }
}

/// Ends what keeps a tunnel's forwards: its own ssh is killed, shared forwards cancelled.
async fn close(transport: &SshTransport, link: Link) {
    match link {
        Link::Own(mut child) => {
            let _ = child.kill().await;
        }
        Link::Shared { cancel, .. } => {
            let _ = transport.run(&cancel, CONTROL_TIMEOUT).await;
        }
    }
}

impl Default for SshTransport {
    fn default() -> Self {
        Self::new(None)
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
        let slot = self
            .tunnels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(host.to_string())
            .or_default()
            .clone();
        let mut slot = slot.lock().await;
        if let Some(tunnel) = slot.as_mut()
            && tunnel.key == key
            && self.still_up(endpoint, tunnel).await
        {
            return Ok(tunnel.forwarded());
        }
        if let Some(old) = slot.take() {
            old.remove_sockets();
            close(self, old.link).await;
        }
        let tunnel = self.open(host, endpoint, remote, proxy_admin, key).await?;
        let forwarded = tunnel.forwarded();
        *slot = Some(tunnel);
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
    /// Kills the tunnels of its own and cancels its forwards in shared masters, so a master
    /// keeps only the forwards of live commands. The cancels are not waited for: each is a
    /// local request that finishes on its own, also after ecsctl exited.
    fn drop(&mut self) {
        let slots: Vec<Slot> = self
            .tunnels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain()
            .map(|(_, slot)| slot)
            .collect();
        for slot in slots {
            let Ok(mut slot) = slot.try_lock() else {
                continue;
            };
            let Some(tunnel) = slot.take() else {
                continue;
            };
            tunnel.remove_sockets();
            match tunnel.link {
                Link::Own(mut child) => {
                    let _ = child.start_kill();
                }
                Link::Shared { cancel, .. } => {
                    let _ = std::process::Command::new(&self.command)
                        .args(&cancel)
                        .stdin(Stdio::null())
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .spawn();
                }
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
                "-L /tmp/l.sock:/var/run/docker.sock -L /tmp/a.sock:/var/lib/ecsctl/haproxy/node-a/admin.sock -p 2222 deploy@node-a"
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
