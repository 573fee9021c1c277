use super::*;
use crate::ids::SequentialIds;
use crate::model::load::check_text;
use crate::model::names::TaskDefRef;
use crate::model::normalize::Desired;
use crate::plan::{apply, compute};
use crate::time::Timestamp;

fn desired(image: &str, count: u32) -> Desired {
    let text = format!(
        "apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec:\n  containerDefinitions: [{{name: web, image: {image}}}]\n---\napiVersion: ecsctl/v1\nkind: Service\nmetadata: {{name: web}}\nspec: {{desiredCount: {count}}}\n"
    );
    let (set, diagnostics) = check_text("m.yaml", &text);
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    Desired::from_set(&set)
}

fn applied(state: Option<&State>, d: &Desired) -> State {
    let plan = compute(state, d, false, "test").expect("plan");
    apply(
        state,
        &plan,
        Timestamp::from_unix_millis(1),
        &mut SequentialIds::default(),
    )
    .expect("apply")
    .0
}

/// Regression: after a rollback `diff` showed only desiredCount while `plan` also showed
/// the deployment back to the manifests' revision.
#[test]
fn diff_shows_the_deployment_that_plan_shows() {
    let v2 = desired("nginx:2", 1);
    let mut state = applied(Some(&applied(None, &desired("nginx:1", 1))), &v2);
    // What `scale 2` and `rollback` record: web:1 runs, twice.
    let record = state.service_mut("default", "web").expect("service");
    record.task_definition = TaskDefRef::pinned("web", 1);
    record.desired_count = 2;
    record.spec.desired_count = Some(2);
    let plan = compute(Some(&state), &v2, false, "test").expect("plan");
    let change = plan
        .changes
        .iter()
        .find(|c| c.object.kind == ObjectKind::Service)
        .expect("the service changes");
    assert!(change.deployment.is_some(), "plan deploys web:2 again");
    let diff = render_diff(Some(&state), &plan, false).expect("diff");
    assert!(diff.contains("-taskDefinition: web:1"), "{diff}");
    assert!(diff.contains("+taskDefinition: web:2"), "{diff}");
    assert!(diff.contains("-desiredCount: 2"), "{diff}");
    assert!(diff.contains("+desiredCount: 1"), "{diff}");
}
