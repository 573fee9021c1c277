//! Placement throughput: 10,000 tasks of one service on 1,000 simulated hosts in 10 zones,
//! with `spread(attribute:zone)` then `binpack(memory)`, as the reconciler places a scale-up.
//! Prints figures (median of several runs) and checks the result is what the strategies
//! promise; times nothing in tests.
//!
//!     cargo bench --bench placement

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ecsctl::model::ecs::{PlacementStrategy, PlacementStrategyType};
use ecsctl::schedule::query;
use ecsctl::schedule::{Host, Placer, Request};

const HOSTS: usize = 1_000;
const ZONES: usize = 10;
const TASKS: usize = 10_000;

fn hosts() -> Vec<Host> {
    (0..HOSTS)
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
fn run(member_of: bool) -> (Duration, Vec<u32>) {
    let mut hosts = hosts();
    let started = Instant::now();
    let mut placer = Placer::new(&mut hosts, request(member_of), 7);
    for _ in 0..TASKS {
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
    for (label, member_of) in [
        ("spread(attribute:zone) + binpack(memory)", false),
        ("  ... with a memberOf constraint", true),
    ] {
        let mut times = Vec::new();
        let mut zones = Vec::new();
        for _ in 0..7 {
            let (t, z) = run(member_of);
            times.push(t);
            zones = z;
        }
        let t = median(times);
        let rate = TASKS as f64 / t.as_secs_f64();
        let (low, high) = (
            zones.iter().min().copied().unwrap_or(0),
            zones.iter().max().copied().unwrap_or(0),
        );
        println!(
            "{label}: {TASKS} tasks on {HOSTS} hosts in {:.1} ms: {:.0} placements/s (target >= 100,000); tasks per zone {low}..{high}",
            t.as_secs_f64() * 1000.0,
            rate
        );
        assert!(high - low <= 1, "spread over zones is even: {zones:?}");
    }
}
