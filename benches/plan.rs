//! validate + plan for 1,000 task definitions and 1,000 services, against the bare YAML parse
//! of the same text. Prints figures (median of several runs); asserts nothing.
//!
//!     cargo bench --bench plan

use std::time::{Duration, Instant};

use ecsctl::diagnostics::{Diagnostics, SourceFile};
use ecsctl::ids::SequentialIds;
use ecsctl::model::load::check_files;
use ecsctl::model::normalize::Desired;
use ecsctl::model::validate::Known;
use ecsctl::plan::{apply, compute};
use ecsctl::time::Timestamp;

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

fn time(runs: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm-up
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let count = 1000;
    let text = manifests(count, "registry.example/app:1");
    let changed = manifests(count, "registry.example/app:2");
    let runs = 15;

    let bare = time(runs, || {
        let documents = yaml_rust2::YamlLoader::load_from_str(&text).expect("valid YAML");
        assert_eq!(documents.iter().filter(|d| !d.is_null()).count(), 2 * count);
    });

    let validate = |text: &str| {
        let mut out = Diagnostics::new();
        let files = vec![SourceFile::new("bench.yaml", text)];
        let set = check_files(&files, &Known::default(), &mut out);
        assert!(!out.has_errors());
        Desired::from_set(&set)
    };
    let validate_only = time(runs, || {
        validate(&text);
    });
    let first_plan = time(runs, || {
        let plan = compute(None, &validate(&text), false, "bench").expect("plan");
        assert_eq!(plan.summary.add, 2 * count);
    });
    // The CI case: the state holds every object; the manifests change every image.
    let initial = compute(None, &validate(&text), false, "bench").expect("plan");
    let (state, _) = apply(
        None,
        &initial,
        Timestamp::now(),
        &mut SequentialIds::default(),
    )
    .expect("apply");
    let update_plan = time(runs, || {
        let plan = compute(Some(&state), &validate(&changed), false, "bench").expect("plan");
        assert_eq!(plan.summary.change, 2 * count);
    });
    let noop_plan = time(runs, || {
        let plan = compute(Some(&state), &validate(&text), false, "bench").expect("plan");
        assert!(!plan.has_changes());
    });

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let ratio = |d: Duration| d.as_secs_f64() / bare.as_secs_f64();
    println!(
        "input: {count} task definitions + {count} services, {:.1} KiB of YAML, median of {runs} runs",
        text.len() as f64 / 1024.0
    );
    println!(
        "bare YAML parse (yaml-rust2, no positions)   {:8.1} ms",
        ms(bare)
    );
    println!(
        "validate (parse + decode + checks)           {:8.1} ms  {:.2}x bare",
        ms(validate_only),
        ratio(validate_only)
    );
    println!(
        "validate + plan, empty state (all new)       {:8.1} ms  {:.2}x bare",
        ms(first_plan),
        ratio(first_plan)
    );
    println!(
        "validate + plan, every image changed         {:8.1} ms  {:.2}x bare",
        ms(update_plan),
        ratio(update_plan)
    );
    println!(
        "validate + plan, no changes                  {:8.1} ms  {:.2}x bare",
        ms(noop_plan),
        ratio(noop_plan)
    );
    println!("target: plan <= 100 ms and <= 3x the bare parse");
}
