use std::time::Duration;

use super::*;
use crate::model::load::check_text;
use crate::model::normalize;
use crate::model::validate::ManifestSet;

fn set(text: &str) -> ManifestSet {
    let (set, diagnostics) = check_text("m.yaml", text);
    assert!(!diagnostics.has_errors(), "{diagnostics:#?}");
    set
}

fn service(body: &str) -> ServiceSpec {
    let text = format!(
        "apiVersion: ecsctl/v1\nkind: Service\nmetadata: {{name: web}}\nspec:\n  taskDefinition: web\n{body}---\napiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec: {{containerDefinitions: [{{name: web, image: nginx}}]}}\n"
    );
    set(&text).services[&("default".to_string(), "web".to_string())]
        .manifest
        .spec
        .clone()
}

fn task_definition(body: &str) -> TaskDefinitionSpec {
    let text = format!(
        "apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec:\n{body}"
    );
    set(&text).task_definitions["web"].spec.clone()
}

#[test]
fn a_replica_service_defaults_to_100_200_without_a_breaker() {
    let s = EffectiveService::of(&service("  desiredCount: 3\n"));
    assert_eq!(
        s,
        EffectiveService {
            scheduling_strategy: SchedulingStrategy::Replica,
            desired_count: 3,
            deployment: DeploymentBounds {
                minimum_healthy_percent: 100,
                maximum_percent: 200
            },
            circuit_breaker: CircuitBreaker {
                enable: false,
                rollback: false
            },
            health_check_grace_period: Duration::ZERO,
        }
    );
    assert!(!s.is_daemon());
    assert_eq!(s.circuit_breaker.to_string(), "disabled");
}

#[test]
fn a_daemon_service_defaults_to_0_100_and_has_no_count() {
    let s = EffectiveService::of(&service("  schedulingStrategy: DAEMON\n"));
    assert!(s.is_daemon());
    assert_eq!(s.deployment, DeploymentBounds::DAEMON);
    assert_eq!(s.desired_count, 0);
}

#[test]
fn written_service_values_win_over_the_defaults() {
    let s = EffectiveService::of(&service(
        "  desiredCount: 4\n  healthCheckGracePeriodSeconds: 60\n  deploymentConfiguration:\n    minimumHealthyPercent: 50\n    maximumPercent: 150\n    deploymentCircuitBreaker: {enable: true, rollback: true}\n",
    ));
    assert_eq!(s.deployment.running(s.desired_count), (2, 6));
    assert_eq!(
        s.deployment,
        DeploymentBounds {
            minimum_healthy_percent: 50,
            maximum_percent: 150
        }
    );
    assert_eq!(s.health_check_grace_period, Duration::from_secs(60));
    assert_eq!(s.circuit_breaker.to_string(), "enabled, with rollback");
    // Only one bound written: the other is the strategy's default.
    let s = EffectiveService::of(&service(
        "  schedulingStrategy: DAEMON\n  deploymentConfiguration: {minimumHealthyPercent: 50}\n",
    ));
    assert_eq!(s.deployment.maximum_percent, 100);
}

#[test]
fn a_breaker_rolls_back_only_when_enabled() {
    let breaker = |text: &str| {
        CircuitBreaker::of(&service(&format!(
            "  desiredCount: 1\n  deploymentConfiguration: {{deploymentCircuitBreaker: {text}}}\n"
        )))
    };
    assert_eq!(
        breaker("{enable: true, rollback: false}").to_string(),
        "enabled"
    );
    let off = breaker("{enable: false, rollback: true}");
    assert!(!off.rollback);
    assert_eq!(off.to_string(), "disabled");
}

/// Guards the one-place rule: normalize writes the defaults these functions decide, and a
/// spec read back from the state (its normal form) means what the manifest meant.
#[test]
fn a_spec_and_its_normal_form_have_the_same_effective_values() {
    for body in [
        "  desiredCount: 2\n",
        "  schedulingStrategy: DAEMON\n",
        "  schedulingStrategy: DAEMON\n  deploymentConfiguration: {maximumPercent: 100}\n",
        "  desiredCount: 5\n  deploymentConfiguration: {minimumHealthyPercent: 0, deploymentCircuitBreaker: {enable: true, rollback: false}}\n",
        "  desiredCount: 1\n  healthCheckGracePeriodSeconds: 30\n",
    ] {
        let raw = service(body);
        let normal = normalize::service("web", &raw);
        assert_eq!(
            EffectiveService::of(&raw),
            EffectiveService::of(&normal),
            "{body}"
        );
    }
    for body in [
        "  containerDefinitions: [{name: web, image: nginx}]\n",
        "  networkMode: default\n  cpu: 1 vCPU\n  memory: 0.5 GB\n  containerDefinitions: [{name: a, image: a, essential: false, stopTimeout: 5}, {name: b, image: b, portMappings: [{containerPort: 53, hostPort: 53, protocol: udp}, {containerPort: 80, hostPort: 8080, protocol: http}]}]\n",
        "  networkMode: host\n  containerDefinitions: [{name: web, image: nginx, memory: 128, cpu: 10, portMappings: [{containerPort: 80}], healthCheck: {command: [CMD, 'true'], retries: 5}}]\n",
    ] {
        let raw = task_definition(body);
        let normal = normalize::task_definition(&raw);
        assert_eq!(
            EffectiveTaskDefinition::of(&raw),
            EffectiveTaskDefinition::of(&normal),
            "{body}"
        );
    }
}

/// Guards state files written before the normal form wrote DAEMON's bounds out: a record
/// without `deploymentConfiguration` still reads as 0/100, not REPLICA's 100/200.
#[test]
fn an_old_daemon_record_without_bounds_reads_as_daemon_bounds() {
    let spec: ServiceSpec =
        serde_json::from_str(r#"{"schedulingStrategy": "DAEMON", "taskDefinition": "web:1"}"#)
            .expect("a stored spec");
    assert_eq!(DeploymentBounds::of(&spec), DeploymentBounds::DAEMON);
}

#[test]
fn containers_are_essential_unless_they_say_not() {
    let t = EffectiveTaskDefinition::of(&task_definition(
        "  containerDefinitions: [{name: side, image: a, essential: false}, {name: main, image: b}, {name: also, image: c, essential: true}]\n",
    ));
    let essential: Vec<(&str, bool)> = t
        .containers
        .iter()
        .map(|c| (c.name.as_str(), c.essential))
        .collect();
    assert_eq!(
        essential,
        vec![("side", false), ("main", true), ("also", true)]
    );
    assert_eq!(t.first_essential(), Some(1));
    assert_eq!(t.container("also").map(|c| c.essential), Some(true));
    assert!(t.container("nope").is_none());
}

#[test]
fn stop_timeouts_and_health_check_timing_have_ecs_defaults() {
    let t = EffectiveTaskDefinition::of(&task_definition(
        "  containerDefinitions:\n    - {name: a, image: a, healthCheck: {command: [CMD, 'true']}}\n    - {name: b, image: b, stopTimeout: 120, healthCheck: {command: [CMD, 'true'], interval: 5, timeout: 2, retries: 10, startPeriod: 15}}\n",
    ));
    assert_eq!(t.containers[0].stop_timeout, DEFAULT_STOP_TIMEOUT);
    assert_eq!(DEFAULT_STOP_TIMEOUT, Duration::from_secs(30));
    assert_eq!(t.containers[1].stop_timeout, Duration::from_secs(120));
    assert_eq!(
        t.containers[0].health_check,
        Some(HealthCheckTiming {
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(5),
            retries: 3,
            start_period: Duration::ZERO,
        })
    );
    assert_eq!(
        t.containers[1].health_check,
        Some(HealthCheckTiming {
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(2),
            retries: 10,
            start_period: Duration::from_secs(15),
        })
    );
}

#[test]
fn task_cpu_and_memory_are_numbers_and_the_size_falls_back_to_the_containers() {
    let t = EffectiveTaskDefinition::of(&task_definition(
        "  cpu: 0.5 vCPU\n  memory: 1 GB\n  containerDefinitions: [{name: a, image: a, cpu: 100, memory: 128}]\n",
    ));
    assert_eq!((t.cpu, t.memory), (Some(512), Some(1024)));
    assert_eq!(
        t.size,
        TaskSize {
            cpu: 512,
            memory: 1024
        }
    );
    let t = EffectiveTaskDefinition::of(&task_definition(
        "  containerDefinitions: [{name: a, image: a, cpu: 100, memory: 128}, {name: b, image: b, memoryReservation: 64}, {name: c, image: c}]\n",
    ));
    assert_eq!((t.cpu, t.memory), (None, None));
    assert_eq!(
        t.size,
        TaskSize {
            cpu: 100,
            memory: 192
        }
    );
}

#[test]
fn network_mode_defaults_to_bridge_and_default_means_bridge() {
    for (written, mode) in [
        ("", NetworkMode::Bridge),
        ("  networkMode: default\n", NetworkMode::Bridge),
        ("  networkMode: awsvpc\n", NetworkMode::Awsvpc),
    ] {
        let spec = task_definition(&format!(
            "{written}  containerDefinitions: [{{name: a, image: a}}]\n"
        ));
        assert_eq!(network_mode(&spec), mode, "{written}");
    }
}

#[test]
fn fixed_host_ports_follow_the_network_mode() {
    let ports = |mode: &str| {
        fixed_host_ports(&task_definition(&format!(
            "  networkMode: {mode}\n  containerDefinitions: [{{name: a, image: a, portMappings: [{{containerPort: 80}}, {{containerPort: 53, hostPort: 53, protocol: udp}}, {{containerPort: 81, hostPort: 0, protocol: grpc}}]}}]\n"
        )))
    };
    let owned = |list: &[(u16, &str)]| -> Vec<(u16, String)> {
        list.iter().map(|(p, s)| (*p, s.to_string())).collect()
    };
    assert_eq!(ports("bridge"), owned(&[(53, "udp")]));
    assert_eq!(
        ports("host"),
        owned(&[(80, "tcp"), (53, "udp"), (81, "tcp")])
    );
    assert_eq!(
        ports("awsvpc"),
        owned(&[(80, "tcp"), (53, "udp"), (81, "tcp")])
    );
}

#[test]
fn the_launch_type_follows_the_providers() {
    let item = |p: &str| StrategyItem {
        provider: p.into(),
        base: 0,
        weight: 1,
    };
    assert_eq!(launch_type(None, &[]), LaunchType::Ec2);
    assert_eq!(
        launch_type(None, &[item("FARGATE"), item("FARGATE_SPOT")]),
        LaunchType::Fargate
    );
    assert_eq!(
        launch_type(None, &[item("FARGATE"), item("spot")]),
        LaunchType::Ec2
    );
    assert_eq!(
        launch_type(Some(LaunchType::Fargate), &[]),
        LaunchType::Fargate
    );
}
