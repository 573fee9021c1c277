//! Reading real files: numbers written as strings and keys in another case, through the whole
//! reader (parse, decode, validate), with the warnings a user sees.

use crate::diagnostics::{Diagnostics, Severity, SourceFile};
use crate::model::load::{check_files, check_text};
use crate::model::validate::{Known, ManifestSet};

/// `(severity, line, column, path, message)` of one diagnostic.
type Found = (Severity, u32, u32, String, String);

/// Every diagnostic, sorted.
fn all(diagnostics: &Diagnostics) -> Vec<Found> {
    diagnostics
        .sorted()
        .into_iter()
        .map(|d| {
            let loc = d.location.as_ref().expect("a location");
            (
                d.severity,
                loc.span.line,
                loc.span.col,
                loc.path.clone().unwrap_or_default(),
                d.message.clone(),
            )
        })
        .collect()
}

fn check(name: &str, text: &str) -> (ManifestSet, Vec<Found>) {
    let (set, diagnostics) = check_text(name, text);
    let found = all(&diagnostics);
    (set, found)
}

const QUOTED: &str = "numbers written as strings were read as numbers: ";

#[test]
fn quoted_numbers_are_one_warning_per_document_at_the_first() {
    let text = r#"{
  "family": "web",
  "containerDefinitions": [
    {
      "name": "web",
      "image": "nginx",
      "memory": "128",
      "cpu": " 64 ",
      "portMappings": [{"containerPort": "80", "hostPort": "8080"}]
    }
  ]
}"#;
    let (set, found) = check("web.json", text);
    let container = &set.task_definitions["web"].spec.container_definitions[0];
    assert_eq!((container.memory, container.cpu), (Some(128), Some(64)));
    let port = &container.port_mappings[0];
    assert_eq!(
        (port.container_port, port.host_port),
        (Some(80), Some(8080))
    );
    assert_eq!(
        found,
        vec![(
            Severity::Warning,
            7,
            17,
            String::new(),
            format!(
                "{QUOTED}containerDefinitions[0].memory, containerDefinitions[0].cpu, containerDefinitions[0].portMappings[0].containerPort, containerDefinitions[0].portMappings[0].hostPort"
            )
        )]
    );
    let (_, diagnostics) = check_text("web.json", text);
    let help = diagnostics.iter().next().and_then(|d| d.help.clone());
    assert_eq!(
        help.as_deref(),
        Some("ECS takes these fields as numbers: write them without quotes")
    );
}

#[test]
fn quoted_numbers_of_two_documents_are_two_warnings() {
    let text = "apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {name: web}\nspec:\n  containerDefinitions: [{name: web, image: nginx, memory: '128'}]\n---\napiVersion: ecsctl/v1\nkind: Service\nmetadata: {name: web}\nspec: {desiredCount: '3'}\n";
    let (set, found) = check("m.yaml", text);
    let service = &set.services[&("default".to_string(), "web".to_string())];
    assert_eq!(service.manifest.spec.desired_count, Some(3));
    assert_eq!(
        found,
        vec![
            (
                Severity::Warning,
                5,
                60,
                String::new(),
                format!("{QUOTED}spec.containerDefinitions[0].memory")
            ),
            (
                Severity::Warning,
                10,
                22,
                String::new(),
                format!("{QUOTED}spec.desiredCount")
            ),
        ]
    );
}

#[test]
fn a_long_list_of_quoted_numbers_is_cut_after_ten() {
    let codes: Vec<String> = (0..12).map(|i| format!("'{i}'")).collect();
    let text = format!(
        "apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec:\n  containerDefinitions:\n    - name: web\n      image: nginx\n      restartPolicy: {{ignoredExitCodes: [{}]}}\n",
        codes.join(", ")
    );
    let (set, found) = check("m.yaml", &text);
    let policy = set.task_definitions["web"].spec.container_definitions[0]
        .restart_policy
        .clone()
        .expect("a restart policy");
    assert_eq!(policy.ignored_exit_codes, (0..12).collect::<Vec<i32>>());
    let warning = found
        .iter()
        .find(|f| f.4.starts_with(QUOTED))
        .expect("the warning");
    let listed: Vec<String> = (0..10)
        .map(|i| format!("spec.containerDefinitions[0].restartPolicy.ignoredExitCodes[{i}]"))
        .collect();
    assert_eq!(
        warning.4,
        format!("{QUOTED}{} and 2 more", listed.join(", "))
    );
    assert_eq!(found.iter().filter(|f| f.4.starts_with(QUOTED)).count(), 1);
}

#[test]
fn a_non_numeric_string_integer_is_an_error_and_the_rest_still_read() {
    let text = r#"{"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx", "memory": "lots", "cpu": "10"}]}"#;
    let (_, found) = check("web.json", text);
    assert_eq!(
        found,
        vec![
            (
                Severity::Error,
                1,
                88,
                "containerDefinitions[0].memory".into(),
                "expected an integer, found the string `\"lots\"`".into()
            ),
            (
                Severity::Warning,
                1,
                103,
                String::new(),
                format!("{QUOTED}containerDefinitions[0].cpu")
            ),
        ]
    );
}

#[test]
fn a_json_task_definition_with_keys_in_another_case_is_recognised_and_read() {
    let text = r#"{
  "Family": "web",
  "NetworkMode": "bridge",
  "ContainerDefinitions": [
    {"Name": "web", "Image": "nginx", "Memory": 128}
  ],
  "Tags": [{"Key": "team", "Value": "web"}]
}"#;
    let (set, found) = check("web.json", text);
    let spec = &set.task_definitions["web"].spec;
    assert_eq!(
        spec.container_definitions[0].image.as_deref(),
        Some("nginx")
    );
    assert_eq!(spec.tags[0].key.as_deref(), Some("team"));
    let warnings: Vec<(u32, u32, &str, &str)> = found
        .iter()
        .map(|(s, l, c, p, m)| {
            assert_eq!(*s, Severity::Warning, "{m}");
            (*l, *c, p.as_str(), m.as_str())
        })
        .collect();
    assert_eq!(
        warnings,
        vec![
            (2, 3, "family", "`Family` read as `family`"),
            (3, 3, "networkMode", "`NetworkMode` read as `networkMode`"),
            (
                4,
                3,
                "containerDefinitions",
                "`ContainerDefinitions` read as `containerDefinitions`"
            ),
            (
                5,
                6,
                "containerDefinitions[0].name",
                "`Name` read as `name`"
            ),
            (
                5,
                21,
                "containerDefinitions[0].image",
                "`Image` read as `image`"
            ),
            (
                5,
                39,
                "containerDefinitions[0].memory",
                "`Memory` read as `memory`"
            ),
            // The ignored-fields warning finds the key as written.
            (7, 3, "", "1 field has no effect off AWS and is ignored"),
            (7, 3, "tags", "`Tags` read as `tags`"),
            (7, 13, "tags[0].key", "`Key` read as `key`"),
            (7, 28, "tags[0].value", "`Value` read as `value`"),
        ]
    );
}

#[test]
fn checks_on_fields_written_in_another_case_point_at_them() {
    // memoryReservation above memory: reported at the value, found through `MemoryReservation`.
    let text = r#"{"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx",
  "Memory": 128,
  "MemoryReservation": 256}]}"#;
    let (_, found) = check("web.json", text);
    let errors: Vec<_> = found.iter().filter(|f| f.0 == Severity::Error).collect();
    assert_eq!(errors.len(), 1, "{found:#?}");
    assert_eq!(
        (errors[0].1, errors[0].2, errors[0].3.as_str()),
        (3, 24, "containerDefinitions[0].memoryReservation")
    );
}

#[test]
fn a_json_service_with_keys_in_another_case_is_recognised() {
    let text = r#"{"ServiceName": "web", "TaskDefinition": "web:3", "DesiredCount": "2"}"#;
    let known = Known {
        families: ["web".to_string()].into(),
        ..Known::default()
    };
    let mut diagnostics = Diagnostics::new();
    let set = check_files(
        &[SourceFile::new("svc.json", text)],
        &known,
        &mut diagnostics,
    );
    let found = all(&diagnostics);
    let service = &set.services[&("default".to_string(), "web".to_string())];
    assert_eq!(service.manifest.spec.desired_count, Some(2));
    let messages: Vec<&str> = found.iter().map(|f| f.4.as_str()).collect();
    assert_eq!(
        messages,
        vec![
            "`ServiceName` read as `serviceName`",
            "`TaskDefinition` read as `taskDefinition`",
            "`DesiredCount` read as `desiredCount`",
            "numbers written as strings were read as numbers: desiredCount",
        ]
    );
    assert!(found.iter().all(|f| f.0 == Severity::Warning));
}

#[test]
fn a_key_in_another_case_and_misspelt_is_an_unknown_field_with_a_suggestion() {
    let text = r#"{"family": "web", "ContainerDefinitons": []}"#;
    let (_, diagnostics) = check_text("web.json", text);
    let error = diagnostics
        .iter()
        .find(|d| d.is_error() && d.message.starts_with("unknown field"))
        .expect("an unknown field");
    assert_eq!(
        error.message,
        "unknown field `ContainerDefinitons` in TaskDefinitionSpec"
    );
    assert_eq!(
        error.help.as_deref(),
        Some("did you mean `containerDefinitions`?")
    );
}
