//! Field-level differences between two JSON values: `containerDefinitions[0].image: "a" → "b"`.
//!
//! Mappings are compared key by key (sorted). Lists are aligned with `similar` (Patience over
//! the elements' JSON), so inserting one environment variable shows one addition rather than
//! every later element changing; elements replaced in place are compared field by field.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use similar::{Algorithm, DiffOp, capture_diff_slices};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DiffKind {
    Add,
    Remove,
    Change,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldDiff {
    pub path: String,
    pub kind: DiffKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}

/// Every difference from `before` to `after`, in document order.
pub fn diff(before: &Value, after: &Value) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    walk(String::new(), before, after, &mut out);
    out
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn walk(path: String, before: &Value, after: &Value, out: &mut Vec<FieldDiff>) {
    if before == after {
        return;
    }
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = join(&path, key);
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => walk(child, x, y, out),
                    (Some(x), None) => out.push(removed(child, x)),
                    (None, Some(y)) => out.push(added(child, y)),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => list(&path, a, b, out),
        _ => out.push(FieldDiff {
            path,
            kind: DiffKind::Change,
            before: Some(before.clone()),
            after: Some(after.clone()),
        }),
    }
}

fn added(path: String, value: &Value) -> FieldDiff {
    FieldDiff {
        path,
        kind: DiffKind::Add,
        before: None,
        after: Some(value.clone()),
    }
}

fn removed(path: String, value: &Value) -> FieldDiff {
    FieldDiff {
        path,
        kind: DiffKind::Remove,
        before: Some(value.clone()),
        after: None,
    }
}

fn list(path: &str, a: &[Value], b: &[Value], out: &mut Vec<FieldDiff>) {
    let keys_a: Vec<String> = a.iter().map(Value::to_string).collect();
    let keys_b: Vec<String> = b.iter().map(Value::to_string).collect();
    let at = |i: usize| format!("{path}[{i}]");
    let removed_range = |from: usize, len: usize, out: &mut Vec<FieldDiff>| {
        out.extend(
            a.iter()
                .enumerate()
                .skip(from)
                .take(len)
                .map(|(i, v)| removed(at(i), v)),
        );
    };
    let added_range = |from: usize, len: usize, out: &mut Vec<FieldDiff>| {
        out.extend(
            b.iter()
                .enumerate()
                .skip(from)
                .take(len)
                .map(|(i, v)| added(at(i), v)),
        );
    };
    for op in capture_diff_slices(Algorithm::Patience, &keys_a, &keys_b) {
        match op {
            DiffOp::Equal { .. } => {}
            DiffOp::Delete {
                old_index, old_len, ..
            } => removed_range(old_index, old_len, out),
            DiffOp::Insert {
                new_index, new_len, ..
            } => added_range(new_index, new_len, out),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                // Elements replaced in place are compared field by field.
                let paired = old_len.min(new_len);
                for k in 0..paired {
                    walk(at(new_index + k), &a[old_index + k], &b[new_index + k], out);
                }
                removed_range(old_index + paired, old_len - paired, out);
                added_range(new_index + paired, new_len - paired, out);
            }
        }
    }
}

/// Every field of `value` as an addition (for objects that are created): mappings and lists
/// of mappings are opened, lists of plain values stay on one line (`command: ["sh", "-c"]`).
pub fn leaves(value: &Value) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    flatten(String::new(), value, &mut out);
    out
}

fn flatten(path: String, value: &Value, out: &mut Vec<FieldDiff>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                flatten(join(&path, key), child, out);
            }
        }
        Value::Array(items) if items.iter().any(|v| v.is_object() || v.is_array()) => {
            for (i, child) in items.iter().enumerate() {
                flatten(format!("{path}[{i}]"), child, out);
            }
        }
        _ => out.push(added(path, value)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn summary(d: &[FieldDiff]) -> Vec<String> {
        d.iter()
            .map(|f| {
                format!(
                    "{:?} {} {} {}",
                    f.kind,
                    f.path,
                    f.before.as_ref().map_or(String::new(), Value::to_string),
                    f.after.as_ref().map_or(String::new(), Value::to_string)
                )
            })
            .collect()
    }

    #[test]
    fn nested_field_changes() {
        let a =
            json!({"containerDefinitions": [{"name": "web", "image": "nginx:1.26"}], "cpu": "256"});
        let b = json!({"containerDefinitions": [{"name": "web", "image": "nginx:1.27"}], "memory": "512"});
        assert_eq!(
            summary(&diff(&a, &b)),
            [
                "Change containerDefinitions[0].image \"nginx:1.26\" \"nginx:1.27\"",
                "Remove cpu \"256\" ",
                "Add memory  \"512\"",
            ]
        );
    }

    #[test]
    fn insertion_in_a_list_is_one_addition() {
        let a = json!({"env": [{"name": "A"}, {"name": "C"}, {"name": "D"}]});
        let b = json!({"env": [{"name": "A"}, {"name": "B"}, {"name": "C"}, {"name": "D"}]});
        assert_eq!(summary(&diff(&a, &b)), ["Add env[1]  {\"name\":\"B\"}"]);
    }

    #[test]
    fn leaves_open_mappings_but_keep_plain_lists() {
        let v = json!({"c": [{"name": "web", "command": ["sh", "-c"]}], "cpu": "256"});
        assert_eq!(
            summary(&leaves(&v)),
            [
                "Add c[0].command  [\"sh\",\"-c\"]",
                "Add c[0].name  \"web\"",
                "Add cpu  \"256\"",
            ]
        );
    }

    #[test]
    fn equal_values_have_no_diff() {
        let a = json!({"a": [1, 2, {"b": null}]});
        assert!(diff(&a, &a.clone()).is_empty());
    }
}
