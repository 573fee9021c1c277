//! Fields that mean nothing off AWS. They are accepted (real task definitions carry them) and
//! reported once per run as one warning, so nothing is silently dropped.
//!
//! This list and the Docker mapping of the runtime must agree: a field is either mapped to
//! Docker there or listed here.

use std::collections::BTreeMap;

use super::ecs::{
    ContainerDefinition, DeploymentControllerType, LogDriver, ServiceSpec, TaskDefinitionSpec,
};
use super::manifest::{Manifest, Origin};
use super::node::DocPath;
use crate::diagnostics::{Diagnostic, Diagnostics, Location};

/// One use of an ignored field.
#[derive(Clone, Debug)]
pub struct IgnoredUse {
    pub field: String,
    pub reason: &'static str,
    pub location: Location,
}

#[derive(Default)]
pub struct Ignored {
    uses: Vec<IgnoredUse>,
}

impl Ignored {
    fn add(&mut self, origin: &Origin, path: &str, field: &str, reason: &'static str) {
        self.uses.push(IgnoredUse {
            field: field.to_string(),
            reason,
            location: origin.locate_key(&DocPath::parse(path)),
        });
    }

    pub fn uses(&self) -> &[IgnoredUse] {
        &self.uses
    }

    pub fn task_definition(&mut self, m: &Manifest<TaskDefinitionSpec>) {
        let o = &m.origin;
        let s = &m.spec;
        const IAM: &str = "IAM roles exist only on AWS";
        const FARGATE: &str = "a Fargate/AWS placement setting";
        const TAGS: &str = "AWS resource tags";
        // requiresCompatibilities is served: FARGATE is checked as ECS checks it, and
        // Fargate tasks get their task-wide limits (model::fargate).
        let task_fields: [(&str, bool, &'static str); 9] = [
            ("taskRoleArn", s.task_role_arn.is_some(), IAM),
            ("executionRoleArn", s.execution_role_arn.is_some(), IAM),
            ("runtimePlatform", s.runtime_platform.is_some(), FARGATE),
            (
                "ephemeralStorage",
                s.ephemeral_storage.is_some(),
                "Fargate's storage size: its range is checked, the size is not enforced on the hosts",
            ),
            ("tags", !s.tags.is_empty(), TAGS),
            (
                "proxyConfiguration",
                s.proxy_configuration.is_some(),
                "App Mesh exists only on AWS",
            ),
            (
                "inferenceAccelerators",
                !s.inference_accelerators.is_empty(),
                "Elastic Inference exists only on AWS",
            ),
            (
                "enableFaultInjection",
                s.enable_fault_injection.is_some(),
                "AWS Fault Injection Service",
            ),
            (
                "trustedExecutionConfiguration",
                s.trusted_execution_configuration.is_some(),
                FARGATE,
            ),
        ];
        for (field, set, reason) in task_fields {
            if set {
                self.add(o, field, field, reason);
            }
        }
        for (i, volume) in s.volumes.iter().enumerate() {
            for (field, set) in [
                (
                    "efsVolumeConfiguration",
                    volume.efs_volume_configuration.is_some(),
                ),
                (
                    "fsxWindowsFileServerVolumeConfiguration",
                    volume
                        .fsx_windows_file_server_volume_configuration
                        .is_some(),
                ),
                (
                    "s3filesVolumeConfiguration",
                    volume.s3files_volume_configuration.is_some(),
                ),
            ] {
                if set {
                    self.add(
                        o,
                        &format!("volumes[{i}].{field}"),
                        &format!("volumes[].{field}"),
                        "an AWS file system; the volume is an empty task-scoped Docker volume here",
                    );
                }
            }
        }
        for (i, container) in s.container_definitions.iter().enumerate() {
            self.container(o, i, container);
        }
    }

    fn container(&mut self, o: &Origin, i: usize, k: &ContainerDefinition) {
        let fields: [(&str, bool, &'static str); 7] = [
            (
                "environmentFiles",
                !k.environment_files.is_empty(),
                "environment files live in S3",
            ),
            (
                "firelensConfiguration",
                k.firelens_configuration.is_some(),
                "FireLens routes logs to AWS",
            ),
            (
                "resourceRequirements",
                !k.resource_requirements.is_empty(),
                "GPUs and accelerators are not scheduled",
            ),
            (
                "credentialSpecs",
                !k.credential_specs.is_empty(),
                "Windows gMSA credentials",
            ),
            (
                "versionConsistency",
                k.version_consistency.is_some(),
                "image digests are resolved by the host's Docker",
            ),
            (
                "restartPolicy",
                k.restart_policy.is_some(),
                "container restart policies are not supported yet: a stopped essential container stops its task",
            ),
            (
                "startTimeout",
                k.start_timeout.is_some(),
                "dependencies are waited for until the task is stopped",
            ),
        ];
        for (field, set, reason) in fields {
            if set {
                self.add(
                    o,
                    &format!("containerDefinitions[{i}].{field}"),
                    &format!("containerDefinitions[].{field}"),
                    reason,
                );
            }
        }
        if let Some(log) = &k.log_configuration {
            if let Some(
                driver @ (LogDriver::Awslogs | LogDriver::Splunk | LogDriver::Awsfirelens),
            ) = log.log_driver
            {
                self.add(
                    o,
                    &format!("containerDefinitions[{i}].logConfiguration.logDriver"),
                    &format!("logDriver: {driver}"),
                    "an AWS log destination; the container logs with json-file here",
                );
            }
            if !log.secret_options.is_empty() {
                self.add(
                    o,
                    &format!("containerDefinitions[{i}].logConfiguration.secretOptions"),
                    "containerDefinitions[].logConfiguration.secretOptions",
                    "log driver secrets come from AWS",
                );
            }
        }
        for (j, mapping) in k.port_mappings.iter().enumerate() {
            for (field, set) in [
                ("appProtocol", mapping.app_protocol.is_some()),
                ("name", mapping.name.is_some()),
                ("containerPortRange", mapping.container_port_range.is_some()),
            ] {
                if set {
                    self.add(
                        o,
                        &format!("containerDefinitions[{i}].portMappings[{j}].{field}"),
                        &format!("portMappings[].{field}"),
                        "used by Service Connect and load balancers on AWS",
                    );
                }
            }
        }
    }

    pub fn service(&mut self, m: &Manifest<ServiceSpec>) {
        let o = &m.origin;
        let s = &m.spec;
        const LB: &str = "AWS load balancing and service discovery";
        const NET: &str = "AWS networking";
        const LAUNCH: &str = "AWS capacity selection";
        const TAGS: &str = "AWS resource tags";
        for (i, lb) in s.load_balancers.iter().enumerate() {
            let Some(advanced) = &lb.advanced_configuration else {
                continue;
            };
            let rules = [
                (
                    "productionListenerRule",
                    advanced.production_listener_rule.is_some(),
                ),
                ("testListenerRule", advanced.test_listener_rule.is_some()),
                ("roleArn", advanced.role_arn.is_some()),
            ];
            for (field, set) in rules {
                if set {
                    self.add(
                        o,
                        &format!("loadBalancers[{i}].advancedConfiguration.{field}"),
                        &format!("loadBalancers[].advancedConfiguration.{field}"),
                        "traffic shifts by weight inside the production target group; a test listener reaches the new revision through the alternate target group",
                    );
                }
            }
        }
        // serviceConnectConfiguration is served (traffic through the hosts' proxies).
        let fields: [(&str, bool, &'static str); 14] = [
            ("serviceRegistries", !s.service_registries.is_empty(), LB),
            (
                "vpcLatticeConfigurations",
                !s.vpc_lattice_configurations.is_empty(),
                LB,
            ),
            ("gatewayConnectors", !s.gateway_connectors.is_empty(), LB),
            (
                "networkConfiguration",
                s.network_configuration.is_some(),
                NET,
            ),
            ("platformVersion", s.platform_version.is_some(), LAUNCH),
            (
                "availabilityZoneRebalancing",
                s.availability_zone_rebalancing.is_some(),
                LAUNCH,
            ),
            ("role", s.role.is_some(), "IAM roles exist only on AWS"),
            ("tags", !s.tags.is_empty(), TAGS),
            (
                "enableECSManagedTags",
                s.enable_ecs_managed_tags.is_some(),
                TAGS,
            ),
            ("propagateTags", s.propagate_tags.is_some(), TAGS),
            (
                "enableExecuteCommand",
                s.enable_execute_command.is_some(),
                "`ecsctl exec` works on every task",
            ),
            (
                "volumeConfigurations",
                !s.volume_configurations.is_empty(),
                "EBS volumes exist only on AWS",
            ),
            (
                "monitoring",
                s.monitoring.is_some(),
                "CloudWatch metrics exist only on AWS",
            ),
            (
                "forceNewDeployment",
                s.force_new_deployment.is_some(),
                "a manifest field would redeploy on every apply",
            ),
        ];
        for (field, set, reason) in fields {
            if set {
                self.add(o, field, field, reason);
            }
        }
        if s.client_token.is_some() {
            self.add(
                o,
                "clientToken",
                "clientToken",
                "an AWS API idempotency token",
            );
        }
        if let Some(kind) = s.deployment_controller.as_ref().and_then(|c| c.r#type)
            && kind != DeploymentControllerType::Ecs
        {
            self.add(
                o,
                "deploymentController.type",
                &format!("deploymentController: {kind}"),
                "ecsctl deploys with rolling updates (the ECS controller)",
            );
        }
        if let Some(config) = &s.deployment_configuration {
            let fields: [(&str, bool); 1] = [(
                "earlySuccessCriteria",
                config.early_success_criteria.is_some(),
            )];
            for (field, set) in fields {
                if set {
                    self.add(
                        o,
                        &format!("deploymentConfiguration.{field}"),
                        &format!("deploymentConfiguration.{field}"),
                        "ecsctl completes a deployment when its steps and bake time are done",
                    );
                }
            }
            if let Some(breaker) = &config.deployment_circuit_breaker
                && (breaker.threshold_configuration.is_some()
                    || breaker.reset_on_healthy_task.is_some())
            {
                self.add(
                    o,
                    "deploymentConfiguration.deploymentCircuitBreaker",
                    "deploymentCircuitBreaker.thresholdConfiguration",
                    "the threshold is ECS's default: half the desired count, 3 to 200 tasks",
                );
            }
        }
    }

    /// One warning for the whole run: each ignored field once, with where it was first seen.
    pub fn report(&self, out: &mut Diagnostics) {
        if self.uses.is_empty() {
            return;
        }
        let mut by_field: BTreeMap<&str, Vec<&IgnoredUse>> = BTreeMap::new();
        for u in &self.uses {
            by_field.entry(&u.field).or_default().push(u);
        }
        let first = by_field
            .values()
            .filter_map(|uses| uses.first())
            .min_by_key(|u| (u.location.file.name.clone(), u.location.span))
            .map(|u| u.location.clone());
        let mut diagnostic = Diagnostic::warning(format!(
            "{} field{} ha{} no effect off AWS and {} ignored",
            by_field.len(),
            if by_field.len() == 1 { "" } else { "s" },
            if by_field.len() == 1 { "s" } else { "ve" },
            if by_field.len() == 1 { "is" } else { "are" },
        ))
        .at_opt(first.map(|mut l| {
            l.path = None;
            l
        }));
        for (field, uses) in by_field {
            let at = &uses[0].location;
            let more = match uses.len() {
                1 => String::new(),
                n => format!(" and {} more", n - 1),
            };
            diagnostic = diagnostic.with_note(format!(
                "`{field}` ({}): {}:{}:{}{more}",
                uses[0].reason, at.file.name, at.span.line, at.span.col
            ));
        }
        out.push(diagnostic);
    }
}
