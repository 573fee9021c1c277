//! The JSON Schema of manifests, generated from the typed model (`schemars` derives on the
//! `ecs_struct!`/`strict_struct!`/`ecs_enum!` types), for editors (`yaml-language-server`) and
//! other tools. It must accept every document ecsctl accepts without a warning, so the
//! generated schemas are widened to the decoder's conventions (`model::de`):
//!
//! | written | where | ecsctl reads it as |
//! |---|---|---|
//! | `null` | any list, mapping, string, number or boolean | empty / absent |
//! | `""` | an optional field | absent |
//! | a number or boolean | a string | its text |
//! | `"128"`, `"0.5"` | an integer, a number | the number (warned once per document; accepted here because the corpus of real ECS files is full of them) |
//!
//! Keys in another case are read with a warning; the schema keeps the exact spelling, so an
//! editor completes and checks the right one. Semantic rules (names, references, cpu/memory
//! pairs) stay in `model::validate`: the schema is about shapes.
//!
//! The root schema is the `ecsctl/v1` envelope, one branch per `kind` (`if kind == K then
//! KManifest`), so editors complete the spec of the kind written. Plain ECS JSON documents
//! (no envelope) are described by `definitions.EcsDocument`. Output is deterministic: the
//! generator is fed the kinds in a fixed order and every map is a sorted `serde_json::Map`.

use serde_json::{Map, Value, json};

use super::alarm::AlarmSpec;
use super::cluster::ClusterSpec;
use super::ecs::{ServiceSpec, TaskDefinitionSpec};
use super::manifest::{API_VERSION, CLUSTER_SCOPED, KINDS, Metadata};
use super::scaling::{ScalableTargetSpec, ScalingPolicySpec};
use super::scheduled::ScheduledTaskSpec;
use super::traffic::{LoadBalancerSpec, TargetGroupSpec};

const DEFINITIONS: &str = "#/definitions/";

/// An integer as the decoder reads it from a string: surrounding whitespace, a sign, digits.
const QUOTED_INTEGER: &str = r"^\s*[+-]?[0-9]+\s*$";
/// A finite decimal number as the decoder reads it from a string.
const QUOTED_NUMBER: &str = r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$";

/// The schema of every kind (`None`), or of one kind's manifests. `Err` names the unknown kind
/// with the list of known ones.
pub fn schema(kind: Option<&str>) -> Result<Value, String> {
    let kinds: Vec<&str> = match kind {
        None => KINDS.to_vec(),
        Some(k) => match KINDS.iter().find(|known| known.eq_ignore_ascii_case(k)) {
            Some(known) => vec![*known],
            None => {
                return Err(format!(
                    "unknown kind `{k}`: expected one of {}",
                    KINDS
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        },
    };
    let mut definitions = generated();
    for kind in &kinds {
        definitions.insert(format!("{kind}Manifest"), kind_manifest(kind));
    }
    if kind.is_none() {
        definitions.insert("EcsDocument".into(), ecs_document());
    }
    let kind_names: Vec<Value> = kinds.iter().map(|k| json!(k)).collect();
    let branches: Vec<Value> = kinds
        .iter()
        .map(|k| {
            json!({
                "if": { "properties": { "kind": { "const": k } }, "required": ["kind"] },
                "then": { "$ref": format!("{DEFINITIONS}{k}Manifest") },
            })
        })
        .collect();
    let title = match kind {
        None => "ecsctl manifest".to_string(),
        Some(_) => format!("ecsctl {} manifest", kinds.join("")),
    };
    let mut root = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": title,
        "description": format!(
            "An `apiVersion: {API_VERSION}` manifest: kind, metadata and the spec of that kind."
        ),
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": false,
        "properties": {
            "apiVersion": { "const": API_VERSION },
            "kind": { "enum": kind_names },
            "metadata": { "$ref": format!("{DEFINITIONS}Metadata") },
            "spec": { "type": ["object", "null"] },
        },
        "allOf": branches,
    });
    prune(&mut root, definitions);
    Ok(root)
}

/// The schemas schemars derives for the specs (and everything under them), widened to what
/// the decoder accepts.
fn generated() -> Map<String, Value> {
    let mut generator = schemars::generate::SchemaSettings::draft07().into_generator();
    // Fed in a fixed order so that any name clash is resolved the same way every time.
    let _ = generator.subschema_for::<Metadata>();
    let _ = generator.subschema_for::<ClusterSpec>();
    let _ = generator.subschema_for::<TaskDefinitionSpec>();
    let _ = generator.subschema_for::<ServiceSpec>();
    let _ = generator.subschema_for::<TargetGroupSpec>();
    let _ = generator.subschema_for::<LoadBalancerSpec>();
    let _ = generator.subschema_for::<ScheduledTaskSpec>();
    let _ = generator.subschema_for::<AlarmSpec>();
    let _ = generator.subschema_for::<ScalableTargetSpec>();
    let _ = generator.subschema_for::<ScalingPolicySpec>();
    let mut definitions = generator.take_definitions(true);
    for schema in definitions.values_mut() {
        widen(schema);
    }
    definitions
}

/// The envelope of one kind: its spec, and `metadata.cluster` only where the kind has one.
fn kind_manifest(kind: &str) -> Value {
    let mut metadata = vec![
        json!({ "$ref": format!("{DEFINITIONS}Metadata") }),
        json!({ "required": ["name"], "properties": { "name": { "minLength": 1, "not": { "type": "null" } } } }),
    ];
    if !CLUSTER_SCOPED.contains(&kind) {
        metadata.push(json!({ "not": { "required": ["cluster"] } }));
    }
    json!({
        "description": format!("`kind: {kind}`"),
        "properties": {
            "metadata": { "allOf": metadata },
            "spec": { "$ref": format!("{DEFINITIONS}{kind}Spec") },
        },
    })
}

/// A plain ECS document, told apart as `model::manifest` does: DescribeTaskDefinition output
/// (`taskDefinition` holding a mapping), a register-task-definition document (`family` or
/// `containerDefinitions`), else a create-service/update-service document.
fn ecs_document() -> Value {
    json!({
        "description": "A plain ECS JSON document: register-task-definition or create-service input, or DescribeTaskDefinition output.",
        "type": "object",
        "if": {
            "required": ["taskDefinition"],
            "properties": { "taskDefinition": { "type": "object" } },
        },
        "then": {
            "properties": {
                "taskDefinition": { "$ref": format!("{DEFINITIONS}TaskDefinitionSpec") },
                "tags": true,
            },
            "additionalProperties": false,
        },
        "else": {
            "if": { "anyOf": [{ "required": ["family"] }, { "required": ["containerDefinitions"] }] },
            "then": { "$ref": format!("{DEFINITIONS}TaskDefinitionSpec") },
            "else": { "$ref": format!("{DEFINITIONS}ServiceSpec") },
        },
    })
}

/// Widens one generated schema (and its subschemas) to the decoder's conventions; see the
/// table at the top.
fn widen(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    for key in ["properties", "definitions"] {
        if let Some(Value::Object(children)) = object.get_mut(key) {
            children.values_mut().for_each(widen);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = object.get_mut(key) {
            widen(child);
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(children)) = object.get_mut(key) {
            children.iter_mut().for_each(widen);
        }
    }
    // `Option<Struct>` / `Option<Enum>`: `anyOf: [{$ref}, {type: null}]`. `""` is absent too.
    if let Some(Value::Array(choices)) = object.get_mut("anyOf")
        && choices.iter().any(is_null_type)
    {
        choices.push(json!({ "const": "" }));
        return;
    }
    // Enumerations take their strings only (and `null`/`""` where optional, above).
    if object.contains_key("enum") || object.contains_key("const") {
        return;
    }
    let types: Vec<String> = match object.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        _ => return,
    };
    let mut widened: Vec<&str> = Vec::new();
    let mut add = |names: &[&'static str]| {
        for name in names {
            if !widened.contains(name) {
                widened.push(name);
            }
        }
    };
    for t in &types {
        match t.as_str() {
            "string" => add(&["string", "number", "boolean"]),
            "integer" => {
                add(&["integer", "string"]);
                object.insert("pattern".into(), json!(QUOTED_INTEGER));
                bounds(object);
            }
            "number" => {
                add(&["number", "string"]);
                object.insert("pattern".into(), json!(QUOTED_NUMBER));
            }
            "boolean" => add(&["boolean"]),
            "object" => add(&["object"]),
            "array" => add(&["array"]),
            _ => {}
        }
    }
    add(&["null"]);
    // `""` in an optional number is absent, not a quoted number. (The types as generated:
    // a string is widened to take numbers, but keeps no pattern.)
    let optional = types.iter().any(|t| t == "null");
    let numeric = types.iter().any(|t| t == "integer" || t == "number");
    if optional
        && numeric
        && let Some(Value::String(pattern)) = object.get_mut("pattern")
    {
        *pattern = format!("{pattern}|^$");
    }
    object.insert("type".into(), json!(widened));
}

/// `{type: null}` or `{type: [null]}`: the `None` of an `Option`.
fn is_null_type(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => ts.len() == 1 && ts[0] == "null",
        _ => false,
    }
}

/// The range of the Rust integer type, which the decoder enforces (schemars writes only the
/// `format`).
fn bounds(object: &mut Map<String, Value>) {
    let (min, max): (i64, i64) = match object.get("format").and_then(Value::as_str) {
        Some("int8") => (i8::MIN.into(), i8::MAX.into()),
        Some("int16") => (i16::MIN.into(), i16::MAX.into()),
        Some("int32") => (i32::MIN.into(), i32::MAX.into()),
        Some("uint8") => (0, u8::MAX.into()),
        Some("uint16") => (0, u16::MAX.into()),
        Some("uint32") => (0, u32::MAX.into()),
        Some("uint64" | "uint") => (0, i64::MAX),
        _ => (i64::MIN, i64::MAX),
    };
    object.entry("minimum").or_insert(json!(min));
    object.entry("maximum").or_insert(json!(max));
}

/// Keeps only the definitions the root reaches (a one-kind schema does not carry the others).
fn prune(root: &mut Value, mut definitions: Map<String, Value>) {
    let mut kept = Map::new();
    let mut pending = Vec::new();
    refs(root, &mut pending);
    while let Some(name) = pending.pop() {
        if kept.contains_key(&name) {
            continue;
        }
        if let Some(schema) = definitions.remove(&name) {
            refs(&schema, &mut pending);
            kept.insert(name, schema);
        }
    }
    // `EcsDocument` is reached from no manifest; it is part of the whole schema by choice.
    if let Some(document) = definitions.remove("EcsDocument") {
        refs(&document, &mut pending);
        kept.insert("EcsDocument".into(), document);
        while let Some(name) = pending.pop() {
            if !kept.contains_key(&name)
                && let Some(schema) = definitions.remove(&name)
            {
                refs(&schema, &mut pending);
                kept.insert(name, schema);
            }
        }
    }
    if let Some(object) = root.as_object_mut() {
        object.insert("definitions".into(), Value::Object(kept));
    }
}

fn refs(schema: &Value, out: &mut Vec<String>) {
    match schema {
        Value::Object(object) => {
            for (key, value) in object {
                match (key.as_str(), value) {
                    ("$ref", Value::String(r)) => {
                        if let Some(name) = r.strip_prefix(DEFINITIONS) {
                            out.push(name.to_string());
                        }
                    }
                    _ => refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_is_deterministic() {
        let a = serde_json::to_string(&schema(None).expect("schema")).expect("json");
        let b = serde_json::to_string(&schema(None).expect("schema")).expect("json");
        assert_eq!(a, b);
    }

    #[test]
    fn every_kind_has_its_branch_and_spec() {
        let whole = schema(None).expect("schema");
        let definitions = whole["definitions"].as_object().expect("definitions");
        for kind in KINDS {
            assert!(
                definitions.contains_key(&format!("{kind}Manifest")),
                "{kind}"
            );
            assert!(definitions.contains_key(&format!("{kind}Spec")), "{kind}");
            let one = schema(Some(kind)).expect("one kind");
            assert_eq!(one["properties"]["kind"]["enum"], json!([kind]));
            for other in KINDS.iter().filter(|o| **o != kind) {
                assert!(
                    one["definitions"].get(format!("{other}Manifest")).is_none(),
                    "{kind} carries {other}"
                );
            }
        }
        assert_eq!(whole["properties"]["kind"]["enum"], json!(KINDS));
        assert!(definitions.contains_key("EcsDocument"));
    }

    #[test]
    fn an_unknown_kind_is_refused() {
        let error = schema(Some("Deployment")).expect_err("unknown kind");
        assert!(error.starts_with("unknown kind `Deployment`"), "{error}");
        assert!(schema(Some("service")).is_ok());
    }

    #[test]
    fn numbers_and_text_are_widened_as_the_decoder_reads_them() {
        let whole = schema(None).expect("schema");
        let service = &whole["definitions"]["ServiceSpec"]["properties"];
        let count = &service["desiredCount"];
        assert_eq!(count["type"], json!(["integer", "string", "null"]));
        assert_eq!(count["pattern"], json!(format!("{QUOTED_INTEGER}|^$")));
        assert_eq!(count["maximum"], json!(i32::MAX));
        let task = &whole["definitions"]["TaskDefinitionSpec"]["properties"];
        assert_eq!(
            task["memory"]["type"],
            json!(["string", "number", "boolean", "null"])
        );
        // Structures refuse unknown keys, as the decoder does.
        assert_eq!(
            whole["definitions"]["ContainerDefinition"]["additionalProperties"],
            json!(false)
        );
    }
}
