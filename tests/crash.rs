//! A crash at any instant leaves the previous state or the next one, never a torn one:
//! `ecsctl apply` is killed with SIGKILL at random instants (≥ 200 trials; set
//! `ECSCTL_CRASH_TRIALS` for more), and after every kill the state must parse and be exactly
//! the state before, or a complete state for the manifests being applied.

mod common;

use std::path::Path;
use std::time::Instant;

use common::Env;
use ecsctl::diagnostics::Diagnostics;
use ecsctl::model::load::load;
use ecsctl::model::normalize::Desired;
use ecsctl::plan::compute;
use ecsctl::state::State;
use rand::RngExt;

/// Many objects, so that writing the state takes long enough to be interrupted.
fn write_manifests(env: &Env, dir: &str, image: &str) {
    let mut text = String::new();
    for i in 0..300 {
        text.push_str(&format!(
            "apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {{name: app{i}}}\nspec:\n  containerDefinitions:\n    - name: app\n      image: {image}\n      environment: [{{name: INDEX, value: '{i}'}}]\n---\napiVersion: ecsctl/v1\nkind: Service\nmetadata: {{name: app{i}}}\nspec: {{desiredCount: 2}}\n---\n"
        ));
    }
    env.write(&format!("{dir}/all.yaml"), &text);
}

fn desired(manifests: &Path) -> Desired {
    let mut diagnostics = Diagnostics::new();
    let known = ecsctl::model::validate::Known::default();
    let loaded = load(&[manifests.display().to_string()], &known, &mut diagnostics);
    assert!(!diagnostics.has_errors());
    Desired::from_set(&loaded.set)
}

fn state_matches(state: &State, desired: &Desired) -> bool {
    let plan = compute(Some(state), desired, false, "test").expect("plan");
    !plan.has_changes()
}

#[test]
fn sigkill_at_any_instant_leaves_the_old_or_the_new_state() {
    let trials: usize = std::env::var("ECSCTL_CRASH_TRIALS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(200);
    let env = Env::new();
    write_manifests(&env, "a", "app:1");
    write_manifests(&env, "b", "app:2");
    let targets = [env.path("a"), env.path("b")];
    let wanted = [desired(&targets[0]), desired(&targets[1])];

    // A full apply that changes everything, timed, to spread the kills over its duration.
    let run = env.run(&["apply", "--no-converge", "-f", "a", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let started = Instant::now();
    let run = env.run(&["apply", "--no-converge", "-f", "b", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let full = started.elapsed();

    let state_file = env.state_dir().join("state.json");
    // Every trial starts from the same state (the manifests `a`) and applies `b`, so the work
    // per apply stays the same however many trials run.
    let run = env.run(&["apply", "--no-converge", "-f", "a", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let before_bytes = std::fs::read(&state_file).expect("state exists");
    let before = env.read_state().expect("state parses");
    let (mut kept_old, mut got_new, mut finished_first) = (0, 0, 0);
    let mut scale = 1.0_f64;
    let mut rng = rand::rng();
    for trial in 0..trials {
        std::fs::write(&state_file, &before_bytes).expect("restore the state");
        let mut child = env
            .command(&["apply", "--no-converge", "-f", "b", "--auto-approve"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn apply");
        // The kill instant adapts so that kills cluster around the moment the new state is
        // written: later after a kill that left the old state, earlier after one that did not.
        let delay = full.mul_f64(scale * rng.random_range(0.5..1.5));
        std::thread::sleep(delay);
        if child.try_wait().ok().flatten().is_some() {
            finished_first += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();

        let after_bytes = std::fs::read(&state_file).expect("state still exists");
        let after: State = ecsctl::state::store::parse_state(
            &String::from_utf8(after_bytes.clone()).expect("utf-8"),
        )
        .unwrap_or_else(|e| {
            panic!("trial {trial}: the state does not parse after SIGKILL at {delay:?}: {e:#}")
        });
        if after.serial == before.serial {
            assert_eq!(
                after_bytes, before_bytes,
                "trial {trial}: same serial but different content"
            );
            kept_old += 1;
            scale *= 1.1;
        } else {
            assert_eq!(
                after.serial,
                before.serial + 1,
                "trial {trial}: serial jumped"
            );
            assert_eq!(
                after.lineage, before.lineage,
                "trial {trial}: lineage changed"
            );
            assert!(
                state_matches(&after, &wanted[1]),
                "trial {trial}: a new state that is not the applied one"
            );
            got_new += 1;
            scale *= 0.85;
        }
    }
    println!(
        "{trials} SIGKILLs of apply (full apply {full:?}; {finished_first} had already finished): {kept_old} left the old state, {got_new} the new one, 0 torn"
    );
    assert_eq!(kept_old + got_new, trials);
    assert!(
        kept_old > 0 && got_new > 0,
        "kills should land both before and after the write ({kept_old}/{got_new})"
    );
    // Stale temporary files from killed writers never break the next apply.
    let run = env.run(&["apply", "--no-converge", "-f", "b", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}
