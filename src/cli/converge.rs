//! Rendering the wait for services to converge (after `apply`, and for `reconcile`): bars on
//! a terminal, plain lines otherwise, and the services' events as they happen. The waiting
//! itself, and what "converged" means, are in [`crate::ops::converge`].

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::controller::reconciler::Options;
use crate::docker::transport::Transport;
use crate::ops::Session;
use crate::ops::converge::Progress as Step;
pub use crate::ops::converge::{Expect, Outcome, Verdict};
use crate::state::backend::Store;

/// Progress: one bar per service on a terminal, lines when something changes otherwise.
struct Progress {
    bars: Option<(MultiProgress, BTreeMap<String, ProgressBar>)>,
    last: BTreeMap<String, String>,
}

impl Progress {
    fn new(services: &BTreeMap<String, Expect>) -> Self {
        if !std::io::stderr().is_terminal() {
            return Progress {
                bars: None,
                last: BTreeMap::new(),
            };
        }
        let multi = MultiProgress::new();
        let style = ProgressStyle::with_template("{spinner} {prefix:<20} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let mut bars = BTreeMap::new();
        for name in services.keys() {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(style.clone());
            bar.set_prefix(format!("service {name}"));
            bar.enable_steady_tick(Duration::from_millis(120));
            bars.insert(name.clone(), bar);
        }
        Progress {
            bars: Some((multi, bars)),
            last: BTreeMap::new(),
        }
    }

    fn event(&self, text: &str) {
        match &self.bars {
            Some((multi, _)) => {
                let _ = multi.println(text);
            }
            None => eprintln!("{text}"),
        }
    }

    fn update(&mut self, service: &str, expect: &Expect, verdict: &Verdict) {
        let text = match verdict {
            Verdict::Pending(what) => what.clone(),
            Verdict::Done if *expect == Expect::Gone => "deleted".to_string(),
            Verdict::Done => "steady".to_string(),
            Verdict::Failed(why) => format!("failed: {why}"),
        };
        match &self.bars {
            Some((_, bars)) => {
                if let Some(bar) = bars.get(service) {
                    bar.set_message(text.clone());
                    if *verdict != Verdict::Pending(String::new())
                        && !matches!(verdict, Verdict::Pending(_))
                    {
                        bar.finish_with_message(text);
                    }
                }
            }
            None => {
                if self.last.get(service) != Some(&text) {
                    eprintln!("service {service}: {text}");
                    self.last.insert(service.to_string(), text);
                }
            }
        }
    }

    fn finish(&self) {
        if let Some((_, bars)) = &self.bars {
            for bar in bars.values() {
                if !bar.is_finished() {
                    bar.abandon();
                }
            }
        }
    }
}

/// Converges one cluster until every expectation holds, one fails, or `wait` runs out,
/// showing progress. With `wait` zero, does one round (the first actions are started).
pub async fn converge(
    store: &Store,
    cluster: &str,
    expectations: BTreeMap<String, Expect>,
    wait: Duration,
    options: Options,
    transport: Arc<dyn Transport>,
) -> Result<Outcome> {
    let session = Session::new(store.clone(), transport);
    let mut progress: Option<Progress> = None;
    let mut on = |step: Step| match step {
        Step::HeldElsewhere {
            cluster,
            holder,
            waiting,
        } => {
            let what = if waiting {
                "waiting for it to converge"
            } else {
                "it carries out the change"
            };
            eprintln!("A reconciler holds cluster `{cluster}` ({holder}); {what}.");
        }
        step => render(
            progress.get_or_insert_with(|| Progress::new(&expectations)),
            step,
        ),
    };
    let outcome =
        crate::ops::converge::converge(&session, cluster, &expectations, wait, options, &mut on)
            .await;
    if let Some(progress) = &progress {
        progress.finish();
    }
    Ok(outcome?)
}

fn render(progress: &mut Progress, step: Step) {
    match step {
        Step::HeldElsewhere { .. } => {}
        Step::Event { at, message } => progress.event(&format!("{at}  {message}")),
        Step::HostError { host, error } => progress.event(&format!("host `{host}`: {error}")),
        Step::ReconcileError(error) => {
            progress.event(&format!("reconcile error (retrying): {error}"))
        }
        Step::Service {
            name,
            expect,
            verdict,
        } => progress.update(&name, &expect, &verdict),
    }
}
