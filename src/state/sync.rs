//! The Git sync record (`sync.json` in the state directory, the `sync` document of a database): which commit of which source is
//! applied, what each applied commit changed, the last fetch and the last refusal. Written
//! by the one `watch --git` of the state (atomic replace, like every file here); read by
//! `get sync`. A record of another lineage (a state directory reused) reads as none.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use super::backend::Store;
use super::store::{StateDir, to_json, write_atomic};
use crate::time::Timestamp;

/// Applied commits kept, newest first.
pub const MAX_HISTORY: usize = 20;
/// Sync events kept, newest last.
pub const MAX_EVENTS: usize = 50;
/// The record's name among a database state's documents.
const DOCUMENT: &str = "sync";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncRecord {
    pub lineage: String,
    pub source: SyncSource,
    pub status: SyncStatus,
    /// The commit whose manifests the state holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<AppliedCommit>,
    /// The commit the ref named at the last successful fetch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<CommitRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_fetch: Option<Timestamp>,
    /// Why the last fetch or sync failed; cleared by the next success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<SyncError>,
    /// Applied commits, newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<AppliedCommit>,
    /// What syncing did, newest last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<SyncEvent>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncSource {
    /// Without credentials.
    pub url: String,
    #[serde(rename = "ref")]
    pub reference: String,
    pub path: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncStatus {
    /// The state holds the manifests of the ref's commit.
    Synced,
    /// The ref's commit is not applied (refused, or the state changed since), or the
    /// repository could not be read.
    OutOfSync,
    /// Nothing fetched yet.
    #[default]
    Unknown,
}

impl SyncStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncStatus::Synced => "Synced",
            SyncStatus::OutOfSync => "OutOfSync",
            SyncStatus::Unknown => "Unknown",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitRef {
    pub id: String,
    pub subject: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub author: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedCommit {
    pub commit: CommitRef,
    pub applied_at: Timestamp,
    /// The state's serial after the apply.
    pub serial: u64,
    /// What the commit changed, as the plan names it (`+ service default/web`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncError {
    pub at: Timestamp,
    /// The commit refused (none when the fetch itself failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncEvent {
    pub created_at: Timestamp,
    pub message: String,
}

impl SyncRecord {
    /// Appends an event, dropping the oldest beyond [`MAX_EVENTS`].
    pub fn event(&mut self, at: Timestamp, message: impl Into<String>) {
        self.events.push(SyncEvent {
            created_at: at,
            message: message.into(),
        });
        let excess = self.events.len().saturating_sub(MAX_EVENTS);
        self.events.drain(..excess);
    }

    /// Records an applied commit as the current one and first in the history.
    pub fn applied(&mut self, applied: AppliedCommit) {
        self.history.insert(0, applied.clone());
        self.history.truncate(MAX_HISTORY);
        self.applied = Some(applied);
    }
}

impl StateDir {
    pub fn sync_path(&self) -> PathBuf {
        self.root().join("sync.json")
    }
}

impl Store {
    /// The sync record of the state of `lineage`, or `None` (never synced from Git).
    pub fn read_sync(&self, lineage: &str) -> Result<Option<SyncRecord>> {
        let text = match self {
            Store::Dir(dir) => {
                let path = dir.sync_path();
                match std::fs::read_to_string(&path) {
                    Ok(text) => Some(text),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                    Err(e) => {
                        return Err(e).with_context(|| format!("reading `{}`", path.display()));
                    }
                }
            }
            Store::Postgres(pg) => pg.read_document(DOCUMENT)?,
        };
        let Some(text) = text else {
            return Ok(None);
        };
        let record: SyncRecord = serde_json::from_str(&text).with_context(|| {
            format!(
                "reading the sync record of the state in {}",
                self.describe()
            )
        })?;
        Ok((record.lineage == lineage).then_some(record))
    }

    pub fn write_sync(&self, record: &SyncRecord) -> Result<()> {
        let json = to_json(record)?;
        match self {
            Store::Dir(dir) => write_atomic(&dir.sync_path(), json.as_bytes()),
            Store::Postgres(pg) => pg.write_document(DOCUMENT, &json),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_and_events_are_bounded() {
        let mut record = SyncRecord::default();
        for i in 0..(MAX_EVENTS + 5) {
            record.event(Timestamp::from_unix_millis(i as u64), format!("e{i}"));
        }
        assert_eq!(record.events.len(), MAX_EVENTS);
        assert_eq!(record.events[0].message, "e5");
        for serial in 0..(MAX_HISTORY as u64 + 3) {
            record.applied(AppliedCommit {
                commit: CommitRef::default(),
                applied_at: Timestamp::from_unix_millis(serial),
                serial,
                changes: vec![],
            });
        }
        assert_eq!(record.history.len(), MAX_HISTORY);
        assert_eq!(record.history[0].serial, MAX_HISTORY as u64 + 2);
        assert_eq!(record.applied.as_ref().map(|a| a.serial), Some(22));
    }

    #[test]
    fn a_record_of_another_state_reads_as_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::Dir(StateDir::open(dir.path()).expect("open"));
        let record = SyncRecord {
            lineage: "a".into(),
            status: SyncStatus::Synced,
            ..SyncRecord::default()
        };
        store.write_sync(&record).expect("write");
        assert_eq!(store.read_sync("a").expect("read"), Some(record));
        assert_eq!(store.read_sync("b").expect("read"), None);
    }
}
