//! Target groups, load balancers and services' `loadBalancers[]`: the manifests of the
//! traffic issue validate, and each cross-check points at the offending value.

use super::check_elb_name;
use crate::model::load::check_text;
use crate::model::normalize::Desired;

pub(crate) const CLUSTER: &str = "apiVersion: ecsctl/v1
kind: Cluster
metadata: { name: production }
spec:
  hosts:
    - { name: node-a, endpoint: local }
    - { name: node-b, endpoint: 'ssh://deploy@node-b:22' }
";

pub(crate) const TARGET_GROUPS: &str = "apiVersion: ecsctl/v1
kind: TargetGroup
metadata: { name: web, cluster: production }
spec:
  protocol: HTTP
  healthCheckPath: /health
  healthCheckIntervalSeconds: 5
  healthCheckTimeoutSeconds: 2
  healthyThresholdCount: 2
  unhealthyThresholdCount: 2
  matcher: { httpCode: \"200-399\" }
  deregistrationDelaySeconds: 30
  slowStartSeconds: 0
---
apiVersion: ecsctl/v1
kind: TargetGroup
metadata: { name: api, cluster: production }
spec: {}
";

pub(crate) const LOAD_BALANCER: &str = "apiVersion: ecsctl/v1
kind: LoadBalancer
metadata: { name: edge, cluster: production }
spec:
  hosts: [node-a, node-b]
  listeners:
    - port: 8080
      protocol: HTTP
      defaultActions: [{ type: forward, targetGroupName: web }]
      rules:
        - priority: 10
          conditions:
            - { field: host-header, values: [api.example.com] }
            - { field: path-pattern, values: [\"/api/*\"] }
          actions: [{ type: forward, targetGroupName: api }]
";

pub(crate) const SERVICE: &str = "apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: { name: web }
spec:
  containerDefinitions:
    - { name: web, image: nginx, portMappings: [{ containerPort: 8080 }] }
---
apiVersion: ecsctl/v1
kind: Service
metadata: { name: web, cluster: production }
spec:
  desiredCount: 2
  loadBalancers:
    - { targetGroupName: web, containerName: web, containerPort: 8080 }
    - targetGroupArn: arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/73e2d6bc24d8a067
      containerName: web
      containerPort: 8080
";

pub(crate) fn all() -> String {
    [CLUSTER, TARGET_GROUPS, LOAD_BALANCER, SERVICE].join("---\n")
}

/// `(line, column, path, message)` of every error.
fn errors(text: &str) -> Vec<(u32, u32, String, String)> {
    let (_, diagnostics) = check_text("m.yaml", text);
    let mut found: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let l = d.location.as_ref().expect("located");
            (
                l.span.line,
                l.span.col,
                l.path.clone().unwrap_or_default(),
                d.message.clone(),
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn the_issue_s_manifests_validate() {
    let (set, diagnostics) = check_text("m.yaml", &all());
    assert!(!diagnostics.has_errors(), "{diagnostics:#?}");
    assert_eq!(
        diagnostics.warning_count(),
        0,
        "loadBalancers is meaningful now: {diagnostics:#?}"
    );
    assert_eq!(set.target_groups.len(), 2);
    assert_eq!(set.load_balancers.len(), 1);
    let d = Desired::from_set(&set);
    let api = &d.target_groups["production"]["api"];
    assert_eq!(
        serde_json::to_value(api).expect("json"),
        serde_json::json!({
            "protocol": "HTTP",
            "healthCheckEnabled": true,
            "healthCheckPath": "/",
            "healthCheckIntervalSeconds": 30,
            "healthCheckTimeoutSeconds": 5,
            "healthyThresholdCount": 5,
            "unhealthyThresholdCount": 2,
            "matcher": { "httpCode": "200" },
            "deregistrationDelaySeconds": 300,
            "slowStartSeconds": 0
        })
    );
    let web = &d.services["production"]["web"];
    let names: Vec<_> = web
        .load_balancers
        .iter()
        .map(|l| {
            (
                l.target_group_name.as_deref(),
                l.target_group_arn.as_deref(),
            )
        })
        .collect();
    assert_eq!(names, [(Some("api"), None), (Some("web"), None)]);
}

#[test]
fn unknown_fields_are_located_with_a_suggestion() {
    let text = format!(
        "{CLUSTER}---\napiVersion: ecsctl/v1\nkind: TargetGroup\nmetadata: {{ name: web, cluster: production }}\nspec:\n  healthCheckPth: /health\n"
    );
    let (_, diagnostics) = check_text("m.yaml", &text);
    let e = diagnostics.iter().find(|d| d.is_error()).expect("an error");
    assert!(e.message.contains("healthCheckPth"), "{e:?}");
    assert_eq!(e.help.as_deref(), Some("did you mean `healthCheckPath`?"));
    assert_eq!(e.location.as_ref().map(|l| l.span.line), Some(13));
}

#[test]
fn a_listener_port_used_twice_on_a_host_is_an_error() {
    let other = "---\napiVersion: ecsctl/v1\nkind: LoadBalancer\nmetadata: { name: side, cluster: production }\nspec:\n  hosts: [node-b]\n  listeners:\n    - { port: 8080, defaultActions: [{ type: forward, targetGroupName: web }] }\n    - { port: 8080, defaultActions: [{ type: forward, targetGroupName: web }] }\n";
    let found = errors(&format!("{}{other}", all()));
    assert_eq!(
        found,
        [
            (
                69,
                15,
                "spec.listeners[1].port".to_string(),
                "port 8080 has two listeners (listeners[0] and listeners[1])".to_string()
            ),
            (
                68,
                15,
                "spec.listeners[0].port".to_string(),
                "listener port 8080 is used twice on host `node-b`: by load balancers `edge` and `side`".to_string()
            ),
            (
                69,
                15,
                "spec.listeners[1].port".to_string(),
                "listener port 8080 is used twice on host `node-b`: by load balancers `edge` and `side`".to_string()
            ),
        ]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
}

#[test]
fn unknown_target_groups_containers_and_ports_are_errors() {
    let text = all()
        .replace("targetGroupName: api }", "targetGroupName: apii }")
        .replace(
            "{ targetGroupName: web, containerName: web, containerPort: 8080 }",
            "{ targetGroupName: web, containerName: app, containerPort: 8080 }",
        )
        .replace("      containerPort: 8080\n", "      containerPort: 9090\n")
        .replace("hosts: [node-a, node-b]", "hosts: [node-a, node-c]");
    let messages: Vec<String> = errors(&text)
        .into_iter()
        .map(|(line, col, path, message)| format!("{line}:{col} {path}: {message}"))
        .collect();
    assert_eq!(
        messages,
        [
            "32:19 spec.hosts[1]: unknown host `node-c` in cluster `production`",
            "42:21 spec.listeners[0].rules[0].actions[0]: unknown target group `apii` in cluster `production`",
            "57:46 spec.loadBalancers[0].containerName: task definition `web` has no container `app`",
            "60:22 spec.loadBalancers[1].containerPort: container `web` does not map port 9090",
        ]
    );
}

#[test]
fn listeners_and_rules_follow_elbv2_s_rules() {
    let text = format!(
        "{CLUSTER}---\n{TARGET_GROUPS}---\napiVersion: ecsctl/v1\nkind: LoadBalancer\nmetadata: {{ name: edge, cluster: production }}\nspec:\n  listeners:\n    - port: 70000\n      protocol: TCP\n      defaultActions: [{{ type: forward, targetGroupName: web }}]\n      rules:\n        - {{ priority: 0, conditions: [], actions: [] }}\n"
    );
    let messages: Vec<String> = errors(&text)
        .into_iter()
        .map(|(_, _, path, message)| format!("{path}: {message}"))
        .collect();
    assert_eq!(
        messages,
        [
            "spec.listeners[0].port: 70000: a port is between 1 and 65535",
            "spec.listeners[0].defaultActions[0]: a TCP listener cannot forward to target group `web`, which is HTTP",
            "spec.listeners[0].rules: a TCP listener forwards everything to its default action: it takes no rules",
            "spec.listeners[0].rules[0]: a rule needs at least one condition",
            "spec.listeners[0].rules[0].priority: 0: a priority is between 1 and 50000",
            "spec.listeners[0].rules[0].actions: a rule needs one action",
        ]
    );
}

#[test]
fn target_group_settings_are_in_elbv2_s_ranges() {
    let text = format!(
        "{CLUSTER}---\napiVersion: ecsctl/v1\nkind: TargetGroup\nmetadata: {{ name: db, cluster: production }}\nspec:\n  protocol: TCP\n  healthCheckPath: /health\n  healthCheckIntervalSeconds: 5\n  healthCheckTimeoutSeconds: 6\n  healthyThresholdCount: 11\n  slowStartSeconds: 10\n---\napiVersion: ecsctl/v1\nkind: TargetGroup\nmetadata: {{ name: web, cluster: production }}\nspec:\n  matcher: {{ httpCode: '200-600' }}\n"
    );
    let messages: Vec<String> = errors(&text)
        .into_iter()
        .map(|(_, _, path, message)| format!("{path}: {message}"))
        .collect();
    assert_eq!(
        messages,
        [
            "spec.healthCheckPath: a TCP target group checks with a TCP connect: it takes no `healthCheckPath`",
            "spec.healthCheckTimeoutSeconds: the health check timeout (6s) must be shorter than its interval (5s)",
            "spec.healthyThresholdCount: 11: `healthyThresholdCount` must be between 2 and 10",
            "spec.slowStartSeconds: 10: `slowStartSeconds` is 0 (off) or between 30 and 900",
            "spec.matcher.httpCode: invalid `httpCode`: `600` is not an HTTP status code",
        ]
    );
}

#[test]
fn elb_names() {
    assert!(check_elb_name("web-1").is_ok());
    assert!(check_elb_name("-web").is_err());
    assert!(check_elb_name("web_1").is_err());
    assert!(check_elb_name(&"a".repeat(33)).is_err());
}
