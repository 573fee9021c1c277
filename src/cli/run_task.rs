//! `ecsctl run-task TASKDEF[:REV] [--count N] [--cluster C] [--placement-constraint EXPR]
//! [--wait] [-- CMD...]`: one-off tasks (batch jobs, migrations). With `--wait` it streams
//! their logs and exits with the essential container's exit code. Stopped one-off tasks stay
//! visible in `get tasks` for the reconcilers' `--task-retention` (1 h by default), then are
//! removed. The verb is [`crate::ops::run_task`]; this file parses and prints.

use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::Args;

use super::reconcile::{runtime, transport};
use super::{Context, Outcome};
use crate::controller::reconciler::Options;
use crate::model::ecs::{
    CapacityProviderStrategyItem, KeyValuePair, LaunchType, TaskDefinitionSpec,
};
use crate::model::scheduled::{ContainerOverride, TaskOverride, with_overrides};
use crate::ops::Session;
use crate::ops::run_task::{self, Progress, RunTask};
use crate::reconcile::standalone::Constraints;

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
    /// Where the tasks may run, as `aws ecs run-task --placement-constraints`: a memberOf
    /// expression (`attribute:zone == a`), `type=memberOf,expression=EXPR` or
    /// `type=distinctInstance` (repeatable)
    #[arg(long = "placement-constraint", value_name = "EXPR")]
    pub placement_constraints: Vec<String>,
    /// Which capacity providers the tasks go to, as `aws ecs run-task
    /// --capacity-provider-strategy`: `capacityProvider=NAME[,base=N][,weight=N]` (repeatable,
    /// in order); without it, the cluster's `defaultCapacityProviderStrategy`
    #[arg(long = "capacity-provider-strategy", value_name = "ITEM")]
    pub capacity_provider_strategy: Vec<String>,
    /// As `aws ecs run-task --launch-type`: FARGATE runs on the cluster's FARGATE capacity
    /// provider, each task in its own network namespace and bounded as a whole by its task
    /// cpu and memory; EC2 on any host
    #[arg(long, value_name = "TYPE", value_parser = ["EC2", "FARGATE"], conflicts_with = "capacity_provider_strategy")]
    pub launch_type: Option<String>,
    /// The command to run instead of the container's, after `--`
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// One `--capacity-provider-strategy` item: `capacityProvider=NAME,base=N,weight=N` (the AWS
/// CLI's shorthand; `base` and `weight` optional).
pub fn strategy_item(text: &str) -> Result<CapacityProviderStrategyItem> {
    let mut item = CapacityProviderStrategyItem::default();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            bail!(
                "--capacity-provider-strategy takes `capacityProvider=NAME,base=N,weight=N`, not `{text}`"
            );
        };
        let number = || {
            value.trim().parse::<i32>().with_context(|| {
                format!(
                    "--capacity-provider-strategy: `{key}` must be a whole number, not `{value}`"
                )
            })
        };
        match key.trim() {
            "capacityProvider" => item.capacity_provider = Some(value.trim().to_string()),
            "base" => item.base = Some(number()?),
            "weight" => item.weight = Some(number()?),
            other => bail!(
                "--capacity-provider-strategy: unknown key `{other}` (expected `capacityProvider`, `base` or `weight`)"
            ),
        }
    }
    if item.capacity_provider.is_none() {
        bail!("--capacity-provider-strategy `{text}` names no `capacityProvider=NAME`");
    }
    Ok(item)
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

/// The task definition with the run's overrides, applied by RunTask's rules
/// ([`with_overrides`]): `--command`/`-- CMD` replaces the container's command, `--env` adds
/// or replaces its variables; the container is `--container`, else the first essential one.
fn overridden(spec: &TaskDefinitionSpec, args: &RunTaskArgs) -> Result<TaskDefinitionSpec> {
    let command = match (&args.override_command, args.command.is_empty()) {
        (Some(text), _) => split_words(text)?,
        (None, false) => args.command.clone(),
        (None, true) => Vec::new(),
    };
    if command.is_empty() && args.env.is_empty() {
        return Ok(spec.clone());
    }
    let container = match &args.container {
        Some(name) => spec
            .container_definitions
            .iter()
            .find(|c| c.name.as_deref() == Some(name))
            .with_context(|| format!("no container `{name}` in this task definition"))?,
        None => spec
            .container_definitions
            .iter()
            .find(|c| crate::model::effective::essential(c))
            .or(spec.container_definitions.first())
            .context("the task definition has no container")?,
    };
    let mut environment = Vec::new();
    for pair in &args.env {
        let Some((key, value)) = pair.split_once('=') else {
            bail!("--env takes KEY=VALUE, not `{pair}`");
        };
        environment.push(KeyValuePair {
            name: Some(key.to_string()),
            value: Some(value.to_string()),
        });
    }
    let overrides = TaskOverride {
        container_overrides: vec![ContainerOverride {
            name: container.name.clone(),
            command,
            environment,
        }],
    };
    Ok(with_overrides(spec, Some(&overrides)))
}

pub fn run(cx: &Context, args: RunTaskArgs) -> Outcome {
    let state = cx.read_state_or_empty()?;
    if state.lineage.is_empty() {
        bail!("the state is empty: register the task definition first (`ecsctl apply -f`)");
    }
    let (task_definition, spec) = run_task::revision_to_run(&state, &args.task_definition)?;
    let mut constraints = Constraints::default();
    for text in &args.placement_constraints {
        constraints.add(text).map_err(anyhow::Error::msg)?;
    }
    let request = RunTask {
        cluster: args.cluster.clone(),
        task_definition,
        spec: overridden(&spec, &args)?,
        count: args.count,
        started_by: args.started_by.clone(),
        constraints,
        capacity_provider_strategy: args
            .capacity_provider_strategy
            .iter()
            .map(|text| strategy_item(text))
            .collect::<Result<_>>()?,
        launch_type: match args.launch_type.as_deref() {
            Some("FARGATE") => Some(LaunchType::Fargate),
            Some(_) => Some(LaunchType::Ec2),
            None => None,
        },
        wait: args.wait.then_some(*args.timeout),
    };
    let store = cx.store()?;
    let session = Session::new(store.clone(), transport(&store));
    let reference = request.task_definition.clone();
    let mut on = |progress: Progress| match progress {
        Progress::Started { task_id, host } => {
            cx.out.note(&format!(
                "Started task {task_id} ({reference}) on host `{host}`"
            ));
            cx.out.println(&task_id);
        }
        Progress::LaunchFailed { task_id, reason } => cx.out.note(&format!(
            "{}: task {task_id} could not start: {reason}",
            cx.out.paint_err.red("error")
        )),
        Progress::Log(line) => cx.out.println(&line),
        Progress::StoppedWithoutRunning { reason, .. } => cx.out.note(&format!(
            "{}: the task stopped without running: {reason}",
            cx.out.paint_err.red("error")
        )),
    };
    let rt = runtime()?;
    let outcome = rt.block_on(run_task::run_task(
        &session,
        &request,
        Options::default(),
        &mut on,
    ));
    rt.shutdown_timeout(Duration::from_secs(1));
    let outcome = outcome?;
    let failed = outcome.failed_launches > 0;
    Ok(match outcome.exit_code {
        Some(_) if failed => 1,
        Some(code) => code,
        None => u8::from(failed),
    })
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

    #[test]
    fn strategy_items_parse_like_the_aws_cli_shorthand() {
        let item = strategy_item("capacityProvider=spot,base=1,weight=2").expect("ok");
        assert_eq!(
            (item.capacity_provider.as_deref(), item.base, item.weight),
            (Some("spot"), Some(1), Some(2))
        );
        let bare = strategy_item("capacityProvider=FARGATE").expect("ok");
        assert_eq!((bare.base, bare.weight), (None, None));
        for bad in [
            "spot",
            "capacityProvider=a,weight=x",
            "weight=1",
            "provider=a",
        ] {
            assert!(strategy_item(bad).is_err(), "{bad}");
        }
    }
}
