//! Placement throughput: the tasks of one service on simulated hosts in 10 zones, with
//! `spread(attribute:zone)` then `binpack(memory)` (and a `memberOf` constraint), as the
//! reconciler places a scale-up: 10,000 tasks on 1,000 hosts by the indexed placer and by the
//! simple scan it replaced, and 100,000 tasks on 10,000 hosts. Prints figures (median of
//! several runs) and checks the result is what the strategies promise; times nothing in tests.
//!
//!     cargo bench --bench placement

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ecsctl::model::ecs::{PlacementStrategy, PlacementStrategyType};
use ecsctl::schedule::query;
use ecsctl::schedule::{Host, Placer, Request};

const ZONES: usize = 10;

fn hosts(count: usize) -> Vec<Host> {
    (0..count)
        .map(|i| Host {
            name: format!("host-{i:04}"),
            attributes: BTreeMap::from([
                ("zone".to_string(), format!("z{}", i % ZONES)),
                (
                    "ecs.instance-type".to_string(),
                    if i % 3 == 0 { "m5.large" } else { "c5.xlarge" }.to_string(),
                ),
            ]),
            active: i % 97 != 0,
            cpu_free: 4096,
            // Uneven hosts, so that binpack has something to choose.
            memory_free: 8192 + (i as i64 % 7) * 1024,
            ports_used: Default::default(),
            running_tasks: 0,
            service_tasks: 0,
        })
        .collect()
}

fn strategy(kind: PlacementStrategyType, field: &str) -> PlacementStrategy {
    PlacementStrategy {
        r#type: Some(kind),
        field: Some(field.into()),
    }
}

fn request(member_of: bool) -> Request {
    Request {
        cpu: 128,
        memory: 256,
        ports: Vec::new(),
        strategies: vec![
            strategy(PlacementStrategyType::Spread, "attribute:zone"),
            strategy(PlacementStrategyType::Binpack, "memory"),
        ],
        distinct_instance: false,
        member_of: if member_of {
            let text = "attribute:ecs.instance-type =~ c5.* or attribute:zone in [z0, z1]";
            vec![(
                text.to_string(),
                query::Expr::parse(text).expect("expression"),
            )]
        } else {
            Vec::new()
        },
    }
}

/// Places every task; returns the time taken and the tasks per zone.
fn run(hosts_count: usize, tasks: usize, member_of: bool, indexed: bool) -> (Duration, Vec<u32>) {
    let mut hosts = hosts(hosts_count);
    let started = Instant::now();
    let mut placer = if indexed {
        Placer::new(&mut hosts, request(member_of), 7)
    } else {
        Placer::linear(&mut hosts, request(member_of), 7)
    };
    for _ in 0..tasks {
        placer.place().expect("room for every task");
    }
    let elapsed = started.elapsed();
    let mut per_zone = vec![0u32; ZONES];
    for (i, h) in hosts.iter().enumerate() {
        per_zone[i % ZONES] += h.service_tasks;
    }
    (elapsed, per_zone)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let cases = [
        (
            "spread(attribute:zone) + binpack(memory), indexed",
            1_000,
            10_000,
            false,
            true,
            7,
        ),
        ("  ... simple scan", 1_000, 10_000, false, false, 3),
        (
            "  ... with a memberOf constraint, indexed",
            1_000,
            10_000,
            true,
            true,
            7,
        ),
        (
            "  ... with a memberOf constraint, simple scan",
            1_000,
            10_000,
            true,
            false,
            3,
        ),
        (
            "spread + binpack + memberOf, indexed",
            10_000,
            100_000,
            true,
            true,
            5,
        ),
        ("  ... simple scan", 10_000, 100_000, true, false, 1),
    ];
    for (label, hosts, tasks, member_of, indexed, runs) in cases {
        let mut times = Vec::new();
        let mut zones = Vec::new();
        for _ in 0..runs {
            let (t, z) = run(hosts, tasks, member_of, indexed);
            times.push(t);
            zones = z;
        }
        let t = median(times);
        let rate = tasks as f64 / t.as_secs_f64();
        let (low, high) = (
            zones.iter().min().copied().unwrap_or(0),
            zones.iter().max().copied().unwrap_or(0),
        );
        println!(
            "{label}: {tasks} tasks on {hosts} hosts in {:.1} ms: {:.0} placements/s (target >= 1,000,000 at 10,000 hosts); tasks per zone {low}..{high}",
            t.as_secs_f64() * 1000.0,
            rate
        );
        assert!(high - low <= 1, "spread over zones is even: {zones:?}");
    }
}
