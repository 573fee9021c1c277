use super::*;
use crate::model::alarm::{AlarmMetric, ComparisonOperator, Dimension};
use crate::model::scaling::{
    PredefinedMetricSpecification, StepAdjustment, SuspendedState, TargetTrackingConfiguration,
};
use crate::reconcile::alarm::Meter;
use crate::reconcile::traffic::ProxyView;
use crate::reconcile::usage::{Counters, TaskRead, UsageMeter};
use crate::traffic::runtime::{HttpResponses, ServerStat};

fn at(secs: u64) -> Timestamp {
    Timestamp::from_unix_millis(1_000_800_000 + secs * 1000)
}

/// A usage meter where `tasks` tasks of `web` (256 cpu units, 512 MiB each) ran at
/// `percent` of their CPU reservation every second from `from` to `to`.
fn busy(meter: &mut UsageMeter, tasks: usize, percent: f64, from: u64, to: u64, base: &mut u64) {
    for s in from..=to {
        *base += (percent / 100.0 * 0.25 * 1e9) as u64;
        let reads: Vec<TaskRead> = (0..tasks)
            .map(|i| TaskRead {
                service: "web".into(),
                task: format!("t{i}"),
                cpu_reserved: 256,
                memory_reserved: 512,
                containers: [(
                    format!("c{i}"),
                    Counters {
                        cpu_ns: *base,
                        memory_bytes: 256 * 1024 * 1024,
                    },
                )]
                .into_iter()
                .collect(),
            })
            .collect();
        meter.observe(at(s), &reads);
    }
}

fn target(min: i32, max: i32) -> ScalableTargetSpec {
    ScalableTargetSpec {
        service: Some("web".into()),
        min_capacity: Some(min),
        max_capacity: Some(max),
        ..Default::default()
    }
}

fn tracking(metric: PredefinedMetricType, value: f64, period: i32) -> ScalingPolicySpec {
    ScalingPolicySpec {
        service: Some("web".into()),
        policy_type: Some(PolicyType::TargetTrackingScaling),
        target_tracking_scaling_policy_configuration: Some(TargetTrackingConfiguration {
            target_value: Some(value),
            predefined_metric_specification: Some(PredefinedMetricSpecification {
                predefined_metric_type: Some(metric),
                resource_label: Some("web".into()),
            }),
            scale_out_cooldown: Some(30),
            scale_in_cooldown: Some(30),
            period: Some(period),
            ..Default::default()
        }),
        ..Default::default()
    }
}

struct World {
    targets: BTreeMap<String, ScalableTargetSpec>,
    policies: BTreeMap<String, ScalingPolicySpec>,
    alarms: BTreeMap<String, AlarmSpec>,
    alarm_states: BTreeMap<String, AlarmRecord>,
    desired: BTreeMap<String, u32>,
    traffic: Meter,
    usage: UsageMeter,
    memory: BTreeMap<String, ScalingRecord>,
}

impl World {
    fn new(target_spec: ScalableTargetSpec, desired: u32) -> Self {
        World {
            targets: [("web".to_string(), target_spec)].into_iter().collect(),
            policies: BTreeMap::new(),
            alarms: BTreeMap::new(),
            alarm_states: BTreeMap::new(),
            desired: [("web".to_string(), desired)].into_iter().collect(),
            traffic: Meter::default(),
            usage: UsageMeter::default(),
            memory: BTreeMap::new(),
        }
    }

    fn policy(mut self, name: &str, spec: ScalingPolicySpec) -> Self {
        self.policies.insert(name.into(), spec);
        self
    }

    /// Decides at `now`, remembering what the decision remembers and applying its count.
    fn decide(&mut self, now: u64) -> Option<Activity> {
        let d = decide(&ScalingInput {
            now: at(now),
            targets: &self.targets,
            policies: &self.policies,
            alarms: &self.alarms,
            alarm_states: &self.alarm_states,
            desired: &self.desired,
            meters: Meters {
                traffic: &self.traffic,
                usage: &self.usage,
            },
            memory: &self.memory,
        });
        self.memory = d.memory;
        let a = d.activities.into_iter().next()?;
        self.desired.insert(a.service.clone(), a.to);
        Some(a)
    }
}

#[test]
fn cpu_above_target_scales_out_to_the_count_that_carries_the_load() {
    let mut w =
        World::new(target(1, 20), 2).policy("cpu", tracking(PredefinedMetricType::Cpu, 50.0, 10));
    let mut base = 0;
    busy(&mut w.usage, 2, 150.0, 0, 12, &mut base);
    let a = w.decide(12).expect("scales out");
    // 2 tasks at 150 % of a 50 % target: 6 tasks carry it at 50 %.
    assert_eq!((a.from, a.to), (2, 6));
    assert!(
        a.cause.contains("target tracking policy `cpu`"),
        "{}",
        a.cause
    );
    assert!(
        a.cause
            .contains("ECSServiceAverageCPUUtilization 150 > target 50"),
        "{}",
        a.cause
    );
    assert!(
        a.event().starts_with(
            "(service web) desired count changed from 2 to 6 by scalable target `web`"
        )
    );
    assert!(
        a.event().ends_with(
            "Successfully set desired count to 6. Change successfully fulfilled by ecs."
        )
    );
    // The same load measured again proposes the same count: no further change.
    assert_eq!(w.decide(13), None);
}

#[test]
fn scale_out_stops_at_max_capacity() {
    let mut w =
        World::new(target(1, 4), 2).policy("cpu", tracking(PredefinedMetricType::Cpu, 50.0, 10));
    let mut base = 0;
    busy(&mut w.usage, 2, 400.0, 0, 12, &mut base);
    assert_eq!(w.decide(12).map(|a| a.to), Some(4));
}

#[test]
fn a_window_without_earlier_data_is_not_judged() {
    let mut w =
        World::new(target(1, 20), 2).policy("cpu", tracking(PredefinedMetricType::Cpu, 50.0, 10));
    let mut base = 0;
    // The meter started 5 s ago: a 10 s window is not covered yet.
    busy(&mut w.usage, 2, 400.0, 0, 5, &mut base);
    assert_eq!(w.decide(5), None);
}

#[test]
fn within_the_band_nothing_changes() {
    let mut w =
        World::new(target(1, 20), 4).policy("cpu", tracking(PredefinedMetricType::Cpu, 50.0, 10));
    let mut base = 0;
    busy(&mut w.usage, 4, 47.0, 0, 400, &mut base);
    assert_eq!(w.decide(400), None, "47 % is above 90 % of the 50 % target");
}

#[test]
fn scale_in_waits_for_fifteen_low_periods_and_keeps_min_capacity() {
    let mut w =
        World::new(target(2, 20), 8).policy("cpu", tracking(PredefinedMetricType::Cpu, 50.0, 10));
    let mut base = 0;
    busy(&mut w.usage, 8, 5.0, 0, 20, &mut base);
    assert_eq!(w.decide(20), None, "the low watch starts");
    busy(&mut w.usage, 8, 5.0, 21, 169, &mut base);
    assert_eq!(w.decide(169), None, "149 s low: not yet 150 s");
    busy(&mut w.usage, 8, 5.0, 170, 171, &mut base);
    let a = w.decide(171).expect("scales in after 15 × 10 s");
    // 8 tasks at 5 % need 1 task at 40 %; minCapacity keeps 2.
    assert_eq!((a.from, a.to), (8, 2));
    assert!(
        a.cause.contains("< 45 (90% of target 50) for 150s"),
        "{}",
        a.cause
    );
}

#[test]
fn no_scale_in_within_the_cooldowns() {
    let mut w =
        World::new(target(1, 20), 2).policy("cpu", tracking(PredefinedMetricType::Cpu, 50.0, 1));
    let mut base = 0;
    busy(&mut w.usage, 2, 200.0, 0, 2, &mut base);
    assert_eq!(w.decide(2).map(|a| a.to), Some(8));
    // Load gone at once: low for 15 periods of 1 s, but the 30 s scale-out cooldown holds.
    busy(&mut w.usage, 8, 1.0, 3, 25, &mut base);
    assert_eq!(w.decide(20), None);
    // Low since 20: 15 s later, and past the cooldown, it scales in.
    busy(&mut w.usage, 8, 1.0, 26, 35, &mut base);
    assert_eq!(w.decide(34), None);
    assert_eq!(w.decide(35).map(|a| a.to), Some(1));
    // Scale-in cooldown: still low, nothing more to take anyway (min 1); raise the min
    // to check that bounds still apply within cooldowns.
    w.targets.insert("web".into(), target(3, 20));
    assert_eq!(w.decide(36).map(|a| a.to), Some(3));
}

#[test]
fn disable_scale_in_and_disagreeing_policies_keep_the_count() {
    let mut no_in = tracking(PredefinedMetricType::Cpu, 50.0, 1);
    if let Some(c) = &mut no_in.target_tracking_scaling_policy_configuration {
        c.disable_scale_in = Some(true);
    }
    let mut w = World::new(target(1, 20), 6).policy("cpu", no_in);
    let mut base = 0;
    busy(&mut w.usage, 6, 1.0, 0, 100, &mut base);
    assert_eq!(w.decide(100), None, "disableScaleIn");

    // Two policies: memory at 50 % holds at its 50 % target, CPU is low: no scale-in.
    let mut w = World::new(target(1, 20), 6)
        .policy("cpu", tracking(PredefinedMetricType::Cpu, 50.0, 1))
        .policy("memory", tracking(PredefinedMetricType::Memory, 50.0, 1));
    let mut base = 0;
    busy(&mut w.usage, 6, 1.0, 0, 100, &mut base);
    for s in 80..=100 {
        assert_eq!(w.decide(s), None, "memory holds at {s}");
    }
    // Any policy may scale out: memory at 50 % of a 20 % target.
    w.policies.insert(
        "memory".into(),
        tracking(PredefinedMetricType::Memory, 20.0, 1),
    );
    assert_eq!(w.decide(100).map(|a| a.to), Some(15));
}

#[test]
fn bounds_apply_even_when_scaling_is_suspended() {
    let mut suspended = target(3, 5);
    suspended.suspended_state = Some(SuspendedState {
        dynamic_scaling_in_suspended: Some(true),
        dynamic_scaling_out_suspended: Some(true),
        scheduled_scaling_suspended: None,
    });
    let mut w = World::new(suspended.clone(), 1)
        .policy("cpu", tracking(PredefinedMetricType::Cpu, 50.0, 1));
    let a = w.decide(0).expect("below min");
    assert_eq!((a.from, a.to), (1, 3));
    assert!(a.cause.contains("below minCapacity 3"));
    w.desired.insert("web".into(), 9);
    assert_eq!(w.decide(1).map(|a| a.to), Some(5));
    // Suspended out: a hot service stays at 5 within bounds... at 4 it does not grow.
    w.desired.insert("web".into(), 4);
    let mut base = 0;
    busy(&mut w.usage, 4, 400.0, 0, 10, &mut base);
    assert_eq!(w.decide(10), None);
}

#[test]
fn services_without_a_target_or_bounds_are_left_alone() {
    let mut w = World::new(target(1, 5), 2);
    w.desired.clear();
    assert_eq!(w.decide(0), None);
    let mut w = World::new(
        ScalableTargetSpec {
            service: Some("web".into()),
            ..Default::default()
        },
        0,
    );
    assert_eq!(w.decide(0), None);
}

fn server(total: u64) -> ServerStat {
    ServerStat {
        backend: "web".into(),
        server: "t1-8080".into(),
        status: "UP".into(),
        weight: 100,
        check_status: Some("L7OK".into()),
        check_code: Some(200),
        sessions: 0,
        total_sessions: total,
        responses: HttpResponses {
            class_2xx: total,
            class_4xx: 0,
            class_5xx: 0,
            total,
        },
        response_time_ms: 1,
    }
}

fn proxy(servers: &[(&str, u64)]) -> BTreeMap<String, Option<ProxyView>> {
    let view = ProxyView {
        running: true,
        servers: servers
            .iter()
            .map(|(name, total)| (("web".to_string(), name.to_string()), server(*total)))
            .collect(),
    };
    [("h1".to_string(), Some(view))].into_iter().collect()
}

#[test]
fn request_count_per_target_tracks_the_requests_over_the_targets() {
    let mut w = World::new(target(1, 10), 2).policy(
        "requests",
        tracking(PredefinedMetricType::RequestCountPerTarget, 100.0, 10),
    );
    // Two targets; 1,000 requests in 10 s: 500 per target per period, 5× the target.
    w.traffic.observe(at(0), &proxy(&[("a", 0), ("b", 0)]));
    w.traffic.observe(at(10), &proxy(&[("a", 500), ("b", 500)]));
    let a = w.decide(10).expect("scales out");
    assert_eq!(a.to, 10);
    assert!(
        a.cause
            .contains("ALBRequestCountPerTarget 500 > target 100"),
        "{}",
        a.cause
    );
}

fn step_policy(
    kind: AdjustmentType,
    steps: &[(Option<f64>, Option<f64>, i32)],
) -> ScalingPolicySpec {
    ScalingPolicySpec {
        service: Some("web".into()),
        policy_type: Some(PolicyType::StepScaling),
        step_scaling_policy_configuration: Some(StepScalingConfiguration {
            adjustment_type: Some(kind),
            step_adjustments: steps
                .iter()
                .map(|(l, u, n)| StepAdjustment {
                    metric_interval_lower_bound: *l,
                    metric_interval_upper_bound: *u,
                    scaling_adjustment: Some(*n),
                })
                .collect(),
            cooldown: Some(60),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// An alarm on web's CPU above `threshold` over 10 s, in ALARM, that runs `policy`.
fn cpu_alarm(w: &mut World, threshold: f64, policy: &str) {
    w.alarms.insert(
        "hot".into(),
        AlarmSpec {
            metric_name: Some(AlarmMetric::CpuUtilization),
            dimensions: vec![Dimension {
                name: Some("ServiceName".into()),
                value: Some("web".into()),
            }],
            period: Some(10),
            evaluation_periods: Some(1),
            threshold: Some(threshold),
            comparison_operator: Some(ComparisonOperator::GreaterThanThreshold),
            alarm_actions: vec![policy.into()],
            ..Default::default()
        },
    );
    w.alarm_states.insert(
        "hot".into(),
        AlarmRecord {
            state: AlarmState::Alarm,
            reason: String::new(),
            since: at(0),
        },
    );
}

#[test]
fn a_step_policy_acts_by_the_step_its_alarm_is_in_once_per_cooldown() {
    let mut w = World::new(target(1, 20), 4).policy(
        "out",
        step_policy(
            AdjustmentType::ChangeInCapacity,
            &[(Some(0.0), Some(50.0), 1), (Some(50.0), None, 3)],
        ),
    );
    cpu_alarm(&mut w, 60.0, "out");
    let mut base = 0;
    busy(&mut w.usage, 4, 150.0, 0, 21, &mut base);
    // 150 − 60 = 90: the second step, +3.
    let a = w.decide(21).expect("steps");
    assert_eq!((a.from, a.to), (4, 7));
    assert!(a.cause.contains("alarm `hot` in ALARM"), "{}", a.cause);
    assert!(a.cause.contains("step scaling policy `out`"), "{}", a.cause);
    assert_eq!(w.decide(50), None, "within its 60 s cooldown");
    busy(&mut w.usage, 4, 80.0, 22, 81, &mut base);
    // 80 − 60 = 20: the first step, +1.
    assert_eq!(w.decide(81).map(|a| a.to), Some(8));
    // An alarm that is OK runs nothing.
    w.alarm_states.insert(
        "hot".into(),
        AlarmRecord {
            state: AlarmState::Ok,
            reason: String::new(),
            since: at(90),
        },
    );
    busy(&mut w.usage, 4, 150.0, 82, 150, &mut base);
    assert_eq!(w.decide(150), None);
}

#[test]
fn step_adjustments_exact_and_percent() {
    let mut w = World::new(target(1, 50), 10).policy(
        "exact",
        step_policy(AdjustmentType::ExactCapacity, &[(Some(0.0), None, 3)]),
    );
    cpu_alarm(&mut w, 10.0, "exact");
    let mut base = 0;
    busy(&mut w.usage, 2, 100.0, 0, 21, &mut base);
    assert_eq!(
        w.decide(21).map(|a| a.to),
        Some(3),
        "ExactCapacity scales in too"
    );

    let mut w = World::new(target(1, 50), 10).policy(
        "pct",
        step_policy(
            AdjustmentType::PercentChangeInCapacity,
            &[(Some(0.0), None, 25)],
        ),
    );
    cpu_alarm(&mut w, 10.0, "pct");
    let mut base = 0;
    busy(&mut w.usage, 2, 100.0, 0, 21, &mut base);
    // 25 % of 10 = 2.5 → 2 (truncated, as Application Auto Scaling rounds toward zero).
    assert_eq!(w.decide(21).map(|a| a.to), Some(12));
    // 25 % of 3 = 0.75 → the minimum adjustment of 1.
    let mut w = World::new(target(1, 50), 3).policy(
        "pct",
        step_policy(
            AdjustmentType::PercentChangeInCapacity,
            &[(Some(0.0), None, 25)],
        ),
    );
    cpu_alarm(&mut w, 10.0, "pct");
    let mut base = 0;
    busy(&mut w.usage, 2, 100.0, 0, 21, &mut base);
    assert_eq!(w.decide(21).map(|a| a.to), Some(4));
}

#[test]
fn metered_services_and_the_poll_follow_what_is_watched() {
    let policies = [
        tracking(PredefinedMetricType::Cpu, 50.0, 10),
        tracking(PredefinedMetricType::RequestCountPerTarget, 50.0, 60),
    ];
    let alarms: [AlarmSpec; 0] = [];
    let services = metered_services(alarms.iter(), policies.iter());
    assert_eq!(
        services.into_iter().collect::<Vec<_>>(),
        vec!["web".to_string()]
    );
    assert_eq!(
        poll_interval(alarms.iter(), policies.iter()),
        Some(Duration::from_secs(2))
    );
    assert_eq!(
        poll_interval(alarms.iter(), policies[1..].iter()),
        Some(Duration::from_secs(10))
    );
    assert_eq!(poll_interval(alarms.iter(), policies[..0].iter()), None);
}
