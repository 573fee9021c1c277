//! Standalone tasks, one path for every caller (`run-task`, scheduled runs): placement over
//! the host views and usage the reconciler would use (so no task lands on a DRAINING host and
//! `memberOf` constraints see the host attributes), with the run's capacity provider strategy
//! (else the cluster's default), then one launch plan per task.

use std::collections::BTreeMap;

use super::inspect;
use super::ops::{LaunchPlan, LaunchSecrets, pull_behavior};
use super::reconciler::Reconciler;
use crate::ids::{IdSource, RandomIds};
use crate::model::ecs::{
    CapacityProviderStrategyItem, Compatibility, LaunchType, TaskDefinitionSpec,
};
use crate::model::names::TaskDefRef;
use crate::reconcile::cluster;
use crate::reconcile::service::{HostInfo, HostUsage};
use crate::reconcile::standalone::{self, Capacity, Constraints};
use crate::reconcile::task::{ObservedTask, TaskGroup};
use crate::schedule::pools::Providers;
use crate::state::{Runtime, State};
use crate::time::Timestamp;

/// What to run.
#[derive(Clone, Copy)]
pub struct Run<'a> {
    pub cluster: &'a str,
    /// The revision to run (pinned).
    pub task_definition: &'a TaskDefRef,
    /// Its content with the run's overrides.
    pub spec: &'a TaskDefinitionSpec,
    pub count: u32,
    pub started_by: &'a str,
    pub constraints: &'a Constraints,
    /// Empty: the cluster's default strategy, else every host.
    pub capacity_provider_strategy: &'a [CapacityProviderStrategyItem],
    /// `launchType` as given (FARGATE: the FARGATE pool, and Fargate's rules).
    pub launch_type: Option<LaunchType>,
}

impl Run<'_> {
    /// The run's launch type: the one given, else FARGATE for a strategy of Fargate's
    /// providers.
    pub fn launch_type(&self) -> LaunchType {
        let items: Vec<_> = self
            .capacity_provider_strategy
            .iter()
            .map(crate::model::effective::StrategyItem::of)
            .collect();
        crate::model::effective::launch_type(self.launch_type, &items)
    }
}

/// A host for each task, with the task's new id; or why they cannot all be placed.
pub fn choose(
    state: &State,
    run: &Run<'_>,
    hosts: &[HostInfo],
    usage: &BTreeMap<String, HostUsage>,
) -> Result<Vec<(String, String)>, String> {
    let seed = Timestamp::now().unix_millis();
    let providers = Providers::of(&state.cluster_spec(run.cluster).unwrap_or_default());
    let strategy = providers.run_strategy(run.capacity_provider_strategy, run.launch_type);
    let capacity = Capacity {
        providers: &providers,
        strategy: &strategy,
    };
    let chosen = standalone::place(
        hosts,
        usage,
        run.spec,
        run.constraints,
        capacity,
        run.count,
        seed,
    )
    .map_err(|unplaced| {
        format!(
            "unable to place a task because no host met all of its requirements: {}",
            unplaced.0
        )
    })?;
    if run.launch_type() == LaunchType::Fargate
        && !run
            .spec
            .requires_compatibilities
            .contains(&Compatibility::Fargate)
    {
        return Err(format!(
            "Task definition does not support launch_type FARGATE. (`{}` does not list FARGATE in `requiresCompatibilities`)",
            run.task_definition
        ));
    }
    Ok(chosen
        .into_iter()
        .map(|host| (RandomIds.task_id(), host))
        .collect())
}

/// The launch plan of one task (its secrets resolved from ecsctl's environment).
pub fn plan(
    state: &State,
    run: &Run<'_>,
    task_id: &str,
    architecture: String,
) -> Result<LaunchPlan, String> {
    let read = LaunchSecrets::read(run.spec, &|n| std::env::var(n).ok())?;
    Ok(LaunchPlan {
        architecture,
        cluster: run.cluster.to_string(),
        lineage: state.lineage.clone(),
        task_id: task_id.to_string(),
        group: TaskGroup::Standalone(run.started_by.to_string()),
        deployment: None,
        family: run.task_definition.family.clone(),
        revision: run.task_definition.revision.unwrap_or(0),
        spec: run.spec.clone(),
        created_at: Timestamp::now(),
        secrets: read.secrets,
        registry_auth: read.registry_auth,
        pull_behavior: pull_behavior(state.clusters.get(run.cluster).map(|c| &c.spec)),
        launch_type: run.launch_type(),
    })
}

/// What the live tasks take on each host, assessed as the reconciler does.
pub fn usage(
    state: &State,
    runtime: &Runtime,
    cluster_name: &str,
    tasks: Vec<ObservedTask>,
) -> BTreeMap<String, HostUsage> {
    let views = inspect::assess_observed(state, runtime, cluster_name, tasks, Timestamp::now());
    let spec_of = |r: &TaskDefRef| state.revision(r).map(|rev| &rev.spec);
    cluster::usage(views.iter().map(|v| (&v.task, &v.state)), &spec_of)
}

impl Reconciler {
    /// Places the run over this reconciler's hosts and launches its tasks through its
    /// executor; returns (task id, host) of each. Nothing is launched when one task cannot
    /// be placed or planned.
    pub fn launch_run(
        &mut self,
        state: &State,
        runtime: &Runtime,
        run: &Run<'_>,
    ) -> Result<Vec<(String, String)>, String> {
        let usage = usage(state, runtime, run.cluster, self.observed_tasks());
        let chosen = choose(state, run, &self.host_views(), &usage)?;
        let mut plans = Vec::new();
        for (task_id, host) in &chosen {
            plans.push((host, plan(state, run, task_id, self.architecture(host))?));
        }
        for (host, plan) in plans {
            self.launch_standalone(host, plan);
        }
        Ok(chosen)
    }
}
