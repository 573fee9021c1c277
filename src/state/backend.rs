//! Where the state lives, behind one type: the state directory (the embedded default) or a
//! PostgreSQL database (`--state postgres://…`). Every operation holds a [`Store`] and uses
//! the same verbs on either; the backends' own files say how they keep their promises.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;

use super::lock::{self, LockError, LockGuard};
use super::postgres::client::is_postgres_url;
use super::postgres::{PgLease, PgLock, PgStore};
use super::store::StateDir;
use super::{Runtime, State};

/// `--state` / `$ECSCTL_STATE`: a directory or a `postgres://` URL.
pub const STATE_ENV: &str = "ECSCTL_STATE";

/// A state's address as the user wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    Dir(PathBuf),
    Postgres(String),
}

impl Location {
    pub fn parse(text: &str) -> Self {
        if is_postgres_url(text) {
            Location::Postgres(text.to_string())
        } else {
            Location::Dir(PathBuf::from(text))
        }
    }

    /// `--state`, else `--state-dir`, else `$ECSCTL_STATE`, else `$ECSCTL_STATE_DIR`, else
    /// the user's data directory.
    pub fn resolve(state: Option<&str>, state_dir: Option<&Path>) -> Result<Self> {
        if let Some(text) = state.filter(|s| !s.is_empty()) {
            return Ok(Location::parse(text));
        }
        if let Some(dir) = state_dir {
            return Ok(Location::Dir(dir.to_path_buf()));
        }
        if let Some(text) = std::env::var(STATE_ENV).ok().filter(|s| !s.is_empty()) {
            return Ok(Location::parse(&text));
        }
        Ok(Location::Dir(StateDir::resolve(None)?))
    }
}

#[derive(Clone, Debug)]
pub enum Store {
    Dir(StateDir),
    Postgres(PgStore),
}

/// The apply lock, held until dropped; passed to [`Store::write_state`] as proof.
#[derive(Debug)]
pub enum StateLock {
    Dir(LockGuard),
    Postgres(PgLock),
}

/// A cluster's reconciler lease, held until dropped.
#[derive(Debug)]
pub enum Lease {
    /// A `flock` the kernel holds for the process: it cannot be lost while the process lives.
    Dir(LockGuard),
    Postgres(PgLease),
}

impl Lease {
    /// Becomes `true` when the lease is lost (never for a directory's).
    pub fn lost(&self) -> Option<tokio::sync::watch::Receiver<bool>> {
        match self {
            Lease::Dir(_) => None,
            Lease::Postgres(lease) => Some(lease.lost()),
        }
    }
}

impl Lease {
    /// Resolves when the lease is lost; never for a directory's. Owns what it waits on, so
    /// the lease itself can move elsewhere (into the task it guards).
    pub fn on_lost(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let lost = self.lost();
        async move {
            match lost {
                Some(mut lost) => {
                    let _ = lost.wait_for(|lost| *lost).await;
                }
                None => std::future::pending::<()>().await,
            }
        }
    }
}

impl From<StateDir> for Store {
    fn from(dir: StateDir) -> Self {
        Store::Dir(dir)
    }
}

impl Store {
    /// The store at `location`, created on first write: opening it touches nothing (a
    /// directory is created by [`Store::open`]; PostgreSQL tables by the first writer).
    pub fn at(location: &Location) -> Result<Self> {
        Ok(match location {
            Location::Dir(path) => Store::Dir(StateDir::at(path)),
            Location::Postgres(url) => Store::Postgres(PgStore::new(url)?),
        })
    }

    /// Like [`Store::at`], creating a directory (0700) when it is missing.
    pub fn open(location: &Location) -> Result<Self> {
        Ok(match location {
            Location::Dir(path) => Store::Dir(StateDir::open(path)?),
            Location::Postgres(url) => Store::Postgres(PgStore::new(url)?),
        })
    }

    /// How to name the store to a user (a path, or a URL without its password).
    pub fn describe(&self) -> String {
        match self {
            Store::Dir(dir) => format!("`{}`", dir.root().display()),
            Store::Postgres(pg) => pg.shown().to_string(),
        }
    }

    /// The directory, for what only a directory has (file events, SSH control sockets).
    pub fn as_dir(&self) -> Option<&StateDir> {
        match self {
            Store::Dir(dir) => Some(dir),
            Store::Postgres(_) => None,
        }
    }

    /// A directory shared by the processes of this state on this machine.
    pub fn local_root(&self) -> Option<&Path> {
        self.as_dir().map(StateDir::root)
    }

    pub fn read_state(&self) -> Result<Option<State>> {
        match self {
            Store::Dir(dir) => dir.read_state(),
            Store::Postgres(pg) => pg.read_state(),
        }
    }

    /// Locks the state for a read-modify-write. `timeout` zero fails at once.
    pub fn lock_state(&self, timeout: Duration) -> Result<StateLock, LockError> {
        match self {
            Store::Dir(dir) => dir.lock_state(timeout).map(StateLock::Dir),
            Store::Postgres(pg) => pg.lock_state(timeout).map(StateLock::Postgres),
        }
    }

    /// Replaces the state. The caller holds the lock (the guard proves it).
    pub fn write_state(&self, state: &State, lock: &StateLock) -> Result<()> {
        match (self, lock) {
            (Store::Dir(dir), StateLock::Dir(guard)) => dir.write_state(state, guard),
            (Store::Postgres(pg), StateLock::Postgres(guard)) => pg.write_state(state, guard),
            _ => anyhow::bail!("the state lock was taken on another store"),
        }
    }

    pub fn read_runtime(&self, cluster: &str) -> Result<Runtime> {
        match self {
            Store::Dir(dir) => dir.read_runtime(cluster),
            Store::Postgres(pg) => pg.read_runtime(cluster),
        }
    }

    /// Read-modify-write of a cluster's runtime record; another lineage's starts afresh.
    pub fn update_runtime<T>(
        &self,
        cluster: &str,
        lineage: &str,
        change: impl FnOnce(&mut Runtime) -> T,
    ) -> Result<T> {
        match self {
            Store::Dir(dir) => dir.update_runtime(cluster, lineage, change),
            Store::Postgres(pg) => pg.update_runtime(cluster, lineage, change),
        }
    }

    /// The clusters that have a runtime record, sorted.
    pub fn runtime_clusters(&self) -> Result<Vec<String>> {
        match self {
            Store::Dir(dir) => dir.runtime_clusters(),
            Store::Postgres(pg) => pg.runtime_clusters(),
        }
    }

    /// Replaces a cluster's runtime record as it is (`state migrate`).
    pub fn replace_runtime(&self, cluster: &str, runtime: &Runtime) -> Result<()> {
        match self {
            Store::Dir(dir) => dir.update_runtime(cluster, &runtime.lineage, |r| {
                *r = runtime.clone();
            }),
            Store::Postgres(pg) => pg.replace_runtime(cluster, runtime),
        }
    }

    /// Takes the reconciler lease of `cluster`, waiting up to `timeout`. Blocks.
    pub fn take_lease(&self, cluster: &str, timeout: Duration) -> Result<Lease, LockError> {
        match self {
            Store::Dir(dir) => {
                let what = format!("reconciler lease of cluster `{cluster}`");
                lock::acquire(&dir.lease_path(cluster), &what, timeout).map(Lease::Dir)
            }
            Store::Postgres(pg) => pg.take_lease(cluster, timeout).map(Lease::Postgres),
        }
    }

    /// [`Store::take_lease`] off the async threads.
    pub async fn take_lease_async(
        &self,
        cluster: &str,
        timeout: Duration,
    ) -> Result<Lease, LockError> {
        let (store, cluster) = (self.clone(), cluster.to_string());
        tokio::task::spawn_blocking(move || store.take_lease(&cluster, timeout))
            .await
            .unwrap_or_else(|e| {
                Err(LockError::Backend {
                    what: "reconciler lease".into(),
                    message: e.to_string(),
                })
            })
    }

    /// This store, its writes refused once `lease` is no longer current (a directory's
    /// lease cannot be lost while its holder lives: no check needed).
    pub fn fenced(&self, lease: &Lease) -> Store {
        match (self, lease) {
            (Store::Postgres(pg), Lease::Postgres(lease)) => Store::Postgres(pg.fenced(lease)),
            _ => self.clone(),
        }
    }

    /// For a store without file events: something that changes whenever the state or a
    /// runtime record is written (`None` for a directory, which has file events).
    pub fn change_stamp(&self) -> Option<Result<(i64, i64)>> {
        match self {
            Store::Dir(_) => None,
            Store::Postgres(pg) => Some(pg.change_stamp()),
        }
    }
}
