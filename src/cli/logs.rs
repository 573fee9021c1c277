//! `ecsctl logs service/NAME|task/ID [-f] [--since D] [--tail N] [-c CONTAINER] [--timestamps]`:
//! the logs of every task, on every host, merged in time order and prefixed
//! `web/1a2b3c/web | `. With `-f`, new lines and new tasks (a replacement started meanwhile)
//! appear until Ctrl-C.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::Args;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::tasks::select;
use super::{Context, Outcome, exit};
use crate::controller::inspect::TaskView;
use crate::docker::host::DockerHost;
use crate::docker::logs::{self, LogLine};
use crate::ops::target::Target;
use crate::ops::tasks::Selection;
use crate::state::State;
use crate::time::Timestamp;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  ecsctl logs svc/web -f                     # every task, merged; follows replacements
  ecsctl logs task/1a2b --since 10m -c web")]
pub struct LogsArgs {
    /// service/NAME, service NAME (or NAME), task/ID, task ID
    #[arg(value_name = "TARGET", num_args = 1..=2, required = true)]
    pub target: Vec<String>,
    /// Follow new lines, and new tasks as they start, until Ctrl-C
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Only lines newer than this (10m, 1h)
    #[arg(long, value_name = "DURATION")]
    pub since: Option<humantime::Duration>,
    /// Only the last N lines of each container
    #[arg(long, value_name = "N")]
    pub tail: Option<u64>,
    /// Only this container of each task
    #[arg(short = 'c', long)]
    pub container: Option<String>,
    /// Show each line's time
    #[arg(long)]
    pub timestamps: bool,
    /// The cluster (needed when the name exists in several)
    #[arg(long)]
    pub cluster: Option<String>,
}

const COLOURS: [&str; 6] = ["36", "33", "35", "32", "34", "31"];

/// One container to read: its prefix, its host and its Docker id.
#[derive(Clone)]
struct Source {
    prefix: String,
    colour: &'static str,
    host: Arc<DockerHost>,
    container: String,
}

struct Printer {
    colour: bool,
    timestamps: bool,
}

impl Printer {
    fn line(&self, source: &Source, line: &LogLine) {
        let prefix = if self.colour {
            format!("\x1b[{}m{} |\x1b[0m", source.colour, source.prefix)
        } else {
            format!("{} |", source.prefix)
        };
        let time = match (self.timestamps, line.time) {
            (true, Some(t)) => format!("{t} "),
            _ => String::new(),
        };
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{prefix} {time}{}", line.text);
    }
}

/// The containers to read, with stable colours per task; containers seen before are skipped.
fn sources(
    cx: &Context,
    selection: &Selection,
    container: Option<&str>,
    colours: &mut BTreeMap<String, &'static str>,
    noted: &mut BTreeSet<String>,
) -> Vec<Source> {
    let mut out = Vec::new();
    for view in selection.tasks() {
        let Some(host) = selection.observation.host(&view.task.host) else {
            continue;
        };
        let next = COLOURS[colours.len() % COLOURS.len()];
        let colour = *colours.entry(view.task.id.clone()).or_insert(next);
        let owner = view
            .service()
            .unwrap_or(&view.task.task_definition.family)
            .to_string();
        for c in view.task.app_containers() {
            if container.is_some_and(|name| name != c.name) {
                continue;
            }
            if !logs::readable(c.log_driver.as_deref()) {
                if noted.insert(c.docker_id.clone()) {
                    cx.out.note(&format!(
                        "{}: task {} container `{}` logs with `{}`, which Docker cannot read back",
                        cx.out.paint_err.yellow("warning"),
                        view.task.short_id(),
                        c.name,
                        c.log_driver.as_deref().unwrap_or("?")
                    ));
                }
                continue;
            }
            out.push(Source {
                prefix: format!(
                    "{owner}/{}/{}",
                    &view.task.id[..6.min(view.task.id.len())],
                    c.name
                ),
                colour,
                host: host.clone(),
                container: c.docker_id.clone(),
            });
        }
    }
    out
}

fn check_container(selection: &Selection, state: &State, container: Option<&str>) -> Result<()> {
    let Some(name) = container else { return Ok(()) };
    let known: BTreeSet<String> = selection
        .tasks()
        .filter_map(|t: &TaskView| state.revision(&t.task.task_definition))
        .flat_map(|r| {
            r.spec
                .container_definitions
                .iter()
                .filter_map(|c| c.name.clone())
        })
        .collect();
    if !known.is_empty() && !known.contains(name) {
        bail!(
            "no container `{name}` in these tasks; the containers are {}",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

pub fn run(cx: &Context, args: LogsArgs) -> Outcome {
    let target = Target::from_words(&args.target).map_err(anyhow::Error::msg)?;
    let state = cx.read_state_or_empty()?;
    let rt = super::reconcile::runtime()?;
    rt.block_on(logs(cx, &state, target, args))
}

async fn logs(cx: &Context, state: &State, target: Target, args: LogsArgs) -> Outcome {
    let selection = select(cx, state, &target, args.cluster.as_deref()).await?;
    check_container(&selection, state, args.container.as_deref())?;
    let printer = Printer {
        colour: cx.out.paint.0,
        timestamps: args.timestamps,
    };
    let since = args.since.map(|d| Timestamp::now().minus(*d));
    let mut colours = BTreeMap::new();
    let mut noted = BTreeSet::new();
    let first = sources(
        cx,
        &selection,
        args.container.as_deref(),
        &mut colours,
        &mut noted,
    );

    // What is there now, merged in time order.
    let backlog = futures_util::future::join_all(first.iter().map(|s| async {
        let mut lines: Vec<LogLine> = Vec::new();
        let mut failure = None;
        let mut stream = Box::pin(logs::lines(
            s.host.docker(),
            &s.container,
            false,
            since,
            args.tail,
        ));
        while let Some(line) = stream.next().await {
            match line {
                Ok(line) => lines.push(line),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        (s.clone(), lines, failure)
    }))
    .await;
    for (source, _, failure) in &backlog {
        if let Some(e) = failure {
            cx.out.note(&format!(
                "{}: {}: {e:#}",
                cx.out.paint_err.yellow("warning"),
                source.prefix
            ));
        }
    }
    let mut merged: Vec<(Option<Timestamp>, usize, usize, &Source, &LogLine)> = Vec::new();
    let mut last_seen: BTreeMap<String, Option<Timestamp>> = BTreeMap::new();
    for (i, (source, lines, _)) in backlog.iter().enumerate() {
        let mut previous = None;
        for (j, line) in lines.iter().enumerate() {
            // Lines without a time keep their place after the line before them.
            let time = line.time.or(previous);
            previous = time;
            merged.push((time, i, j, source, line));
        }
        last_seen.insert(source.container.clone(), previous);
    }
    merged.sort_by_key(|(time, i, j, _, _)| (*time, *i, *j));
    for (_, _, _, source, line) in &merged {
        printer.line(source, line);
    }
    if !args.follow {
        return Ok(exit::OK);
    }

    // Follow: every container, and the containers of tasks that start meanwhile.
    let (lines_tx, mut lines_rx) = mpsc::channel::<(Source, LogLine)>(1024);
    let mut followed: BTreeSet<String> = BTreeSet::new();
    let follow = |source: Source,
                  after: Option<Timestamp>,
                  tail: Option<u64>,
                  tx: mpsc::Sender<(Source, LogLine)>| {
        tokio::spawn(async move {
            let mut stream = Box::pin(logs::lines(
                source.host.docker(),
                &source.container,
                true,
                after,
                tail,
            ));
            while let Some(line) = stream.next().await {
                let Ok(line) = line else { break };
                // The follow starts at a whole second: skip what was already printed.
                if after.is_some_and(|a| line.time.is_some_and(|t| t <= a)) {
                    continue;
                }
                if tx.send((source.clone(), line)).await.is_err() {
                    break;
                }
            }
        })
    };
    let mut handles = Vec::new();
    for source in first {
        followed.insert(source.container.clone());
        let shown = last_seen.get(&source.container).copied().flatten();
        let after = shown.or(since);
        // `--tail N` printed nothing of this container (`--tail 0`, or nothing within the
        // window): follow only what comes next, not its whole history.
        let tail = match (shown, args.tail) {
            (None, Some(_)) => Some(0),
            _ => None,
        };
        handles.push(follow(source, after, tail, lines_tx.clone()));
    }
    let mut discover = tokio::time::interval(Duration::from_secs(1));
    discover.tick().await;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            line = lines_rx.recv() => {
                if let Some((source, line)) = line {
                    printer.line(&source, &line);
                }
            }
            _ = discover.tick() => {
                let Ok(now) = select(cx, state, &target, args.cluster.as_deref()).await else { continue };
                for source in sources(cx, &now, args.container.as_deref(), &mut colours, &mut noted) {
                    if followed.insert(source.container.clone()) {
                        handles.push(follow(source, None, None, lines_tx.clone()));
                    }
                }
            }
        }
    }
    for handle in handles {
        handle.abort();
    }
    Ok(exit::OK)
}
