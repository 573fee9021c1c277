//! The Drift section of `plan --refresh` and `diff --live`: what `ops::drift` found on the
//! hosts, after the plan, in text or in the plan's JSON (`"drift": [...]`, sorted).

use serde_json::Value;

use super::super::Context;
use crate::diagnostics::Paint;
use crate::ops::drift::{Drifted, Refresh};
use crate::plan::Plan;
use crate::state::State;

/// Reads the hosts of every cluster of the state; hosts that do not answer are warned about
/// (their drift is unknown). Nothing applied yet: nothing can have drifted.
pub fn refresh(cx: &Context, state: Option<&State>) -> anyhow::Result<Refresh> {
    let Some(state) = state else {
        return Ok(Refresh::default());
    };
    let session = cx.session()?;
    let refresh = super::super::reconcile::runtime()?
        .block_on(crate::ops::drift::refresh(&session, state))?;
    for u in &refresh.unanswered {
        cx.out.note(&format!(
            "{}: host `{}` of cluster `{}` did not answer, its drift is unknown: {}",
            cx.out.paint_err.yellow("warning"),
            u.host,
            u.cluster,
            u.error
        ));
    }
    Ok(refresh)
}

/// The plan's JSON with the drift beside it.
pub fn with_drift(plan: &Plan, refresh: &Refresh) -> anyhow::Result<Value> {
    let mut value = serde_json::to_value(plan)?;
    if let Value::Object(map) = &mut value {
        map.insert("drift".into(), serde_json::to_value(&refresh.drift)?);
        if !refresh.unanswered.is_empty() {
            map.insert(
                "unanswered".into(),
                serde_json::to_value(&refresh.unanswered)?,
            );
        }
    }
    Ok(value)
}

fn line(d: &Drifted) -> String {
    let item = &d.item;
    let task = item
        .task
        .as_deref()
        .map(|t| format!(", task {}", crate::ops::drift::short_id(t)))
        .unwrap_or_default();
    format!(
        "service {} (cluster {}, host {}{task}): {}",
        item.service, d.cluster, item.host, item.kind
    )
}

/// `Drift (the hosts differ from the state):` with one line per item, or that there is none.
pub fn render(refresh: &Refresh, paint: Paint) -> String {
    if refresh.drift.is_empty() {
        return "\nNo drift: the hosts match the state.\n".into();
    }
    let mut out = format!(
        "\n{}\n",
        paint.bold("Drift (changed on the hosts by hand, not in the state):")
    );
    for d in &refresh.drift {
        out.push_str(&format!("  {} {}\n", paint.yellow("!"), line(d)));
    }
    let n = refresh.drift.len();
    out.push_str(&format!(
        "\nDrift: {n} item{}. `ecsctl reconcile` corrects what ecsctl owns.\n",
        if n == 1 { "" } else { "s" }
    ));
    out
}
