//! Alarms, pure: a meter that sums the proxies' per-server counters into per-target-group
//! totals (servers come and go, proxies restart: the totals only grow), samples of those
//! totals over time, each period's datapoint, and CloudWatch's M-out-of-N evaluation with its
//! handling of missing data.
//!
//! A datapoint covers one period aligned to the epoch (`[k·P, (k+1)·P)`), as CloudWatch's do;
//! the totals at a boundary are the last sample taken at or before it, so a count observed
//! in a pass belongs to the period of that pass. Count metrics are summed per period (their
//! `statistic` is `Sum`); `TargetResponseTime` is the period's average over its requests;
//! the host counts are the gauge at the period's end. A period the proxies were not read in
//! has no datapoint.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use super::traffic::{ProxyView, TargetHealth, health_of};
use super::usage::{Resource, UsageMeter};
use crate::model::alarm::{
    AlarmMetric, AlarmSpec, AlarmState, ComparisonOperator, TreatMissingData,
};
use crate::state::AlarmRecord;
use crate::time::Timestamp;
use crate::traffic::runtime::ServerStat;

/// Samples older than this are dropped (longer than any evaluation window ecsctl reads).
pub const SAMPLE_RETENTION: Duration = Duration::from_secs(3 * 3600);
/// At most this many samples per target group.
const MAX_SAMPLES: usize = 4096;

/// One target group's totals since the meter started, and its gauges now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub requests: u64,
    pub class_2xx: u64,
    pub class_4xx: u64,
    pub class_5xx: u64,
    /// Σ response time (ms) × requests, for the average over a period.
    pub response_ms: u64,
    pub healthy: u32,
    pub unhealthy: u32,
    pub targets: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    pub at: Timestamp,
    pub totals: Totals,
}

/// The counters of each server as last read, and each group's running totals.
#[derive(Clone, Debug, Default)]
pub struct Meter {
    last: BTreeMap<(String, String, String), ServerStat>,
    totals: BTreeMap<String, Totals>,
    samples: BTreeMap<String, VecDeque<Sample>>,
}

impl Meter {
    /// Reads one pass's proxies (by host; `None` or not running: not read this pass).
    pub fn observe(&mut self, now: Timestamp, proxies: &BTreeMap<String, Option<ProxyView>>) {
        let mut gauges: BTreeMap<String, (u32, u32, u32)> = BTreeMap::new();
        let mut read_any = false;
        for (host, view) in proxies {
            let Some(view) = view.as_ref().filter(|v| v.running) else {
                continue;
            };
            read_any = true;
            // Servers this proxy no longer has are forgotten (their counters are gone).
            self.last.retain(|(h, group, server), _| {
                h != host || view.servers.contains_key(&(group.clone(), server.clone()))
            });
            let mut per_host: BTreeMap<&str, (u32, u32, u32)> = BTreeMap::new();
            for ((group, server), stat) in &view.servers {
                let key = (host.clone(), group.clone(), server.clone());
                let before = self.last.get(&key);
                let r = stat.responses;
                // Counters that went down were reset (the server or its proxy was re-created):
                // everything they show is new.
                let b = before.map(|s| s.responses).filter(|b| b.total <= r.total);
                let delta = |now: u64, then: Option<u64>| now.saturating_sub(then.unwrap_or(0));
                let requests = delta(r.total, b.map(|b| b.total));
                let totals = self.totals.entry(group.clone()).or_default();
                totals.requests += requests;
                totals.class_2xx += delta(r.class_2xx, b.map(|b| b.class_2xx));
                totals.class_4xx += delta(r.class_4xx, b.map(|b| b.class_4xx));
                totals.class_5xx += delta(r.class_5xx, b.map(|b| b.class_5xx));
                totals.response_ms += stat.response_time_ms.saturating_mul(requests);
                let gauge = per_host.entry(group.as_str()).or_default();
                match health_of(stat) {
                    TargetHealth::Healthy => gauge.0 += 1,
                    TargetHealth::Unhealthy => gauge.1 += 1,
                    _ => {}
                }
                gauge.2 += 1;
                self.last.insert(key, stat.clone());
            }
            // Every proxy carries every target: the group's gauge is the fullest view.
            for (group, (healthy, unhealthy, targets)) in per_host {
                let g = gauges.entry(group.to_string()).or_default();
                *g = (g.0.max(healthy), g.1.max(unhealthy), g.2.max(targets));
            }
        }
        if !read_any {
            return;
        }
        let groups: Vec<String> = self.totals.keys().cloned().collect();
        for group in groups {
            let (healthy, unhealthy, targets) = gauges.get(&group).copied().unwrap_or_default();
            let Some(totals) = self.totals.get_mut(&group) else {
                continue;
            };
            totals.healthy = healthy;
            totals.unhealthy = unhealthy;
            totals.targets = targets;
            let samples = self.samples.entry(group).or_default();
            samples.push_back(Sample {
                at: now,
                totals: *totals,
            });
            while samples.len() > MAX_SAMPLES
                || samples
                    .front()
                    .is_some_and(|s| now.since(s.at) > SAMPLE_RETENTION)
            {
                samples.pop_front();
            }
            // One slice, oldest first, for the binary searches of the evaluation.
            samples.make_contiguous();
        }
    }

    pub fn samples(&self, group: &str) -> &[Sample] {
        self.samples.get(group).map_or(&[], |s| s.as_slices().0)
    }
}

/// What an evaluation found: the state, CloudWatch-style reason, and the datapoints read
/// (oldest first; `None`: missing).
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    pub state: AlarmState,
    pub reason: String,
    pub datapoints: Vec<(Timestamp, Option<f64>)>,
}

/// An alarm's settings with CloudWatch's defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    pub metric: AlarmMetric,
    pub period: Duration,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: u32,
    pub threshold: f64,
    pub comparison: ComparisonOperator,
    pub missing: TreatMissingData,
}

impl Rule {
    /// `None` when a required field is absent (validation reports it).
    pub fn of(spec: &AlarmSpec) -> Option<Rule> {
        let evaluation_periods = u32::try_from(spec.evaluation_periods?).ok()?.max(1);
        let period = u64::try_from(spec.period?).ok()?.max(1);
        Some(Rule {
            metric: spec.metric_name?,
            period: Duration::from_secs(period),
            evaluation_periods,
            datapoints_to_alarm: spec
                .datapoints_to_alarm
                .and_then(|d| u32::try_from(d).ok())
                .unwrap_or(evaluation_periods)
                .clamp(1, evaluation_periods),
            threshold: spec.threshold?,
            comparison: spec.comparison_operator?,
            missing: spec.treat_missing_data.unwrap_or(TreatMissingData::Missing),
        })
    }

    fn breaches(&self, value: f64) -> bool {
        match self.comparison {
            ComparisonOperator::GreaterThanThreshold => value > self.threshold,
            ComparisonOperator::GreaterThanOrEqualToThreshold => value >= self.threshold,
            ComparisonOperator::LessThanThreshold => value < self.threshold,
            ComparisonOperator::LessThanOrEqualToThreshold => value <= self.threshold,
        }
    }

    fn comparison_words(&self) -> &'static str {
        match self.comparison {
            ComparisonOperator::GreaterThanThreshold => "greater than",
            ComparisonOperator::GreaterThanOrEqualToThreshold => "greater than or equal to",
            ComparisonOperator::LessThanThreshold => "less than",
            ComparisonOperator::LessThanOrEqualToThreshold => "less than or equal to",
        }
    }
}

/// The totals at `at`: the last sample taken at or before it.
fn at_or_before(samples: &[Sample], at: Timestamp) -> Option<&Sample> {
    let after = samples.partition_point(|s| s.at <= at);
    after.checked_sub(1).map(|i| &samples[i])
}

/// The requests to a group between the totals at `start` and the newest at or before `end`:
/// (requests, seconds between the two reads, targets at the later one).
pub fn requests_between(
    samples: &[Sample],
    start: Timestamp,
    end: Timestamp,
) -> Option<(f64, f64, u32)> {
    let first = at_or_before(samples, start)?;
    let last = at_or_before(samples, end)?;
    if last.at <= first.at {
        return None;
    }
    let requests = last.totals.requests.saturating_sub(first.totals.requests);
    Some((
        requests as f64,
        last.at.since(first.at).as_secs_f64(),
        last.totals.targets,
    ))
}

/// One period's value of `metric`: from the totals at its start and end. Missing when the
/// proxies were not read before the period began or during it.
fn datapoint(
    metric: AlarmMetric,
    samples: &[Sample],
    start: Timestamp,
    end: Timestamp,
) -> Option<f64> {
    let first = at_or_before(samples, start)?;
    let last = at_or_before(samples, end)?;
    if last.at <= start {
        return None; // not read during the period
    }
    let (a, b) = (first.totals, last.totals);
    let requests = b.requests.saturating_sub(a.requests);
    let count = |x: u64, y: u64| y.saturating_sub(x) as f64;
    Some(match metric {
        AlarmMetric::Target5xx => count(a.class_5xx, b.class_5xx),
        AlarmMetric::Target4xx => count(a.class_4xx, b.class_4xx),
        AlarmMetric::Target2xx => count(a.class_2xx, b.class_2xx),
        AlarmMetric::RequestCount => requests as f64,
        AlarmMetric::RequestCountPerTarget => requests as f64 / f64::from(b.targets.max(1)),
        AlarmMetric::TargetResponseTime => {
            if requests == 0 {
                return None;
            }
            count(a.response_ms, b.response_ms) / requests as f64 / 1000.0
        }
        AlarmMetric::HealthyHostCount => f64::from(b.healthy),
        AlarmMetric::UnHealthyHostCount => f64::from(b.unhealthy),
        // A service's, from the usage meter (see `evaluate_spec`).
        AlarmMetric::CpuUtilization | AlarmMetric::MemoryUtilization => return None,
    })
}

/// Evaluates an alarm over the last `evaluationPeriods` complete periods before `now`.
/// `current` is the state it is in (kept by `treatMissingData: ignore` without data).
pub fn evaluate(
    rule: &Rule,
    samples: &[Sample],
    now: Timestamp,
    current: AlarmState,
) -> Evaluation {
    evaluate_points(rule, now, current, |start, stop| {
        datapoint(rule.metric, samples, start, stop)
    })
}

/// As [`evaluate`], over any source of datapoints: `points(start, end)` is the period's value.
pub fn evaluate_points(
    rule: &Rule,
    now: Timestamp,
    current: AlarmState,
    points: impl Fn(Timestamp, Timestamp) -> Option<f64>,
) -> Evaluation {
    let period_ms = u64::try_from(rule.period.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    let end = now.unix_millis() / period_ms * period_ms;
    let mut datapoints = Vec::new();
    for i in (0..u64::from(rule.evaluation_periods)).rev() {
        let stop = end.saturating_sub(i * period_ms);
        let start = stop.saturating_sub(period_ms);
        let (start, stop) = (
            Timestamp::from_unix_millis(start),
            Timestamp::from_unix_millis(stop),
        );
        datapoints.push((start, points(start, stop)));
    }
    let present: Vec<f64> = datapoints.iter().filter_map(|(_, v)| *v).collect();
    let missing = datapoints.len() - present.len();
    let mut breaching = present.iter().filter(|v| rule.breaches(**v)).count();
    match rule.missing {
        TreatMissingData::Breaching => breaching += missing,
        TreatMissingData::Ignore if present.is_empty() => {
            return Evaluation {
                state: current,
                reason: "no datapoints: the state is kept (treatMissingData: ignore)".into(),
                datapoints,
            };
        }
        _ => {}
    }
    let n = rule.evaluation_periods;
    let m = rule.datapoints_to_alarm as usize;
    let state = if breaching >= m {
        AlarmState::Alarm
    } else if present.is_empty() && rule.missing == TreatMissingData::Missing {
        AlarmState::InsufficientData
    } else {
        AlarmState::Ok
    };
    let values: Vec<String> = datapoints
        .iter()
        .filter_map(|(at, v)| v.map(|v| format!("{v} ({at})")))
        .collect();
    let reason = match state {
        AlarmState::InsufficientData => format!(
            "Insufficient Data: {n} datapoint{} were unknown.",
            if n == 1 { "" } else { "s" }
        ),
        _ => format!(
            "Threshold {}: {breaching} out of the last {n} datapoints [{}] {} {} the threshold ({}) (minimum {m} datapoint{} for ALARM).",
            if state == AlarmState::Alarm {
                "Crossed"
            } else {
                "not crossed"
            },
            values.join(", "),
            if breaching == 1 { "was" } else { "were" },
            rule.comparison_words(),
            rule.threshold,
            if m == 1 { "" } else { "s" },
        ),
    };
    Evaluation {
        state,
        reason,
        datapoints,
    }
}

/// An alarm evaluated now: a target group's metric over the proxies' meter, a service's CPU
/// or memory over the usage meter. `None` when the alarm is incomplete (validation says why).
pub fn evaluate_spec(
    spec: &AlarmSpec,
    meters: Meters<'_>,
    now: Timestamp,
    current: AlarmState,
) -> Option<Evaluation> {
    let rule = Rule::of(spec)?;
    let resource = match rule.metric {
        AlarmMetric::CpuUtilization => Some(Resource::Cpu),
        AlarmMetric::MemoryUtilization => Some(Resource::Memory),
        _ => None,
    };
    Some(match resource {
        Some(resource) => {
            let service = spec.service()?;
            evaluate_points(&rule, now, current, |start, stop| {
                meters
                    .usage
                    .window(service, resource, start, stop)
                    .map(|r| r.value)
            })
        }
        None => evaluate(
            &rule,
            meters.traffic.samples(spec.target_group()?),
            now,
            current,
        ),
    })
}

/// The two sources of datapoints.
#[derive(Clone, Copy)]
pub struct Meters<'a> {
    pub traffic: &'a Meter,
    pub usage: &'a UsageMeter,
}

impl Evaluation {
    /// The newest datapoint that has a value (what a step policy compares with its steps).
    pub fn latest(&self) -> Option<f64> {
        self.datapoints.iter().rev().find_map(|(_, v)| *v)
    }
}

/// Every alarm of a cluster, evaluated now. A changed state is dated now; an unchanged one
/// keeps its date.
pub fn evaluate_all(
    alarms: &std::collections::BTreeMap<String, AlarmSpec>,
    meters: Meters<'_>,
    previous: &BTreeMap<String, AlarmRecord>,
    now: Timestamp,
) -> BTreeMap<String, AlarmRecord> {
    let mut out = BTreeMap::new();
    for (name, spec) in alarms {
        let before = previous.get(name);
        let current = before.map_or(AlarmState::InsufficientData, |r| r.state);
        let (state, reason) = match evaluate_spec(spec, meters, now, current) {
            Some(e) => (e.state, e.reason),
            None => (
                AlarmState::InsufficientData,
                "the alarm is incomplete (see `ecsctl validate`)".to_string(),
            ),
        };
        let since = match before {
            Some(b) if b.state == state => b.since,
            _ => now,
        };
        out.insert(
            name.clone(),
            AlarmRecord {
                state,
                reason,
                since,
            },
        );
    }
    out
}

#[cfg(test)]
mod tests;
