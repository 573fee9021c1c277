//! Many hosts over SSH, on the rig (three real Docker hosts in network namespaces): placement
//! strategies and constraints, host loss and return, draining, strict host keys, and the
//! day-2 commands across hosts.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::Env;
use common::docker::{IMAGE, wait_for};
use common::rig::RigCluster;

fn app(cluster: &RigCluster, count: u32, memory: u32, service_extra: &str) -> String {
    format!(
        "{}apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: app }}
spec:
  containerDefinitions:
    - {{ name: app, image: {IMAGE}, memory: {memory}, stopTimeout: 2, command: [sh, -c, \"echo up on $HOSTNAME; trap 'exit 0' TERM; sleep 600 & wait\"] }}
---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: app, cluster: {} }}
spec:
  desiredCount: {count}
{service_extra}",
        cluster.rig.cluster(&cluster.name, ""),
        cluster.name
    )
}

fn with_capacity(cluster: &RigCluster, body: &str) -> String {
    // Same as `app`, with every host registering 1024 MiB.
    body.replace(
        &cluster.rig.cluster(&cluster.name, ""),
        &cluster.rig.cluster(
            &cluster.name,
            "      capacity: { cpu: 4096, memory: 1024 }\n",
        ),
    )
}

fn ecsctl(env: &Env, cluster: &RigCluster, args: &[&str]) -> common::Run {
    env.run_with(args, &[("ECSCTL_SSH", cluster.rig.ssh())])
}

/// `apply -f m --wait 90s`, which must succeed; returns its output.
fn apply_ok(env: &Env, cluster: &RigCluster) -> common::Run {
    let apply = ecsctl(
        env,
        cluster,
        &["apply", "-f", "m", "--auto-approve", "--wait", "90s"],
    );
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    apply
}

/// A `watch` of the cluster that gives up on a silent host after 5 s and looks every 2 s.
fn impatient_watch(env: &Env, cluster: &RigCluster) -> common::Background {
    let watch = env.spawn(
        &[
            "watch",
            "--cluster",
            &cluster.name,
            "--host-grace",
            "5s",
            "--resync",
            "2s",
        ],
        &[("ECSCTL_SSH", cluster.rig.ssh())],
    );
    std::thread::sleep(Duration::from_secs(2));
    watch
}

#[test]
fn spread_over_zones_puts_two_tasks_on_each_host() {
    let cluster = RigCluster::new("spread");
    let env = Env::new();
    env.write(
        "m/app.yaml",
        &app(
            &cluster,
            6,
            32,
            "  placementStrategy: [{ type: spread, field: \"attribute:zone\" }]\n",
        ),
    );
    apply_ok(&env, &cluster);
    assert_eq!(cluster.spread(), [2, 2, 2]);
    // Every host answers, with its capacity and tasks.
    let hosts = ecsctl(
        &env,
        &cluster,
        &["get", "hosts", "--cluster", &cluster.name, "-o", "json"],
    );
    let list: serde_json::Value = serde_json::from_str(&hosts.stdout).expect("json");
    for host in list.as_array().expect("list") {
        assert_eq!(host["status"], "ACTIVE");
        assert_eq!(host["runningTasks"], 2);
        assert!(host["registeredCpu"].as_i64().expect("cpu") >= 1024);
        assert_eq!(
            host["registeredMemory"].as_i64().expect("memory")
                - host["remainingMemory"].as_i64().expect("remaining"),
            64
        );
    }
}

#[test]
fn binpack_fills_one_host_first() {
    let cluster = RigCluster::new("binpack");
    let env = Env::new();
    let body = app(
        &cluster,
        3,
        300,
        "  placementStrategy: [{ type: binpack, field: memory }]\n",
    );
    env.write("m/app.yaml", &with_capacity(&cluster, &body));
    apply_ok(&env, &cluster);
    let mut spread = cluster.spread();
    spread.sort();
    assert_eq!(
        spread,
        [0, 0, 3],
        "three 300 MiB tasks fit on one 1024 MiB host"
    );
    // A fourth does not fit there any more: binpack takes the next host.
    env.write(
        "m/app.yaml",
        &with_capacity(
            &cluster,
            &app(
                &cluster,
                4,
                300,
                "  placementStrategy: [{ type: binpack, field: memory }]\n",
            ),
        ),
    );
    apply_ok(&env, &cluster);
    let mut spread = cluster.spread();
    spread.sort();
    assert_eq!(spread, [0, 1, 3]);
}

#[test]
fn distinct_instance_leaves_the_fourth_task_pending_with_the_reason() {
    let cluster = RigCluster::new("distinct");
    let env = Env::new();
    env.write(
        "m/app.yaml",
        &app(
            &cluster,
            4,
            32,
            "  placementConstraints: [{ type: distinctInstance }]\n",
        ),
    );
    let apply = ecsctl(
        &env,
        &cluster,
        &["apply", "-f", "m", "--auto-approve", "--wait", "15s"],
    );
    assert_eq!(
        apply.code, 1,
        "4 tasks cannot be steady on 3 distinct hosts"
    );
    assert!(
        apply.stderr.contains("1 cannot be placed"),
        "{}",
        apply.stderr
    );
    assert_eq!(cluster.spread(), [1, 1, 1]);
    let describe = ecsctl(
        &env,
        &cluster,
        &["describe", "service", "app", "--cluster", &cluster.name],
    );
    assert!(
        describe.stdout.contains("(service app) was unable to place a task because no host met all of its requirements: every host that qualifies already runs a task of this service (distinctInstance)."),
        "{}",
        describe.stdout
    );
    let services = ecsctl(
        &env,
        &cluster,
        &["get", "services", "--cluster", &cluster.name, "-o", "json"],
    );
    let list: serde_json::Value = serde_json::from_str(&services.stdout).expect("json");
    assert_eq!(list[0]["runningCount"], 3);
    assert_eq!(list[0]["pendingCount"], 1);
}

#[test]
fn member_of_keeps_tasks_on_the_matching_hosts() {
    let cluster = RigCluster::new("memberof");
    let env = Env::new();
    env.write(
        "m/app.yaml",
        &app(&cluster, 4, 32, "  placementConstraints: [{ type: memberOf, expression: \"attribute:zone in [z1, z3]\" }]\n  placementStrategy: [{ type: spread, field: instanceId }]\n"),
    );
    apply_ok(&env, &cluster);
    assert_eq!(cluster.spread(), [2, 0, 2]);
}

#[test]
fn a_lost_host_is_replaced_and_its_surplus_stopped_when_it_returns() {
    let cluster = RigCluster::new("loss");
    let env = Env::new();
    let service = "  placementStrategy: [{ type: spread, field: instanceId }]\n  deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 150 }\n";
    env.write("m/app.yaml", &app(&cluster, 6, 32, service));
    apply_ok(&env, &cluster);
    assert_eq!(cluster.spread(), [2, 2, 2]);
    let mut watch = impatient_watch(&env, &cluster);
    cluster.rig.fault("kill-docker", 2);
    // Within the grace period and one resync the lost tasks run elsewhere.
    wait_for(
        "the lost tasks to run on the other hosts",
        Duration::from_secs(30),
        || {
            let s = cluster.spread();
            s[0] + s[2] == 6
        },
    );
    // The host comes back with its old containers (live restore): surplus. A sampler counts
    // what runs on every host from then on: never above maximumPercent (150% of 6).
    let stop = Arc::new(AtomicBool::new(false));
    let high = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let (stop, high) = (stop.clone(), high.clone());
        let name = cluster.name.clone();
        let rig = cluster.rig;
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let total: usize = (1..=3).map(|i| rig.running(i, &name)).sum();
                high.fetch_max(total, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    cluster.rig.fault("start-docker", 2);
    wait_for("the surplus to be stopped", Duration::from_secs(40), || {
        let s = cluster.spread();
        s.iter().sum::<usize>() == 6
    });
    std::thread::sleep(Duration::from_secs(3));
    stop.store(true, Ordering::Relaxed);
    sampler.join().expect("sampler");
    let highest = high.load(Ordering::Relaxed);
    assert!(
        highest <= 9,
        "above maximumPercent after the heal: {highest}"
    );
    // ...and the spread service rebalances onto the returned host.
    wait_for("a balanced spread again", Duration::from_secs(60), || {
        cluster.spread() == [2, 2, 2]
    });
    let log = watch.log();
    watch.stop();
    assert!(log.contains("host `h2` does not answer"), "{log}");
    assert!(log.contains("host `h2` answers again"), "{log}");
}

#[test]
fn a_silent_host_is_unreachable_while_the_others_carry_on() {
    // A host whose traffic is silently dropped (no refusal, no reset: connections just hang)
    // must not hold up the work on the other hosts.
    let cluster = RigCluster::new("silent");
    let env = Env::new();
    let service = "  placementStrategy: [{ type: spread, field: instanceId }]\n  deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 }\n";
    env.write("m/app.yaml", &app(&cluster, 3, 32, service));
    apply_ok(&env, &cluster);
    assert_eq!(cluster.spread(), [1, 1, 1]);
    let mut watch = impatient_watch(&env, &cluster);
    cluster.rig.fault("drop", 3);
    let healed = std::panic::catch_unwind(|| {
        // Meanwhile the service is scaled up: the answering hosts get the new tasks.
        let scale = ecsctl(
            &env,
            &cluster,
            &[
                "scale",
                "service/app",
                "5",
                "--cluster",
                &cluster.name,
                "--no-wait",
            ],
        );
        assert_eq!(scale.code, 0, "{}", scale.stderr);
        wait_for("5 tasks on h1 and h2", Duration::from_secs(45), || {
            let s = cluster.spread();
            s[0] + s[1] == 5
        });
        let hosts = ecsctl(
            &env,
            &cluster,
            &["get", "hosts", "--cluster", &cluster.name, "-o", "json"],
        );
        let list: serde_json::Value = serde_json::from_str(&hosts.stdout).expect("json");
        let status = |name: &str| {
            list.as_array()
                .expect("list")
                .iter()
                .find(|h| h["name"] == name)
                .map(|h| h["status"].clone())
        };
        assert_eq!(status("h3"), Some("UNREACHABLE".into()), "{}", hosts.stdout);
        assert_eq!(status("h1"), Some("ACTIVE".into()));
    });
    cluster.rig.fault("undrop", 3);
    if let Err(panic) = healed {
        watch.stop();
        std::panic::resume_unwind(panic);
    }
    // Back: its old task is surplus, and the spread evens out again.
    wait_for("5 tasks spread 2/2/1", Duration::from_secs(60), || {
        let mut s = cluster.spread();
        s.sort();
        s == [1, 2, 2]
    });
    let log = watch.log();
    watch.stop();
    assert!(log.contains("host `h3` does not answer"), "{log}");
    assert!(log.contains("host `h3` answers again"), "{log}");
}

#[test]
fn draining_a_host_moves_its_tasks_elsewhere_first() {
    let cluster = RigCluster::new("drain");
    let env = Env::new();
    env.write(
        "m/app.yaml",
        &app(
            &cluster,
            3,
            32,
            "  placementStrategy: [{ type: spread, field: instanceId }]\n",
        ),
    );
    apply_ok(&env, &cluster);
    assert_eq!(cluster.spread(), [1, 1, 1]);
    let drain = ecsctl(
        &env,
        &cluster,
        &[
            "drain",
            "host",
            "h1",
            "--cluster",
            &cluster.name,
            "--wait",
            "90s",
        ],
    );
    assert_eq!(drain.code, 0, "{}", drain.stderr);
    let s = cluster.spread();
    assert_eq!((s[0], s[1] + s[2]), (0, 3), "{s:?}");
    let hosts = ecsctl(
        &env,
        &cluster,
        &["get", "hosts", "--cluster", &cluster.name],
    );
    assert!(
        hosts
            .stdout
            .lines()
            .any(|l| l.contains(" h1 ") && l.contains("DRAINING")),
        "{}",
        hosts.stdout
    );
    let events = ecsctl(
        &env,
        &cluster,
        &["events", "service/app", "--cluster", &cluster.name],
    );
    assert!(
        events.stdout.contains("host `h1` is DRAINING"),
        "{}",
        events.stdout
    );
    let undrain = ecsctl(
        &env,
        &cluster,
        &[
            "undrain",
            "host",
            "h1",
            "--cluster",
            &cluster.name,
            "--wait",
            "90s",
        ],
    );
    assert_eq!(undrain.code, 0, "{}", undrain.stderr);
    assert_eq!(cluster.spread(), [1, 1, 1], "h1 has its share again");
}

#[test]
fn a_daemon_service_runs_one_task_on_every_active_host() {
    let cluster = RigCluster::new("daemon");
    let env = Env::new();
    env.write(
        "m/app.yaml",
        &app(&cluster, 0, 32, "  schedulingStrategy: DAEMON\n"),
    );
    apply_ok(&env, &cluster);
    assert_eq!(cluster.spread(), [1, 1, 1]);
    // A drained host keeps no daemon task.
    let drain = ecsctl(
        &env,
        &cluster,
        &[
            "drain",
            "host",
            "h2",
            "--cluster",
            &cluster.name,
            "--wait",
            "90s",
        ],
    );
    assert_eq!(drain.code, 0, "{}", drain.stderr);
    assert_eq!(cluster.spread(), [1, 0, 1]);
    let services = ecsctl(
        &env,
        &cluster,
        &["get", "services", "--cluster", &cluster.name, "-o", "json"],
    );
    let list: serde_json::Value = serde_json::from_str(&services.stdout).expect("json");
    assert_eq!(list[0]["runningCount"], 2, "{}", services.stdout);
}

#[test]
fn day_two_commands_work_across_hosts() {
    let cluster = RigCluster::new("day2");
    let env = Env::new();
    env.write(
        "m/app.yaml",
        &app(
            &cluster,
            3,
            32,
            "  placementStrategy: [{ type: spread, field: instanceId }]\n",
        ),
    );
    apply_ok(&env, &cluster);
    let tasks = ecsctl(
        &env,
        &cluster,
        &["get", "tasks", "--cluster", &cluster.name, "-o", "json"],
    );
    let list: serde_json::Value = serde_json::from_str(&tasks.stdout).expect("json");
    let hosts: std::collections::BTreeSet<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|t| t["host"].as_str().expect("host"))
        .collect();
    assert_eq!(hosts.len(), 3, "one task on each host");
    let logs = ecsctl(
        &env,
        &cluster,
        &["logs", "service/app", "--cluster", &cluster.name],
    );
    assert_eq!(
        logs.stdout
            .lines()
            .filter(|l| l.contains("| up on "))
            .count(),
        3,
        "{}",
        logs.stdout
    );
    let on_h3 = list
        .as_array()
        .expect("list")
        .iter()
        .find(|t| t["host"] == "h3")
        .expect("task on h3");
    let exec = ecsctl(
        &env,
        &cluster,
        &[
            "exec",
            &format!("task/{}", on_h3["id"].as_str().expect("id")),
            "--",
            "sh",
            "-c",
            "exit 9",
        ],
    );
    assert_eq!(exec.code, 9, "{}", exec.stderr);
}

#[test]
fn unknown_host_keys_are_refused() {
    let cluster = RigCluster::new("hostkey");
    let env = Env::new();
    // An ssh that knows no host keys at all.
    let config = env.path("ssh_config");
    let rig_config =
        std::fs::read_to_string(cluster.rig.var("RIG_SSH_CONFIG")).expect("rig ssh config");
    let empty_known = env.path("known_hosts");
    std::fs::write(&empty_known, "").expect("empty known_hosts");
    let strict = rig_config
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("UserKnownHostsFile") {
                format!("  UserKnownHostsFile {}", empty_known.display())
            } else if l.trim_start().starts_with("StrictHostKeyChecking") {
                "  StrictHostKeyChecking accept-new".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&config, strict).expect("config");
    let wrapper = env.path("ssh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec /usr/bin/ssh -F {} \"$@\"\n",
            config.display()
        ),
    )
    .expect("wrapper");
    std::process::Command::new("chmod")
        .args(["+x", &wrapper.display().to_string()])
        .status()
        .expect("chmod");
    env.write("m/app.yaml", &app(&cluster, 1, 32, ""));
    let apply = env.run_with(
        &["apply", "-f", "m", "--auto-approve", "--wait", "10s"],
        &[("ECSCTL_SSH", wrapper.to_str().expect("path"))],
    );
    assert_eq!(apply.code, 1);
    assert!(
        apply.stderr.contains("refuses unknown hosts"),
        "{}",
        apply.stderr
    );
    assert!(
        apply
            .stderr
            .contains("ssh-keyscan -p 22 10.250.1.2 >> ~/.ssh/known_hosts"),
        "{}",
        apply.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&empty_known).expect("known_hosts"),
        "",
        "nothing was trusted"
    );
    assert_eq!(cluster.spread(), [0, 0, 0]);
}

#[test]
fn no_ssh_process_outlives_ecsctl() {
    let cluster = RigCluster::new("ssh");
    let env = Env::new();
    env.write("m/app.yaml", &app(&cluster, 1, 32, ""));
    let unshared = [
        ("ECSCTL_SSH", cluster.rig.ssh()),
        ("ECSCTL_SSH_PERSIST", "0"),
    ];
    let mut watch = env.spawn(&["watch", "-f", "m"], &unshared);
    wait_for("the task", Duration::from_secs(30), || {
        cluster.spread().iter().sum::<usize>() == 1
    });
    let pid = watch.child.id();
    let tunnels = || -> usize {
        let out = std::process::Command::new("ps")
            .args(["-eo", "args"])
            .output()
            .expect("ps");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains(&format!("ecsctl-{pid}-")))
            .count()
    };
    assert_eq!(tunnels(), 3, "one ssh connection per host");
    // Even a SIGKILL takes the ssh processes with it.
    watch.child.kill().expect("kill -9");
    let _ = watch.child.wait();
    wait_for("the ssh processes to go", Duration::from_secs(5), || {
        tunnels() == 0
    });
    // Nothing ran to unlink its tunnel sockets; the next ecsctl sweeps them.
    let sockets = || -> usize {
        std::fs::read_dir(std::env::temp_dir())
            .expect("temp dir")
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("ecsctl-{pid}-"))
            })
            .count()
    };
    let hosts = env.run_with(&["get", "hosts", "--cluster", &cluster.name], &unshared);
    assert_eq!(hosts.code, 0, "{}", hosts.stderr);
    assert_eq!(sockets(), 0, "swept by the next ecsctl");
}

/// The control sockets a command left in the state directory.
fn control_sockets(env: &Env) -> Vec<std::path::PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir(env.state_dir().join("ssh"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "sock"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// `ssh -O check` of a control socket: the master's pid when one answers.
fn master_pid(cluster: &RigCluster, control: &std::path::Path) -> Option<u32> {
    let out = std::process::Command::new(cluster.rig.ssh())
        .arg("-o")
        .arg(format!("ControlPath={}", control.display()))
        .args(["-O", "check", "rig"])
        .output()
        .expect("ssh -O check");
    let said = String::from_utf8_lossy(&out.stderr);
    out.status
        .success()
        .then(|| said.split("(pid=").nth(1)?.split(')').next()?.parse().ok())
        .flatten()
}

/// Ends the masters a test left (they would end by themselves after the persist time).
fn stop_masters(cluster: &RigCluster, env: &Env) {
    for control in control_sockets(env) {
        let _ = std::process::Command::new(cluster.rig.ssh())
            .arg("-o")
            .arg(format!("ControlPath={}", control.display()))
            .args(["-O", "exit", "rig"])
            .output();
    }
}

fn gone(pid: u32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn a_second_command_reuses_the_connection_the_first_left() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let cluster = RigCluster::new("mux");
    let env = Env::new();
    let shared = [
        ("ECSCTL_SSH", cluster.rig.ssh()),
        ("ECSCTL_SSH_PERSIST", "30"),
    ];
    env.write("m/app.yaml", &app(&cluster, 0, 32, ""));
    let apply = env.run_with(&["apply", "-f", "m", "--auto-approve"], &shared);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let dir = env.state_dir().join("ssh");
    let mode = |p: &std::path::Path| {
        std::fs::symlink_metadata(p)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&dir), 0o700);
    let controls = control_sockets(&env);
    assert_eq!(controls.len(), 3, "one master per host: {controls:?}");
    let masters: Vec<u32> = controls
        .iter()
        .map(|c| {
            let meta = std::fs::symlink_metadata(c).expect("metadata");
            assert!(meta.file_type().is_socket(), "{}", c.display());
            assert_eq!(mode(c), 0o600, "{}", c.display());
            master_pid(&cluster, c).expect("a live master")
        })
        .collect();
    let hosts = env.run_with(&["get", "hosts", "--cluster", &cluster.name], &shared);
    assert_eq!(hosts.code, 0, "{}", hosts.stderr);
    assert_eq!(
        hosts.stdout.matches("ACTIVE").count(),
        3,
        "{}",
        hosts.stdout
    );
    let after: Vec<Option<u32>> = controls.iter().map(|c| master_pid(&cluster, c)).collect();
    assert_eq!(
        after,
        masters.iter().copied().map(Some).collect::<Vec<_>>(),
        "the second command used the masters the first left"
    );
    // A master killed without a chance to clean up leaves its socket: the next command
    // notices nobody answers and replaces it.
    let (stale, dead) = (&controls[0], masters[0]);
    // SAFETY: signalling, by pid, the master this test's ecsctl started.
    unsafe { libc::kill(dead as i32, libc::SIGKILL) };
    wait_for("the master to die", Duration::from_secs(5), || gone(dead));
    assert!(stale.exists(), "a SIGKILLed master leaves its socket");
    assert_eq!(master_pid(&cluster, stale), None);
    let tasks = env.run_with(&["get", "tasks", "--cluster", &cluster.name], &shared);
    assert_eq!(tasks.code, 0, "{}", tasks.stderr);
    let replaced = master_pid(&cluster, stale).expect("a new master at the same socket");
    assert_ne!(replaced, dead);
    assert_eq!(mode(stale), 0o600);
    stop_masters(&cluster, &env);
}

#[test]
fn a_killed_ecsctl_leaves_no_master_past_the_persist_time() {
    let cluster = RigCluster::new("persist");
    let env = Env::new();
    env.write("m/app.yaml", &app(&cluster, 1, 32, ""));
    let shared = [
        ("ECSCTL_SSH", cluster.rig.ssh()),
        ("ECSCTL_SSH_PERSIST", "3"),
    ];
    let mut watch = env.spawn(&["watch", "-f", "m"], &shared);
    wait_for("the task", Duration::from_secs(30), || {
        cluster.spread().iter().sum::<usize>() == 1
    });
    let masters: Vec<u32> = control_sockets(&env)
        .iter()
        .filter_map(|c| master_pid(&cluster, c))
        .collect();
    assert_eq!(masters.len(), 3, "one master per host");
    watch.child.kill().expect("kill -9");
    let _ = watch.child.wait();
    wait_for("the masters to end", Duration::from_secs(12), || {
        masters.iter().all(|pid| gone(*pid))
    });
}

/// Regression: `get tasks` with a silent host exited 0. It still lists what the answering
/// hosts run, names the silent host, and exits 1.
#[test]
fn get_tasks_exits_one_and_names_a_silent_host() {
    let cluster = RigCluster::new("quiet");
    let env = Env::new();
    let service = "  placementStrategy: [{ type: spread, field: instanceId }]\n";
    env.write("m/app.yaml", &app(&cluster, 3, 32, service));
    apply_ok(&env, &cluster);
    assert_eq!(cluster.spread(), [1, 1, 1]);
    cluster.rig.fault("drop", 3);
    let seen = std::panic::catch_unwind(|| {
        let tasks = ecsctl(
            &env,
            &cluster,
            &["get", "tasks", "--cluster", &cluster.name, "-o", "json"],
        );
        assert_eq!(tasks.code, 1, "{}", tasks.stderr);
        assert!(tasks.stderr.contains("host `h3`"), "{}", tasks.stderr);
        let list: serde_json::Value = serde_json::from_str(&tasks.stdout).expect("json");
        let hosts: Vec<&str> = list
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|t| t["host"].as_str())
            .collect();
        assert_eq!(hosts, ["h1", "h2"], "{}", tasks.stdout);
    });
    cluster.rig.fault("undrop", 3);
    if let Err(panic) = seen {
        std::panic::resume_unwind(panic);
    }
    let again = ecsctl(
        &env,
        &cluster,
        &["get", "tasks", "--cluster", &cluster.name],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
}

/// Regression: run-task had a scheduler of its own that counted every connected host as
/// ACTIVE, so it placed one-off tasks on DRAINING hosts. It now places over the reconciler's
/// host views, whether it reconciles itself or a watch holds the cluster.
#[test]
fn run_task_never_places_on_a_draining_host() {
    let cluster = RigCluster::new("rtdrain");
    let env = Env::new();
    env.write("m/app.yaml", &app(&cluster, 0, 32, ""));
    apply_ok(&env, &cluster);
    let drain = ecsctl(
        &env,
        &cluster,
        &[
            "drain",
            "host",
            "h1",
            "--cluster",
            &cluster.name,
            "--wait",
            "60s",
        ],
    );
    assert_eq!(drain.code, 0, "{}", drain.stderr);
    let run = ecsctl(
        &env,
        &cluster,
        &[
            "run-task",
            "app",
            "--cluster",
            &cluster.name,
            "--count",
            "4",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout.lines().count(),
        4,
        "one task id per line: {}",
        run.stdout
    );
    let s = cluster.spread();
    assert_eq!((s[0], s[1] + s[2]), (0, 4), "{s:?}");

    // With a watch holding the lease, run-task only launches; the placement is the same.
    let _watch = impatient_watch(&env, &cluster);
    let run = ecsctl(
        &env,
        &cluster,
        &[
            "run-task",
            "app",
            "--cluster",
            &cluster.name,
            "--count",
            "2",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let s = cluster.spread();
    assert_eq!((s[0], s[1] + s[2]), (0, 6), "{s:?}");
}

/// Regression: run-task gave its scheduler hosts without attributes, so `memberOf` on
/// `attribute:` never matched. `--placement-constraint` (as `aws ecs run-task
/// --placement-constraints`) is honoured against the hosts' attributes.
#[test]
fn run_task_honours_member_of_placement_constraints() {
    let cluster = RigCluster::new("rtmember");
    let env = Env::new();
    env.write("m/app.yaml", &app(&cluster, 0, 32, ""));
    apply_ok(&env, &cluster);
    let run = ecsctl(
        &env,
        &cluster,
        &[
            "run-task",
            "app",
            "--cluster",
            &cluster.name,
            "--count",
            "3",
            "--placement-constraint",
            "type=memberOf,expression=attribute:zone == z3",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(cluster.spread(), [0, 0, 3]);
    let nowhere = ecsctl(
        &env,
        &cluster,
        &[
            "run-task",
            "app",
            "--cluster",
            &cluster.name,
            "--placement-constraint",
            "attribute:zone == z9",
        ],
    );
    assert_ne!(nowhere.code, 0);
    assert!(
        nowhere.stderr.contains("unable to place a task"),
        "{}",
        nowhere.stderr
    );
    assert_eq!(cluster.spread(), [0, 0, 3], "nothing was launched");
}
