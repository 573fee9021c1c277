//! `watch --git`: the flags of a Git source, and the lines that say what each sync did. The
//! sync itself is [`crate::ops::sync`]'s.

use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use clap::Args;

use super::log::Log;
use crate::ops::Session;
use crate::ops::sync::{self, SyncOptions, SyncOutcome};
use crate::source::git::{GitSource, Mirror, short};

/// The environment variable that may hold the webhook secret instead of a file.
pub const WEBHOOK_SECRET_ENV: &str = "ECSCTL_WEBHOOK_SECRET";

#[derive(Debug, Args)]
pub struct GitArgs {
    /// Follow a Git repository (URL or path) instead of files: fetch it every --interval and
    /// apply the manifests of each new commit
    #[arg(long, value_name = "URL|PATH", conflicts_with = "files")]
    pub git: Option<String>,
    /// The branch, tag or commit to follow (with --git)
    #[arg(
        long = "ref",
        value_name = "REF",
        default_value = "main",
        requires = "git"
    )]
    pub reference: String,
    /// The directory of manifests in the repository (with --git)
    #[arg(long, value_name = "DIR", default_value = ".", requires = "git")]
    pub path: String,
    /// How often to fetch (with --git)
    #[arg(long, value_name = "DURATION", default_value = "1m", requires = "git")]
    pub interval: humantime::Duration,
    /// Listen for push webhooks (GitHub, Gitea, GitLab) and fetch at once on a signed one
    #[arg(long, value_name = "ADDR", requires = "git")]
    pub webhook_listen: Option<String>,
    /// The webhook secret, read from this file (or from $ECSCTL_WEBHOOK_SECRET)
    #[arg(long, value_name = "FILE", requires = "webhook_listen")]
    pub webhook_secret_file: Option<PathBuf>,
}

impl GitArgs {
    pub fn source(&self) -> Option<GitSource> {
        self.git.as_ref().map(|url| GitSource {
            url: url.clone(),
            reference: self.reference.clone(),
            path: self.path.clone(),
        })
    }

    /// The webhook secret: the file's content (without its final newline), else the
    /// environment. An empty secret is refused: every delivery would verify.
    pub fn webhook_secret(&self) -> Result<Vec<u8>> {
        let secret = match &self.webhook_secret_file {
            Some(path) => std::fs::read_to_string(path)
                .with_context(|| format!("reading the webhook secret `{}`", path.display()))?
                .trim_end_matches(['\r', '\n'])
                .to_string(),
            None => std::env::var(WEBHOOK_SECRET_ENV).unwrap_or_default(),
        };
        if secret.is_empty() {
            bail!(
                "--webhook-listen needs a secret: pass --webhook-secret-file FILE or set ${WEBHOOK_SECRET_ENV}"
            );
        }
        Ok(secret.into_bytes())
    }
}

/// A sync that prints what it did. An error of the very first fetch is returned (a wrong URL
/// ends the watch at once); later ones are printed and retried at the next interval.
pub struct Syncer {
    pub session: Session,
    pub mirror: Mirror,
    pub options: SyncOptions,
    pub first: bool,
    log: Log,
}

impl Syncer {
    pub fn new(
        session: Session,
        source: GitSource,
        options: SyncOptions,
        log: Log,
    ) -> Result<Self> {
        let mirror = sync::mirror(&session, source)?;
        Ok(Syncer {
            session,
            mirror,
            options,
            first: true,
            log,
        })
    }

    pub fn sync(&mut self) -> Result<()> {
        let first = std::mem::take(&mut self.first);
        let outcome = sync::sync(&self.session, &self.mirror, &self.options)?;
        if first && let SyncOutcome::FetchFailed { message, .. } = &outcome {
            bail!("{message}");
        }
        let failed = matches!(
            outcome,
            SyncOutcome::Refused { .. } | SyncOutcome::FetchFailed { .. }
        );
        match line(&outcome) {
            Some(line) if failed => self.log.warn(None, &line),
            Some(line) => self.log.info(None, &line),
            None => {}
        }
        Ok(())
    }
}

/// What a sync says in the watch's log (nothing when nothing happened, or a refusal again).
fn line(outcome: &SyncOutcome) -> Option<String> {
    match outcome {
        SyncOutcome::Applied { commit, plan, .. } => {
            let s = &plan.summary;
            Some(format!(
                "synced commit {} ({}): {} added, {} changed, {} destroyed",
                short(&commit.id),
                commit.subject,
                s.add,
                s.change,
                s.destroy
            ))
        }
        SyncOutcome::UpToDate { .. } => None,
        SyncOutcome::Refused { again: true, .. } | SyncOutcome::FetchFailed { again: true, .. } => {
            None
        }
        SyncOutcome::Refused {
            commit, message, ..
        } => Some(format!(
            "refused commit {} ({}); the last good commit stays applied:\n{message}",
            short(&commit.id),
            commit.subject
        )),
        SyncOutcome::OutOfSync { commit, changes } => Some(format!(
            "the state differs from commit {} ({changes} to change); not corrected (--no-self-heal)",
            short(&commit.id)
        )),
        SyncOutcome::FetchFailed { message, .. } => {
            Some(format!("fetch failed (retrying): {message}"))
        }
    }
}
