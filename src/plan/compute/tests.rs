//! Plans against states, and applying them: every kind of change.

use super::*;
use crate::ids::SequentialIds;
use crate::model::load::check_text;
use crate::plan::apply::ApplyError;
use crate::plan::{Action, apply};
use crate::time::Timestamp;

fn desired(text: &str) -> Desired {
    let (set, diagnostics) = check_text("m.yaml", text);
    assert!(!diagnostics.has_errors(), "{diagnostics:#?}");
    Desired::from_set(&set)
}

fn manifests(image: &str, count: u32, extra_service: &str) -> String {
    format!(
        "apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec:\n  containerDefinitions: [{{name: web, image: '{image}'}}]\n---\napiVersion: ecsctl/v1\nkind: Service\nmetadata: {{name: web}}\nspec:\n  desiredCount: {count}\n{extra_service}"
    )
}

fn plan_of(state: Option<&State>, text: &str, prune: bool) -> Plan {
    compute(state, &desired(text), prune, "test").expect("plan")
}

fn applied(state: Option<&State>, plan: &Plan) -> State {
    apply(
        state,
        plan,
        Timestamp::from_unix_millis(1_000),
        &mut SequentialIds::default(),
    )
    .expect("apply")
    .0
}

fn actions(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .map(|c| format!("{:?} {}", c.action, c.object))
        .collect()
}

#[test]
fn first_plan_creates_everything_at_revision_one() {
    let plan = plan_of(None, &manifests("nginx:1", 3, ""), false);
    assert_eq!(
        actions(&plan),
        ["Create task definition web", "Create service default/web"]
    );
    assert_eq!(
        plan.changes[0].revision,
        Some(RevisionChange { from: None, to: 1 })
    );
    let deployment = plan.changes[1].deployment.as_ref().expect("deployment");
    assert_eq!(deployment.to, TaskDefRef::pinned("web", 1));
    assert_eq!(
        (deployment.minimum_running, deployment.maximum_running),
        (3, 6)
    );
    assert_eq!(
        plan.summary,
        Summary {
            add: 2,
            change: 0,
            destroy: 0
        }
    );
    assert_eq!(
        plan.state,
        StateRef {
            lineage: None,
            serial: 0
        }
    );
}

#[test]
fn applying_twice_changes_nothing() {
    let text = manifests("nginx:1", 3, "");
    let state = applied(None, &plan_of(None, &text, false));
    assert_eq!(state.serial, 1);
    let again = plan_of(Some(&state), &text, false);
    assert!(!again.has_changes(), "{:#?}", again.changes);
    assert_eq!(again.unchanged.len(), 2);
    let (same, events) = apply(
        Some(&state),
        &again,
        Timestamp::now(),
        &mut SequentialIds::default(),
    )
    .expect("apply");
    assert_eq!(
        same, state,
        "a plan without changes must not touch the state (not even the serial)"
    );
    assert!(events.is_empty());
}

#[test]
fn changed_content_registers_a_new_revision_and_rolls_the_service() {
    let state = applied(None, &plan_of(None, &manifests("nginx:1", 3, ""), false));
    let plan = plan_of(Some(&state), &manifests("nginx:2", 3, ""), false);
    assert_eq!(
        actions(&plan),
        ["Update task definition web", "Update service default/web"]
    );
    assert_eq!(
        plan.changes[0].revision,
        Some(RevisionChange {
            from: Some(1),
            to: 2
        })
    );
    assert_eq!(plan.changes[0].diff.len(), 1);
    assert_eq!(
        plan.changes[0].diff[0].path,
        "containerDefinitions[0].image"
    );
    let deployment = plan.changes[1]
        .deployment
        .as_ref()
        .expect("rolling deployment");
    assert_eq!(deployment.from, Some(TaskDefRef::pinned("web", 1)));
    assert_eq!(deployment.to, TaskDefRef::pinned("web", 2));
    assert!(
        plan.changes[1].diff.is_empty(),
        "the service spec itself did not change"
    );

    let next = applied(Some(&state), &plan);
    let family = &next.task_definitions["web"];
    assert_eq!(family.revisions.len(), 2, "old revisions stay readable");
    assert_eq!(
        family.revisions[0].spec,
        state.task_definitions["web"].revisions[0].spec
    );
    let service = next.service("default", "web").expect("service");
    assert_eq!(service.task_definition, TaskDefRef::pinned("web", 2));
    assert_eq!(service.deployments.len(), 2);
    assert_eq!(
        service.deployments[0].task_definition,
        TaskDefRef::pinned("web", 2)
    );
    assert_eq!(next.serial, 2);
}

#[test]
fn reverting_content_is_still_a_new_revision() {
    let s1 = applied(None, &plan_of(None, &manifests("nginx:1", 1, ""), false));
    let s2 = applied(
        Some(&s1),
        &plan_of(Some(&s1), &manifests("nginx:2", 1, ""), false),
    );
    let plan = plan_of(Some(&s2), &manifests("nginx:1", 1, ""), false);
    assert_eq!(
        plan.changes[0].revision,
        Some(RevisionChange {
            from: Some(2),
            to: 3
        })
    );
}

#[test]
fn scaling_alone_is_no_deployment() {
    let state = applied(None, &plan_of(None, &manifests("nginx:1", 3, ""), false));
    let plan = plan_of(Some(&state), &manifests("nginx:1", 5, ""), false);
    assert_eq!(actions(&plan), ["Update service default/web"]);
    let change = &plan.changes[0];
    assert_eq!(change.deployment, None);
    assert_eq!(
        change.desired_count,
        Some(CountChange {
            from: Some(3),
            to: 5
        })
    );
    let next = applied(Some(&state), &plan);
    assert_eq!(
        next.service("default", "web").map(|s| s.desired_count),
        Some(5)
    );
}

#[test]
fn placement_changes_deploy_as_ecs_does() {
    let state = applied(None, &plan_of(None, &manifests("nginx:1", 2, ""), false));
    let plan = plan_of(
        Some(&state),
        &manifests(
            "nginx:1",
            2,
            "  placementStrategy: [{type: binpack, field: memory}]\n",
        ),
        false,
    );
    let deployment = plan.changes[0].deployment.as_ref().expect("deployment");
    assert_eq!(deployment.reason, "placement changed");
    assert_eq!(deployment.from.as_ref(), Some(&deployment.to));
}

#[test]
fn pinned_revisions_stay_and_missing_ones_are_errors() {
    let s1 = applied(
        None,
        &plan_of(
            None,
            &manifests("nginx:1", 1, "  taskDefinition: web:1\n"),
            false,
        ),
    );
    let plan = plan_of(
        Some(&s1),
        &manifests("nginx:2", 1, "  taskDefinition: web:1\n"),
        false,
    );
    assert_eq!(
        actions(&plan),
        ["Update task definition web"],
        "the pinned service does not move"
    );
    let errors = compute(
        Some(&s1),
        &desired(&manifests("nginx:1", 1, "  taskDefinition: web:7\n")),
        false,
        "t",
    )
    .expect_err("web:7 does not exist");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].message, "task definition `web:7` does not exist");
    assert_eq!(errors[0].field, Some("taskDefinition"));
    assert_eq!(
        errors[0].help.as_deref(),
        Some("the newest revision of `web` is 1")
    );
}

#[test]
fn missing_objects_are_kept_unless_pruned() {
    let both = format!(
        "{}\n---\napiVersion: ecsctl/v1\nkind: Service\nmetadata: {{name: api}}\nspec: {{taskDefinition: web, desiredCount: 1}}\n",
        manifests("nginx:1", 1, "")
    );
    let state = applied(None, &plan_of(None, &both, false));
    let only_web = manifests("nginx:1", 1, "");
    let kept = plan_of(Some(&state), &only_web, false);
    assert!(!kept.has_changes());
    assert_eq!(kept.kept, vec![ObjectRef::service("default", "api")]);
    let pruned = plan_of(Some(&state), &only_web, true);
    assert_eq!(actions(&pruned), ["Delete service default/api"]);
    assert_eq!(pruned.summary.destroy, 1);
    let next = applied(Some(&state), &pruned);
    let api = next.service("default", "api").expect("kept while draining");
    assert_eq!(api.status, ServiceStatus::Draining);
    assert_eq!(api.desired_count, 0);
    assert!(
        !plan_of(Some(&next), &only_web, true).has_changes(),
        "a draining service is not deleted twice"
    );
}

#[test]
fn pruned_task_definitions_become_inactive_and_stay_readable() {
    let text = manifests("nginx:1", 1, "");
    let state = applied(None, &plan_of(None, &text, false));
    let nothing = "apiVersion: ecsctl/v1\nkind: Cluster\nmetadata: {name: default}\nspec: {hosts: [{name: local, endpoint: local}]}\n";
    let plan = plan_of(Some(&state), nothing, true);
    assert_eq!(
        actions(&plan),
        [
            "Create cluster default",
            "Delete task definition web",
            "Delete service default/web"
        ]
    );
    let next = applied(Some(&state), &plan);
    let revision = &next.task_definitions["web"].revisions[0];
    assert_eq!(revision.status, RevisionStatus::Inactive);
    assert!(revision.deregistered_at.is_some());
}

#[test]
fn a_cluster_cannot_be_pruned_under_its_services() {
    let with_cluster = format!(
        "apiVersion: ecsctl/v1\nkind: Cluster\nmetadata: {{name: prod}}\nspec: {{hosts: [{{name: a, endpoint: local}}]}}\n---\n{}  \n",
        manifests("nginx:1", 1, "").replace(
            "metadata: {name: web}\nspec:\n  desiredCount",
            "metadata: {name: web, cluster: prod}\nspec:\n  desiredCount"
        )
    );
    let state = applied(None, &plan_of(None, &with_cluster, false));
    let without = with_cluster.replace(
        "apiVersion: ecsctl/v1\nkind: Cluster\nmetadata: {name: prod}\nspec: {hosts: [{name: a, endpoint: local}]}\n---\n",
        "",
    );
    let errors =
        compute(Some(&state), &desired_known(&without, &state), true, "t").expect_err("refused");
    assert!(
        errors[0]
            .message
            .starts_with("cluster `prod` cannot be deleted: service `web` still runs in it")
    );
}

fn desired_known(text: &str, state: &State) -> Desired {
    let mut out = crate::diagnostics::Diagnostics::new();
    let files = vec![crate::diagnostics::SourceFile::new("m.yaml", text)];
    let known = crate::model::validate::Known {
        clusters: state.cluster_names(),
        families: state.task_definitions.keys().cloned().collect(),
        ..Default::default()
    };
    let set = crate::model::load::check_files(&files, &known, &mut out);
    assert!(!out.has_errors(), "{out:#?}");
    Desired::from_set(&set)
}

#[test]
fn saved_plans_are_refused_when_the_state_moved() {
    let text = manifests("nginx:1", 1, "");
    let state = applied(None, &plan_of(None, &text, false));
    let stale = plan_of(Some(&state), &manifests("nginx:2", 1, ""), false);
    let moved = applied(
        Some(&state),
        &plan_of(Some(&state), &manifests("nginx:1", 4, ""), false),
    );
    let error = apply(
        Some(&moved),
        &stale,
        Timestamp::now(),
        &mut SequentialIds::default(),
    )
    .expect_err("stale");
    assert_eq!(
        error,
        ApplyError::Stale {
            planned: 1,
            current: 2
        }
    );
    assert!(error.to_string().contains("run `ecsctl plan` again"));

    let mut other = state.clone();
    other.lineage = "someone-else".into();
    let error = apply(
        Some(&other),
        &stale,
        Timestamp::now(),
        &mut SequentialIds::default(),
    )
    .expect_err("lineage");
    assert!(matches!(error, ApplyError::OtherLineage { .. }));
}

#[test]
fn plans_survive_a_json_round_trip() {
    let state = applied(None, &plan_of(None, &manifests("nginx:1", 2, ""), false));
    let plan = plan_of(Some(&state), &manifests("nginx:2", 3, ""), false);
    let json = serde_json::to_string(&plan).expect("json");
    let back: Plan = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, plan);
    assert_eq!(applied(Some(&state), &back), applied(Some(&state), &plan));
}

#[test]
fn daemon_services_deploy_per_host() {
    let plan = plan_of(
        None,
        &manifests("nginx:1", 0, "  schedulingStrategy: DAEMON\n")
            .replace("  desiredCount: 0\n", ""),
        false,
    );
    let deployment = plan.changes[1].deployment.as_ref().expect("deployment");
    assert!(deployment.daemon);
    assert_eq!(
        (
            deployment.minimum_healthy_percent,
            deployment.maximum_percent
        ),
        (0, 100)
    );
    let changes = &plan.changes[1];
    assert_eq!(changes.action, Action::Create);
}

const SCALABLE_TARGET: &str = "---\napiVersion: ecsctl/v1\nkind: ScalableTarget\nmetadata: {name: web}\nspec: {service: web, minCapacity: 2, maxCapacity: 10}\n";

#[test]
fn a_scalable_target_owns_the_desired_count() {
    let text = format!("{}{SCALABLE_TARGET}", manifests("nginx:1", 2, ""));
    let state = applied(None, &plan_of(None, &text, false));
    assert_eq!(
        state.service("default", "web").map(|s| s.desired_count),
        Some(2),
        "the manifest's count starts the service"
    );
    // The scaler moved it to 6 (as the reconciler records it).
    let mut scaled = state.clone();
    if let Some(record) = scaled.service_mut("default", "web") {
        record.desired_count = 6;
        record.spec.desired_count = Some(6);
    }
    let plan = plan_of(Some(&scaled), &text, false);
    assert!(!plan.has_changes(), "{:#?}", plan.changes);
    assert_eq!(
        plan.scaled,
        vec![crate::plan::ScaledService {
            service: ObjectRef::service("default", "web"),
            scalable_target: "web".into(),
            desired_count: 6,
            manifest_count: 2,
        }]
    );
    let shown = crate::plan::render::render(&plan, crate::diagnostics::Paint(false));
    assert!(
        shown.contains("service default/web: desiredCount 6 is owned by scalable target `web` (the manifest's 2 only starts a new service)"),
        "{shown}"
    );
    // A real change deploys at the scaler's count and keeps it.
    let changed = format!("{}{SCALABLE_TARGET}", manifests("nginx:2", 2, ""));
    let plan = plan_of(Some(&scaled), &changed, false);
    assert_eq!(plan.changes[1].desired_count, None);
    assert_eq!(
        plan.changes[1].deployment.as_ref().map(|d| d.desired_count),
        Some(6)
    );
    let next = applied(Some(&scaled), &plan);
    assert_eq!(
        next.service("default", "web").map(|s| s.desired_count),
        Some(6)
    );
    // Without the scalable target (pruned), the manifest's count is the desired one again.
    let plan = plan_of(Some(&scaled), &manifests("nginx:1", 2, ""), true);
    assert_eq!(
        plan.changes.iter().find_map(|c| c.desired_count.clone()),
        Some(CountChange {
            from: Some(6),
            to: 2
        })
    );
    assert!(plan.scaled.is_empty());
}
