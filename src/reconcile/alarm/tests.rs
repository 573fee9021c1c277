use super::*;
use crate::model::alarm::AlarmState;
use crate::model::alarm::Dimension;
use crate::traffic::runtime::HttpResponses;

fn at(secs: u64) -> Timestamp {
    // A period boundary: 1_000_000 s is a multiple of 10, 60 and 3600... 1_000_000 = 277h46m40s.
    Timestamp::from_unix_millis(1_000_800_000 + secs * 1000)
}

fn server(status: &str, total: u64, fives: u64, rtime: u64) -> ServerStat {
    ServerStat {
        backend: "web".into(),
        server: "t1-8080".into(),
        status: status.into(),
        weight: 100,
        check_status: Some("L7OK".into()),
        check_code: Some(200),
        sessions: 0,
        total_sessions: total,
        responses: HttpResponses {
            class_2xx: total - fives,
            class_4xx: 0,
            class_5xx: fives,
            total,
        },
        response_time_ms: rtime,
    }
}

/// One proxy on `h1` with the given servers of group `web`.
fn proxies(servers: &[(&str, ServerStat)]) -> BTreeMap<String, Option<ProxyView>> {
    let view = ProxyView {
        running: true,
        servers: servers
            .iter()
            .map(|(name, s)| (("web".to_string(), name.to_string()), s.clone()))
            .collect(),
    };
    [("h1".to_string(), Some(view))].into_iter().collect()
}

fn rule(
    metric: AlarmMetric,
    periods: i32,
    m: i32,
    threshold: f64,
    missing: Option<TreatMissingData>,
) -> Rule {
    Rule::of(&AlarmSpec {
        metric_name: Some(metric),
        dimensions: vec![Dimension {
            name: Some("TargetGroup".into()),
            value: Some("web".into()),
        }],
        period: Some(10),
        evaluation_periods: Some(periods),
        datapoints_to_alarm: Some(m),
        threshold: Some(threshold),
        comparison_operator: Some(ComparisonOperator::GreaterThanThreshold),
        treat_missing_data: missing,
        ..AlarmSpec::default()
    })
    .expect("complete")
}

#[test]
fn counts_survive_servers_leaving_and_proxies_restarting() {
    let mut meter = Meter::default();
    meter.observe(
        at(0),
        &proxies(&[("a", server("UP", 10, 0, 5)), ("b", server("UP", 4, 1, 5))]),
    );
    meter.observe(at(5), &proxies(&[("a", server("UP", 15, 2, 5))]));
    // `a` was re-created (its counters restarted): its new counts add up.
    meter.observe(at(9), &proxies(&[("a", server("UP", 3, 3, 5))]));
    let last = meter.samples("web").last().expect("samples").totals;
    assert_eq!((last.requests, last.class_5xx), (10 + 4 + 5 + 3, 1 + 2 + 3));
    assert_eq!((last.healthy, last.targets), (1, 1));
    // An unreached proxy adds nothing and takes no sample.
    meter.observe(at(12), &[("h1".to_string(), None)].into_iter().collect());
    assert_eq!(meter.samples("web").len(), 3);
}

#[test]
fn five_xx_over_the_threshold_in_a_period_is_an_alarm() {
    let mut meter = Meter::default();
    let r = rule(AlarmMetric::Target5xx, 1, 1, 0.0, None);
    meter.observe(at(1), &proxies(&[("a", server("UP", 100, 0, 5))]));
    // The first period has no reading before it began: no datapoint yet.
    let e = evaluate(
        &r,
        meter.samples("web"),
        at(15),
        AlarmState::InsufficientData,
    );
    assert_eq!(e.state, AlarmState::InsufficientData, "{e:?}");
    meter.observe(at(8), &proxies(&[("a", server("UP", 150, 0, 5))]));
    meter.observe(at(12), &proxies(&[("a", server("UP", 180, 0, 5))]));
    let e = evaluate(
        &r,
        meter.samples("web"),
        at(25),
        AlarmState::InsufficientData,
    );
    assert_eq!(e.state, AlarmState::Ok, "{e:?}");
    meter.observe(at(21), &proxies(&[("a", server("UP", 200, 4, 5))]));
    let e = evaluate(&r, meter.samples("web"), at(35), AlarmState::Ok);
    assert_eq!(e.state, AlarmState::Alarm, "{e:?}");
    assert!(
        e.reason
            .starts_with("Threshold Crossed: 1 out of the last 1 datapoints [4 ("),
        "{}",
        e.reason
    );
    assert!(
        e.reason.contains("was greater than the threshold (0)"),
        "{}",
        e.reason
    );
    // The next quiet period is OK again.
    meter.observe(at(31), &proxies(&[("a", server("UP", 210, 4, 5))]));
    let e = evaluate(&r, meter.samples("web"), at(45), AlarmState::Alarm);
    assert_eq!(e.state, AlarmState::Ok, "{e:?}");
}

#[test]
fn m_out_of_n_and_missing_data() {
    let mut meter = Meter::default();
    let samples = |m: &mut Meter| m.samples("web").to_vec();
    // Periods [0,10) … [30,40): 5xx counts 3, (not read), 3, 0.
    meter.observe(at(0), &proxies(&[("a", server("UP", 10, 0, 5))]));
    meter.observe(at(5), &proxies(&[("a", server("UP", 20, 3, 5))]));
    meter.observe(at(25), &proxies(&[("a", server("UP", 30, 6, 5))]));
    meter.observe(at(35), &proxies(&[("a", server("UP", 40, 6, 5))]));
    let s = samples(&mut meter);
    let now = at(40);
    let two_of_four = rule(AlarmMetric::Target5xx, 4, 2, 0.0, None);
    let e = evaluate(&two_of_four, &s, now, AlarmState::Ok);
    let values: Vec<Option<f64>> = e.datapoints.iter().map(|(_, v)| *v).collect();
    assert_eq!(values, vec![Some(3.0), None, Some(3.0), Some(0.0)]);
    assert_eq!(e.state, AlarmState::Alarm);
    let three_of_four = rule(AlarmMetric::Target5xx, 4, 3, 0.0, None);
    assert_eq!(
        evaluate(&three_of_four, &s, now, AlarmState::Ok).state,
        AlarmState::Ok
    );
    let breaching = rule(
        AlarmMetric::Target5xx,
        4,
        3,
        0.0,
        Some(TreatMissingData::Breaching),
    );
    assert_eq!(
        evaluate(&breaching, &s, now, AlarmState::Ok).state,
        AlarmState::Alarm
    );
    // Nothing read at all: unknown, or kept with `ignore`.
    let none: Vec<Sample> = Vec::new();
    let missing = rule(AlarmMetric::Target5xx, 2, 1, 0.0, None);
    assert_eq!(
        evaluate(&missing, &none, now, AlarmState::Ok).state,
        AlarmState::InsufficientData
    );
    let ignore = rule(
        AlarmMetric::Target5xx,
        2,
        1,
        0.0,
        Some(TreatMissingData::Ignore),
    );
    assert_eq!(
        evaluate(&ignore, &none, now, AlarmState::Alarm).state,
        AlarmState::Alarm
    );
    let not_breaching = rule(
        AlarmMetric::Target5xx,
        2,
        1,
        0.0,
        Some(TreatMissingData::NotBreaching),
    );
    assert_eq!(
        evaluate(&not_breaching, &none, now, AlarmState::Alarm).state,
        AlarmState::Ok
    );
}

#[test]
fn response_time_and_requests_per_target() {
    let mut meter = Meter::default();
    meter.observe(
        at(0),
        &proxies(&[("a", server("UP", 0, 0, 0)), ("b", server("UP", 0, 0, 0))]),
    );
    meter.observe(
        at(5),
        &proxies(&[
            ("a", server("UP", 30, 0, 200)),
            ("b", server("UP", 10, 0, 600)),
        ]),
    );
    let s = meter.samples("web").to_vec();
    let time = rule(AlarmMetric::TargetResponseTime, 1, 1, 0.25, None);
    let e = evaluate(&time, &s, at(10), AlarmState::Ok);
    // (30 × 200 + 10 × 600) / 40 = 300 ms.
    assert_eq!(e.datapoints[0].1, Some(0.3));
    assert_eq!(e.state, AlarmState::Alarm);
    let per_target = rule(AlarmMetric::RequestCountPerTarget, 1, 1, 25.0, None);
    let e = evaluate(&per_target, &s, at(10), AlarmState::Ok);
    assert_eq!(e.datapoints[0].1, Some(20.0));
    assert_eq!(e.state, AlarmState::Ok);
}

#[test]
fn the_target_group_dimension_takes_a_name_or_an_arn_suffix() {
    let spec = |value: &str| AlarmSpec {
        dimensions: vec![Dimension {
            name: Some("TargetGroup".into()),
            value: Some(value.into()),
        }],
        ..AlarmSpec::default()
    };
    assert_eq!(spec("web").target_group(), Some("web"));
    assert_eq!(
        spec("targetgroup/web/73e2d6bc24d8a067").target_group(),
        Some("web")
    );
    assert_eq!(AlarmSpec::default().target_group(), None);
}
