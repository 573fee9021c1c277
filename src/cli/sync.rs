//! `ecsctl get sync` and `ecsctl status`: which commit of the Git source the state holds,
//! whether it is in sync, the last fetch and the last refusal; `status` adds the drift the
//! reconcilers reported and left (`--no-self-heal`). Reads [`crate::ops::sync`]'s
//! record; renders only.

use clap::Args;

use super::output::table;
use super::{Context, DataFormat, Outcome, exit};
use crate::ops::Session;
use crate::ops::sync::first_line;
use crate::source::git::short;
use crate::state::sync::SyncRecord;
use crate::time::{Timestamp, short_age};

const NEVER_SYNCED: &str =
    "the state was never synced from Git; `ecsctl watch --git URL` follows a repository";

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = DataFormat::Table)]
    pub output: DataFormat,
}

/// `get sync`: one row (or the record as data).
pub fn get(cx: &Context, session: &Session, output: DataFormat) -> Outcome {
    let record = crate::ops::sync::record(session)?;
    match output {
        DataFormat::Json => cx.out.json(&record)?,
        DataFormat::Yaml => cx.out.yaml(&record)?,
        DataFormat::Table | DataFormat::Wide => match &record {
            None => cx.out.note(NEVER_SYNCED),
            Some(r) => {
                let row = vec![
                    r.source.url.clone(),
                    r.source.reference.clone(),
                    r.status.as_str().to_string(),
                    r.applied
                        .as_ref()
                        .map_or("-".into(), |a| short(&a.commit.id).to_string()),
                    r.applied
                        .as_ref()
                        .map_or("-".into(), |a| a.commit.subject.clone()),
                    ago(r.last_fetch),
                    r.last_error
                        .as_ref()
                        .map_or("-".into(), |e| first_line(&e.message).to_string()),
                ];
                cx.out.print(&table(
                    &[
                        "source",
                        "ref",
                        "status",
                        "commit",
                        "subject",
                        "last fetch",
                        "last error",
                    ],
                    vec![row],
                ));
            }
        },
    }
    Ok(exit::OK)
}

/// `status`: the sync record in words, with the applied history, and the drift left
/// uncorrected.
pub fn status(cx: &Context, args: StatusArgs) -> Outcome {
    let session = cx.session()?;
    let status = crate::ops::sync::status(&session)?;
    match args.output {
        DataFormat::Json => cx.out.json(&status)?,
        DataFormat::Yaml => cx.out.yaml(&status)?,
        DataFormat::Table | DataFormat::Wide => {
            match &status.sync {
                Some(record) => cx.out.print(&text(record)),
                None => cx.out.note(NEVER_SYNCED),
            }
            cx.out.print(&drift_text(&status.drift));
        }
    }
    Ok(exit::OK)
}

fn drift_text(drift: &[crate::ops::sync::ServiceDrift]) -> String {
    if drift.is_empty() {
        return "Drift:      none left uncorrected\n".to_string();
    }
    let mut out = "Drift (not corrected: --no-self-heal):\n".to_string();
    for service in drift {
        for item in &service.drift {
            out.push_str(&format!(
                "  {}/{}  {}  {}\n",
                service.cluster,
                service.service,
                ago(Some(item.since)),
                item.message
            ));
        }
    }
    out
}

fn text(r: &SyncRecord) -> String {
    let mut out = String::new();
    let line = |out: &mut String, key: &str, value: String| {
        out.push_str(&format!("{key:<12}{value}\n"));
    };
    line(
        &mut out,
        "Source:",
        format!(
            "{} (ref {}, path {})",
            r.source.url, r.source.reference, r.source.path
        ),
    );
    let status = match (&r.applied, r.status.as_str()) {
        (Some(a), status) => format!("{status} at {}", short(&a.commit.id)),
        (None, status) => status.to_string(),
    };
    line(&mut out, "Status:", status);
    if let Some(a) = &r.applied {
        line(
            &mut out,
            "Applied:",
            format!(
                "{} {} ({}, serial {})",
                short(&a.commit.id),
                a.commit.subject,
                ago(Some(a.applied_at)),
                a.serial
            ),
        );
    }
    if let Some(head) = &r.head
        && r.applied.as_ref().map(|a| &a.commit.id) != Some(&head.id)
    {
        line(
            &mut out,
            "Head:",
            format!("{} {}", short(&head.id), head.subject),
        );
    }
    line(&mut out, "Last fetch:", ago(r.last_fetch));
    if let Some(e) = &r.last_error {
        let what = e.commit.as_ref().map_or_else(
            || "fetch failed".to_string(),
            |c| format!("refused {}", short(c)),
        );
        line(
            &mut out,
            "Last error:",
            format!("{what} ({})", ago(Some(e.at))),
        );
        for l in e.message.lines() {
            out.push_str(&format!("    {l}\n"));
        }
    }
    if !r.history.is_empty() {
        out.push_str("History:\n");
        for a in &r.history {
            out.push_str(&format!(
                "  {}  {:<8} {}\n",
                short(&a.commit.id),
                ago(Some(a.applied_at)),
                a.commit.subject
            ));
            for change in &a.changes {
                out.push_str(&format!("      {change}\n"));
            }
        }
    }
    out
}

fn ago(t: Option<Timestamp>) -> String {
    t.map_or("-".into(), |t| {
        format!("{} ago", short_age(Timestamp::now().since(t)))
    })
}
