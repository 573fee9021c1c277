//! Exclusive locks on files in the state directory (`flock`), which say who holds them.
//!
//! The kernel releases a `flock` when its holder dies, so a crash never leaves a stale lock.
//! The holder writes its pid, host, command and start time into the lock file, so the next
//! one can say who is in the way instead of only "locked".

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// Who holds a lock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    pub command: String,
    pub since: Timestamp,
}

impl Holder {
    pub fn this_process() -> Self {
        let command: Vec<String> = std::env::args().take(3).collect();
        Holder {
            pid: std::process::id(),
            host: hostname(),
            command: command.join(" "),
            since: Timestamp::now(),
        }
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {} on {} (`{}`, since {})",
            self.pid, self.host, self.command, self.since
        )
    }
}

pub fn hostname() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that many bytes.
    let rc = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if rc != 0 {
        return "unknown-host".to_string();
    }
    let end = buffer.iter().position(|b| *b == 0).unwrap_or(buffer.len());
    String::from_utf8_lossy(&buffer[..end]).into_owned()
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("the {what} is locked by {}", holder.as_ref().map_or_else(|| "another process".to_string(), ToString::to_string))]
    Held {
        what: String,
        path: PathBuf,
        holder: Option<Holder>,
    },
    /// A lock kept by a database that could not be reached or asked.
    #[error("cannot lock the {what}: {message}")]
    Backend { what: String, message: String },
    #[error("cannot lock `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A held lock; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct LockGuard {
    _file: File,
    path: PathBuf,
}

impl LockGuard {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Takes the lock at `path`, waiting up to `timeout` (zero: try once).
pub fn acquire(path: &Path, what: &str, timeout: Duration) -> Result<LockGuard, LockError> {
    let io = |source| LockError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    let started = Instant::now();
    loop {
        // SAFETY: flock on a file descriptor we own; no memory is involved.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc == 0 {
            let holder = Holder::this_process();
            let text = serde_json::to_string(&holder).unwrap_or_default();
            file.set_len(0).map_err(io)?;
            file.seek(SeekFrom::Start(0)).map_err(io)?;
            file.write_all(text.as_bytes()).map_err(io)?;
            return Ok(LockGuard {
                _file: file,
                path: path.to_path_buf(),
            });
        }
        let error = std::io::Error::last_os_error();
        if error.raw_os_error() != Some(libc::EWOULDBLOCK) {
            return Err(io(error));
        }
        if started.elapsed() >= timeout {
            return Err(LockError::Held {
                what: what.to_string(),
                path: path.to_path_buf(),
                holder: read_holder(path),
            });
        }
        std::thread::sleep(
            Duration::from_millis(50)
                .min(timeout.saturating_sub(started.elapsed()))
                .max(Duration::from_millis(1)),
        );
    }
}

/// Who holds (or last held) the lock at `path`, if it says.
pub fn read_holder(path: &Path) -> Option<Holder> {
    let mut text = String::new();
    File::open(path).ok()?.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

/// True when someone holds the lock at `path` right now.
pub fn is_held(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    // SAFETY: as above; a shared probe lock released immediately.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) };
    if rc == 0 {
        // SAFETY: unlocking the probe lock taken just above.
        unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
        false
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_told_who_holds_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.lock");
        let first = acquire(&path, "state", Duration::ZERO).expect("first lock");
        // flock locks belong to open file descriptions: a second open in the same process
        // conflicts just as another process would.
        let error = acquire(&path, "state", Duration::from_millis(120)).expect_err("second lock");
        match &error {
            LockError::Held {
                holder: Some(holder),
                ..
            } => {
                assert_eq!(holder.pid, std::process::id());
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(error.to_string().starts_with("the state is locked by pid "));
        assert!(is_held(&path));
        drop(first);
        assert!(!is_held(&path));
        acquire(&path, "state", Duration::ZERO).expect("free again");
    }
}
