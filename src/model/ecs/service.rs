//! `CreateService` and everything under it, as in the ECS API model.
//!
//! Beyond the API members, [`ServiceSpec`] accepts `service` (the name key of an
//! `UpdateService` document) and the read-only fields of `DescribeServices` output.

use super::task_definition::{LogConfiguration, Tag};
use super::{ecs_enum, ecs_struct};

ecs_struct! {
    /// Blue/green's second target group: `alternateTargetGroupName` (ecsctl's own field) or
    /// the ARN of a real ELBv2 target group, which names it. It carries the new revision's
    /// tasks during a deployment, for a test listener.
    AdvancedConfiguration {
        alternate_target_group_name: Option<String>,
        alternate_target_group_arn: Option<String>,
        production_listener_rule: Option<String>,
        test_listener_rule: Option<String>,
        role_arn: Option<String>,
    }
}

ecs_struct! {
    /// A target group the service's tasks register with: `targetGroupName` (ecsctl's own
    /// field) or the `targetGroupArn` of a real ELBv2 target group, which names it.
    LoadBalancer {
        target_group_name: Option<String>,
        target_group_arn: Option<String>,
        load_balancer_name: Option<String>,
        container_name: Option<String>,
        container_port: Option<i32>,
        advanced_configuration: Option<AdvancedConfiguration>,
    }
}

ecs_struct! {
    ServiceRegistry {
        registry_arn: Option<String>,
        port: Option<i32>,
        container_name: Option<String>,
        container_port: Option<i32>,
    }
}

ecs_struct! {
    CapacityProviderStrategyItem {
        capacity_provider: Option<String>,
        weight: Option<i32>,
        base: Option<i32>,
    }
}

ecs_struct! {
    ThresholdConfiguration {
        r#type: Option<ThresholdType>,
        value: Option<i32>,
    }
}

ecs_struct! {
    DeploymentCircuitBreaker {
        enable: Option<bool>,
        rollback: Option<bool>,
        reset_on_healthy_task: Option<bool>,
        threshold_configuration: Option<ThresholdConfiguration>,
    }
}

ecs_struct! {
    DeploymentAlarms {
        alarm_names: Vec<String>,
        rollback: Option<bool>,
        enable: Option<bool>,
    }
}

ecs_struct! {
    DeploymentLifecycleHookTimeoutConfiguration {
        timeout_in_minutes: Option<i32>,
        action: Option<DeploymentLifecycleHookAction>,
    }
}

ecs_struct! {
    DeploymentLifecycleHook {
        target_type: Option<DeploymentLifecycleHookTargetType>,
        hook_target_arn: Option<String>,
        role_arn: Option<String>,
        lifecycle_stages: Vec<DeploymentLifecycleHookStage>,
        hook_details: Option<serde_json::Value>,
        timeout_configuration: Option<DeploymentLifecycleHookTimeoutConfiguration>,
    }
}

ecs_struct! {
    LinearConfiguration {
        step_percent: Option<f64>,
        step_bake_time_in_minutes: Option<i32>,
    }
}

ecs_struct! {
    CanaryConfiguration {
        canary_percent: Option<f64>,
        canary_bake_time_in_minutes: Option<i32>,
    }
}

ecs_struct! {
    DeploymentEarlySuccessCriteria {
        enable: Option<bool>,
        healthy_percent: Option<i32>,
        source_service_revision_cleanup: Option<ServiceRevisionCleanup>,
    }
}

ecs_struct! {
    DeploymentConfiguration {
        deployment_circuit_breaker: Option<DeploymentCircuitBreaker>,
        maximum_percent: Option<i32>,
        minimum_healthy_percent: Option<i32>,
        alarms: Option<DeploymentAlarms>,
        strategy: Option<DeploymentStrategy>,
        bake_time_in_minutes: Option<i32>,
        lifecycle_hooks: Vec<DeploymentLifecycleHook>,
        linear_configuration: Option<LinearConfiguration>,
        canary_configuration: Option<CanaryConfiguration>,
        early_success_criteria: Option<DeploymentEarlySuccessCriteria>,
    }
}

ecs_struct! {
    PlacementConstraint {
        r#type: Option<PlacementConstraintType>,
        expression: Option<String>,
    }
}

ecs_struct! {
    PlacementStrategy {
        r#type: Option<PlacementStrategyType>,
        field: Option<String>,
    }
}

ecs_struct! {
    AwsVpcConfiguration {
        subnets: Vec<String>,
        security_groups: Vec<String>,
        assign_public_ip: Option<AssignPublicIp>,
    }
}

ecs_struct! {
    NetworkConfiguration {
        awsvpc_configuration: Option<AwsVpcConfiguration>,
    }
}

ecs_struct! {
    DeploymentController {
        r#type: Option<DeploymentControllerType>,
    }
}

ecs_struct! {
    ServiceConnectTestTrafficHeaderMatchRules {
        exact: Option<String>,
    }
}

ecs_struct! {
    ServiceConnectTestTrafficHeaderRules {
        name: Option<String>,
        value: Option<ServiceConnectTestTrafficHeaderMatchRules>,
    }
}

ecs_struct! {
    ServiceConnectTestTrafficRules {
        header: Option<ServiceConnectTestTrafficHeaderRules>,
    }
}

ecs_struct! {
    ServiceConnectClientAlias {
        port: Option<i32>,
        dns_name: Option<String>,
        test_traffic_rules: Option<ServiceConnectTestTrafficRules>,
    }
}

ecs_struct! {
    TimeoutConfiguration {
        idle_timeout_seconds: Option<i32>,
        per_request_timeout_seconds: Option<i32>,
    }
}

ecs_struct! {
    ServiceConnectTlsCertificateAuthority {
        aws_pca_authority_arn: Option<String>,
    }
}

ecs_struct! {
    ServiceConnectTlsConfiguration {
        issuer_certificate_authority: Option<ServiceConnectTlsCertificateAuthority>,
        kms_key: Option<String>,
        role_arn: Option<String>,
    }
}

ecs_struct! {
    ServiceConnectService {
        port_name: Option<String>,
        discovery_name: Option<String>,
        client_aliases: Vec<ServiceConnectClientAlias>,
        ingress_port_override: Option<i32>,
        timeout: Option<TimeoutConfiguration>,
        tls: Option<ServiceConnectTlsConfiguration>,
    }
}

ecs_struct! {
    ServiceConnectAccessLogConfiguration {
        format: Option<ServiceConnectAccessLoggingFormat>,
        include_query_parameters: Option<ServiceConnectIncludeQueryParameters>,
    }
}

ecs_struct! {
    ServiceConnectContainerConfiguration {
        log_level: Option<ServiceConnectContainerLogLevel>,
    }
}

ecs_struct! {
    ServiceConnectConfiguration {
        enabled: Option<bool>,
        namespace: Option<String>,
        services: Vec<ServiceConnectService>,
        log_configuration: Option<LogConfiguration>,
        access_log_configuration: Option<ServiceConnectAccessLogConfiguration>,
        container_configurations: Vec<ServiceConnectContainerConfiguration>,
    }
}

ecs_struct! {
    EBSTagSpecification {
        resource_type: Option<EBSResourceType>,
        tags: Vec<Tag>,
        propagate_tags: Option<PropagateTags>,
    }
}

ecs_struct! {
    ServiceManagedEBSVolumeConfiguration {
        encrypted: Option<bool>,
        kms_key_id: Option<String>,
        volume_type: Option<String>,
        size_in_gi_b: Option<i32>,
        snapshot_id: Option<String>,
        volume_initialization_rate: Option<i32>,
        iops: Option<i32>,
        throughput: Option<i32>,
        tag_specifications: Vec<EBSTagSpecification>,
        role_arn: Option<String>,
        filesystem_type: Option<TaskFilesystemType>,
    }
}

ecs_struct! {
    ServiceVolumeConfiguration {
        name: Option<String>,
        #[serde(rename = "managedEBSVolume")]
        managed_ebs_volume: Option<ServiceManagedEBSVolumeConfiguration>,
    }
}

ecs_struct! {
    VpcLatticeAdvancedConfiguration {
        alternate_target_group_arn: Option<String>,
        production_listener_rule: Option<String>,
        test_listener_rule: Option<String>,
    }
}

ecs_struct! {
    VpcLatticeConfiguration {
        role_arn: Option<String>,
        target_group_arn: Option<String>,
        port_name: Option<String>,
        advanced_configuration: Option<VpcLatticeAdvancedConfiguration>,
    }
}

ecs_struct! {
    GatewayConnectorHealthCheckMatcher {
        http_code: Option<String>,
        grpc_code: Option<String>,
    }
}

ecs_struct! {
    GatewayConnectorHealthCheck {
        health_check_protocol: Option<GatewayConnectorHealthCheckProtocol>,
        health_check_port: Option<i32>,
        health_check_path: Option<String>,
        health_check_timeout_seconds: Option<i32>,
        health_check_interval_seconds: Option<i32>,
        healthy_threshold_count: Option<i32>,
        unhealthy_threshold_count: Option<i32>,
        matcher: Option<GatewayConnectorHealthCheckMatcher>,
    }
}

ecs_struct! {
    GatewayConnectorFilters {
        access_types: Vec<AccessType>,
    }
}

ecs_struct! {
    GatewayConnectorDeregistrationDelay {
        timeout_seconds: Option<i32>,
    }
}

ecs_struct! {
    GatewayConnector {
        port_name: Option<String>,
        health_check: Option<GatewayConnectorHealthCheck>,
        filters: Option<GatewayConnectorFilters>,
        deregistration_delay: Option<GatewayConnectorDeregistrationDelay>,
    }
}

ecs_struct! {
    MetricConfiguration {
        metric_names: Vec<String>,
        resolution_seconds: Option<i32>,
    }
}

ecs_struct! {
    MonitoringConfiguration {
        metric_configurations: Vec<MetricConfiguration>,
    }
}

ecs_struct! {
    /// A service: `spec` of `kind: Service`, or a whole `create-service --cli-input-json`
    /// document.
    ServiceSpec {
        cluster: Option<String>,
        service_name: Option<String>,
        task_definition: Option<String>,
        availability_zone_rebalancing: Option<AvailabilityZoneRebalancing>,
        load_balancers: Vec<LoadBalancer>,
        service_registries: Vec<ServiceRegistry>,
        desired_count: Option<i32>,
        client_token: Option<String>,
        launch_type: Option<LaunchType>,
        capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
        platform_version: Option<String>,
        role: Option<String>,
        deployment_configuration: Option<DeploymentConfiguration>,
        placement_constraints: Vec<PlacementConstraint>,
        placement_strategy: Vec<PlacementStrategy>,
        network_configuration: Option<NetworkConfiguration>,
        health_check_grace_period_seconds: Option<i32>,
        scheduling_strategy: Option<SchedulingStrategy>,
        deployment_controller: Option<DeploymentController>,
        tags: Vec<Tag>,
        #[serde(rename = "enableECSManagedTags")]
        enable_ecs_managed_tags: Option<bool>,
        propagate_tags: Option<PropagateTags>,
        enable_execute_command: Option<bool>,
        service_connect_configuration: Option<ServiceConnectConfiguration>,
        volume_configurations: Vec<ServiceVolumeConfiguration>,
        vpc_lattice_configurations: Vec<VpcLatticeConfiguration>,
        gateway_connectors: Vec<GatewayConnector>,
        monitoring: Option<MonitoringConfiguration>,
        /// The service name in an `UpdateService` document.
        service: Option<String>,
        force_new_deployment: Option<bool>,
        // Read-only fields of DescribeServices output: tolerated, then dropped.
        service_arn: Option<serde_json::Value>,
        cluster_arn: Option<serde_json::Value>,
        status: Option<serde_json::Value>,
        running_count: Option<serde_json::Value>,
        pending_count: Option<serde_json::Value>,
        platform_family: Option<serde_json::Value>,
        deployments: Option<serde_json::Value>,
        events: Option<serde_json::Value>,
        created_at: Option<serde_json::Value>,
        created_by: Option<serde_json::Value>,
        role_arn: Option<serde_json::Value>,
        task_sets: Option<serde_json::Value>,
    }
}

ecs_enum! {
    AvailabilityZoneRebalancing {
        Enabled = "ENABLED",
        Disabled = "DISABLED",
    }
}

ecs_enum! {
    LaunchType {
        Ec2 = "EC2",
        Fargate = "FARGATE",
        External = "EXTERNAL",
        ManagedInstances = "MANAGED_INSTANCES",
    }
}

ecs_enum! {
    ThresholdType {
        Count = "COUNT",
        BoundedPercent = "BOUNDED_PERCENT",
        UnboundedPercent = "UNBOUNDED_PERCENT",
    }
}

ecs_enum! {
    DeploymentStrategy {
        Rolling = "ROLLING",
        BlueGreen = "BLUE_GREEN",
        Linear = "LINEAR",
        Canary = "CANARY",
    }
}

ecs_enum! {
    DeploymentLifecycleHookTargetType {
        AwsLambda = "AWS_LAMBDA",
        Pause = "PAUSE",
    }
}

ecs_enum! {
    DeploymentLifecycleHookStage {
        ReconcileService = "RECONCILE_SERVICE",
        PreScaleUp = "PRE_SCALE_UP",
        PostScaleUp = "POST_SCALE_UP",
        TestTrafficShift = "TEST_TRAFFIC_SHIFT",
        PostTestTrafficShift = "POST_TEST_TRAFFIC_SHIFT",
        PreProductionTrafficShift = "PRE_PRODUCTION_TRAFFIC_SHIFT",
        ProductionTrafficShift = "PRODUCTION_TRAFFIC_SHIFT",
        PostProductionTrafficShift = "POST_PRODUCTION_TRAFFIC_SHIFT",
    }
}

ecs_enum! {
    DeploymentLifecycleHookAction {
        Rollback = "ROLLBACK",
        Continue = "CONTINUE",
    }
}

ecs_enum! {
    ServiceRevisionCleanup {
        Blocking = "BLOCKING",
        Deferred = "DEFERRED",
    }
}

ecs_enum! {
    PlacementConstraintType {
        DistinctInstance = "distinctInstance",
        MemberOf = "memberOf",
    }
}

ecs_enum! {
    PlacementStrategyType {
        Random = "random",
        Spread = "spread",
        Binpack = "binpack",
    }
}

ecs_enum! {
    AssignPublicIp {
        Enabled = "ENABLED",
        Disabled = "DISABLED",
    }
}

ecs_enum! {
    SchedulingStrategy {
        Replica = "REPLICA",
        Daemon = "DAEMON",
    }
}

ecs_enum! {
    DeploymentControllerType {
        Ecs = "ECS",
        CodeDeploy = "CODE_DEPLOY",
        External = "EXTERNAL",
    }
}

ecs_enum! {
    ServiceConnectAccessLoggingFormat {
        Text = "TEXT",
        Json = "JSON",
    }
}

ecs_enum! {
    ServiceConnectIncludeQueryParameters {
        Disabled = "DISABLED",
        Enabled = "ENABLED",
    }
}

ecs_enum! {
    ServiceConnectContainerLogLevel {
        Debug = "debug",
        Info = "info",
    }
}

ecs_enum! {
    EBSResourceType {
        Volume = "volume",
    }
}

ecs_enum! {
    TaskFilesystemType {
        Ext3 = "ext3",
        Ext4 = "ext4",
        Xfs = "xfs",
        Ntfs = "ntfs",
    }
}

ecs_enum! {
    GatewayConnectorHealthCheckProtocol {
        Http = "HTTP",
        Https = "HTTPS",
    }
}

ecs_enum! {
    AccessType {
        Public = "PUBLIC",
        Private = "PRIVATE",
    }
}

ecs_enum! {
    PropagateTags {
        TaskDefinition = "TASK_DEFINITION",
        Service = "SERVICE",
        None = "NONE",
    }
}
