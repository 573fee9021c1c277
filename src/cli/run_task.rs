//! `ecsctl run-task TASKDEF[:REV] [--count N] [--cluster C] [--wait] [-- CMD...]`: one-off
//! tasks (batch jobs, migrations). With `--wait` it streams their logs and exits with the
//! essential container's exit code. Stopped one-off tasks stay visible in `get tasks` for the
//! reconcilers' `--task-retention` (1 h by default), then are removed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::Args;
use futures_util::StreamExt;

use super::reconcile::{runtime, transport};
use super::{Context, Outcome};
use crate::controller::executor::TaskHost;
use crate::controller::inspect;
use crate::controller::ops::LaunchPlan;
use crate::docker::host::DockerHost;
use crate::docker::logs;
use crate::ids::{IdSource, RandomIds};
use crate::model::ecs::{
    KeyValuePair, PlacementStrategy, PlacementStrategyType, TaskDefinitionSpec,
};
use crate::model::names::TaskDefRef;
use crate::reconcile::service::task_size;
use crate::reconcile::task::{self, ContainerStep, TaskGroup, TaskStatus};
use crate::schedule::{self, Placer, Request};
use crate::state::State;
use crate::time::Timestamp;

#[derive(Debug, Args)]
pub struct RunTaskArgs {
    /// The task definition: FAMILY (its newest revision) or FAMILY:REVISION
    pub task_definition: String,
    /// The cluster to run in
    #[arg(long, default_value = crate::model::cluster::DEFAULT_CLUSTER)]
    pub cluster: String,
    /// How many tasks
    #[arg(long, default_value_t = 1)]
    pub count: u32,
    /// Stream the logs and wait for the tasks to stop; exit with the essential container's code
    #[arg(long)]
    pub wait: bool,
    /// How long `--wait` waits
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub timeout: humantime::Duration,
    /// Recorded as who started the tasks
    #[arg(long, default_value = "run-task")]
    pub started_by: String,
    /// The container the overrides apply to (default: the first essential one)
    #[arg(long, value_name = "NAME")]
    pub container: Option<String>,
    /// Run this command instead (a shell-like string; or give it after `--`)
    #[arg(long, value_name = "COMMAND", conflicts_with = "command")]
    pub override_command: Option<String>,
    /// Add or replace an environment variable of that container
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// The command to run instead of the container's, after `--`
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// Splits a command line the way a POSIX shell would, for quotes and backslashes only.
pub fn split_words(text: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => word.push(x),
                        None => bail!("unterminated ' in `{text}`"),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\' | '$' | '`')) => word.push(x),
                            Some(x) => {
                                word.push('\\');
                                word.push(x);
                            }
                            None => bail!("unterminated \" in `{text}`"),
                        },
                        Some(x) => word.push(x),
                        None => bail!("unterminated \" in `{text}`"),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(x) = chars.next() {
                    word.push(x);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// The task definition with the run's overrides.
fn overridden(spec: &TaskDefinitionSpec, args: &RunTaskArgs) -> Result<TaskDefinitionSpec> {
    let mut spec = spec.clone();
    let command = match (&args.override_command, args.command.is_empty()) {
        (Some(text), _) => Some(split_words(text)?),
        (None, false) => Some(args.command.clone()),
        (None, true) => None,
    };
    if command.is_none() && args.env.is_empty() {
        return Ok(spec);
    }
    let index = match &args.container {
        Some(name) => spec
            .container_definitions
            .iter()
            .position(|c| c.name.as_deref() == Some(name))
            .with_context(|| format!("no container `{name}` in this task definition"))?,
        None => spec
            .container_definitions
            .iter()
            .position(|c| c.essential.unwrap_or(true))
            .unwrap_or(0),
    };
    let Some(container) = spec.container_definitions.get_mut(index) else {
        bail!("the task definition has no container");
    };
    if let Some(command) = command {
        container.command = command;
    }
    for pair in &args.env {
        let Some((key, value)) = pair.split_once('=') else {
            bail!("--env takes KEY=VALUE, not `{pair}`");
        };
        container
            .environment
            .retain(|kv| kv.name.as_deref() != Some(key));
        container.environment.push(KeyValuePair {
            name: Some(key.to_string()),
            value: Some(value.to_string()),
        });
    }
    Ok(spec)
}

pub fn run(cx: &Context, args: RunTaskArgs) -> Outcome {
    let state = cx.read_state_or_empty()?;
    let rt = runtime()?;
    let code = rt.block_on(run_tasks(cx, &state, args));
    rt.shutdown_timeout(Duration::from_secs(1));
    code
}

async fn run_tasks(cx: &Context, state: &State, args: RunTaskArgs) -> Outcome {
    if args.count == 0 {
        bail!("--count must be at least 1");
    }
    if state.lineage.is_empty() {
        bail!("the state is empty: register the task definition first (`ecsctl apply -f`)");
    }
    let revision = crate::ops::resolve::task_definition(state, &args.task_definition)?;
    let family = args
        .task_definition
        .split(':')
        .next()
        .unwrap_or_default()
        .to_string();
    let reference = TaskDefRef::pinned(family.clone(), revision.revision);
    if !state.cluster_names().contains(&args.cluster) {
        bail!("no cluster `{}` in the state", args.cluster);
    }
    let spec = overridden(&revision.spec, &args)?;
    let transport = transport();
    let runtime_state = cx.state_dir()?.read_runtime(&args.cluster)?;
    let observation = inspect::observe(state, &runtime_state, &args.cluster, &transport).await?;

    // Place like a service task, spreading over the hosts.
    let used = observation.usage(state);
    let mut hosts: Vec<schedule::Host> = observation
        .hosts
        .iter()
        .map(|h| {
            let spec_host = state.cluster_spec(&args.cluster).and_then(|c| {
                c.hosts
                    .into_iter()
                    .find(|s| s.name.as_deref() == Some(&h.name))
            });
            let capacity = spec_host.and_then(|s| s.capacity);
            let cpu = capacity
                .as_ref()
                .and_then(|c| c.cpu)
                .or(h.info.as_ref().map(|i| i.cpus * 1024))
                .unwrap_or(0);
            let memory = capacity
                .as_ref()
                .and_then(|c| c.memory)
                .or(h.info.as_ref().map(|i| i.memory_mib))
                .unwrap_or(0);
            let u = used.get(&h.name).cloned().unwrap_or_default();
            schedule::Host {
                name: h.name.clone(),
                attributes: BTreeMap::new(),
                active: h.host.is_some(),
                cpu_free: cpu - u.cpu,
                memory_free: memory - u.memory,
                ports_used: u.ports,
                running_tasks: u.tasks,
                service_tasks: 0,
            }
        })
        .collect();
    let (cpu, memory) = task_size(&spec);
    let request = Request {
        cpu,
        memory,
        strategies: vec![PlacementStrategy {
            r#type: Some(PlacementStrategyType::Spread),
            field: Some("instanceId".into()),
        }],
        ..Request::default()
    };
    let mut placer = Placer::new(&mut hosts, request, Timestamp::now().unix_millis());
    let mut chosen = Vec::new();
    for _ in 0..args.count {
        match placer.place() {
            Ok(i) => chosen.push(placer.hosts()[i].name.clone()),
            Err(unplaced) => bail!(
                "unable to place a task because no host met all of its requirements: {}",
                unplaced.0
            ),
        }
    }
    let secrets = crate::controller::secrets::resolve(&spec, &|n| std::env::var(n).ok())
        .map_err(|e| anyhow::anyhow!(crate::controller::secrets::failure_reason(&e)))?;
    let mut launched: Vec<(String, Arc<DockerHost>)> = Vec::new();
    let mut failed = false;
    for host_name in chosen {
        let Some(host) = observation.host(&host_name).cloned() else {
            continue;
        };
        let architecture = observation
            .hosts
            .iter()
            .find(|h| h.name == host_name)
            .and_then(|h| h.info.as_ref())
            .map(|i| i.architecture.clone())
            .unwrap_or_default();
        let task_id = RandomIds.task_id();
        let plan = LaunchPlan {
            architecture,
            cluster: args.cluster.clone(),
            lineage: state.lineage.clone(),
            task_id: task_id.clone(),
            group: TaskGroup::Standalone(args.started_by.clone()),
            deployment: None,
            family: family.clone(),
            revision: revision.revision,
            spec: spec.clone(),
            created_at: Timestamp::now(),
            secrets: secrets.clone(),
        };
        match TaskHost::launch(host.as_ref(), &plan).await {
            Ok(()) => {
                cx.out.note(&format!(
                    "Started task {task_id} ({reference}) on host `{host_name}`"
                ));
                cx.out.println(&task_id);
                launched.push((task_id, host));
            }
            Err(reason) => {
                cx.out.note(&format!(
                    "{}: task {task_id} could not start: {reason}",
                    cx.out.paint_err.red("error")
                ));
                failed = true;
            }
        }
    }
    if !args.wait {
        return Ok(u8::from(failed));
    }
    let code = wait_for(cx, state, &args, &spec, &family, &launched).await?;
    Ok(if failed { 1 } else { code })
}

/// Drives the tasks to completion (starting dependent containers, stopping what remains when
/// an essential one exits), streaming their logs; returns the exit code to exit with.
async fn wait_for(
    cx: &Context,
    state: &State,
    args: &RunTaskArgs,
    spec: &TaskDefinitionSpec,
    family: &str,
    tasks: &[(String, Arc<DockerHost>)],
) -> Result<u8> {
    let deadline = tokio::time::Instant::now() + *args.timeout;
    let mut streaming: BTreeSet<String> = BTreeSet::new();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(1024);
    let ids: BTreeSet<&str> = tasks.iter().map(|(id, _)| id.as_str()).collect();
    loop {
        let mut all_stopped = true;
        let mut codes = Vec::new();
        for (id, host) in tasks {
            let observed = host.observe(&args.cluster, &state.lineage).await?;
            let Some(t) = observed.tasks.into_iter().find(|t| &t.id == id) else {
                continue;
            };
            let st = task::assess(&t, Some(spec), None, None, Timestamp::now());
            for c in t.app_containers() {
                if c.was_started() && streaming.insert(c.docker_id.clone()) {
                    let prefix = format!("{family}/{}/{}", &id[..6], c.name);
                    let docker = host.docker().clone();
                    let container = c.docker_id.clone();
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        let mut lines =
                            Box::pin(logs::lines(&docker, &container, true, None, None));
                        while let Some(Ok(line)) = lines.next().await {
                            if tx.send(format!("{prefix} | {}", line.text)).await.is_err() {
                                break;
                            }
                        }
                    });
                }
            }
            match task::container_steps(&t, spec, &st) {
                Some(ContainerStep::Start(containers)) => {
                    for c in containers {
                        host.start(&c).await?;
                    }
                }
                Some(ContainerStep::Stop(containers)) => {
                    for c in containers {
                        host.stop(&c, Duration::from_secs(10)).await?;
                    }
                }
                None => {}
            }
            if st.last_status != TaskStatus::Stopped {
                all_stopped = false;
            } else {
                let essential: Option<i64> = t
                    .app_containers()
                    .filter(|c| c.essential)
                    .filter_map(|c| c.exit_code)
                    .find(|code| *code != 0)
                    .or_else(|| {
                        t.app_containers()
                            .filter(|c| c.essential)
                            .find_map(|c| c.exit_code)
                    });
                let reason = st
                    .stop_reason
                    .as_ref()
                    .map(|r| r.text.clone())
                    .unwrap_or_default();
                codes.push((essential, reason));
            }
        }
        while let Ok(line) = rx.try_recv() {
            cx.out.println(&line);
        }
        if all_stopped {
            // The last lines of the logs.
            tokio::time::sleep(Duration::from_millis(200)).await;
            while let Ok(line) = rx.try_recv() {
                cx.out.println(&line);
            }
            let _ = ids;
            let mut code = 0u8;
            for (exit_code, reason) in codes {
                match exit_code {
                    Some(c) if c != 0 && code == 0 => {
                        code = u8::try_from(c.clamp(1, 255)).unwrap_or(1)
                    }
                    None => {
                        cx.out.note(&format!(
                            "{}: the task stopped without running: {reason}",
                            cx.out.paint_err.red("error")
                        ));
                        if code == 0 {
                            code = 1;
                        }
                    }
                    _ => {}
                }
            }
            return Ok(code);
        }
        if tokio::time::Instant::now() >= deadline {
            bail!(
                "the tasks did not stop within {}",
                humantime::format_duration(*args.timeout)
            );
        }
        tokio::select! {
            line = rx.recv() => {
                if let Some(line) = line {
                    cx.out.println(&line);
                }
            }
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_a_shell() {
        assert_eq!(
            split_words("sh -c 'exit 7'").expect("ok"),
            ["sh", "-c", "exit 7"]
        );
        assert_eq!(
            split_words(r#"echo "a \"b\" c" d\ e"#).expect("ok"),
            ["echo", "a \"b\" c", "d e"]
        );
        assert_eq!(split_words("  ").expect("ok"), Vec::<String>::new());
        assert!(split_words("'open").is_err());
    }
}
