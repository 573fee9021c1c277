//! The shared state in PostgreSQL (on the server tests/run.sh starts on loopback): concurrent
//! applies lose no update, a killed apply leaves the old or the new state, `state migrate`
//! moves a state both ways unchanged, a read-only role plans, and of two watches one
//! reconciles while the other stands by and takes over when the holder is killed.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::Env;
use common::docker::{IMAGE, TestCluster, docker_ok, wait_for};
use common::postgres::{TestDb, store};

fn task_definition() -> String {
    format!(
        "apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: sleeper }}
spec:
  containerDefinitions:
    - {{ name: main, image: {IMAGE}, command: [sh, -c, \"trap 'exit 0' TERM; sleep 3600 & wait\"], memory: 16, stopTimeout: 2 }}
"
    )
}

fn service(name: &str, cluster: &str, count: u32) -> String {
    format!(
        "---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: {name}, cluster: {cluster} }}
spec: {{ taskDefinition: sleeper, desiredCount: {count} }}
"
    )
}

fn cluster_manifest(name: &str) -> String {
    format!(
        "apiVersion: ecsctl/v1\nkind: Cluster\nmetadata: {{ name: {name} }}\nspec:\n  hosts:\n    - {{ name: local, endpoint: local }}\n---\n"
    )
}

#[test]
fn fifty_concurrent_applies_lose_no_update() {
    let db = TestDb::new();
    let env = Env::new();
    env.write("base.yaml", &task_definition());
    let first = env.run(&[
        "--state",
        &db.url,
        "apply",
        "--no-converge",
        "--auto-approve",
        "-f",
        "base.yaml",
    ]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let before = db.read_state().expect("state").serial;
    let children: Vec<_> = (0..50)
        .map(|i| {
            let file = env.write(
                &format!("m{i}.yaml"),
                &format!(
                    "{}{}",
                    task_definition(),
                    service(&format!("svc-{i}"), "default", 0)
                ),
            );
            env.command(&[
                "--state",
                &db.url,
                "apply",
                "--no-converge",
                "--auto-approve",
                "--lock-timeout",
                "300s",
                "-f",
                &file.display().to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn apply")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("apply ends");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let state = db.read_state().expect("state");
    let services = state.services.get("default").expect("services");
    for i in 0..50 {
        assert!(services.contains_key(&format!("svc-{i}")), "svc-{i} lost");
    }
    assert_eq!(state.serial, before + 50);
}

#[test]
fn an_apply_killed_at_any_instant_leaves_the_old_or_the_new_state() {
    let db = TestDb::new();
    let env = Env::new();
    env.write("base.yaml", &task_definition());
    let first = env.run(&[
        "--state",
        &db.url,
        "apply",
        "--no-converge",
        "--auto-approve",
        "-f",
        "base.yaml",
    ]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let mut moved = 0;
    for i in 0..12u64 {
        let before = db.read_state().expect("state");
        let file = env.write(
            &format!("k{i}.yaml"),
            &format!(
                "{}{}",
                task_definition(),
                service(&format!("k-{i}"), "default", 0)
            ),
        );
        let mut child = env
            .command(&[
                "--state",
                &db.url,
                "apply",
                "--no-converge",
                "--auto-approve",
                "-f",
                &file.display().to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn apply");
        std::thread::sleep(Duration::from_millis(rand::random::<u64>() % 120 + i * 10));
        let _ = child.kill();
        let _ = child.wait();
        let after = db.read_state().expect("the state parses");
        let added = after.service("default", &format!("k-{i}")).is_some();
        if after.serial == before.serial {
            assert_eq!(after, before, "same serial, same state");
        } else {
            assert_eq!(after.serial, before.serial + 1);
            assert!(added, "a new serial without the new service");
            moved += 1;
        }
    }
    eprintln!("{moved} of 12 killed applies had committed");
}

#[test]
fn a_read_only_role_plans_and_a_held_lock_names_its_holder() {
    let db = TestDb::new();
    let env = Env::new();
    env.write(
        "m.yaml",
        &format!("{}{}", task_definition(), service("web", "default", 0)),
    );
    let empty = env.run(&["--state", &db.ro_url, "plan", "-f", "m.yaml"]);
    assert_eq!(
        empty.code, 0,
        "a read-only plan of an empty database: {}",
        empty.stderr
    );
    let apply = env.run(&[
        "--state",
        &db.url,
        "apply",
        "--no-converge",
        "--auto-approve",
        "-f",
        "m.yaml",
    ]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let plan = env.run(&[
        "--state",
        &db.ro_url,
        "plan",
        "--detailed-exitcode",
        "-f",
        "m.yaml",
    ]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let get = env.run(&["--state", &db.ro_url, "get", "services", "-o", "json"]);
    assert_eq!(get.code, 0, "{}", get.stderr);
    assert!(get.stdout.contains("\"web\""), "{}", get.stdout);
    let refused = env.run(&["--state", &db.ro_url, "scale", "service/web", "2"]);
    assert_eq!(refused.code, 1);
    assert!(
        !refused.stderr.contains("ecsctl-ro"),
        "no password: {}",
        refused.stderr
    );

    let held = store(&db.url).lock_state(Duration::ZERO).expect("lock");
    let blocked = env.run(&[
        "--state",
        &db.url,
        "apply",
        "--no-converge",
        "--auto-approve",
        "-f",
        "m.yaml",
    ]);
    assert_eq!(blocked.code, 1);
    let me = format!("the state is locked by pid {} on ", std::process::id());
    assert!(blocked.stderr.contains(&me), "{}", blocked.stderr);
    drop(held);
}

#[test]
fn state_migrate_moves_a_state_both_ways_unchanged() {
    let db = TestDb::new();
    let env = Env::new();
    env.write(
        "m.yaml",
        &format!("{}{}", task_definition(), service("web", "default", 0)),
    );
    let apply = env.run(&["apply", "--no-converge", "--auto-approve", "-f", "m.yaml"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let scale = env.run(&["scale", "service/web", "0", "--no-wait"]);
    assert_eq!(scale.code, 0, "{}", scale.stderr);
    let to_pg = env.run(&["state", "migrate", "--to", &db.url]);
    assert_eq!(to_pg.code, 0, "{}", to_pg.stderr);
    assert!(
        !to_pg.stderr.contains("ecsctl-test"),
        "no password: {}",
        to_pg.stderr
    );
    let back = env.path("back");
    let to_dir = env.run(&[
        "--state",
        &db.url,
        "state",
        "migrate",
        "--to",
        &back.display().to_string(),
    ]);
    assert_eq!(to_dir.code, 0, "{}", to_dir.stderr);
    let read = |p: &std::path::Path| std::fs::read_to_string(p).expect("read");
    assert_eq!(
        read(&back.join("state.json")),
        read(&env.state_dir().join("state.json"))
    );
    let runtimes: Vec<_> = std::fs::read_dir(env.state_dir().join("runtime"))
        .expect("runtime dir")
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().ends_with(".json"))
        .collect();
    assert!(!runtimes.is_empty());
    for name in runtimes {
        assert_eq!(
            read(&back.join("runtime").join(&name)),
            read(&env.state_dir().join("runtime").join(&name)),
            "{name:?}"
        );
    }
    // Another state's target is refused unless forced.
    let other = Env::new();
    other.write("m.yaml", &task_definition());
    let applied = other.run(&["apply", "--no-converge", "--auto-approve", "-f", "m.yaml"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let refused = other.run(&["state", "migrate", "--to", &db.url]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("another state"),
        "{}",
        refused.stderr
    );
    let forced = other.run(&["state", "migrate", "--to", &db.url, "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
}

/// Which of two watches holds the lease: the other one says it stands by.
fn standby_of(a: &common::Background, b: &common::Background) -> Option<bool> {
    match (
        a.log().contains("standing by"),
        b.log().contains("standing by"),
    ) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

#[test]
fn of_two_watches_one_reconciles_and_the_other_takes_over_when_it_is_killed() {
    let cluster = TestCluster::new("pgwatch");
    let db = TestDb::new();
    let env = Env::new();
    env.write(
        "m/all.yaml",
        &format!(
            "{}{}{}",
            cluster_manifest(&cluster.name),
            task_definition(),
            service("web", &cluster.name, 2)
        ),
    );
    let apply = env.run(&[
        "--state",
        &db.url,
        "apply",
        "--auto-approve",
        "-f",
        "m",
        "--wait",
        "90s",
    ]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let mut a = env.spawn(
        &["--state", &db.url, "watch", "--cluster", &cluster.name],
        &[],
    );
    std::thread::sleep(Duration::from_secs(2));
    let mut b = env.spawn(
        &["--state", &db.url, "watch", "--cluster", &cluster.name],
        &[],
    );
    wait_for("one watch to stand by", Duration::from_secs(30), || {
        standby_of(&a, &b).is_some()
    });
    let (holder, survivor) = if standby_of(&a, &b) == Some(true) {
        (&mut b, &a)
    } else {
        (&mut a, &b)
    };
    assert_eq!(cluster.running("web").len(), 2);
    // kill -9: no release, the lease must expire.
    let _ = holder.child.kill();
    let _ = holder.child.wait();
    let victim = cluster.running("web")[0].clone();
    docker_ok(&["rm", "-f", &victim]);
    let killed = Instant::now();
    let mut most = 0;
    let mut replaced = None;
    while killed.elapsed() < Duration::from_secs(45) {
        let running = cluster.running("web");
        most = most.max(
            cluster
                .containers(&["label=ecsctl.service=web"], false)
                .len(),
        );
        if replaced.is_none() && running.len() == 2 && !running.contains(&victim) {
            replaced = Some(killed.elapsed());
        }
        if replaced.is_some_and(|r| killed.elapsed() > r + Duration::from_secs(8)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let replaced = replaced.unwrap_or_else(|| panic!("not replaced:\n{}", survivor.log()));
    eprintln!("failover: the killed task was replaced {replaced:?} after the holder was killed");
    assert!(
        survivor.log().contains("took over the reconciler lease"),
        "{}",
        survivor.log()
    );
    // Lease (10 s) + the standby's poll (1 s) + one pass.
    assert!(replaced < Duration::from_secs(20), "{replaced:?}");
    assert!(most <= 2, "at most 2 tasks at any time, saw {most}");
    assert_eq!(cluster.running("web").len(), 2);
}

#[test]
fn a_holder_cut_off_from_its_lease_is_fenced_and_told_it_lost_it() {
    let db = TestDb::new();
    let shared = store(&db.url);
    let first = shared
        .take_lease("prod", Duration::ZERO)
        .expect("first lease");
    let fenced = shared.fenced(&first);
    fenced
        .update_runtime("prod", "l", |r| r.services.len())
        .expect("the holder writes");
    let held = shared.take_lease("prod", Duration::ZERO).expect_err("held");
    assert!(
        held.to_string()
            .contains(&format!("pid {}", std::process::id())),
        "{held}"
    );
    // As if the holder had been partitioned past its lease: the row expires, a standby takes it.
    common::postgres::psql(
        &db.url,
        "UPDATE ecsctl_leases SET expires_at = now() - interval '1 second'",
    );
    let second = shared
        .take_lease("prod", Duration::ZERO)
        .expect("taken over");
    assert_eq!(second.lost().map(|l| *l.borrow()), Some(false));
    let refused = fenced
        .update_runtime("prod", "l", |r| r.services.len())
        .expect_err("an old generation's write");
    assert!(format!("{refused:#}").contains("taken over"), "{refused:#}");
    let mut lost = first.lost().expect("a database lease can be lost");
    wait_for(
        "the old holder to learn it lost the lease",
        Duration::from_secs(10),
        || *lost.borrow_and_update(),
    );
    shared
        .fenced(&second)
        .update_runtime("prod", "l", |r| r.services.len())
        .expect("the new holder writes");
}
