//! The pure half of SSH connection sharing: where ecsctl's control sockets live, how long a
//! master outlives its last user, the `ssh` arguments of every step, and what `ssh -O check`
//! says. The processes are run by [`super::ssh`].
//!
//! One OpenSSH master per host (ControlMaster/ControlPath/ControlPersist) lets a command that
//! follows another within the persist time skip the SSH login: its forwards become requests
//! to the master. The control sockets are ecsctl's own, under `STATE_DIR/ssh/` (0700), named
//! after the ssh command and `user@host:port`, so they never meet the user's own ControlPath.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Result, bail};
use sha2::{Digest, Sha256};

use crate::model::cluster::Endpoint;

/// How long a master outlives its last user: `ECSCTL_SSH_PERSIST`.
pub const PERSIST_ENV: &str = "ECSCTL_SSH_PERSIST";

/// Short enough that a forgotten master goes soon, long enough to span a few commands typed
/// one after the other.
pub const DEFAULT_PERSIST: Duration = Duration::from_secs(60);

/// OpenSSH binds the control socket under a temporary name (the path plus 17 characters)
/// before renaming it, and a unix socket path holds at most 107 bytes: past this length the
/// master could not listen.
const MAX_CONTROL_PATH: usize = 90;

/// The directory of the control sockets, inside the state directory.
pub fn control_dir(state_root: &Path) -> PathBuf {
    state_root.join("ssh")
}

/// `ECSCTL_SSH_PERSIST` read: `None` disables sharing (`0`, `no`, `off`, `false`, `none`);
/// unset or empty is the default; else whole seconds (`90`) or a duration (`90s`, `2m`).
pub fn persist_time(value: Option<&str>) -> Result<Option<Duration>> {
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(Some(DEFAULT_PERSIST));
    };
    if ["0", "no", "off", "false", "none"].contains(&text.to_ascii_lowercase().as_str()) {
        return Ok(None);
    }
    let time = match text.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => humantime::parse_duration(text).map_err(|_| {
            anyhow::anyhow!(
                "{PERSIST_ENV}=`{text}` is not a duration: use seconds (60), a duration (90s, 2m), or 0/no to turn connection sharing off"
            )
        })?,
    };
    Ok((!time.is_zero()).then_some(time))
}

/// The value of `ControlPersist`: whole seconds, at least one (a fraction would round to 0,
/// which OpenSSH reads as "forever").
pub fn persist_seconds(time: Duration) -> u64 {
    time.as_secs_f64().ceil().max(1.0) as u64
}

/// Whether `ssh -V` printed an OpenSSH version: only OpenSSH is known to speak its own
/// multiplexing protocol (`-O check`, `-O forward`), so any other command gets connections
/// of its own, as before sharing existed.
pub fn is_openssh(version: &str) -> bool {
    version.contains("OpenSSH")
}

/// `user@host:port`, the identity of a connection (an empty user or port: the ssh config's).
fn connection_name(endpoint: &Endpoint) -> Option<String> {
    let Endpoint::Ssh { user, host, port } = endpoint else {
        return None;
    };
    Some(format!(
        "{}@{host}:{}",
        user.as_deref().unwrap_or(""),
        port.map(|p| p.to_string()).unwrap_or_default()
    ))
}

/// The control socket of a connection: `DIR/<hash>.sock`, the hash of the ssh command and
/// `user@host:port` (another command may log in differently: it gets a master of its own).
/// `None` when the path would be too long for a unix socket (then no sharing).
pub fn control_path(dir: &Path, command: &str, endpoint: &Endpoint) -> Option<PathBuf> {
    let name = connection_name(endpoint)?;
    let digest = Sha256::digest(format!("{command}\n{name}").as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let path = dir.join(format!("{hex}.sock"));
    (path.as_os_str().len() <= MAX_CONTROL_PATH).then_some(path)
}

/// The lock held while a master is started, beside its socket: two commands starting at the
/// same time make one master (the second OpenSSH would otherwise carry on as a plain
/// connection that nothing ends).
pub fn start_lock_path(control: &Path) -> PathBuf {
    control.with_extension("lock")
}

/// What a control socket is worth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Master {
    /// No socket: a master must be started.
    Absent,
    /// A master answered `-O check`: its pid.
    Live(u32),
    /// A socket nobody answers on (its master died without removing it), or an answer that
    /// cannot be read: removed and replaced, never used.
    Stale,
}

/// Judges a control socket from `ssh -O check` (`None`: there is no socket, so nothing was
/// asked). A live master says `Master running (pid=N)` and exits 0.
pub fn judge(check: Option<(bool, &str)>) -> Master {
    let Some((success, said)) = check else {
        return Master::Absent;
    };
    let pid = said
        .split("(pid=")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|pid| pid.trim().parse::<u32>().ok());
    match (success, pid) {
        (true, Some(pid)) if pid > 1 => Master::Live(pid),
        _ => Master::Stale,
    }
}

/// The options every connection gets, shared or not, whatever the user's config says:
/// unknown host keys are refused, nothing prompts, connecting and silence are bounded.
pub fn connection_options() -> Vec<String> {
    [
        "ExitOnForwardFailure=yes",
        "StreamLocalBindUnlink=yes",
        "StrictHostKeyChecking=yes",
        "BatchMode=yes",
        "ConnectTimeout=5",
        "ServerAliveInterval=2",
        "ServerAliveCountMax=3",
        "LogLevel=ERROR",
    ]
    .into_iter()
    .flat_map(|option| ["-o".to_string(), option.to_string()])
    .collect()
}

/// `-p PORT` (when given) and the destination, last on every command line.
pub fn destination(endpoint: &Endpoint) -> Result<Vec<String>> {
    let Endpoint::Ssh { user, host, port } = endpoint else {
        bail!("not an ssh endpoint: {endpoint}");
    };
    let mut args = Vec::new();
    if let Some(port) = port {
        args.push("-p".into());
        args.push(port.to_string());
    }
    args.push(match user {
        Some(user) => format!("{user}@{host}"),
        None => host.clone(),
    });
    Ok(args)
}

/// One `-L local:remote` per pair.
pub fn forward_options(forwards: &[(&str, &str)]) -> Vec<String> {
    forwards
        .iter()
        .flat_map(|(local, remote)| ["-L".to_string(), format!("{local}:{remote}")])
        .collect()
}

/// Starts a master that forwards `forwards` (the first command's, cancelled like any other):
/// it logs in, sets them up, then (ControlPersist) moves to the background on its own and
/// the command exits 0; the master ends `persist` after its last user went.
pub fn master_arguments(
    endpoint: &Endpoint,
    control: &Path,
    persist: Duration,
    forwards: &[(&str, &str)],
) -> Result<Vec<String>> {
    let mut args: Vec<String> = vec!["-N".into(), "-T".into()];
    args.extend(connection_options());
    args.extend([
        "-o".into(),
        "ControlMaster=yes".into(),
        "-o".into(),
        format!("ControlPath={}", control.display()),
        "-o".into(),
        format!("ControlPersist={}", persist_seconds(persist)),
    ]);
    args.extend(forward_options(forwards));
    args.extend(destination(endpoint)?);
    Ok(args)
}

/// `ssh -O OPERATION` to the master at `control` (`check`, `forward`, `cancel`), with the
/// forwards it is about. `ControlMaster=no`: a request never turns into a new login.
pub fn control_arguments(
    operation: &str,
    endpoint: &Endpoint,
    control: &Path,
    forwards: &[(&str, &str)],
) -> Result<Vec<String>> {
    let mut args: Vec<String> = vec![
        "-O".into(),
        operation.into(),
        "-o".into(),
        "ControlMaster=no".into(),
        "-o".into(),
        format!("ControlPath={}", control.display()),
        "-o".into(),
        "BatchMode=yes".into(),
    ];
    args.extend(forward_options(forwards));
    args.extend(destination(endpoint)?);
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(text: &str) -> Endpoint {
        Endpoint::parse(text).expect("endpoint")
    }

    #[test]
    fn persist_time_defaults_disables_and_reads_durations() {
        assert_eq!(persist_time(None).expect("ok"), Some(DEFAULT_PERSIST));
        assert_eq!(persist_time(Some("")).expect("ok"), Some(DEFAULT_PERSIST));
        for off in ["0", "no", "NO", "off", "false", "none", "0s"] {
            assert_eq!(persist_time(Some(off)).expect("ok"), None, "{off}");
        }
        assert_eq!(
            persist_time(Some("90")).expect("ok"),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            persist_time(Some("2m")).expect("ok"),
            Some(Duration::from_secs(120))
        );
        let error = persist_time(Some("soon")).expect_err("bad").to_string();
        assert!(error.contains("ECSCTL_SSH_PERSIST=`soon`"), "{error}");
        assert!(error.contains("0/no"), "{error}");
    }

    #[test]
    fn persist_seconds_never_rounds_to_forever() {
        assert_eq!(persist_seconds(Duration::from_millis(200)), 1);
        assert_eq!(persist_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(persist_seconds(Duration::from_secs(60)), 60);
    }

    #[test]
    fn only_openssh_shares_connections() {
        assert!(is_openssh(
            "OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.19 27 Jan 2026"
        ));
        assert!(!is_openssh("Dropbear v2022.83"));
        assert!(!is_openssh(""));
    }

    #[test]
    fn control_paths_are_per_connection_and_short() {
        let dir = Path::new("/home/u/.local/share/ecsctl/ssh");
        let a = control_path(dir, "ssh", &endpoint("ssh://root@10.0.0.1:22")).expect("path");
        assert!(a.starts_with(dir));
        assert_eq!(a.extension().and_then(|e| e.to_str()), Some("sock"));
        assert_eq!(
            a,
            control_path(dir, "ssh", &endpoint("ssh://root@10.0.0.1:22")).expect("path"),
            "stable"
        );
        for other in [
            control_path(dir, "ssh", &endpoint("ssh://deploy@10.0.0.1:22")),
            control_path(dir, "ssh", &endpoint("ssh://root@10.0.0.1:2222")),
            control_path(dir, "ssh", &endpoint("ssh://root@10.0.0.2:22")),
            control_path(dir, "/opt/ssh-wrapper", &endpoint("ssh://root@10.0.0.1:22")),
        ] {
            assert_ne!(other.expect("path"), a);
        }
        let deep = Path::new("/a").join("x".repeat(80));
        assert_eq!(
            control_path(&deep, "ssh", &endpoint("ssh://root@h")),
            None,
            "too long for a unix socket"
        );
        assert_eq!(control_path(dir, "ssh", &Endpoint::Local), None);
        assert_eq!(
            start_lock_path(&a).extension().and_then(|e| e.to_str()),
            Some("lock")
        );
        assert_eq!(control_dir(Path::new("/s")), Path::new("/s/ssh"));
    }

    #[test]
    fn a_socket_is_trusted_only_when_its_master_answers() {
        assert_eq!(judge(None), Master::Absent);
        assert_eq!(
            judge(Some((true, "Master running (pid=4242)\r\n"))),
            Master::Live(4242)
        );
        assert_eq!(
            judge(Some((
                false,
                "Control socket connect(/s/ssh/ab.sock): Connection refused"
            ))),
            Master::Stale
        );
        assert_eq!(judge(Some((true, "something else"))), Master::Stale);
        assert_eq!(judge(Some((true, "Master running (pid=1)"))), Master::Stale);
    }

    #[test]
    fn master_arguments_keep_strict_keys_and_persist() {
        let args = master_arguments(
            &endpoint("ssh://deploy@node-a:2222"),
            Path::new("/s/ssh/ab.sock"),
            Duration::from_secs(60),
            &[("/tmp/l.sock", "/var/run/docker.sock")],
        )
        .expect("args");
        let text = args.join(" ");
        assert!(text.starts_with("-N -T"), "{text}");
        for option in [
            "StrictHostKeyChecking=yes",
            "BatchMode=yes",
            "ConnectTimeout=5",
            "ServerAliveInterval=2",
            "ServerAliveCountMax=3",
            "ControlMaster=yes",
            "ControlPath=/s/ssh/ab.sock",
            "ControlPersist=60",
        ] {
            assert!(
                text.contains(&format!("-o {option}")),
                "{option} missing: {text}"
            );
        }
        assert!(
            text.ends_with("-L /tmp/l.sock:/var/run/docker.sock -p 2222 deploy@node-a"),
            "{text}"
        );
    }

    #[test]
    fn control_requests_never_log_in() {
        let args = control_arguments(
            "forward",
            &endpoint("ssh://root@h:22"),
            Path::new("/s/ssh/ab.sock"),
            &[("/tmp/l.sock", "/var/run/docker.sock")],
        )
        .expect("args");
        assert_eq!(
            args.join(" "),
            "-O forward -o ControlMaster=no -o ControlPath=/s/ssh/ab.sock -o BatchMode=yes -L /tmp/l.sock:/var/run/docker.sock -p 22 root@h"
        );
        let check = control_arguments(
            "check",
            &endpoint("ssh://h"),
            Path::new("/s/ssh/ab.sock"),
            &[],
        )
        .expect("args");
        assert_eq!(check.first().map(String::as_str), Some("-O"));
        assert_eq!(check.last().map(String::as_str), Some("h"));
    }
}
