//! The executor against fake hosts: ordering, in-flight memory, failing hosts, launch
//! failures.

use std::sync::Mutex;

use super::*;
use crate::model::names::TaskDefRef;

#[derive(Default)]
struct FakeHost {
    calls: Mutex<Vec<String>>,
    /// Every operation waits forever (a host that hangs).
    hang: bool,
    fail_launch: Option<String>,
}

impl FakeHost {
    fn calls(&self) -> Vec<String> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    async fn call(&self, what: String) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(what);
        }
        if self.hang {
            std::future::pending::<()>().await;
        }
    }
}

#[async_trait::async_trait]
impl TaskHost for FakeHost {
    async fn launch(&self, plan: &LaunchPlan) -> Result<(), String> {
        self.call(format!("launch {}", plan.task_id)).await;
        self.fail_launch.clone().map_or(Ok(()), Err)
    }
    async fn start(&self, container: &str) -> anyhow::Result<()> {
        self.call(format!("start {container}")).await;
        Ok(())
    }
    async fn stop(&self, container: &str, timeout: Duration) -> anyhow::Result<()> {
        self.call(format!("stop {container} {}s", timeout.as_secs()))
            .await;
        Ok(())
    }
    async fn remove(&self, task_id: &str, cluster: &str) -> anyhow::Result<()> {
        self.call(format!("remove {task_id} {cluster}")).await;
        Ok(())
    }
}

fn hosts(list: &[(&str, Arc<FakeHost>)]) -> Hosts {
    list.iter()
        .map(|(name, h)| {
            let h: Arc<dyn TaskHost> = h.clone();
            (name.to_string(), h)
        })
        .collect()
}

fn step(action: Action) -> Step {
    Step {
        service: Some("web".into()),
        action,
    }
}

fn launch(host: &str, task_id: &str) -> Action {
    Action::Launch(LaunchTask {
        host: host.into(),
        task_id: task_id.into(),
        group: TaskGroup::Service("web".into()),
        deployment: Some("d1".into()),
        task_definition: TaskDefRef::pinned("web", 1),
    })
}

fn stop(host: &str, task_id: &str) -> Action {
    Action::Stop {
        host: host.into(),
        task_id: task_id.into(),
        containers: vec![
            ("c1".into(), Duration::from_secs(7)),
            ("c2".into(), Duration::from_secs(3)),
        ],
        last: vec![("pause".into(), Duration::from_secs(2))],
    }
}

fn plan(launch: &LaunchTask) -> Result<LaunchPlan, String> {
    Ok(LaunchPlan {
        architecture: String::new(),
        cluster: "default".into(),
        lineage: "l".into(),
        task_id: launch.task_id.clone(),
        group: launch.group.clone(),
        deployment: launch.deployment.clone(),
        family: launch.task_definition.family.clone(),
        revision: 1,
        spec: Default::default(),
        created_at: crate::time::Timestamp::from_unix_millis(0),
        secrets: BTreeMap::new(),
        registry_auth: BTreeMap::new(),
        pull_behavior: Default::default(),
        launch_type: crate::model::ecs::LaunchType::Ec2,
    })
}

async fn settle(executor: &mut Executor) {
    while executor.busy() {
        executor.next_done().await;
    }
}

#[tokio::test]
async fn a_stop_stops_the_pause_container_last() {
    let host = Arc::new(FakeHost::default());
    let mut executor = Executor::new("default");
    let (started, skipped) = executor.execute(
        vec![step(stop("h1", "t1"))],
        &hosts(&[("h1", host.clone())]),
        &plan,
    );
    assert_eq!((started, skipped.len()), (1, 0));
    settle(&mut executor).await;
    let calls = host.calls();
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[2], "stop pause 2s");
    assert!(calls.contains(&"stop c1 7s".to_string()) && calls.contains(&"stop c2 3s".to_string()));
    assert!(executor.in_flight().stopping.is_empty());
    assert!(executor.in_flight().busy_containers.is_empty());
}

#[tokio::test]
async fn nothing_is_repeated_while_in_flight() {
    let host = Arc::new(FakeHost {
        hang: true,
        ..FakeHost::default()
    });
    let hosts = hosts(&[("h1", host.clone())]);
    let mut executor = Executor::new("default");
    let steps = || {
        vec![
            step(stop("h1", "t1")),
            step(launch("h1", "t2")),
            step(Action::Start {
                host: "h1".into(),
                task_id: "t3".into(),
                containers: vec!["c9".into()],
            }),
            step(Action::Remove {
                host: "h1".into(),
                task_id: "t4".into(),
            }),
        ]
    };
    assert_eq!(executor.execute(steps(), &hosts, &plan).0, 4);
    assert_eq!(executor.execute(steps(), &hosts, &plan).0, 0);
    // A stop of another task that shares nothing still goes ahead.
    assert_eq!(
        executor
            .execute(vec![step(stop("h1", "t5"))], &hosts, &plan)
            .0,
        1
    );
    let in_flight = executor.in_flight();
    assert!(in_flight.launching.contains_key("t2"));
    assert_eq!(in_flight.launching["t2"].host, "h1");
    assert!(in_flight.removing.contains("t4"));
}

#[tokio::test]
async fn a_hanging_host_does_not_hold_up_the_others() {
    let stuck = Arc::new(FakeHost {
        hang: true,
        ..FakeHost::default()
    });
    let fine = Arc::new(FakeHost::default());
    let hosts = hosts(&[("h1", stuck.clone()), ("h2", fine.clone())]);
    let mut executor = Executor::new("default");
    let steps = vec![
        step(launch("h1", "t1")),
        step(stop("h1", "t2")),
        step(launch("h2", "t3")),
        step(Action::Remove {
            host: "h2".into(),
            task_id: "t4".into(),
        }),
        step(launch("h3", "t5")),
    ];
    let (started, skipped) = executor.execute(steps, &hosts, &plan);
    assert_eq!(started, 4);
    assert_eq!(skipped.len(), 1, "h3 is not connected");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !executor.in_flight().removing.is_empty()
        || executor.in_flight().launching.contains_key("t3")
    {
        assert!(tokio::time::Instant::now() < deadline, "{:?}", fine.calls());
        tokio::time::timeout(Duration::from_secs(5), executor.next_done())
            .await
            .ok();
    }
    assert_eq!(fine.calls(), ["launch t3", "remove t4 default"]);
    assert_eq!(executor.take_for_pass().removed, ["t4"]);
    assert!(executor.in_flight().launching.contains_key("t1"));
}

#[tokio::test]
async fn launch_failures_come_back_once_for_the_breaker() {
    let host = Arc::new(FakeHost {
        fail_launch: Some("CannotPullContainerError: no such image".into()),
        ..FakeHost::default()
    });
    let hosts = hosts(&[("h1", host)]);
    let mut executor = Executor::new("default");
    let refuse = |l: &LaunchTask| -> Result<LaunchPlan, String> {
        if l.task_id == "t2" {
            Err("secret `DB` not found".into())
        } else {
            plan(l)
        }
    };
    executor.execute(
        vec![step(launch("h1", "t1")), step(launch("h1", "t2"))],
        &hosts,
        &refuse,
    );
    settle(&mut executor).await;
    let in_flight = executor.take_for_pass();
    let failures = &in_flight.launch_failures["web"];
    let mut reasons: Vec<(&str, &str)> = failures
        .iter()
        .map(|f| (f.task_id.as_str(), f.reason.as_str()))
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            ("t1", "CannotPullContainerError: no such image"),
            ("t2", "secret `DB` not found")
        ]
    );
    assert!(failures.iter().all(|f| f.deployment == "d1"));
    assert!(in_flight.launching.is_empty());
    assert!(
        executor.take_for_pass().launch_failures.is_empty(),
        "handed over once"
    );
}

#[tokio::test]
async fn standalone_launches_report_their_outcome() {
    let host = Arc::new(FakeHost::default());
    let mut executor = Executor::new("default");
    let mut p = plan(&LaunchTask {
        host: "h1".into(),
        task_id: "t1".into(),
        group: TaskGroup::Standalone("run-task".into()),
        deployment: None,
        task_definition: TaskDefRef::pinned("web", 1),
    })
    .unwrap_or_else(|e| panic!("{e}"));
    p.group = TaskGroup::Standalone("run-task".into());
    executor.launch(host, "h1", p);
    assert!(executor.standalone_launch("t1").is_none());
    settle(&mut executor).await;
    assert_eq!(executor.standalone_launch("t1"), Some(&Ok(())));
}

#[test]
fn standalone_outcomes_are_bounded_by_age_and_count() {
    let t0 = Instant::now();
    let mut outcomes: BTreeMap<String, (Instant, Result<(), String>)> = BTreeMap::new();
    outcomes.insert("old".into(), (t0, Ok(())));
    for i in 0..5u64 {
        let at = t0 + Duration::from_secs(3000 + i);
        outcomes.insert(format!("t{i}"), (at, Err(format!("failed {i}"))));
    }
    // An hour and a minute after t0: `old` is past the age; of the others the newest 3 stay.
    let now = t0 + Duration::from_secs(3660);
    bound_outcomes(&mut outcomes, now, 3, Duration::from_secs(3600));
    let kept: Vec<&str> = outcomes.keys().map(String::as_str).collect();
    assert_eq!(kept, ["t2", "t3", "t4"]);
}
