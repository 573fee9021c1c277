//! What a running `watch` knows that no file records (reconcile passes, hosts answering,
//! leases held, events told), gathered from its [`Report`]s; and the Prometheus text
//! exposition format (version 0.0.4) that `watch --metrics` serves. The exposition writer is
//! pure: families in a fixed order, samples sorted by their labels.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Mutex;

use super::supervisor::Report;

/// A watch's own counters, updated from its reports.
#[derive(Default)]
pub struct Live {
    inner: Mutex<LiveCounts>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveCounts {
    /// cluster → passes.
    pub passes: BTreeMap<String, PassStats>,
    /// (cluster, host) → answers.
    pub hosts: BTreeMap<(String, String), bool>,
    /// Clusters whose reconciler (and lease) this watch holds.
    pub leases: BTreeSet<String>,
    /// cluster → events told.
    pub events: BTreeMap<String, u64>,
    /// cluster → reconcile errors.
    pub errors: BTreeMap<String, u64>,
    pub apply_failures: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PassStats {
    pub count: u64,
    pub seconds_total: f64,
    pub last_seconds: f64,
}

impl Live {
    pub fn observe(&self, report: &Report) {
        let Ok(mut c) = self.inner.lock() else {
            return;
        };
        match report {
            Report::Pass {
                cluster,
                took,
                hosts,
            } => {
                let seconds = took.as_secs_f64();
                let stats = c.passes.entry(cluster.clone()).or_default();
                stats.count += 1;
                stats.seconds_total += seconds;
                stats.last_seconds = seconds;
                c.leases.insert(cluster.clone());
                for (host, up) in hosts {
                    c.hosts.insert((cluster.clone(), host.clone()), *up);
                }
            }
            Report::Event { cluster, .. } => *c.events.entry(cluster.clone()).or_default() += 1,
            Report::ReconcileError { cluster, .. } => {
                *c.errors.entry(cluster.clone()).or_default() += 1
            }
            Report::ApplyFailed(_) => c.apply_failures += 1,
            Report::HostDown { cluster, host, .. } => {
                c.hosts.insert((cluster.clone(), host.clone()), false);
            }
            Report::HostUp { cluster, host } => {
                c.hosts.insert((cluster.clone(), host.clone()), true);
            }
            Report::Stopping { .. } => c.leases.clear(),
            Report::LeaseLost { cluster } => {
                c.leases.remove(cluster);
            }
            Report::LeaseTaken { cluster } => {
                c.leases.insert(cluster.clone());
            }
            Report::Standby { .. } => {}
            Report::Watching | Report::ManifestsChanged => {}
        }
    }

    pub fn counts(&self) -> LiveCounts {
        self.inner.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

/// The text of one scrape.
#[derive(Default)]
pub struct Exposition {
    text: String,
}

/// The kind of a metric family.
#[derive(Clone, Copy)]
pub enum Type {
    Gauge,
    Counter,
}

impl Exposition {
    /// One family: its help, its type, its samples (sorted by labels here).
    pub fn family(&mut self, name: &str, help: &str, kind: Type, mut samples: Vec<Sample>) {
        let kind = match kind {
            Type::Gauge => "gauge",
            Type::Counter => "counter",
        };
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
        samples.sort_by(|a, b| a.labels.cmp(&b.labels));
        for sample in samples {
            let _ = write!(self.text, "{name}");
            if !sample.labels.is_empty() {
                let labels: Vec<String> = sample
                    .labels
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                    .collect();
                let _ = write!(self.text, "{{{}}}", labels.join(","));
            }
            let _ = writeln!(self.text, " {}", number(sample.value));
        }
    }

    pub fn finish(self) -> String {
        self.text
    }
}

/// A value with its labels (label names in the order given).
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub labels: Vec<(&'static str, String)>,
    pub value: f64,
}

impl Sample {
    pub fn new(labels: Vec<(&'static str, String)>, value: f64) -> Self {
        Sample { labels, value }
    }
}

/// Label values escape backslash, double quote and newline.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Integers without a fraction; others as Rust prints them (Prometheus parses both).
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_have_help_type_and_sorted_escaped_samples() {
        let mut out = Exposition::default();
        out.family(
            "ecsctl_service_running_tasks",
            "Tasks RUNNING.",
            Type::Gauge,
            vec![
                Sample::new(vec![("cluster", "b".into()), ("service", "x".into())], 2.0),
                Sample::new(
                    vec![("cluster", "a".into()), ("service", "q\"y".into())],
                    0.5,
                ),
            ],
        );
        out.family(
            "ecsctl_apply_failures_total",
            "Failed applies.",
            Type::Counter,
            vec![Sample::new(vec![], 3.0)],
        );
        assert_eq!(
            out.finish(),
            "# HELP ecsctl_service_running_tasks Tasks RUNNING.\n\
             # TYPE ecsctl_service_running_tasks gauge\n\
             ecsctl_service_running_tasks{cluster=\"a\",service=\"q\\\"y\"} 0.5\n\
             ecsctl_service_running_tasks{cluster=\"b\",service=\"x\"} 2\n\
             # HELP ecsctl_apply_failures_total Failed applies.\n\
             # TYPE ecsctl_apply_failures_total counter\n\
             ecsctl_apply_failures_total 3\n"
        );
    }

    #[test]
    fn reports_become_counts() {
        let live = Live::default();
        live.observe(&Report::Pass {
            cluster: "prod".into(),
            took: std::time::Duration::from_millis(250),
            hosts: vec![("a".into(), true), ("b".into(), false)],
        });
        live.observe(&Report::Pass {
            cluster: "prod".into(),
            took: std::time::Duration::from_millis(500),
            hosts: vec![],
        });
        live.observe(&Report::HostUp {
            cluster: "prod".into(),
            host: "b".into(),
        });
        live.observe(&Report::Event {
            cluster: "prod".into(),
            message: "m".into(),
        });
        let c = live.counts();
        assert_eq!(c.passes["prod"].count, 2);
        assert_eq!(c.passes["prod"].seconds_total, 0.75);
        assert_eq!(c.passes["prod"].last_seconds, 0.5);
        assert!(c.hosts[&("prod".into(), "b".into())]);
        assert_eq!(c.events["prod"], 1);
        assert!(c.leases.contains("prod"));
        live.observe(&Report::Stopping { tasks: 0 });
        assert!(live.counts().leases.is_empty());
    }
}
