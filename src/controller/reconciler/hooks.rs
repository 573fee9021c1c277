//! Lifecycle hook tasks: the service decision asks for a hook's one-off task; the reconciler
//! launches it (as `run-task` launches) and records its id in the deployment's progress, so
//! the next passes judge the deployment by how the task ends.

use super::{PassReport, Reconciler};
use crate::controller::record;
use crate::controller::standalone::Run;
use crate::model::names::TaskDefRef;
use crate::reconcile::service::HookLaunch;
use crate::reconcile::standalone::Constraints;
use crate::state::{HookRun, RevisionStatus, Runtime, State};
use crate::time::Timestamp;

impl Reconciler {
    pub(super) fn run_hooks(
        &mut self,
        state: &State,
        runtime: &Runtime,
        hooks: &[(String, HookLaunch)],
        now: Timestamp,
        report: &mut PassReport,
    ) {
        for (service, hook) in hooks {
            let label = format!("(service {service}) (deployment {})", hook.deployment);
            let (task_id, event) = match self.launch_hook(state, runtime, service, hook) {
                Ok(id) => {
                    let event = format!(
                        "{label} started lifecycle hook task {id} ({}) at {}.",
                        hook.task_definition, hook.stage
                    );
                    (id, event)
                }
                Err(why) => (
                    String::new(),
                    format!(
                        "{label} could not start its lifecycle hook task at {}: {why}",
                        hook.stage
                    ),
                ),
            };
            let cluster = self.cluster().to_string();
            let ids = &mut self.ids;
            let written = self.store.update_runtime(&cluster, &state.lineage, |r| {
                let record = r.services.entry(service.clone()).or_default();
                if let Some(shift) = record
                    .deployments
                    .get_mut(&hook.deployment)
                    .and_then(|d| d.shift.as_mut())
                {
                    shift.hook = Some(HookRun {
                        stage: hook.stage,
                        task_id: task_id.clone(),
                        since: now,
                        passed: false,
                    });
                }
                record::push_event(record, event.clone(), now, ids);
            });
            if let Err(e) = written {
                report
                    .errors
                    .push(format!("recording a lifecycle hook task: {e:#}"));
            }
        }
    }

    /// Launches one task of the hook's task definition; its id, or why it could not start.
    fn launch_hook(
        &mut self,
        state: &State,
        runtime: &Runtime,
        service: &str,
        hook: &HookLaunch,
    ) -> Result<String, String> {
        let reference: TaskDefRef = hook.task_definition.parse()?;
        let revision = state.revision(&reference).ok_or_else(|| {
            format!(
                "task definition `{}` is not registered",
                hook.task_definition
            )
        })?;
        if revision.status == RevisionStatus::DeleteInProgress {
            return Err(format!(
                "task definition `{}:{}` is DELETE_IN_PROGRESS",
                reference.family, revision.revision
            ));
        }
        let pinned = TaskDefRef::pinned(reference.family.clone(), revision.revision);
        let by = format!("ecsctl-hook/{service}");
        let cluster = self.cluster().to_string();
        let run = Run {
            cluster: &cluster,
            task_definition: &pinned,
            spec: &revision.spec,
            count: 1,
            started_by: &by,
            constraints: &Constraints::default(),
            capacity_provider_strategy: &[],
            launch_type: None,
        };
        let chosen = self.launch_run(state, runtime, &run)?;
        chosen
            .into_iter()
            .next()
            .map(|(id, _)| id)
            .ok_or_else(|| "no host was chosen".to_string())
    }
}
