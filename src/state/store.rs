//! The state directory on disk.
//!
//! ```text
//! STATE_DIR/            0700
//!   state.json          0600  the State (atomic replace)
//!   state.lock                held while state.json is read-modified-written
//!   runtime/CLUSTER.json      the Runtime of a cluster (atomic replace)
//!   runtime.lock              held while a runtime file is read-modified-written
//!   lease-CLUSTER.lock        held by the one reconciler of a cluster
//! ```
//!
//! Every write goes to a temporary file in the same directory, is fsynced, renamed over the
//! old file, and the directory is fsynced: a crash at any instant leaves the old or the new
//! file, never a mix.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::lock::{self, LockError, LockGuard};
use super::{FORMAT_VERSION, Runtime, State};

pub const STATE_DIR_ENV: &str = "ECSCTL_STATE_DIR";

/// How long internal writers (events, progress) wait for the runtime lock.
const RUNTIME_LOCK_WAIT: Duration = Duration::from_secs(30);

#[derive(Clone, Debug)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    /// `--state-dir`, else `$ECSCTL_STATE_DIR`, else the user's data directory.
    pub fn resolve(flag: Option<&Path>) -> Result<PathBuf> {
        if let Some(path) = flag {
            return Ok(path.to_path_buf());
        }
        if let Some(path) = std::env::var_os(STATE_DIR_ENV).filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(path));
        }
        let dirs = directories::ProjectDirs::from("", "", "ecsctl")
            .context("cannot find a home directory for the state; pass --state-dir")?;
        Ok(dirs.data_dir().to_path_buf())
    }

    /// Opens the directory, creating it (0700) if needed.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        fs::create_dir_all(root.join("runtime"))
            .with_context(|| format!("creating the state directory `{}`", root.display()))?;
        for dir in [root.as_path(), &root.join("runtime")] {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                .with_context(|| format!("setting permissions of `{}`", dir.display()))?;
        }
        Ok(StateDir { root })
    }

    /// A directory that may not exist: reading from it creates nothing.
    pub fn at(root: impl Into<PathBuf>) -> Self {
        StateDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn state_path(&self) -> PathBuf {
        self.root.join("state.json")
    }

    pub fn runtime_path(&self, cluster: &str) -> PathBuf {
        self.root.join("runtime").join(format!("{cluster}.json"))
    }

    pub fn lease_path(&self, cluster: &str) -> PathBuf {
        self.root.join(format!("lease-{cluster}.lock"))
    }

    /// The recorded state, or `None` before the first apply.
    pub fn read_state(&self) -> Result<Option<State>> {
        let path = self.state_path();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(e).with_context(|| format!("reading state file `{}`", path.display()));
            }
        };
        parse_state(&text)
            .with_context(|| format!("reading state file `{}`", path.display()))
            .map(Some)
    }

    /// Locks the state for a read-modify-write. `timeout` zero fails at once.
    pub fn lock_state(&self, timeout: Duration) -> Result<LockGuard, LockError> {
        lock::acquire(&self.root.join("state.lock"), "state", timeout)
    }

    /// Replaces state.json. The caller holds the state lock (the guard proves it).
    pub fn write_state(&self, state: &State, _lock: &LockGuard) -> Result<()> {
        let json = to_json(state)?;
        write_atomic(&self.state_path(), json.as_bytes())
    }

    pub fn read_runtime(&self, cluster: &str) -> Result<Runtime> {
        let path = self.runtime_path(cluster);
        match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .with_context(|| format!("reading runtime file `{}`", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Runtime::default()),
            Err(e) => Err(e).with_context(|| format!("reading runtime file `{}`", path.display())),
        }
    }

    /// Read-modify-write of a cluster's runtime file under the runtime lock. A runtime file of
    /// another lineage (a state directory reused for a new state) is started afresh.
    pub fn update_runtime<T>(
        &self,
        cluster: &str,
        lineage: &str,
        change: impl FnOnce(&mut Runtime) -> T,
    ) -> Result<T> {
        let _lock = lock::acquire(
            &self.root.join("runtime.lock"),
            "runtime state",
            RUNTIME_LOCK_WAIT,
        )?;
        let mut runtime = self.read_runtime(cluster)?;
        if runtime.lineage != lineage {
            runtime = Runtime {
                format_version: FORMAT_VERSION,
                lineage: lineage.to_string(),
                ..Runtime::default()
            };
        }
        let result = change(&mut runtime);
        let json = to_json(&runtime)?;
        write_atomic(&self.runtime_path(cluster), json.as_bytes())?;
        Ok(result)
    }
}

impl StateDir {
    /// The clusters that have a runtime file, sorted.
    pub fn runtime_clusters(&self) -> Result<Vec<String>> {
        let dir = self.root.join("runtime");
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("listing `{}`", dir.display())),
        };
        let mut clusters: Vec<String> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".json")
                    .filter(|c| !c.starts_with('.'))
                    .map(str::to_string)
            })
            .collect();
        clusters.sort();
        Ok(clusters)
    }
}

/// Parses state.json, upgrading older formats and refusing newer ones.
pub fn parse_state(text: &str) -> Result<State> {
    // A file of this format is read straight into the State: going through a
    // `serde_json::Value` first holds the whole document twice (a 10,000-service state is
    // tens of MB as text, several times that as a Value). Anything else takes the path that
    // checks the version first, so a newer or broken file is refused as before.
    if let Ok(state) = serde_json::from_str::<State>(text)
        && state.format_version == FORMAT_VERSION
    {
        return Ok(state);
    }
    parse_state_checked(text)
}

/// [`parse_state`] for a file that is not plainly of this format: the version is read first.
fn parse_state_checked(text: &str) -> Result<State> {
    let value: serde_json::Value =
        serde_json::from_str(text).context("the state file is not valid JSON")?;
    let version = value
        .get("formatVersion")
        .and_then(serde_json::Value::as_u64)
        .context("the state file has no `formatVersion`")?;
    if version > u64::from(FORMAT_VERSION) {
        bail!(
            "the state was written in format {version}, newer than this ecsctl understands ({FORMAT_VERSION}); upgrade ecsctl"
        );
    }
    // Format 1 is the first; upgrades of older formats go here, one step per version.
    serde_json::from_value(value).context("the state file does not match its format")
}

/// Stable JSON: sorted keys, two-space indentation, a final newline.
pub fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    let value = serde_json::to_value(value).context("serializing")?;
    let mut text = serde_json::to_string_pretty(&value).context("serializing")?;
    text.push('\n');
    Ok(text)
}

/// Writes `bytes` to `path` so that a crash leaves either the old or the new content.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    remove_stale_temps(dir, &file_name);
    let result = (|| -> Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temp)
            .with_context(|| format!("creating `{}`", temp.display()))?;
        file.write_all(bytes)
            .with_context(|| format!("writing `{}`", temp.display()))?;
        file.sync_all()
            .with_context(|| format!("syncing `{}`", temp.display()))?;
        fs::rename(&temp, path).with_context(|| format!("replacing `{}`", path.display()))?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("syncing directory `{}`", dir.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Removes temporary files left by writers that crashed. Callers hold the file's lock, so no
/// live writer owns one.
fn remove_stale_temps(dir: &Path, file_name: &str) {
    let prefix = format!(".{file_name}.tmp-");
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_private_files_and_reads_them_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = StateDir::open(dir.path().join("s")).expect("open");
        assert_eq!(store.read_state().expect("read"), None);
        let lock = store.lock_state(Duration::ZERO).expect("lock");
        let mut state = State::empty("lineage-1".into());
        state.serial = 3;
        store.write_state(&state, &lock).expect("write");
        assert_eq!(store.read_state().expect("read"), Some(state));
        let mode = |p: &Path| fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&store.state_path()), 0o600);
        assert_eq!(mode(store.root()), 0o700);
        let leftovers: Vec<_> = fs::read_dir(store.root())
            .expect("list")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn refuses_a_newer_format() {
        let error = parse_state(r#"{"formatVersion": 99, "lineage": "x", "serial": 1}"#)
            .expect_err("newer format");
        assert!(error.to_string().contains("upgrade ecsctl"));
    }

    #[test]
    fn runtime_of_another_lineage_starts_afresh() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = StateDir::open(dir.path()).expect("open");
        store
            .update_runtime("default", "a", |r| {
                r.services.entry("web".into()).or_default();
            })
            .expect("update");
        let count = store
            .update_runtime("default", "b", |r| r.services.len())
            .expect("update");
        assert_eq!(count, 0);
    }
}
