//! `deploy`: an image-only deploy from a pipeline, as ECS's deploy action does it. The
//! pipeline's `imagedefinitions.json` (`[{"name": CONTAINER, "imageUri": IMAGE}]`, CodePipeline's
//! standard ECS action) or `imageDetail.json` (`{"ImageURI": IMAGE}`, its blue/green action: the
//! image of the service's first essential container, or `container`) becomes a new revision of
//! the service's task definition — its running revision with those images — and the service
//! rolls to it. A plan like any other: `plan` shows the content change and the deployment.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::Value;

use super::apply::{Pending, pending};
use super::error::{OpsError, OpsResult};
use super::resolve;
use super::session::Session;

/// The images a pipeline hands over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Images {
    /// `imagedefinitions.json`: container name → image.
    Definitions(Vec<(String, String)>),
    /// `imageDetail.json`: one image.
    Detail(String),
}

/// Reads either pipeline format; anything else is an error that says what was expected.
pub fn parse(text: &str, origin: &str) -> OpsResult<Images> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| OpsError::invalid(format!("`{origin}` is not JSON: {e}")))?;
    let expected = "expected imagedefinitions.json (`[{\"name\": \"CONTAINER\", \"imageUri\": \"IMAGE\"}]`) or imageDetail.json (`{\"ImageURI\": \"IMAGE\"}`)";
    match value {
        Value::Array(items) => {
            let mut images = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let field = |name: &str| item.get(name).and_then(Value::as_str).map(str::to_string);
                match (field("name"), field("imageUri")) {
                    (Some(name), Some(image)) if !name.is_empty() && !image.is_empty() => {
                        images.push((name, image))
                    }
                    _ => {
                        return Err(OpsError::invalid(format!(
                            "`{origin}`: entry {i} needs `name` and `imageUri`; {expected}"
                        )));
                    }
                }
            }
            if images.is_empty() {
                return Err(OpsError::invalid(format!(
                    "`{origin}` names no image; {expected}"
                )));
            }
            Ok(Images::Definitions(images))
        }
        Value::Object(map) => match map.get("ImageURI").and_then(Value::as_str) {
            Some(image) if !image.is_empty() => Ok(Images::Detail(image.to_string())),
            _ => Err(OpsError::invalid(format!(
                "`{origin}` has no `ImageURI`; {expected}"
            ))),
        },
        _ => Err(OpsError::invalid(format!("`{origin}`: {expected}"))),
    }
}

/// Reads the pipeline's file.
pub fn read(path: &Path) -> OpsResult<Images> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading `{}`", path.display()))?;
    parse(&text, &path.display().to_string())
}

/// Locks the state and plans the new revision and the service's deployment to it.
pub fn prepare(
    session: &Session,
    service: &str,
    cluster: Option<&str>,
    images: &Images,
    container: Option<&str>,
    lock_timeout: Duration,
) -> OpsResult<Pending> {
    let lock = session.store.lock_state(lock_timeout)?;
    let Some(state) = session.store.read_state()? else {
        return Err(OpsError::not_found(
            super::ObjectKind::Service,
            service,
            resolve::place(cluster),
        ));
    };
    let (cluster, record) = resolve::service(&state, service, cluster)?;
    let running = state.revision(&record.task_definition).ok_or_else(|| {
        OpsError::invalid(format!(
            "service `{service}` runs {}, which is not in the state",
            record.task_definition
        ))
    })?;
    let family = record.task_definition.family.clone();
    let mut spec = running.spec.clone();
    let names: Vec<String> = spec
        .container_definitions
        .iter()
        .filter_map(|c| c.name.clone())
        .collect();
    let wanted: Vec<(String, String)> = match images {
        Images::Definitions(list) => list.clone(),
        Images::Detail(image) => {
            let effective = running.effective();
            let name = match container {
                Some(name) => name.to_string(),
                None => effective
                    .first_essential()
                    .and_then(|i| names.get(i).cloned())
                    .unwrap_or_default(),
            };
            vec![(name, image.clone())]
        }
    };
    for (name, image) in &wanted {
        let Some(definition) = spec
            .container_definitions
            .iter_mut()
            .find(|c| c.name.as_deref() == Some(name))
        else {
            return Err(OpsError::invalid(format!(
                "the task definition `{}` of service `{service}` has no container `{name}` (its containers: {})",
                record.task_definition,
                names.join(", ")
            )));
        };
        definition.image = Some(image.clone());
    }
    let mut desired = super::delete::recorded(&state);
    desired.task_definitions.insert(family.clone(), spec);
    // The service follows its family, so the new revision is what it runs next.
    if let Some(s) = desired
        .services
        .get_mut(&cluster)
        .and_then(|s| s.get_mut(service))
    {
        s.task_definition = Some(family);
    }
    let plan = super::manifests::plan_recorded(Some(&state), &desired, false)?;
    Ok(pending(lock, state, plan))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_pipeline_formats_are_read() {
        assert_eq!(
            parse(r#"[{"name": "web", "imageUri": "registry/web:2"}]"#, "f").ok(),
            Some(Images::Definitions(vec![(
                "web".into(),
                "registry/web:2".into()
            )]))
        );
        assert_eq!(
            parse(r#"{ "ImageURI": "nginxdemos/hello:latest" }"#, "f").ok(),
            Some(Images::Detail("nginxdemos/hello:latest".into()))
        );
        for bad in [
            "[]",
            r#"[{"name": "web"}]"#,
            r#"{"image": "x"}"#,
            "3",
            "not json",
        ] {
            let error = parse(bad, "f.json").expect_err(bad).to_string();
            assert!(error.contains("f.json"), "{bad}: {error}");
        }
    }

    /// The pipeline files of the corpus (when `../shared` is beside the checkout).
    #[test]
    fn the_corpus_pipeline_files_are_read() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/ecs-corpus/other");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("skipped: {} is absent", dir.display());
            return;
        };
        let mut read_count = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.ends_with("imagedefinitions.json") || name.ends_with("imageDetail.json") {
                read(&entry.path()).unwrap_or_else(|e| panic!("{name}: {e}"));
                read_count += 1;
            }
        }
        assert!(read_count >= 2, "the corpus has pipeline files");
    }
}
