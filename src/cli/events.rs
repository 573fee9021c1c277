//! `ecsctl events [service/NAME] [-f] [-o json]`: ECS-style service events, newest last, with
//! their times; `-f` prints new ones as reconcilers record them (until Ctrl-C).

use std::collections::BTreeSet;
use std::time::Duration;

use clap::Args;

use super::{Context, Outcome, ReportFormat, exit};
use crate::ops::target::Target;
use crate::ops::views::{self, EventView};
use crate::time::Timestamp;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  ecsctl events svc/web
  ecsctl events -f -o json")]
pub struct EventsArgs {
    /// Only this service (service/NAME or NAME)
    #[arg(value_name = "SERVICE", num_args = 0..=2)]
    pub target: Vec<String>,
    /// Only this cluster
    #[arg(long)]
    pub cluster: Option<String>,
    /// Print new events as they are recorded
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Only events newer than this (10m, 1h)
    #[arg(long, value_name = "DURATION")]
    pub since: Option<humantime::Duration>,
    /// Output format (`json`: a list; with -f, one object per line)
    #[arg(short = 'o', long, value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
}

pub fn run(cx: &Context, args: EventsArgs) -> Outcome {
    let session = cx.session()?;
    let state = session.state_or_empty()?;
    let target = (!args.target.is_empty()).then(|| Target::from_words(&args.target));
    let service = match target {
        None => None,
        Some(Ok(Target::Service(name))) => {
            let (cluster, _) =
                crate::ops::resolve::service(&state, &name, args.cluster.as_deref())?;
            Some((cluster, name))
        }
        Some(Ok(Target::Task(_))) => anyhow::bail!("events belong to services: write service/NAME"),
        Some(Err(e)) => anyhow::bail!(e),
    };
    let since = args.since.map(|d| Timestamp::now().minus(*d));
    let print =
        |events: &[EventView], seen: &mut BTreeSet<String>, as_list: bool| -> anyhow::Result<()> {
            let fresh: Vec<&EventView> = events
                .iter()
                .filter(|e| since.is_none_or(|s| e.created_at >= s))
                .filter(|e| seen.insert(e.id.clone()))
                .collect();
            match args.output {
                ReportFormat::Json if as_list => cx.out.json(&fresh)?,
                ReportFormat::Json => {
                    for e in fresh {
                        cx.out.println(&serde_json::to_string(e)?);
                    }
                }
                ReportFormat::Text => {
                    for e in fresh {
                        cx.out.println(&format!("{}  {}", e.created_at, e.message));
                    }
                }
            }
            Ok(())
        };
    let mut seen = BTreeSet::new();
    let events = views::events(&session, &state, args.cluster.as_deref(), service.as_ref())?;
    print(&events, &mut seen, !args.follow)?;
    if !args.follow {
        return Ok(exit::OK);
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::spawn(move || {
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            let _ = rt.block_on(tokio::signal::ctrl_c());
        }
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(300));
        let events = views::events(&session, &state, args.cluster.as_deref(), service.as_ref())?;
        print(&events, &mut seen, false)?;
    }
    Ok(exit::OK)
}
