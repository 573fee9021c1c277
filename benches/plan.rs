//! validate + plan for 1,000 and 10,000 task definitions and services, against the bare YAML
//! parse of the same text, with the state read as `plan` reads it (parse of `state.json`) and
//! written as `apply` writes it. Each size runs in a child process of its own, so its peak
//! memory (VmHWM, reset before each step through /proc/self/clear_refs) is its own. Prints
//! figures (median of several runs); asserts nothing.
//!
//!     cargo bench --bench plan

use std::time::{Duration, Instant};

use ecsctl::diagnostics::{Diagnostics, SourceFile};
use ecsctl::ids::SequentialIds;
use ecsctl::model::load::check_files;
use ecsctl::model::normalize::Desired;
use ecsctl::model::validate::Known;
use ecsctl::plan::compute::compute_owned;
use ecsctl::plan::{apply, compute};
use ecsctl::state::store::{parse_state, to_json};
use ecsctl::time::Timestamp;

/// Set in a child: the number of objects of each kind it measures.
const COUNT_ENV: &str = "ECSCTL_BENCH_PLAN_COUNT";
const SIZES: [usize; 2] = [1_000, 10_000];

fn manifests(count: usize, image: &str) -> String {
    let mut text = String::new();
    for i in 0..count {
        text.push_str(&format!(
            "apiVersion: ecsctl/v1
kind: TaskDefinition
metadata:
  name: app{i}
spec:
  networkMode: bridge
  cpu: \"256\"
  memory: \"512\"
  containerDefinitions:
    - name: app
      image: {image}
      essential: true
      portMappings:
        - containerPort: 8080
          hostPort: 0
      environment:
        - {{ name: INDEX, value: \"{i}\" }}
        - {{ name: MODE, value: production }}
      secrets:
        - {{ name: TOKEN, valueFrom: env:TOKEN }}
      healthCheck:
        command: [CMD-SHELL, wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1]
        interval: 10
        retries: 3
    - name: sidecar
      image: busybox
      essential: false
      memory: 64
      dependsOn: [{{ containerName: app, condition: START }}]
---
apiVersion: ecsctl/v1
kind: Service
metadata:
  name: app{i}
spec:
  taskDefinition: app{i}
  desiredCount: 3
  deploymentConfiguration:
    minimumHealthyPercent: 100
    maximumPercent: 200
    deploymentCircuitBreaker: {{ enable: true, rollback: true }}
  placementStrategy:
    - {{ type: spread, field: \"attribute:zone\" }}
    - {{ type: binpack, field: memory }}
---
"
        ));
    }
    text
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Peak resident memory of this process since the last [`reset_peak`], in MiB.
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// Starts a new peak at the memory held now (Linux: `5` to clear_refs resets VmHWM).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The median time of `runs` runs after a warm-up, and the peak memory of one run.
fn measure(runs: usize, mut f: impl FnMut()) -> (Duration, f64) {
    reset_peak();
    f();
    let peak = peak_mib();
    let time = median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    );
    (time, peak)
}

fn validate(text: &str) -> Desired {
    let mut out = Diagnostics::new();
    let files = vec![SourceFile::new("bench.yaml", text)];
    let set = check_files(&files, &Known::default(), &mut out);
    assert!(!out.has_errors());
    Desired::from_set(&set)
}

fn run(count: usize) {
    let text = manifests(count, "registry.example/app:1");
    let changed = manifests(count, "registry.example/app:2");
    let runs = if count > 1_000 { 5 } else { 15 };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;

    let (bare, bare_peak) = measure(runs, || {
        let documents = yaml_rust2::YamlLoader::load_from_str(&text).expect("valid YAML");
        assert_eq!(documents.iter().filter(|d| !d.is_null()).count(), 2 * count);
    });
    let initial = compute(None, &validate(&text), false, "bench").expect("plan");
    let (state, _) = apply(
        None,
        &initial,
        Timestamp::now(),
        &mut SequentialIds::default(),
    )
    .expect("apply");
    drop(initial);
    let json = to_json(&state).expect("serialize");

    let mut rows = vec![(
        "bare YAML parse (yaml-rust2, no positions)",
        bare,
        bare_peak,
    )];
    let (t, p) = measure(runs, || {
        validate(&text);
    });
    rows.push(("validate (parse + decode + checks)", t, p));
    let (t, p) = measure(runs, || {
        let plan = compute_owned(None, validate(&text), false, "bench").expect("plan");
        assert_eq!(plan.summary.add, 2 * count);
    });
    rows.push(("validate + plan, empty state (all new)", t, p));
    let (t, p) = measure(runs, || {
        let state = parse_state(&json).expect("state");
        assert_eq!(state.task_definitions.len(), count);
    });
    rows.push(("read the state (parse state.json)", t, p));
    // The CI case: the state holds every object; the manifests change every image.
    let (t, p) = measure(runs, || {
        let plan = compute_owned(Some(&state), validate(&changed), false, "bench").expect("plan");
        assert_eq!(plan.summary.change, 2 * count);
    });
    rows.push(("validate + plan, every image changed", t, p));
    let (t, p) = measure(runs, || {
        let plan = compute_owned(Some(&state), validate(&text), false, "bench").expect("plan");
        assert!(!plan.has_changes());
    });
    rows.push(("validate + plan, no changes", t, p));
    let (t, p) = measure(runs, || {
        assert_eq!(to_json(&state).expect("serialize").len(), json.len());
    });
    rows.push(("write the state (serialize state.json)", t, p));

    println!(
        "input: {count} task definitions + {count} services, {:.1} KiB of YAML, state {:.1} MiB, median of {runs} runs",
        text.len() as f64 / 1024.0,
        json.len() as f64 / (1024.0 * 1024.0)
    );
    for (what, time, peak) in rows {
        println!(
            "  {what:<44} {:9.1} ms  {:5.2}x bare  peak {peak:7.1} MiB",
            ms(time),
            time.as_secs_f64() / bare.as_secs_f64()
        );
    }
}

fn main() {
    if let Some(count) = std::env::var(COUNT_ENV).ok().and_then(|c| c.parse().ok()) {
        run(count);
        return;
    }
    let me = std::env::current_exe().expect("the bench's own path");
    for count in SIZES {
        let status = std::process::Command::new(&me)
            .env(COUNT_ENV, count.to_string())
            .status()
            .expect("run a size");
        assert!(status.success(), "the {count}-object run failed");
    }
    println!(
        "target: plan of 10,000 services <= 0.5 s and <= 100 MB (the command: benches/plan_10k.sh)"
    );
}
