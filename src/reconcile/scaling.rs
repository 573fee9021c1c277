//! Service auto scaling, pure: from the scalable targets, their policies, the meters and what
//! the last passes did, which services get a new desired count now, and why.
//!
//! As Application Auto Scaling does, with ecsctl's timing:
//! - A desired count outside `[minCapacity, maxCapacity]` is brought inside at once.
//! - Target tracking scales out as soon as the metric over the last `period` is above the
//!   target (Application Auto Scaling waits for 3 one-minute datapoints), to
//!   ceil(tasks measured × metric / target) — the count that brings the metric back to the
//!   target. It scales in only once the metric stayed under 90 % of the target for
//!   [`SCALE_IN_PERIODS`] periods (as its 15 datapoints), and only when every policy of the
//!   target that may scale in agrees; `disableScaleIn` policies do not vote.
//! - No scale-in within `scaleInCooldown` of the last scale-in or `scaleOutCooldown` of the
//!   last scale-out; a scale-out is never held back (a larger one replaces a smaller).
//! - A step policy acts while an alarm that lists it in `alarmActions` is in ALARM, with the
//!   step that holds (metric − threshold), at most once per `cooldown`.
//! - `suspendedState` stops the scaling in (or out) it names; the bounds still hold.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::alarm::{Meters, evaluate_spec, requests_between};
use super::usage::Resource;
use crate::model::alarm::{AlarmMetric, AlarmSpec, AlarmState};
use crate::model::scaling::{
    AdjustmentType, DEFAULT_COOLDOWN_SECONDS, DEFAULT_PERIOD_SECONDS, PolicyType,
    PredefinedMetricType, ScalableTargetSpec, ScalingPolicySpec, StepScalingConfiguration,
    TargetTrackingConfiguration, policy_name,
};
use crate::state::{AlarmRecord, ScalingRecord};
use crate::time::Timestamp;

/// Periods the metric must stay low before target tracking scales in.
pub const SCALE_IN_PERIODS: u32 = 15;
/// Target tracking scales in under this share of its target.
const SCALE_IN_SHARE: f64 = 0.9;

pub struct ScalingInput<'a> {
    pub now: Timestamp,
    /// Scalable target name → spec.
    pub targets: &'a BTreeMap<String, ScalableTargetSpec>,
    /// Policy name → spec.
    pub policies: &'a BTreeMap<String, ScalingPolicySpec>,
    pub alarms: &'a BTreeMap<String, AlarmSpec>,
    pub alarm_states: &'a BTreeMap<String, AlarmRecord>,
    /// The cluster's active REPLICA services → their desired count.
    pub desired: &'a BTreeMap<String, u32>,
    pub meters: Meters<'a>,
    /// What earlier passes recorded, by scalable target.
    pub memory: &'a BTreeMap<String, ScalingRecord>,
}

/// A new desired count for a service.
#[derive(Clone, Debug, PartialEq)]
pub struct Activity {
    pub target: String,
    pub service: String,
    pub from: u32,
    pub to: u32,
    /// Why, in Application Auto Scaling's spirit: the policy and the metric.
    pub cause: String,
}

impl Activity {
    /// The service event.
    pub fn event(&self) -> String {
        format!(
            "(service {}) desired count changed from {} to {} by scalable target `{}`: {}. Successfully set desired count to {}. Change successfully fulfilled by ecs.",
            self.service, self.from, self.to, self.target, self.cause, self.to
        )
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScalingDecision {
    pub activities: Vec<Activity>,
    /// Each target's memory after this pass (recorded only when it changed).
    pub memory: BTreeMap<String, ScalingRecord>,
}

/// One policy's view of the service now.
#[derive(Clone, Debug, PartialEq)]
enum Vote {
    Out(u32, String),
    In(u32, String),
    /// Neither (within the band, or not yet long enough below it).
    Hold,
    /// No data: holds, and blocks a scale-in.
    Unknown,
}

pub fn decide(input: &ScalingInput<'_>) -> ScalingDecision {
    let mut decision = ScalingDecision::default();
    for (name, target) in input.targets {
        let mut memory = input.memory.get(name).cloned().unwrap_or_default();
        let Some(service) = target.service_name() else {
            continue;
        };
        let (Some(&desired), Some((min, max))) = (input.desired.get(service), target.bounds())
        else {
            continue;
        };
        let policies: Vec<(&String, &ScalingPolicySpec)> = input
            .policies
            .iter()
            .filter(|(_, p)| p.service_name() == Some(service))
            .collect();
        let activity = |to: u32, cause: String| Activity {
            target: name.clone(),
            service: service.to_string(),
            from: desired,
            to,
            cause,
        };
        let mut chosen = if desired < min {
            Some(activity(
                min,
                format!("the desired count was below minCapacity {min}"),
            ))
        } else if desired > max {
            Some(activity(
                max,
                format!("the desired count was above maxCapacity {max}"),
            ))
        } else {
            None
        };
        // (count, why, the step policy that proposed it).
        let mut outs: Vec<(u32, String, Option<&str>)> = Vec::new();
        let mut ins: Vec<(u32, String, Option<&str>)> = Vec::new();
        let mut tracking_ins: Vec<(u32, String, Option<&str>)> = Vec::new();
        let mut tracking_blocks = false;
        let mut in_cooldown = Duration::ZERO;
        let mut out_cooldown = Duration::ZERO;
        for (policy, spec) in &policies {
            match (
                spec.policy_type,
                &spec.target_tracking_scaling_policy_configuration,
            ) {
                (Some(PolicyType::TargetTrackingScaling), Some(config)) => {
                    in_cooldown = in_cooldown.max(seconds(config.scale_in_cooldown));
                    out_cooldown = out_cooldown.max(seconds(config.scale_out_cooldown));
                    let vote = track(input, policy, config, service, &mut memory);
                    let votes_in = !config.disable_scale_in.unwrap_or(false);
                    match vote {
                        Vote::Out(to, why) => outs.push((to, why, None)),
                        Vote::In(to, why) if votes_in => tracking_ins.push((to, why, None)),
                        Vote::Hold | Vote::Unknown if votes_in => tracking_blocks = true,
                        _ => {}
                    }
                }
                (Some(PolicyType::StepScaling), Some(_)) | (_, None) => {
                    if let Some(config) = &spec.step_scaling_policy_configuration
                        && let Some((to, why)) = step(input, policy, config, desired, &memory)
                    {
                        let proposal = (to, why, Some(policy.as_str()));
                        if to > desired {
                            outs.push(proposal);
                        } else if to < desired {
                            ins.push(proposal);
                        }
                    }
                }
                _ => {}
            }
        }
        if !tracking_blocks {
            ins.extend(tracking_ins);
        }
        let mut stepped = None;
        if chosen.is_none() && !target.scale_out_suspended() {
            chosen = outs
                .into_iter()
                .map(|(to, why, by)| (to.min(max), why, by))
                .filter(|(to, _, _)| *to > desired)
                .max_by_key(|(to, _, _)| *to)
                .map(|(to, why, by)| {
                    stepped = by;
                    activity(to, why)
                });
        }
        let cooling = |last: Option<Timestamp>, cooldown: Duration| {
            last.is_some_and(|at| input.now < at.plus(cooldown))
        };
        if chosen.is_none()
            && !target.scale_in_suspended()
            && !cooling(memory.last_scale_in, in_cooldown)
            && !cooling(memory.last_scale_out, out_cooldown)
        {
            // The most conservative scale-in of those proposed.
            chosen = ins
                .into_iter()
                .map(|(to, why, by)| (to.max(min), why, by))
                .filter(|(to, _, _)| *to < desired)
                .max_by_key(|(to, _, _)| *to)
                .map(|(to, why, by)| {
                    stepped = by;
                    activity(to, why)
                });
        }
        if let Some(policy) = stepped {
            memory.last_step.insert(policy.to_string(), input.now);
        }
        if let Some(a) = &chosen {
            if a.to > a.from {
                memory.last_scale_out = Some(input.now);
            } else {
                memory.last_scale_in = Some(input.now);
                // A scale-in starts the low watch again.
                memory.low_since.clear();
            }
        }
        decision.activities.extend(chosen);
        memory
            .low_since
            .retain(|p, _| policies.iter().any(|(n, _)| *n == p));
        memory
            .last_step
            .retain(|p, _| policies.iter().any(|(n, _)| *n == p));
        if memory != ScalingRecord::default() || input.memory.contains_key(name) {
            decision.memory.insert(name.clone(), memory);
        }
    }
    decision
}

/// The services whose CPU or memory an alarm or a target tracking policy watches.
pub fn metered_services<'a>(
    alarms: impl IntoIterator<Item = &'a AlarmSpec>,
    policies: impl IntoIterator<Item = &'a ScalingPolicySpec>,
) -> BTreeSet<String> {
    let mut services: BTreeSet<String> = alarms
        .into_iter()
        .filter(|a| a.metric_name.is_some_and(AlarmMetric::of_service))
        .filter_map(|a| a.service().map(str::to_string))
        .collect();
    for p in policies {
        let metric = p
            .target_tracking_scaling_policy_configuration
            .as_ref()
            .and_then(|t| t.predefined_metric_specification.as_ref())
            .and_then(|m| m.predefined_metric_type);
        if matches!(
            metric,
            Some(PredefinedMetricType::Cpu | PredefinedMetricType::Memory)
        ) && let Some(service) = p.service_name()
        {
            services.insert(service.to_string());
        }
    }
    services
}

/// How often passes must read the meters while alarms or policies exist: a fifth of the
/// shortest period, between 1 and 10 seconds.
pub fn poll_interval<'a>(
    alarms: impl IntoIterator<Item = &'a AlarmSpec>,
    policies: impl IntoIterator<Item = &'a ScalingPolicySpec>,
) -> Option<Duration> {
    let alarm_periods = alarms.into_iter().filter_map(|a| a.period);
    let policy_periods = policies.into_iter().map(|p| {
        p.target_tracking_scaling_policy_configuration
            .as_ref()
            .and_then(|t| t.period)
            .unwrap_or(DEFAULT_PERIOD_SECONDS)
    });
    let shortest = alarm_periods.chain(policy_periods).min()?;
    let fifth = Duration::from_secs(u64::try_from(shortest.max(1)).unwrap_or(60)) / 5;
    Some(fifth.clamp(Duration::from_secs(1), Duration::from_secs(10)))
}

fn seconds(value: Option<i32>) -> Duration {
    Duration::from_secs(
        u64::try_from(value.unwrap_or(DEFAULT_COOLDOWN_SECONDS)).unwrap_or_default(),
    )
}

/// The metric over the last period: (value, how many tasks or targets carried it).
fn reading(
    input: &ScalingInput<'_>,
    metric: PredefinedMetricType,
    label: Option<&str>,
    service: &str,
    period: Duration,
) -> Option<(f64, f64)> {
    let now = input.now;
    let start = Timestamp::from_unix_millis(
        now.unix_millis()
            .saturating_sub(u64::try_from(period.as_millis()).unwrap_or(u64::MAX)),
    );
    let usage = |resource| {
        // A window needs data from before it began, or a fresh meter would judge too early.
        let full = input
            .meters
            .usage
            .first_at(service)
            .is_some_and(|first| first <= start);
        let r = input.meters.usage.window(service, resource, start, now)?;
        full.then_some((r.value, r.tasks))
    };
    match metric {
        PredefinedMetricType::Cpu => usage(Resource::Cpu),
        PredefinedMetricType::Memory => usage(Resource::Memory),
        PredefinedMetricType::RequestCountPerTarget => {
            let samples = input.meters.traffic.samples(label?);
            let (requests, elapsed, targets) = requests_between(samples, start, now)?;
            if elapsed <= 0.0 {
                return None;
            }
            // Requests per target per period, whatever the spacing of the reads.
            let per_period = requests * period.as_secs_f64() / elapsed;
            let targets = f64::from(targets.max(1));
            Some((per_period / targets, targets))
        }
    }
}

fn track(
    input: &ScalingInput<'_>,
    policy: &str,
    config: &TargetTrackingConfiguration,
    service: &str,
    memory: &mut ScalingRecord,
) -> Vote {
    let (Some(target), Some(metric)) = (
        config.target_value.filter(|t| *t > 0.0),
        config
            .predefined_metric_specification
            .as_ref()
            .and_then(|m| m.predefined_metric_type),
    ) else {
        return Vote::Unknown;
    };
    let label = config
        .predefined_metric_specification
        .as_ref()
        .and_then(|m| m.target_group());
    let period = Duration::from_secs(
        u64::try_from(config.period.unwrap_or(DEFAULT_PERIOD_SECONDS))
            .unwrap_or(60)
            .max(1),
    );
    let Some((value, tasks)) = reading(input, metric, label, service, period) else {
        memory.low_since.remove(policy);
        return Vote::Unknown;
    };
    // The count that carries the measured load at the target value.
    let needed = (tasks * value / target - 1e-9).ceil().max(0.0) as u32;
    let shown = (value * 10.0).round() / 10.0;
    if value > target {
        memory.low_since.remove(policy);
        return Vote::Out(
            needed,
            format!(
                "target tracking policy `{policy}`: {metric} {shown} > target {target} over the last {}s",
                period.as_secs()
            ),
        );
    }
    if value >= target * SCALE_IN_SHARE {
        memory.low_since.remove(policy);
        return Vote::Hold;
    }
    let since = *memory
        .low_since
        .entry(policy.to_string())
        .or_insert(input.now);
    let wait = period * SCALE_IN_PERIODS;
    if input.now.since(since) < wait {
        return Vote::Hold;
    }
    Vote::In(
        needed,
        format!(
            "target tracking policy `{policy}`: {metric} {shown} < {} (90% of target {target}) for {}s",
            target * SCALE_IN_SHARE,
            wait.as_secs()
        ),
    )
}

/// A step policy whose alarm is in ALARM: the count its step gives.
fn step(
    input: &ScalingInput<'_>,
    policy: &str,
    config: &StepScalingConfiguration,
    desired: u32,
    memory: &ScalingRecord,
) -> Option<(u32, String)> {
    let cooldown = seconds(config.cooldown);
    if memory
        .last_step
        .get(policy)
        .is_some_and(|at| input.now < at.plus(cooldown))
    {
        return None;
    }
    let (alarm, spec) = input.alarms.iter().find(|(name, spec)| {
        spec.alarm_actions.iter().any(|a| policy_name(a) == policy)
            && input
                .alarm_states
                .get(*name)
                .is_some_and(|r| r.state == AlarmState::Alarm)
    })?;
    let value = evaluate_spec(spec, input.meters, input.now, AlarmState::Alarm)?.latest()?;
    let over = value - spec.threshold?;
    let adjustment = config
        .step_adjustments
        .iter()
        .find(|s| {
            s.metric_interval_lower_bound.is_none_or(|l| over >= l)
                && s.metric_interval_upper_bound.is_none_or(|u| over < u)
        })?
        .scaling_adjustment?;
    let current = i64::from(desired);
    let to = match config.adjustment_type? {
        AdjustmentType::ChangeInCapacity => current + i64::from(adjustment),
        AdjustmentType::ExactCapacity => i64::from(adjustment),
        AdjustmentType::PercentChangeInCapacity => {
            let change = (current as f64 * f64::from(adjustment) / 100.0).trunc() as i64;
            let floor = i64::from(config.min_adjustment_magnitude.unwrap_or(1).max(1));
            let change = if change.abs() < floor {
                floor * i64::from(adjustment.signum())
            } else {
                change
            };
            current + change
        }
    };
    let to = u32::try_from(to.max(0)).unwrap_or(u32::MAX);
    Some((
        to,
        format!(
            "alarm `{alarm}` in ALARM ({} {value}) triggered step scaling policy `{policy}`",
            spec.metric_name.map_or("metric".into(), |m| m.to_string())
        ),
    ))
}

#[cfg(test)]
mod tests;
