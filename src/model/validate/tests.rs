//! Each semantic rule, with the location it reports.

use crate::diagnostics::Severity;
use crate::model::load::check_text;

/// `(severity, line, column, path, message)` of every diagnostic, sorted.
fn check(text: &str) -> Vec<(Severity, u32, u32, String, String)> {
    let (_, diagnostics) = check_text("m.yaml", text);
    diagnostics
        .sorted()
        .into_iter()
        .map(|d| {
            let loc = d
                .location
                .as_ref()
                .expect("every diagnostic has a location");
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

fn errors(text: &str) -> Vec<(u32, u32, String, String)> {
    check(text)
        .into_iter()
        .filter(|d| d.0 == Severity::Error)
        .map(|(_, l, c, p, m)| (l, c, p, m))
        .collect()
}

fn help_of(text: &str, message_start: &str) -> Option<String> {
    let (_, diagnostics) = check_text("m.yaml", text);
    diagnostics
        .iter()
        .find(|d| d.message.starts_with(message_start))
        .and_then(|d| d.help.clone())
}

const TD: &str = "apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {name: web}\nspec:\n";

fn td(body: &str) -> String {
    format!("{TD}{body}")
}

#[test]
fn a_clean_task_definition_has_no_diagnostics() {
    let text = td("  containerDefinitions:\n    - name: web\n      image: nginx\n");
    assert_eq!(check(&text), vec![]);
}

#[test]
fn unknown_field_with_suggestion_and_exact_position() {
    let text =
        td("  containerDefinitions:\n    - name: web\n      image: nginx\n      esential: true\n");
    assert_eq!(
        errors(&text),
        vec![(
            8,
            7,
            "spec.containerDefinitions[0].esential".into(),
            "unknown field `esential` in ContainerDefinition".into()
        )]
    );
    assert_eq!(
        help_of(&text, "unknown field").as_deref(),
        Some("did you mean `essential`?")
    );
}

#[test]
fn two_containers_with_one_name() {
    let text =
        td("  containerDefinitions:\n    - {name: web, image: a}\n    - {name: web, image: b}\n");
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].2, "spec.containerDefinitions[1].name");
    assert_eq!(e[0].3, "two containers are named `web`");
}

#[test]
fn depends_on_an_unknown_container_suggests_the_closest() {
    let text = td(
        "  containerDefinitions:\n    - {name: web, image: a, dependsOn: [{containerName: sidecr, condition: START}]}\n    - {name: sidecar, image: b, essential: false}\n",
    );
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(
        e[0].2,
        "spec.containerDefinitions[0].dependsOn[0].containerName"
    );
    assert_eq!(
        help_of(&text, "no container named").as_deref(),
        Some("did you mean `sidecar`?")
    );
}

#[test]
fn dependency_conditions_are_checked_against_the_target() {
    let healthy = td(
        "  containerDefinitions:\n    - {name: web, image: a, dependsOn: [{containerName: db, condition: HEALTHY}]}\n    - {name: db, image: b}\n",
    );
    assert!(errors(&healthy)[0].3.contains("has no `healthCheck`"));
    let complete = td(
        "  containerDefinitions:\n    - {name: web, image: a, dependsOn: [{containerName: init, condition: SUCCESS}]}\n    - {name: init, image: b}\n",
    );
    assert!(errors(&complete)[0].3.contains("`init` is essential"));
    let cycle = td(
        "  containerDefinitions:\n    - {name: a, image: a, dependsOn: [{containerName: b, condition: START}]}\n    - {name: b, image: b, dependsOn: [{containerName: a, condition: START}]}\n",
    );
    let e = errors(&cycle);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e.iter().all(|x| x.3.contains("dependency cycle")));
}

#[test]
fn host_port_used_twice_in_host_mode() {
    let text = td(
        "  networkMode: host\n  containerDefinitions:\n    - name: a\n      image: a\n      portMappings: [{containerPort: 80}]\n    - name: b\n      image: b\n      portMappings:\n        - containerPort: 81\n        - containerPort: 80\n",
    );
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].2, "spec.containerDefinitions[1].portMappings[1]");
    assert_eq!(e[0].3, "host port 80/tcp is used twice in this task");
}

#[test]
fn host_mode_host_port_must_equal_container_port() {
    let text = td(
        "  networkMode: awsvpc\n  containerDefinitions:\n    - {name: a, image: a, portMappings: [{containerPort: 80, hostPort: 8080}]}\n",
    );
    assert!(
        errors(&text)[0]
            .3
            .contains("must equal the containerPort (80)")
    );
}

#[test]
fn bridge_mode_allows_the_same_container_port_with_dynamic_host_ports() {
    let text = td(
        "  containerDefinitions:\n    - {name: a, image: a, portMappings: [{containerPort: 80, hostPort: 0}]}\n    - {name: b, image: b, portMappings: [{containerPort: 80}]}\n",
    );
    assert_eq!(errors(&text), vec![]);
}

#[test]
fn memory_reservation_above_memory() {
    let text = td(
        "  containerDefinitions:\n    - {name: a, image: a, memory: 128, memoryReservation: 256}\n",
    );
    let e = errors(&text);
    assert_eq!(e[0].2, "spec.containerDefinitions[0].memoryReservation");
    assert_eq!(
        e[0].3,
        "memoryReservation (256 MiB) is greater than memory (128 MiB)"
    );
}

#[test]
fn no_essential_container() {
    let text = td("  containerDefinitions:\n    - {name: a, image: a, essential: false}\n");
    assert_eq!(
        errors(&text)[0].3,
        "no container is essential: a task needs at least one essential container"
    );
}

#[test]
fn bad_task_cpu_and_memory_strings() {
    let text =
        td("  cpu: 1 core\n  memory: lots\n  containerDefinitions:\n    - {name: a, image: a}\n");
    let e = errors(&text);
    assert_eq!(e.len(), 2, "{e:?}");
    assert_eq!((e[0].0, e[0].2.as_str()), (5, "spec.cpu"));
    assert!(
        e[0].3
            .starts_with("invalid task cpu: unknown cpu unit `core`")
    );
    assert_eq!((e[1].0, e[1].2.as_str()), (6, "spec.memory"));
}

#[test]
fn invalid_names() {
    let text = "apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {name: web.app}\nspec:\n  containerDefinitions:\n    - {name: 'my container', image: a}\n";
    let e = errors(text);
    assert_eq!(e.len(), 2, "{e:?}");
    assert_eq!(e[0].2, "metadata.name");
    assert!(
        e[0].3
            .starts_with("invalid task definition family: `web.app` contains `.`")
    );
    assert!(e[1].3.starts_with("invalid container name"));
}

#[test]
fn service_naming_a_missing_task_definition() {
    let text = format!(
        "{}---\napiVersion: ecsctl/v1\nkind: Service\nmetadata: {{name: api}}\nspec:\n  taskDefinition: wbe\n  desiredCount: 1\n",
        td("  containerDefinitions:\n    - {name: a, image: a}\n")
    );
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!((e[0].0, e[0].2.as_str()), (12, "spec.taskDefinition"));
    assert_eq!(e[0].3, "unknown task definition `wbe`");
    assert_eq!(
        help_of(&text, "unknown task definition").as_deref(),
        Some("did you mean `web`?")
    );
}

#[test]
fn service_rules() {
    let text = "apiVersion: ecsctl/v1\nkind: Service\nmetadata: {name: web, cluster: prod}\nspec:\n  taskDefinition: web:x\n  deploymentConfiguration: {minimumHealthyPercent: 150, maximumPercent: 100}\n  placementStrategy: [{type: binpack, field: disk}, {type: spread}]\n  placementConstraints: [{type: memberOf}]\n";
    let messages: Vec<String> = errors(text)
        .into_iter()
        .map(|e| format!("{} {}", e.2, e.3))
        .collect();
    let expected = [
        "metadata.cluster unknown cluster `prod`",
        "spec the service has no `desiredCount`",
        "spec.taskDefinition invalid task definition reference",
        "spec.deploymentConfiguration.minimumHealthyPercent 150%",
        "spec.placementStrategy[0].field binpack packs by `cpu` or `memory`",
        "spec.placementStrategy[1].field spread needs a field",
        "spec.placementConstraints[0] a `memberOf` constraint needs an `expression`",
    ];
    for want in expected {
        assert!(
            messages.iter().any(|m| m.starts_with(want)),
            "missing {want:?} in {messages:#?}"
        );
    }
    assert_eq!(messages.len(), expected.len(), "{messages:#?}");
}

#[test]
fn member_of_expressions_are_parsed() {
    let text = "apiVersion: ecsctl/v1\nkind: Service\nmetadata: {name: web}\nspec:\n  desiredCount: 1\n  placementConstraints: [{type: memberOf, expression: 'attribute:zone ~~ a'}]\n---\napiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {name: web}\nspec: {containerDefinitions: [{name: a, image: a}]}\n";
    let e = errors(text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].2, "spec.placementConstraints[0].expression");
    assert!(
        e[0].3
            .starts_with("invalid memberOf expression: unknown operator `~~`"),
        "{}",
        e[0].3
    );
}

#[test]
fn cluster_rules() {
    let text = "apiVersion: ecsctl/v1\nkind: Cluster\nmetadata: {name: prod}\nspec:\n  hosts:\n    - {name: a, endpoint: 'ssh://deploy@a:22'}\n    - {name: a, endpoint: 'tcp://b'}\n    - {name: c, endpoint: 'ssh://deploy@a:22', capacity: {cpu: 0}}\n";
    let messages: Vec<String> = errors(text)
        .into_iter()
        .map(|e| format!("{} {}", e.2, e.3))
        .collect();
    assert_eq!(messages.len(), 3, "{messages:#?}");
    assert!(messages[0].starts_with("spec.hosts[1].name two hosts are named `a`"));
    assert!(messages[1].starts_with("spec.hosts[1].endpoint unknown endpoint `tcp://b`"));
    assert!(messages[2].starts_with("spec.hosts[2].capacity.cpu"));
    // Two hosts on one daemon (pools on one machine): each sees only its own tasks, so it
    // is allowed, with a warning about what they share.
    let shared: Vec<String> = check(text)
        .into_iter()
        .filter(|d| d.0 == Severity::Warning)
        .map(|d| format!("{} {}", d.3, d.4))
        .collect();
    assert_eq!(
        shared,
        [
            "spec.hosts[2].endpoint hosts `a` and `c` are the same Docker daemon (ssh://deploy@a:22): they share its cpu, memory and ports"
        ]
    );
}

#[test]
fn every_error_of_every_document_is_reported_together() {
    let text = "apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {name: a}\nspec:\n  containerDefinitions:\n    - {name: a, image: a, memory: many}\n---\napiVersion: ecsctl/v2\nkind: Servce\nmetadata: {name: b}\nspec: {}\n---\n[1, 2\n";
    let e = errors(text);
    let lines: Vec<u32> = e.iter().map(|x| x.0).collect();
    // The unclosed list is reported where the input ends.
    assert_eq!(lines, vec![6, 8, 9, 14], "{e:#?}");
}

#[test]
fn ignored_fields_are_one_warning_and_not_errors() {
    let text = td(
        "  executionRoleArn: arn:aws:iam::1:role/x\n  runtimePlatform: {cpuArchitecture: X86_64}\n  containerDefinitions:\n    - name: a\n      image: a\n      logConfiguration: {logDriver: awslogs, options: {awslogs-group: g}}\n",
    );
    let all = check(&text);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0].0, Severity::Warning);
    assert_eq!(all[0].4, "3 fields have no effect off AWS and are ignored");
}

#[test]
fn template_markers_in_values_are_fine_in_enums_they_are_errors() {
    let text =
        td("  containerDefinitions:\n    - name: a\n      image: '{{ must_env `IMAGE` }}'\n");
    assert_eq!(errors(&text), vec![]);
    let text = td(
        "  networkMode: '{{networkmode}}'\n  containerDefinitions:\n    - {name: a, image: a}\n",
    );
    let e = errors(&text);
    assert_eq!(e.len(), 1);
    assert!(
        e[0].3
            .starts_with("template marker `{{networkmode}}` where NetworkMode must be one of")
    );
}

#[test]
fn plain_ecs_json_documents_are_recognised() {
    let (set, d) = check_text(
        "web.json",
        r#"{"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx"}], "revision": 3, "status": "ACTIVE"}"#,
    );
    assert!(!d.has_errors());
    assert!(set.task_definitions.contains_key("web"));
    let (set, d) = check_text(
        "wrapped.json",
        r#"{"taskDefinition": {"family": "api", "containerDefinitions": [{"name": "a", "image": "b"}]}, "tags": []}"#,
    );
    assert!(!d.has_errors());
    assert!(set.task_definitions.contains_key("api"));
}

#[test]
fn secrets_that_cannot_be_resolved_here_are_warnings() {
    let text = td(
        "  containerDefinitions:\n    - name: a\n      image: a\n      secrets: [{name: DB, valueFrom: 'arn:aws:ssm:eu-west-1:1:parameter/db'}, {name: OK, valueFrom: 'env:OK'}]\n",
    );
    let all = check(&text);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0].0, Severity::Warning);
    assert_eq!(
        all[0].3,
        "spec.containerDefinitions[0].secrets[0].valueFrom"
    );
}

/// Issue 13: a cluster with two pools, and services that use them.
const POOLS: &str = "apiVersion: ecsctl/v1
kind: Cluster
metadata: {name: prod}
spec:
  hosts:
    - {name: a, endpoint: local, attributes: {pool: spot}}
    - {name: b, endpoint: unix:///b.sock, attributes: {pool: ondemand}}
  capacityProviders:
    - {name: spot, expression: 'attribute:pool == spot'}
    - {name: ondemand, hosts: [b]}
  defaultCapacityProviderStrategy: [{capacityProvider: ondemand, weight: 1}]
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {name: web}
spec:
  containerDefinitions: [{name: web, image: nginx}]
";

fn pools_with_service(body: &str) -> String {
    format!(
        "{POOLS}---\napiVersion: ecsctl/v1\nkind: Service\nmetadata: {{name: web, cluster: prod}}\nspec:\n  desiredCount: 8\n{body}"
    )
}

#[test]
fn capacity_providers_and_a_strategy_that_uses_them_are_clean() {
    let text = pools_with_service(
        "  capacityProviderStrategy:\n    - {capacityProvider: spot, base: 1, weight: 1}\n    - {capacityProvider: ondemand, weight: 3}\n",
    );
    assert_eq!(check(&text), vec![]);
}

#[test]
fn strategy_items_are_checked_as_ecs_checks_them() {
    let text = pools_with_service(
        "  capacityProviderStrategy:\n    - {capacityProvider: spto, base: 1, weight: 0}\n    - {capacityProvider: ondemand, base: 2, weight: 1001}\n    - {capacityProvider: FARGATE, base: -1}\n    - {weight: 0}\n",
    );
    let messages: Vec<(u32, u32, String, String)> = errors(&text);
    let found: Vec<String> = messages
        .iter()
        .map(|e| format!("{}:{} {} {}", e.0, e.1, e.2, e.3))
        .collect();
    assert_eq!(
        found,
        [
            "25:5 spec.capacityProviderStrategy The capacity provider strategy cannot contain a mix of capacity providers using Auto Scaling groups and Fargate providers. Specify one or the other and try again.",
            "25:26 spec.capacityProviderStrategy[0].capacityProvider unknown capacity provider `spto` in cluster `prod`",
            "26:42 spec.capacityProviderStrategy[1].base only one capacity provider in a strategy can have a base",
            "26:53 spec.capacityProviderStrategy[1].weight `weight` is 1001; it must be between 0 and 1000",
            "27:41 spec.capacityProviderStrategy[2].base `base` is -1; it must be between 0 and 100000",
            "28:7 spec.capacityProviderStrategy[3] the item has no `capacityProvider`",
        ],
        "{messages:?}"
    );
    assert_eq!(
        help_of(&text, "unknown capacity provider").as_deref(),
        Some("did you mean `spot`?")
    );
}

#[test]
fn every_weight_zero_is_an_error() {
    let text = pools_with_service(
        "  capacityProviderStrategy: [{capacityProvider: spot, base: 2}, {capacityProvider: ondemand, weight: 0}]\n",
    );
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].2, "spec.capacityProviderStrategy");
    assert_eq!(
        e[0].3,
        "at least one capacity provider in the strategy must have a weight greater than zero"
    );
}

#[test]
fn a_launch_type_with_a_strategy_is_ecs_error() {
    let text = pools_with_service(
        "  launchType: EC2\n  capacityProviderStrategy: [{capacityProvider: spot, weight: 1}]\n",
    );
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(
        (e[0].0, e[0].2.as_str()),
        (25, "spec.capacityProviderStrategy")
    );
    assert_eq!(
        e[0].3,
        "specifying both a launch type and capacity provider strategy is not supported"
    );
    assert!(
        help_of(&text, "specifying both")
            .is_some_and(|h| h.starts_with("remove one and try again"))
    );
}

#[test]
fn fargate_is_known_to_every_cluster() {
    let text = pools_with_service(
        "  capacityProviderStrategy: [{capacityProvider: FARGATE_SPOT, weight: 1}]\n",
    );
    // Known (no unknown-provider error); only the task definition is not Fargate's.
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(
        e[0].3,
        "Task definition does not support launch_type FARGATE."
    );
    let default_cluster = "apiVersion: ecsctl/v1\nkind: Service\nmetadata: {name: web}\nspec:\n  desiredCount: 1\n  capacityProviderStrategy: [{capacityProvider: spot, weight: 1}]\n";
    let e = errors(default_cluster);
    assert!(
        e.iter()
            .any(|e| e.3 == "unknown capacity provider `spot` in cluster `default`"),
        "{e:?}"
    );
}

#[test]
fn cluster_pools_are_checked() {
    let text = "apiVersion: ecsctl/v1
kind: Cluster
metadata: {name: prod}
spec:
  hosts:
    - {name: a, endpoint: local, attributes: {pool: spot}}
    - {name: b, endpoint: unix:///b.sock}
  capacityProviders:
    - {name: spot, expression: 'attribute:pool == spot'}
    - {name: more, hosts: [a, c]}
    - {name: spot, hosts: [b]}
    - {name: bad, expression: 'attribute:pool =='}
    - {name: empty}
    - {hosts: [b]}
    - {name: none, expression: 'attribute:pool == gpu'}
  defaultCapacityProviderStrategy: [{capacityProvider: sopt, weight: 1}]
";
    let found: Vec<String> = check(text)
        .iter()
        .map(|d| format!("{:?} {}:{} {} {}", d.0, d.1, d.2, d.3, d.4))
        .collect();
    assert_eq!(
        found,
        [
            "Error 10:7 spec.capacityProviders[1] host `a` is in capacity providers `spot` and `more`",
            "Error 10:31 spec.capacityProviders[1].hosts[1] capacity provider `more` names the unknown host `c`",
            "Error 11:14 spec.capacityProviders[2].name two capacity providers are named `spot`",
            "Error 12:31 spec.capacityProviders[3].expression invalid expression `attribute:pool ==`: expected a value at the end of the expression",
            "Error 13:7 spec.capacityProviders[4] capacity provider `empty` has neither `hosts` nor `expression`",
            "Error 14:7 spec.capacityProviders[5] the capacity provider has no `name`",
            "Error 16:56 spec.defaultCapacityProviderStrategy[0].capacityProvider unknown capacity provider `sopt`",
            "Warning 15:7 spec.capacityProviders[6] capacity provider `none` holds no host: its tasks will stay PENDING",
        ]
    );
}

#[test]
fn repository_credentials_point_at_a_secret_held_here() {
    let text = td(
        "  containerDefinitions:\n    - name: web\n      image: r.example.com/web:1\n      repositoryCredentials: { credentialsParameter: 'arn:aws:secretsmanager:eu-west-1:1:secret:reg' }\n",
    );
    assert_eq!(
        check(&text),
        vec![(
            Severity::Warning,
            8,
            54,
            "spec.containerDefinitions[0].repositoryCredentials.credentialsParameter".into(),
            "`credentialsParameter` is an AWS Secrets Manager ARN, which cannot be resolved off AWS".into()
        )]
    );
    let text = td(
        "  containerDefinitions:\n    - name: web\n      image: r.example.com/web:1\n      repositoryCredentials: { credentialsParameter: 'file:/run/registry.json' }\n",
    );
    assert_eq!(check(&text), vec![]);
    let text = td(
        "  containerDefinitions:\n    - name: web\n      image: r.example.com/web:1\n      repositoryCredentials: {}\n",
    );
    assert_eq!(
        errors(&text),
        vec![(
            8,
            30,
            "spec.containerDefinitions[0].repositoryCredentials".into(),
            "`repositoryCredentials` needs a `credentialsParameter`".into()
        )]
    );
}

#[test]
fn image_pull_behavior_takes_the_agents_values() {
    let cluster = |value: &str| {
        format!(
            "apiVersion: ecsctl/v1\nkind: Cluster\nmetadata: {{name: prod}}\nspec:\n  hosts: [{{name: a, endpoint: local}}]\n  imagePullBehavior: {value}\n"
        )
    };
    for value in ["default", "always", "once", "prefer-cached"] {
        assert_eq!(check(&cluster(value)), vec![], "{value}");
    }
    assert_eq!(
        errors(&cluster("prefer_cached")),
        vec![(
            6,
            22,
            "spec.imagePullBehavior".into(),
            "`prefer_cached` is not an image pull behavior".into()
        )]
    );
    assert_eq!(
        help_of(&cluster("prefer_cached"), "`prefer_cached`").as_deref(),
        Some("did you mean `prefer-cached`?")
    );
}

/// Issue 13: a scheduled task's mistakes, each at its place, with what is right.
#[test]
fn scheduled_task_errors_are_located() {
    let text = "apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: { name: job }
spec:
  containerDefinitions: [{ name: app, image: busybox }]
---
apiVersion: ecsctl/v1
kind: ScheduledTask
metadata: { name: nightly }
spec:
  scheduleExpression: cron(0 3 * * * *)
  scheduleExpressionTimezone: Europe/Berln
  taskDefinition: jobs
  taskCount: 11
  maximumConcurency: 2
---
apiVersion: ecsctl/v1
kind: ScheduledTask
metadata: { name: hourly }
spec:
  scheduleExpression: rate(1 hour)
  taskDefinition: job
  overrides: { containerOverrides: [{ name: ap, command: [true] }] }
";
    assert_eq!(
        errors(text),
        [
            (11, 23, "spec.scheduleExpression".into(), "invalid schedule expression: day-of-month `*` and day-of-week `*`: exactly one of them must be `?`".into()),
            (12, 31, "spec.scheduleExpressionTimezone".into(), "unknown time zone `Europe/Berln`".into()),
            (13, 19, "spec.taskDefinition".into(), "unknown task definition `jobs`".into()),
            (14, 14, "spec.taskCount".into(), "11: `taskCount` must be between 1 and 10".into()),
            (15, 3, "spec.maximumConcurency".into(), "unknown field `maximumConcurency` in ScheduledTaskSpec".into()),
            (23, 45, "spec.overrides.containerOverrides[0].name".into(), "task definition `job` has no container `ap`".into()),
        ]
    );
    assert_eq!(
        help_of(text, "unknown task definition").as_deref(),
        Some("did you mean `job`?")
    );
    assert_eq!(
        help_of(text, "task definition `job` has no").as_deref(),
        Some("did you mean `app`?")
    );
    assert_eq!(
        help_of(text, "unknown field `maximumConcurency`").as_deref(),
        Some("did you mean `maximumConcurrency`?")
    );
}

/// Issue 13: what `requiresCompatibilities: [FARGATE]` asks, in ECS's words, at the value.
#[test]
fn fargate_task_definitions_follow_fargates_rules() {
    let text = td("  requiresCompatibilities: [FARGATE]
  networkMode: bridge
  cpu: '256'
  memory: 4 GB
  ephemeralStorage: {sizeInGiB: 300}
  pidMode: host
  volumes:
    - {name: logs, host: {sourcePath: /var/log}}
  containerDefinitions:
    - {name: web, image: nginx, privileged: true}
");
    let found: Vec<String> = errors(&text)
        .iter()
        .map(|e| format!("{}:{} {} {}", e.0, e.1, e.2, e.3))
        .collect();
    assert_eq!(
        found,
        [
            "6:16 spec.networkMode Fargate only supports network mode 'awsvpc'.",
            "8:11 spec.memory No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the Amazon ECS documentation for the valid values.",
            "9:33 spec.ephemeralStorage.sizeInGiB 300 GiB: ephemeral storage must be between 21 and 200 GiB",
            "10:12 spec.pidMode Fargate only supports pid mode 'task'.",
            "12:39 spec.volumes[0].host.sourcePath Fargate compatible task definitions do not support sourcePath",
            "14:45 spec.containerDefinitions[0].privileged privileged containers are not supported on Fargate",
        ]
    );
    assert_eq!(
        help_of(&text, "No Fargate configuration").as_deref(),
        Some("with 256 CPU Fargate allows 512, 1024, 2048 MiB")
    );
}

#[test]
fn fargate_needs_a_task_size_from_its_table() {
    let missing = td("  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  containerDefinitions: [{name: web, image: nginx}]
");
    let found: Vec<String> = errors(&missing)
        .iter()
        .map(|e| format!("{}:{} {}", e.0, e.1, e.3))
        .collect();
    assert_eq!(
        found,
        [
            "5:28 Fargate requires that 'cpu' be defined at the task level.",
            "5:28 Fargate requires that 'memory' be defined at the task level.",
        ]
    );
    let odd_cpu = td("  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: 3 vCPU
  memory: 6 GB
  containerDefinitions: [{name: web, image: nginx}]
");
    let e = errors(&odd_cpu);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!((e[0].0, e[0].2.as_str()), (7, "spec.cpu"));
    assert_eq!(
        e[0].3,
        "No Fargate configuration exists for given values: 3072 CPU, 6144 memory. See the Amazon ECS documentation for the valid values."
    );
    assert_eq!(
        help_of(&odd_cpu, "No Fargate").as_deref(),
        Some("Fargate's cpu values are 256, 512, 1024, 2048, 4096, 8192, 16384")
    );
    // Every form ECS accepts, in every row of the table.
    for (cpu, memory) in [
        ("256", "512"),
        (".25 vcpu", "2 GB"),
        ("0.5 vCPU", "4096"),
        ("1 vCPU", "8 GB"),
        ("2048", "16 GB"),
        ("4 vCPU", "30 GB"),
        ("8192", "61440"),
        ("16 vCPU", "120 GB"),
    ] {
        let text = td(&format!(
            "  requiresCompatibilities: [FARGATE]\n  networkMode: awsvpc\n  cpu: {cpu}\n  memory: {memory}\n  ephemeralStorage: {{sizeInGiB: 21}}\n  containerDefinitions: [{{name: web, image: nginx}}]\n"
        ));
        assert_eq!(errors(&text), vec![], "{cpu} with {memory}");
    }
}

const FARGATE_CLUSTER: &str = "apiVersion: ecsctl/v1
kind: Cluster
metadata: {name: prod}
spec:
  hosts:
    - {name: a, endpoint: local}
    - {name: b, endpoint: local}
  capacityProviders:
    - {name: FARGATE, hosts: [a]}
    - {name: ondemand, hosts: [b]}
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {name: ec2only}
spec:
  containerDefinitions: [{name: web, image: nginx}]
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {name: small}
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: '256'
  memory: '512'
  containerDefinitions: [{name: web, image: nginx}]
";

fn fargate_service(body: &str) -> String {
    format!(
        "{FARGATE_CLUSTER}---\napiVersion: ecsctl/v1\nkind: Service\nmetadata: {{name: web, cluster: prod}}\nspec:\n  desiredCount: 1\n{body}"
    )
}

/// Issue 13: a Fargate service (`launchType: FARGATE`, or Fargate's providers) runs a task
/// definition that requires FARGATE.
#[test]
fn a_fargate_service_needs_a_fargate_task_definition() {
    assert_eq!(
        errors(&fargate_service(
            "  taskDefinition: small\n  launchType: FARGATE\n"
        )),
        vec![]
    );
    let e = errors(&fargate_service(
        "  taskDefinition: ec2only\n  launchType: FARGATE\n",
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!((e[0].0, e[0].2.as_str()), (34, "spec.launchType"));
    assert_eq!(
        e[0].3,
        "Task definition does not support launch_type FARGATE."
    );
    let e = errors(&fargate_service(
        "  taskDefinition: ec2only\n  capacityProviderStrategy: [{capacityProvider: FARGATE, weight: 1}]\n",
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].2, "spec.capacityProviderStrategy");
    let mixed = errors(&fargate_service(
        "  taskDefinition: small\n  capacityProviderStrategy: [{capacityProvider: FARGATE, weight: 1}, {capacityProvider: ondemand, weight: 1}]\n",
    ));
    assert_eq!(mixed.len(), 1, "{mixed:?}");
    assert!(
        mixed[0]
            .3
            .starts_with("The capacity provider strategy cannot contain a mix of capacity providers using Auto Scaling groups and Fargate providers."),
        "{mixed:?}"
    );
    let daemon = errors(&fargate_service(
        "  taskDefinition: small\n  launchType: FARGATE\n  schedulingStrategy: DAEMON\n",
    ));
    assert!(
        daemon
            .iter()
            .any(|e| e.3
                == "The DAEMON scheduling strategy does not support the FARGATE launch type."),
        "{daemon:?}"
    );
}

#[test]
fn deployment_strategy_rules() {
    let text = "apiVersion: ecsctl/v1\nkind: Service\nmetadata: {name: web}\nspec:\n  desiredCount: 2\n  deploymentConfiguration:\n    strategy: BLUE_GREEN\n    linearConfiguration: {stepPercent: 2.5, stepBakeTimeInMinutes: 2000}\n    canaryConfiguration: {canaryPercent: 0.05}\n    lifecycleHooks:\n      - {targetType: PAUSE, lifecycleStages: []}\n      - {targetType: PAUSE, lifecycleStages: [POST_SCALE_UP], timeoutConfiguration: {timeoutInMinutes: 0}}\n    alarms: {alarmNames: [], enable: true, rollback: true}\n";
    let messages: Vec<String> = errors(text)
        .into_iter()
        .map(|e| format!("{} {}", e.2, e.3))
        .collect();
    let expected = [
        "spec.deploymentConfiguration.linearConfiguration.stepPercent 2.5%: it must be a multiple of 0.1 from 3 to 100",
        "spec.deploymentConfiguration.linearConfiguration.stepBakeTimeInMinutes 2000 minutes",
        "spec.deploymentConfiguration.linearConfiguration linearConfiguration applies to the LINEAR strategy, not BLUE_GREEN",
        "spec.deploymentConfiguration.canaryConfiguration.canaryPercent 0.05%",
        "spec.deploymentConfiguration.canaryConfiguration canaryConfiguration applies to the CANARY strategy",
        "spec.deploymentConfiguration.lifecycleHooks[0].lifecycleStages a lifecycle hook names the stages",
        "spec.deploymentConfiguration.lifecycleHooks[1].timeoutConfiguration.timeoutInMinutes 0 minutes",
        "spec.deploymentConfiguration.alarms.alarmNames deployment alarms are enabled but name no alarm",
        "spec.deploymentConfiguration.strategy a BLUE_GREEN deployment needs `bakeTimeInMinutes`",
        "spec.taskDefinition unknown task definition `web`",
    ];
    for want in expected {
        assert!(
            messages.iter().any(|m| m.starts_with(want)),
            "missing {want:?} in {messages:#?}"
        );
    }
    assert_eq!(messages.len(), expected.len(), "{messages:#?}");
    // Lambda hooks of real ECS documents and a strategy without a target group are warned of.
    let lambda = "apiVersion: ecsctl/v1\nkind: Service\nmetadata: {name: web}\nspec:\n  desiredCount: 2\n  deploymentConfiguration:\n    strategy: CANARY\n    lifecycleHooks: [{hookTargetArn: 'arn:aws:lambda:us-east-1:1:function:f', lifecycleStages: [POST_SCALE_UP]}]\n";
    let all = check(lambda);
    let lambda_errors: Vec<String> = errors(lambda).into_iter().map(|e| e.3).collect();
    assert_eq!(
        lambda_errors,
        vec!["unknown task definition `web`".to_string()],
        "{all:#?}"
    );
    let warnings: Vec<&String> = all.iter().map(|d| &d.4).collect();
    assert!(
        warnings
            .iter()
            .any(|m| m.starts_with("AWS_LAMBDA hooks call AWS Lambda")),
        "{warnings:#?}"
    );
    assert!(
        warnings
            .iter()
            .any(|m| m.starts_with("CANARY shifts production traffic")),
        "{warnings:#?}"
    );
}

#[test]
fn alarm_rules() {
    let text = "apiVersion: ecsctl/v1\nkind: Alarm\nmetadata: {name: web-5xx}\nspec:\n  metricName: HTTPCode_Target_5XX_Count\n  period: 45\n  evaluationPeriods: 2\n  datapointsToAlarm: 3\n  dimensions: [{name: TargetGroup, value: web}]\n";
    let messages: Vec<String> = errors(text)
        .into_iter()
        .map(|e| format!("{} {}", e.2, e.3))
        .collect();
    let expected = [
        "spec the alarm has no `threshold`",
        "spec the alarm has no `comparisonOperator`",
        "spec.period 45 seconds: a period is 10, 30 or a multiple of 60",
        "spec.datapointsToAlarm 3: datapointsToAlarm is between 1 and evaluationPeriods",
        "spec.dimensions target group `web` is not defined in cluster `default`",
    ];
    for want in expected {
        assert!(
            messages.iter().any(|m| m.starts_with(want)),
            "missing {want:?} in {messages:#?}"
        );
    }
    assert_eq!(messages.len(), expected.len(), "{messages:#?}");
    let typo = "apiVersion: ecsctl/v1\nkind: Alarm\nmetadata: {name: web-5xx}\nspec: {metricName: RequestCount, period: 60, evaluationPeriods: 1, threshold: 1, comparisonOperator: GreaterThanThreshold, dimensions: [{name: TargetGroup, value: web}]}\n---\napiVersion: ecsctl/v1\nkind: TargetGroup\nmetadata: {name: web}\nspec: {}\n---\napiVersion: ecsctl/v1\nkind: Service\nmetadata: {name: web}\nspec:\n  desiredCount: 1\n  deploymentConfiguration: {alarms: {alarmNames: [web-5x], enable: true, rollback: true}}\n";
    assert_eq!(
        help_of(typo, "alarm `web-5x` is not defined in cluster `default`").as_deref(),
        Some("did you mean `web-5xx`?")
    );
}

const SCALED_SERVICE: &str = "apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {name: web}\nspec:\n  containerDefinitions: [{name: app, image: busybox, memory: 64}]\n---\napiVersion: ecsctl/v1\nkind: Service\nmetadata: {name: web}\nspec: {desiredCount: 2}\n---\napiVersion: ecsctl/v1\nkind: TargetGroup\nmetadata: {name: web}\nspec: {}\n";

#[test]
fn scaling_rules() {
    let text = format!(
        "{SCALED_SERVICE}---\napiVersion: ecsctl/v1\nkind: ScalableTarget\nmetadata: {{name: web}}\nspec: {{service: web, minCapacity: 5, maxCapacity: 2, scalableDimension: 'ecs:service:Count'}}\n---\napiVersion: ecsctl/v1\nkind: ScalableTarget\nmetadata: {{name: web2}}\nspec: {{resourceId: service/other/web, minCapacity: 1}}\n---\napiVersion: ecsctl/v1\nkind: ScalingPolicy\nmetadata: {{name: cpu}}\nspec:\n  service: api\n  policyType: TargetTrackingScaling\n  targetTrackingScalingPolicyConfiguration:\n    targetValue: 0\n    predefinedMetricSpecification: {{predefinedMetricType: ALBRequestCountPerTarget}}\n    period: 0\n---\napiVersion: ecsctl/v1\nkind: ScalingPolicy\nmetadata: {{name: steps}}\nspec:\n  service: web\n  policyType: StepScaling\n  stepScalingPolicyConfiguration: {{stepAdjustments: [{{metricIntervalLowerBound: 5, metricIntervalUpperBound: 1, scalingAdjustment: 1}}]}}\n---\napiVersion: ecsctl/v1\nkind: Alarm\nmetadata: {{name: hot}}\nspec: {{metricName: CPUUtilization, period: 60, evaluationPeriods: 1, threshold: 80, comparisonOperator: GreaterThanThreshold, dimensions: [{{name: ServiceName, value: web}}], alarmActions: [cpu, nope]}}\n"
    );
    let messages: Vec<String> = errors(&text)
        .into_iter()
        .map(|e| format!("{} {}", e.2, e.3))
        .collect();
    let expected = [
        "spec.scalableDimension `ecs:service:Count`: a service scales its desired count only",
        "spec.maxCapacity maxCapacity 2 is below minCapacity 5",
        "spec.resourceId `service/other/web` is in cluster `other`, but this manifest is in `default`",
        "spec the scalable target has no `maxCapacity`",
        "spec.targetTrackingScalingPolicyConfiguration.targetValue 0: targetValue is above 0",
        "spec.targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification ALBRequestCountPerTarget needs `resourceLabel`",
        "spec.targetTrackingScalingPolicyConfiguration.period 0: a period is 1 to 3600 seconds",
        "spec.service service `api` has no scalable target",
        "spec.stepScalingPolicyConfiguration no `adjustmentType`",
        "spec.stepScalingPolicyConfiguration.stepAdjustments[0] metricIntervalLowerBound 5 is not below metricIntervalUpperBound 1",
        "spec.resourceId service `web` already has scalable target `web`",
        "spec.alarmActions[0] scaling policy `cpu` is not a StepScaling policy",
        "spec.alarmActions[1] scaling policy `nope` is not defined in cluster `default`",
    ];
    for want in expected {
        assert!(
            messages.iter().any(|m| m.starts_with(want)),
            "missing {want:?} in {messages:#?}"
        );
    }
    assert_eq!(messages.len(), expected.len(), "{messages:#?}");
    let typo = format!(
        "{SCALED_SERVICE}---\napiVersion: ecsctl/v1\nkind: ScalableTarget\nmetadata: {{name: web}}\nspec: {{service: wbe, minCapacity: 1, maxCapacity: 3}}\n"
    );
    assert_eq!(
        help_of(&typo, "service `wbe` is not defined in cluster `default`").as_deref(),
        Some("did you mean `web`?")
    );
    let clean = format!(
        "{SCALED_SERVICE}---\napiVersion: ecsctl/v1\nkind: ScalableTarget\nmetadata: {{name: web}}\nspec: {{service: web, minCapacity: 1, maxCapacity: 3}}\n---\napiVersion: ecsctl/v1\nkind: ScalingPolicy\nmetadata: {{name: requests}}\nspec: {{service: web, policyType: TargetTrackingScaling, targetTrackingScalingPolicyConfiguration: {{targetValue: 100, predefinedMetricSpecification: {{predefinedMetricType: ALBRequestCountPerTarget, resourceLabel: web}}}}}}\n"
    );
    assert_eq!(errors(&clean), Vec::new());
}
