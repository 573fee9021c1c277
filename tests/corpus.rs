//! Every real task definition and service definition of `../shared/ecs-corpus` must be
//! accepted (warnings allowed), except the one whose `networkMode` is a template marker, which
//! must get a clear error at the marker. Skips, saying so, when `../shared` is absent.

use std::path::{Path, PathBuf};

use ecsctl::diagnostics::{Diagnostics, Paint, render};
use ecsctl::model::load::{check_files, read_inputs};
use ecsctl::model::validate::Known;

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/ecs-corpus");
    dir.is_dir().then_some(dir)
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("corpus folder readable")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Parses and checks one file on its own. Cross-object references (a service's task
/// definition) are not part of this: the corpus files come from unrelated repositories.
fn check_alone(path: &Path) -> Diagnostics {
    let mut out = Diagnostics::new();
    let files = read_inputs(&[path.display().to_string()], &mut out);
    let objects: Vec<_> = files
        .iter()
        .flat_map(|f| ecsctl::model::load::parse_file(f, &mut out))
        .collect();
    assert!(
        !objects.is_empty() || out.has_errors(),
        "{}: no object",
        path.display()
    );
    let mut known = Known::default();
    for object in &objects {
        if let ecsctl::model::manifest::Object::Service(s) = object {
            // The referenced family and cluster live in other repositories.
            if let Ok(r) =
                ecsctl::model::validate::task_definition_of(&s.manifest.name, &s.manifest.spec)
            {
                known.families.insert(r.family);
            }
            known.clusters.insert(s.cluster.clone());
        }
    }
    let _ = check_files(&files, &known, &mut out);
    out
}

#[test]
fn every_corpus_file_validates() {
    let Some(dir) = corpus_dir() else {
        eprintln!("SKIPPED: ../shared/ecs-corpus is absent; the corpus test did not run");
        return;
    };
    let mut accepted = 0;
    let mut failures = Vec::new();
    let mut template_errors = 0;
    for sub in ["taskdefs", "services"] {
        for path in files_in(&dir.join(sub)) {
            let out = check_alone(&path);
            let text = path.display().to_string();
            if text.contains("cwagent-prometheus-task-definition") {
                // `"networkMode": "{{networkmode}}"`: a template marker in an enum position.
                let errors: Vec<_> = out.sorted().into_iter().filter(|d| d.is_error()).collect();
                assert!(
                    !errors.is_empty(),
                    "{text}: the enum template marker must be an error"
                );
                for e in &errors {
                    assert!(
                        e.message.starts_with("template marker"),
                        "{text}: {}",
                        e.message
                    );
                    assert!(e.location.is_some(), "{text}: error without a location");
                }
                template_errors += 1;
                continue;
            }
            if out.has_errors() {
                let rendered: String = out
                    .sorted()
                    .iter()
                    .map(|d| render(d, Paint(false)))
                    .collect();
                failures.push(format!("{text}:\n{rendered}"));
            } else {
                accepted += 1;
            }
        }
    }
    println!(
        "corpus: {accepted} files validate, {template_errors} refused for a template marker in an enum"
    );
    assert!(
        failures.is_empty(),
        "{} corpus files fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(accepted >= 60, "only {accepted} corpus files were checked");
}
