//! `ecsctl schema` checked by an independent validator: Python's `jsonschema` (from PyPI, in
//! the virtual environment `tests/run.sh` makes: `$ECSCTL_PYENV`, default
//! `/tmp/ecsctl-pyenv`). The schema must accept every file of `manifests/` and every task and
//! service definition of `../shared/ecs-corpus` (the plain ECS documents, against
//! `definitions.EcsDocument`), and must refuse clearly wrong manifests. Without the virtual
//! environment, or without `../shared`, the tests say so and return.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Env, repo_root};

/// Reads `CASES` (one `MODE<TAB>PATH` a line; MODE is `manifest` or `ecs`, or `reject-` and one of them),
/// validates each document, prints one line per problem and exits 1 when there is any.
/// YAML goes through a JSON round trip, so dates and the like are plain strings as ecsctl's
/// YAML 1.2 reader sees them.
const VALIDATE: &str = r##"
import json, sys
import yaml
from jsonschema import Draft7Validator

schema_path, cases_path = sys.argv[1], sys.argv[2]
with open(schema_path) as f:
    schema = json.load(f)
Draft7Validator.check_schema(schema)
manifest = Draft7Validator(schema)
ecs = Draft7Validator({
    "$schema": schema["$schema"],
    "definitions": schema["definitions"],
    "allOf": [{"$ref": "#/definitions/EcsDocument"}],
})

def documents(path):
    with open(path) as f:
        text = f.read()
    if path.endswith(".json"):
        return [json.loads(text)]
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    return [json.loads(json.dumps(d, default=str)) for d in docs]

problems, checked = [], 0
with open(cases_path) as f:
    cases = [line.rstrip("\n").split("\t", 1) for line in f if line.strip()]
for mode, path in cases:
    for i, doc in enumerate(documents(path)):
        checked += 1
        validator = ecs if mode.endswith("ecs") else manifest
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if mode.startswith("reject"):
            if not errors:
                problems.append(f"{path}[{i}]: accepted, but the schema must refuse it")
            continue
        for e in errors:
            where = "/".join(str(p) for p in e.absolute_path)
            problems.append(f"{path}[{i}] at /{where}: {e.message[:300]}")
for p in problems:
    print(p)
print(f"checked {checked} documents, {len(problems)} problems")
sys.exit(1 if problems else 0)
"##;

fn python() -> Option<PathBuf> {
    let dir = PathBuf::from(
        std::env::var("ECSCTL_PYENV").unwrap_or_else(|_| "/tmp/ecsctl-pyenv".to_string()),
    );
    let python = dir.join("bin/python");
    let ready = Command::new(&python)
        .args(["-c", "import jsonschema, yaml"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ready {
        Some(python)
    } else {
        eprintln!(
            "SKIPPED: no Python with jsonschema and pyyaml at {} (tests/run.sh installs them); the schema was not validated",
            dir.display()
        );
        None
    }
}

/// Writes `ecsctl schema` to the test directory and returns its path.
fn write_schema(env: &Env) -> PathBuf {
    let run = env.run(&["schema"]);
    assert_eq!(run.code, 0, "ecsctl schema failed: {}", run.stderr);
    env.write("ecsctl.schema.json", &run.stdout)
}

/// Validates `cases` and returns the validator's report; panics with it on failure.
fn validate(env: &Env, python: &Path, cases: &[(&str, PathBuf)]) -> String {
    let schema = write_schema(env);
    let script = env.write("validate.py", VALIDATE);
    let lines: String = cases
        .iter()
        .map(|(mode, path)| format!("{mode}\t{}\n", path.display()))
        .collect();
    let list = env.write("cases.tsv", &lines);
    let output = Command::new(python)
        .arg(&script)
        .arg(&schema)
        .arg(&list)
        .output()
        .expect("run python");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "the validator found problems:\n{report}"
    );
    report
}

fn files_in(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("folder readable")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn the_shipped_manifests_validate() {
    let Some(python) = python() else { return };
    let env = Env::new();
    let files = files_in(&repo_root().join("manifests"), &["yaml", "yml", "json"]);
    assert!(!files.is_empty(), "no manifests");
    let cases: Vec<(&str, PathBuf)> = files.into_iter().map(|f| ("manifest", f)).collect();
    println!("{}", validate(&env, &python, &cases));
}

#[test]
fn the_corpus_validates_against_the_ecs_document_schema() {
    let Some(python) = python() else { return };
    let dir = repo_root().join("../shared/ecs-corpus");
    if !dir.is_dir() {
        eprintln!("SKIPPED: ../shared/ecs-corpus is absent; the corpus was not validated");
        return;
    }
    let env = Env::new();
    let mut cases = Vec::new();
    for sub in ["taskdefs", "services"] {
        for path in files_in(&dir.join(sub), &["json", "yaml", "yml"]) {
            // `"networkMode": "{{networkmode}}"`: a template marker where an enum goes, which
            // ecsctl refuses too (tests/corpus.rs).
            let mode = if path.display().to_string().contains("cwagent-prometheus") {
                "reject-ecs"
            } else {
                "ecs"
            };
            cases.push((mode, path));
        }
    }
    assert!(cases.len() >= 60, "only {} corpus files", cases.len());
    println!("{}", validate(&env, &python, &cases));
}

#[test]
fn clearly_wrong_manifests_are_refused() {
    let Some(python) = python() else { return };
    let env = Env::new();
    let wrong = [
        (
            "count.yaml",
            "apiVersion: ecsctl/v1\nkind: Service\nmetadata: { name: web }\nspec: { taskDefinition: web, desiredCount: many }\n",
        ),
        (
            "kind.yaml",
            "apiVersion: ecsctl/v1\nkind: Deployment\nmetadata: { name: web }\nspec: {}\n",
        ),
        (
            "field.yaml",
            "apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: { name: web }\nspec:\n  containerDefinitions:\n    - { name: web, image: nginx, esential: true }\n",
        ),
        (
            "enum.yaml",
            "apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: { name: web }\nspec: { networkMode: bridged }\n",
        ),
        (
            "version.yaml",
            "apiVersion: v1\nkind: Cluster\nmetadata: { name: prod }\nspec: {}\n",
        ),
        (
            "cluster.yaml",
            "apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: { name: web, cluster: prod }\nspec: {}\n",
        ),
        (
            "spec.yaml",
            "apiVersion: ecsctl/v1\nkind: Cluster\nmetadata: { name: prod }\nspec: { desiredCount: 2 }\n",
        ),
    ];
    let mut cases = Vec::new();
    for (name, text) in wrong {
        cases.push(("reject-manifest", env.write(name, text)));
    }
    // And the lenient forms ecsctl reads are accepted: quoted numbers, numbers as text, units.
    let lenient = env.write(
        "lenient.yaml",
        "apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: { name: web }\nspec:\n  cpu: 0.25 vCPU\n  memory: 1 GB\n  containerDefinitions:\n    - name: web\n      image: nginx\n      memory: \"512\"\n      environment: [{ name: PORT, value: 8080 }]\n      portMappings: [{ containerPort: 80, hostPort: }]\n---\napiVersion: ecsctl/v1\nkind: Service\nmetadata: { name: web, cluster: prod }\nspec: { taskDefinition: \"web:3\", desiredCount: \"2\" }\n",
    );
    cases.push(("manifest", lenient));
    println!("{}", validate(&env, &python, &cases));
}
