use super::*;

fn host(name: &str, zone: &str, memory: i64) -> Host {
    Host {
        name: name.into(),
        attributes: [("zone".to_string(), zone.to_string())]
            .into_iter()
            .collect(),
        active: true,
        cpu_free: 4096,
        memory_free: memory,
        ports_used: BTreeSet::new(),
        running_tasks: 0,
        service_tasks: 0,
    }
}

fn strategy(kind: PlacementStrategyType, field: &str) -> PlacementStrategy {
    PlacementStrategy {
        r#type: Some(kind),
        field: (!field.is_empty()).then(|| field.to_string()),
    }
}

fn place_all(
    hosts: &mut [Host],
    request: Request,
    count: usize,
) -> (Vec<String>, Option<Unplaced>) {
    let mut placer = Placer::new(hosts, request, 7);
    let mut names = Vec::new();
    for _ in 0..count {
        match placer.place() {
            Ok(i) => names.push(placer.hosts()[i].name.clone()),
            Err(e) => return (names, Some(e)),
        }
    }
    (names, None)
}

fn three() -> Vec<Host> {
    vec![
        host("a", "z1", 4096),
        host("b", "z2", 4096),
        host("c", "z3", 4096),
    ]
}

fn per_host(names: &[String]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for n in names {
        *counts.entry(n.clone()).or_insert(0) += 1;
    }
    counts
}

#[test]
fn spread_over_an_attribute_balances_the_values() {
    let mut hosts = three();
    let request = Request {
        memory: 100,
        strategies: vec![strategy(PlacementStrategyType::Spread, "attribute:zone")],
        ..Request::default()
    };
    let (names, failure) = place_all(&mut hosts, request, 6);
    assert_eq!(failure, None);
    assert_eq!(
        per_host(&names).values().copied().collect::<Vec<_>>(),
        [2, 2, 2]
    );
}

#[test]
fn spread_counts_the_tasks_already_running() {
    let mut hosts = three();
    hosts[0].service_tasks = 2;
    let request = Request {
        strategies: vec![strategy(PlacementStrategyType::Spread, "instanceId")],
        ..Request::default()
    };
    let (names, _) = place_all(&mut hosts, request, 4);
    assert_eq!(names, ["b", "c", "b", "c"]);
}

#[test]
fn binpack_fills_one_host_first() {
    let mut hosts = vec![
        host("a", "z1", 1000),
        host("b", "z1", 600),
        host("c", "z1", 2000),
    ];
    let request = Request {
        memory: 300,
        strategies: vec![strategy(PlacementStrategyType::Binpack, "memory")],
        ..Request::default()
    };
    let (names, failure) = place_all(&mut hosts, request, 7);
    assert_eq!(names, ["b", "b", "a", "a", "a", "c", "c"]);
    assert_eq!(failure, None);
}

#[test]
fn strategies_break_ties_in_order() {
    let mut hosts = vec![
        host("a", "z1", 1000),
        host("b", "z1", 500),
        host("c", "z2", 2000),
        host("d", "z2", 800),
    ];
    let request = Request {
        memory: 100,
        strategies: vec![
            strategy(PlacementStrategyType::Spread, "attribute:zone"),
            strategy(PlacementStrategyType::Binpack, "memory"),
        ],
        ..Request::default()
    };
    let (names, _) = place_all(&mut hosts, request, 4);
    // Zones alternate; within a zone the fullest host first.
    assert_eq!(names, ["b", "d", "b", "d"]);
}

#[test]
fn distinct_instance_leaves_the_extra_task_unplaced() {
    let mut hosts = three();
    let request = Request {
        distinct_instance: true,
        ..Request::default()
    };
    let (names, failure) = place_all(&mut hosts, request, 4);
    assert_eq!(names.len(), 3);
    assert_eq!(per_host(&names).len(), 3);
    let failure = failure.expect("the fourth task has nowhere to go");
    assert_eq!(
        failure.event("web"),
        "(service web) was unable to place a task because no host met all of its requirements: every host that qualifies already runs a task of this service (distinctInstance)."
    );
}

#[test]
fn member_of_restricts_the_hosts() {
    let mut hosts = three();
    let expr = "attribute:zone in [z1, z3]";
    let request = Request {
        member_of: vec![(expr.into(), Expr::parse(expr).expect("parses"))],
        strategies: vec![strategy(PlacementStrategyType::Spread, "instanceId")],
        ..Request::default()
    };
    let (names, _) = place_all(&mut hosts, request, 4);
    assert_eq!(
        per_host(&names),
        [("a".to_string(), 2), ("c".to_string(), 2)]
            .into_iter()
            .collect()
    );

    let mut hosts = three();
    let expr = "attribute:zone == z9";
    let request = Request {
        member_of: vec![(expr.into(), Expr::parse(expr).expect("parses"))],
        ..Request::default()
    };
    let (_, failure) = place_all(&mut hosts, request, 1);
    assert_eq!(
        failure,
        Some(Unplaced(
            "no host satisfies the memberOf constraint `attribute:zone == z9`".into()
        ))
    );
}

#[test]
fn capacity_ports_and_status_filter_hosts() {
    let mut hosts = three();
    hosts[0].active = false;
    hosts[1].ports_used.insert((80, "tcp".into()));
    let request = Request {
        memory: 3000,
        ports: vec![(80, "tcp".into())],
        ..Request::default()
    };
    let (names, failure) = place_all(&mut hosts, request, 2);
    assert_eq!(names, ["c"]);
    assert_eq!(
        failure,
        Some(Unplaced(
            "the closest matching host `b` is already using a port required by the task".into()
        ))
    );

    let mut hosts = three();
    let request = Request {
        memory: 5000,
        ..Request::default()
    };
    let (_, failure) = place_all(&mut hosts, request, 1);
    assert_eq!(
        failure,
        Some(Unplaced(
            "the closest matching host `a` has insufficient memory available".into()
        ))
    );

    let mut hosts = three();
    for h in &mut hosts {
        h.active = false;
    }
    let (_, failure) = place_all(&mut hosts, Request::default(), 1);
    assert_eq!(
        failure,
        Some(Unplaced("no host is ACTIVE and reachable".into()))
    );
}

#[test]
fn random_is_deterministic_for_a_seed() {
    let request = || Request {
        strategies: vec![strategy(PlacementStrategyType::Random, "")],
        ..Request::default()
    };
    let mut a = vec![
        host("a", "z", 1),
        host("b", "z", 1),
        host("c", "z", 1),
        host("d", "z", 1),
    ];
    let mut b = a.clone();
    let first = place_all(&mut a, request(), 20).0;
    let second = place_all(&mut b, request(), 20).0;
    assert_eq!(first, second);
    assert!(
        per_host(&first).len() > 1,
        "random spreads over more than one host: {first:?}"
    );
}

#[test]
fn no_strategy_picks_by_name_for_determinism() {
    let mut hosts = three();
    let (names, _) = place_all(&mut hosts, Request::default(), 2);
    assert_eq!(names, ["a", "a"]);
}

/// The indexed placer and the simple scan agree, placement after placement, over many random
/// clusters and requests (every strategy but `random`, which always scans).
#[test]
fn indexed_placement_equals_the_simple_scan() {
    let mut rng = SmallRng::seed_from_u64(42);
    let kinds = [
        ("spread", "attribute:zone"),
        ("spread", "attribute:rack"),
        ("spread", "instanceId"),
        ("binpack", "memory"),
        ("binpack", "cpu"),
    ];
    for case in 0..400 {
        let count = rng.random_range(1..40usize);
        let hosts: Vec<Host> = (0..count)
            .map(|i| {
                let mut attributes = BTreeMap::new();
                if rng.random_range(0..10) > 0 {
                    attributes.insert("zone".into(), format!("z{}", rng.random_range(0..4)));
                }
                if rng.random_range(0..3) > 0 {
                    attributes.insert("rack".into(), format!("r{}", rng.random_range(0..3)));
                }
                let mut ports_used = BTreeSet::new();
                if rng.random_range(0..5) == 0 {
                    ports_used.insert((8080, "tcp".to_string()));
                }
                Host {
                    name: format!("h{i:02}"),
                    attributes,
                    active: rng.random_range(0..8) > 0,
                    cpu_free: rng.random_range(0..8) * 256,
                    memory_free: rng.random_range(0..16) * 256,
                    ports_used,
                    running_tasks: rng.random_range(0..4),
                    service_tasks: rng.random_range(0..3),
                }
            })
            .collect();
        let strategies = (0..rng.random_range(0..4))
            .map(|_| {
                let (kind, field) = kinds[rng.random_range(0..kinds.len())];
                let kind = if kind == "spread" {
                    PlacementStrategyType::Spread
                } else {
                    PlacementStrategyType::Binpack
                };
                strategy(kind, field)
            })
            .collect();
        let member_of = if rng.random_range(0..3) == 0 {
            let text = "attribute:zone != z1";
            vec![(text.to_string(), query::Expr::parse(text).expect("expr"))]
        } else {
            Vec::new()
        };
        let request = Request {
            cpu: rng.random_range(0..3) * 128,
            memory: rng.random_range(1..4) * 256,
            ports: if rng.random_range(0..6) == 0 {
                vec![(8080, "tcp".to_string())]
            } else {
                Vec::new()
            },
            strategies,
            distinct_instance: rng.random_range(0..4) == 0,
            member_of,
        };
        let tasks = rng.random_range(1..60);
        let mut indexed_hosts = hosts.clone();
        let mut linear_hosts = hosts;
        let mut indexed = Placer::new(&mut indexed_hosts, request.clone(), 1);
        let mut linear = Placer::linear(&mut linear_hosts, request, 1);
        for task in 0..tasks {
            let (a, b) = (indexed.place(), linear.place());
            assert_eq!(a, b, "case {case}, task {task}");
            if a.is_err() {
                break;
            }
        }
        assert_eq!(indexed.hosts(), linear.hosts(), "case {case}");
    }
}
