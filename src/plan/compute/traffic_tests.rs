//! Target groups and load balancers in plans: `+ ~ -` with field diffs, recorded by apply,
//! and state files written before them still load.

use super::*;
use crate::diagnostics::Paint;
use crate::ids::SequentialIds;
use crate::model::load::check_text;
use crate::model::validate::traffic_fixtures::all;
use crate::plan::{Action, apply, render::render};
use crate::time::Timestamp;

fn desired(text: &str) -> Desired {
    let (set, diagnostics) = check_text("m.yaml", text);
    assert!(!diagnostics.has_errors(), "{diagnostics:#?}");
    Desired::from_set(&set)
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
fn target_groups_and_load_balancers_are_planned_applied_and_pruned() {
    let text = all();
    let plan = compute(None, &desired(&text), false, "test").expect("plan");
    assert_eq!(
        actions(&plan),
        [
            "Create cluster production",
            "Create task definition web",
            "Create target group production/api",
            "Create target group production/web",
            "Create load balancer production/edge",
            "Create service production/web",
        ]
    );
    let edge = &plan.changes[4];
    let paths: Vec<&str> = edge.diff.iter().map(|d| d.path.as_str()).collect();
    assert!(
        paths.contains(&"listeners[0].rules[0].conditions[1].values"),
        "{paths:?}"
    );
    let state = applied(None, &plan);
    assert_eq!(
        state.target_groups["production"]["web"]
            .spec
            .health_check_path
            .as_deref(),
        Some("/health")
    );
    assert!(state.load_balancers["production"].contains_key("edge"));

    let again = compute(Some(&state), &desired(&text), false, "test").expect("plan");
    assert!(!again.has_changes(), "{:?}", actions(&again));
    assert!(
        again
            .unchanged
            .contains(&ObjectRef::target_group("production", "web"))
    );

    let changed = text.replace(
        "deregistrationDelaySeconds: 30",
        "deregistrationDelaySeconds: 60",
    );
    let update = compute(Some(&state), &desired(&changed), false, "test").expect("plan");
    assert_eq!(actions(&update), ["Update target group production/web"]);
    let rendered = render(&update, Paint(false));
    assert!(
        rendered.contains(
            "  ~ target group production/web\n      ~ deregistrationDelaySeconds: 30 → 60\n"
        ),
        "{rendered}"
    );
    let json = serde_json::to_value(&update).expect("json");
    assert_eq!(json["changes"][0]["object"]["kind"], "targetGroup");

    let without_edge = text
        .split("---\n")
        .filter(|doc| !doc.contains("kind: LoadBalancer"))
        .collect::<Vec<_>>()
        .join("---\n");
    let pruned = compute(Some(&state), &desired(&without_edge), true, "test").expect("plan");
    assert_eq!(actions(&pruned), ["Delete load balancer production/edge"]);
    assert_eq!(pruned.changes[0].action, Action::Delete);
    let after = applied(Some(&state), &pruned);
    assert!(after.load_balancers.is_empty());
    let kept = compute(Some(&state), &desired(&without_edge), false, "test").expect("plan");
    assert_eq!(kept.kept, [ObjectRef::load_balancer("production", "edge")]);
}

#[test]
fn a_state_file_written_before_target_groups_loads_and_keeps_its_shape() {
    let old = r#"{"formatVersion":1,"lineage":"l","serial":3,"clusters":{},"taskDefinitions":{},"services":{}}"#;
    let state: State = serde_json::from_str(old).expect("old state loads");
    assert!(state.target_groups.is_empty() && state.load_balancers.is_empty());
    assert_eq!(serde_json::to_string(&state).expect("json"), old);
}
