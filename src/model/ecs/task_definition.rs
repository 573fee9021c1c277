//! `RegisterTaskDefinition` and everything under it, as in the ECS API model.
//!
//! Beyond the API members, [`TaskDefinitionSpec`] accepts the read-only fields of
//! `DescribeTaskDefinition` output (people save that output and register it again), and
//! [`ContainerDefinition`] two keys found in the ECS agent's own fixtures; the normalizer
//! drops all of them and validation says so.

use std::collections::BTreeMap;

use super::{ecs_enum, ecs_struct};

ecs_struct! {
    RepositoryCredentials {
        credentials_parameter: Option<String>,
    }
}

ecs_struct! {
    PortMapping {
        container_port: Option<i32>,
        host_port: Option<i32>,
        protocol: Option<TransportProtocol>,
        name: Option<String>,
        app_protocol: Option<ApplicationProtocol>,
        container_port_range: Option<String>,
    }
}

ecs_struct! {
    ContainerRestartPolicy {
        enabled: Option<bool>,
        ignored_exit_codes: Vec<i32>,
        restart_attempt_period: Option<i32>,
    }
}

ecs_struct! {
    KeyValuePair {
        name: Option<String>,
        value: Option<String>,
    }
}

ecs_struct! {
    EnvironmentFile {
        value: Option<String>,
        r#type: Option<EnvironmentFileType>,
    }
}

ecs_struct! {
    MountPoint {
        source_volume: Option<String>,
        container_path: Option<String>,
        read_only: Option<bool>,
    }
}

ecs_struct! {
    VolumeFrom {
        source_container: Option<String>,
        read_only: Option<bool>,
    }
}

ecs_struct! {
    KernelCapabilities {
        add: Vec<String>,
        drop: Vec<String>,
    }
}

ecs_struct! {
    Device {
        host_path: Option<String>,
        container_path: Option<String>,
        permissions: Vec<DeviceCgroupPermission>,
    }
}

ecs_struct! {
    Tmpfs {
        container_path: Option<String>,
        size: Option<i32>,
        mount_options: Vec<String>,
    }
}

ecs_struct! {
    LinuxParameters {
        capabilities: Option<KernelCapabilities>,
        devices: Vec<Device>,
        init_process_enabled: Option<bool>,
        shared_memory_size: Option<i32>,
        tmpfs: Vec<Tmpfs>,
        max_swap: Option<i32>,
        swappiness: Option<i32>,
    }
}

ecs_struct! {
    Secret {
        name: Option<String>,
        value_from: Option<String>,
    }
}

ecs_struct! {
    ContainerDependency {
        container_name: Option<String>,
        condition: Option<ContainerCondition>,
    }
}

ecs_struct! {
    HostEntry {
        hostname: Option<String>,
        ip_address: Option<String>,
    }
}

ecs_struct! {
    Ulimit {
        name: Option<UlimitName>,
        soft_limit: Option<i32>,
        hard_limit: Option<i32>,
    }
}

ecs_struct! {
    LogConfiguration {
        log_driver: Option<LogDriver>,
        options: BTreeMap<String, String>,
        secret_options: Vec<Secret>,
    }
}

ecs_struct! {
    HealthCheck {
        command: Vec<String>,
        interval: Option<i32>,
        timeout: Option<i32>,
        retries: Option<i32>,
        start_period: Option<i32>,
    }
}

ecs_struct! {
    SystemControl {
        namespace: Option<String>,
        value: Option<String>,
    }
}

ecs_struct! {
    NvidiaMpsAllocation {
        memory: Option<i32>,
        max_compute_percent: Option<i32>,
    }
}

ecs_struct! {
    SharingStrategy {
        nvidia_mps: Option<NvidiaMpsAllocation>,
    }
}

ecs_struct! {
    ResourceRequirement {
        value: Option<String>,
        r#type: Option<ResourceType>,
        sharing_strategy: Option<SharingStrategy>,
    }
}

ecs_struct! {
    FirelensConfiguration {
        r#type: Option<FirelensConfigurationType>,
        options: BTreeMap<String, String>,
    }
}

ecs_struct! {
    /// One container of a task definition.
    ContainerDefinition {
        name: Option<String>,
        image: Option<String>,
        repository_credentials: Option<RepositoryCredentials>,
        cpu: Option<i32>,
        memory: Option<i32>,
        memory_reservation: Option<i32>,
        links: Vec<String>,
        port_mappings: Vec<PortMapping>,
        essential: Option<bool>,
        restart_policy: Option<ContainerRestartPolicy>,
        entry_point: Vec<String>,
        command: Vec<String>,
        environment: Vec<KeyValuePair>,
        environment_files: Vec<EnvironmentFile>,
        mount_points: Vec<MountPoint>,
        volumes_from: Vec<VolumeFrom>,
        linux_parameters: Option<LinuxParameters>,
        secrets: Vec<Secret>,
        depends_on: Vec<ContainerDependency>,
        start_timeout: Option<i32>,
        stop_timeout: Option<i32>,
        version_consistency: Option<VersionConsistency>,
        hostname: Option<String>,
        user: Option<String>,
        working_directory: Option<String>,
        disable_networking: Option<bool>,
        privileged: Option<bool>,
        readonly_root_filesystem: Option<bool>,
        dns_servers: Vec<String>,
        dns_search_domains: Vec<String>,
        extra_hosts: Vec<HostEntry>,
        docker_security_options: Vec<String>,
        interactive: Option<bool>,
        pseudo_terminal: Option<bool>,
        docker_labels: BTreeMap<String, String>,
        ulimits: Vec<Ulimit>,
        log_configuration: Option<LogConfiguration>,
        health_check: Option<HealthCheck>,
        system_controls: Vec<SystemControl>,
        resource_requirements: Vec<ResourceRequirement>,
        firelens_configuration: Option<FirelensConfiguration>,
        credential_specs: Vec<String>,
        // Not ECS API members, but present in the ECS agent's own test fixtures: tolerated
        // with a warning, then dropped.
        port_bindings: Option<serde_json::Value>,
        inference_devices: Option<serde_json::Value>,
    }
}

ecs_struct! {
    HostVolumeProperties {
        source_path: Option<String>,
    }
}

ecs_struct! {
    DockerVolumeConfiguration {
        scope: Option<Scope>,
        autoprovision: Option<bool>,
        driver: Option<String>,
        driver_opts: BTreeMap<String, String>,
        labels: BTreeMap<String, String>,
    }
}

ecs_struct! {
    EFSAuthorizationConfig {
        access_point_id: Option<String>,
        iam: Option<EFSAuthorizationConfigIAM>,
    }
}

ecs_struct! {
    EFSVolumeConfiguration {
        file_system_id: Option<String>,
        root_directory: Option<String>,
        transit_encryption: Option<EFSTransitEncryption>,
        transit_encryption_port: Option<i32>,
        authorization_config: Option<EFSAuthorizationConfig>,
    }
}

ecs_struct! {
    S3FilesVolumeConfiguration {
        file_system_arn: Option<String>,
        root_directory: Option<String>,
        transit_encryption_port: Option<i32>,
        access_point_arn: Option<String>,
    }
}

ecs_struct! {
    FSxWindowsFileServerAuthorizationConfig {
        credentials_parameter: Option<String>,
        domain: Option<String>,
    }
}

ecs_struct! {
    FSxWindowsFileServerVolumeConfiguration {
        file_system_id: Option<String>,
        root_directory: Option<String>,
        authorization_config: Option<FSxWindowsFileServerAuthorizationConfig>,
    }
}

ecs_struct! {
    Volume {
        name: Option<String>,
        host: Option<HostVolumeProperties>,
        docker_volume_configuration: Option<DockerVolumeConfiguration>,
        efs_volume_configuration: Option<EFSVolumeConfiguration>,
        s3files_volume_configuration: Option<S3FilesVolumeConfiguration>,
        fsx_windows_file_server_volume_configuration: Option<FSxWindowsFileServerVolumeConfiguration>,
        configured_at_launch: Option<bool>,
    }
}

ecs_struct! {
    TaskDefinitionPlacementConstraint {
        r#type: Option<TaskDefinitionPlacementConstraintType>,
        expression: Option<String>,
    }
}

ecs_struct! {
    Tag {
        key: Option<String>,
        value: Option<String>,
    }
}

ecs_struct! {
    ProxyConfiguration {
        r#type: Option<ProxyConfigurationType>,
        container_name: Option<String>,
        properties: Vec<KeyValuePair>,
    }
}

ecs_struct! {
    InferenceAccelerator {
        device_name: Option<String>,
        device_type: Option<String>,
    }
}

ecs_struct! {
    EphemeralStorage {
        size_in_gi_b: Option<i32>,
    }
}

ecs_struct! {
    RuntimePlatform {
        cpu_architecture: Option<CPUArchitecture>,
        operating_system_family: Option<OSFamily>,
    }
}

ecs_struct! {
    TrustedExecutionConfiguration {
        isolation_mode: Option<IsolationMode>,
        attestation_policy: Option<String>,
    }
}

ecs_struct! {
    /// A task definition: `spec` of `kind: TaskDefinition`, or a whole
    /// `register-task-definition --cli-input-json` document.
    TaskDefinitionSpec {
        family: Option<String>,
        task_role_arn: Option<String>,
        execution_role_arn: Option<String>,
        network_mode: Option<NetworkMode>,
        container_definitions: Vec<ContainerDefinition>,
        volumes: Vec<Volume>,
        placement_constraints: Vec<TaskDefinitionPlacementConstraint>,
        requires_compatibilities: Vec<Compatibility>,
        cpu: Option<String>,
        memory: Option<String>,
        tags: Vec<Tag>,
        pid_mode: Option<PidMode>,
        ipc_mode: Option<IpcMode>,
        proxy_configuration: Option<ProxyConfiguration>,
        inference_accelerators: Vec<InferenceAccelerator>,
        ephemeral_storage: Option<EphemeralStorage>,
        runtime_platform: Option<RuntimePlatform>,
        enable_fault_injection: Option<bool>,
        trusted_execution_configuration: Option<TrustedExecutionConfiguration>,
        // Read-only fields of DescribeTaskDefinition output: tolerated, then dropped.
        task_definition_arn: Option<serde_json::Value>,
        revision: Option<serde_json::Value>,
        status: Option<serde_json::Value>,
        requires_attributes: Option<serde_json::Value>,
        compatibilities: Option<serde_json::Value>,
        registered_at: Option<serde_json::Value>,
        registered_by: Option<serde_json::Value>,
        deregistered_at: Option<serde_json::Value>,
    }
}

ecs_enum! {
    NetworkMode {
        Bridge = "bridge",
        Host = "host",
        Awsvpc = "awsvpc",
        None = "none",
        /// The name old task definitions used for Docker's default network; it means
        /// `bridge` on Linux. Normalized to `bridge`, with a warning.
        Default = "default",
    }
}

ecs_enum! {
    TransportProtocol {
        Tcp = "tcp",
        Udp = "udp",
        /// Application protocols written where the transport belongs, seen in real task
        /// definitions. They mean tcp; validation warns.
        Http = "http",
        Http2 = "http2",
        Grpc = "grpc",
    }
}

ecs_enum! {
    ApplicationProtocol {
        Http = "http",
        Http2 = "http2",
        Grpc = "grpc",
    }
}

ecs_enum! {
    EnvironmentFileType {
        S3 = "s3",
    }
}

ecs_enum! {
    DeviceCgroupPermission {
        Read = "read",
        Write = "write",
        Mknod = "mknod",
    }
}

ecs_enum! {
    ContainerCondition {
        Start = "START",
        Complete = "COMPLETE",
        Success = "SUCCESS",
        Healthy = "HEALTHY",
    }
}

ecs_enum! {
    VersionConsistency {
        Enabled = "enabled",
        Disabled = "disabled",
    }
}

ecs_enum! {
    UlimitName {
        Core = "core",
        Cpu = "cpu",
        Data = "data",
        Fsize = "fsize",
        Locks = "locks",
        Memlock = "memlock",
        Msgqueue = "msgqueue",
        Nice = "nice",
        Nofile = "nofile",
        Nproc = "nproc",
        Rss = "rss",
        Rtprio = "rtprio",
        Rttime = "rttime",
        Sigpending = "sigpending",
        Stack = "stack",
    }
}

ecs_enum! {
    LogDriver {
        JsonFile = "json-file",
        Syslog = "syslog",
        Journald = "journald",
        Gelf = "gelf",
        Fluentd = "fluentd",
        Awslogs = "awslogs",
        Splunk = "splunk",
        Awsfirelens = "awsfirelens",
        /// Docker's `local` driver: not in the ECS API, accepted because it is the better
        /// local default (compressed, rotated).
        Local = "local",
    }
}

ecs_enum! {
    ResourceType {
        Gpu = "GPU",
        InferenceAccelerator = "InferenceAccelerator",
        NeuronDevice = "NeuronDevice",
    }
}

ecs_enum! {
    FirelensConfigurationType {
        Fluentd = "fluentd",
        Fluentbit = "fluentbit",
    }
}

ecs_enum! {
    Scope {
        Task = "task",
        Shared = "shared",
    }
}

ecs_enum! {
    EFSTransitEncryption {
        Enabled = "ENABLED",
        Disabled = "DISABLED",
    }
}

ecs_enum! {
    EFSAuthorizationConfigIAM {
        Enabled = "ENABLED",
        Disabled = "DISABLED",
    }
}

ecs_enum! {
    TaskDefinitionPlacementConstraintType {
        MemberOf = "memberOf",
    }
}

ecs_enum! {
    Compatibility {
        Ec2 = "EC2",
        Fargate = "FARGATE",
        External = "EXTERNAL",
        ManagedInstances = "MANAGED_INSTANCES",
    }
}

ecs_enum! {
    PidMode {
        Host = "host",
        Task = "task",
    }
}

ecs_enum! {
    IpcMode {
        Host = "host",
        Task = "task",
        None = "none",
    }
}

ecs_enum! {
    ProxyConfigurationType {
        Appmesh = "APPMESH",
    }
}

ecs_enum! {
    CPUArchitecture {
        X8664 = "X86_64",
        Arm64 = "ARM64",
    }
}

ecs_enum! {
    OSFamily {
        WindowsServer2019Full = "WINDOWS_SERVER_2019_FULL",
        WindowsServer2019Core = "WINDOWS_SERVER_2019_CORE",
        WindowsServer2016Full = "WINDOWS_SERVER_2016_FULL",
        WindowsServer2004Core = "WINDOWS_SERVER_2004_CORE",
        WindowsServer2022Core = "WINDOWS_SERVER_2022_CORE",
        WindowsServer2022Full = "WINDOWS_SERVER_2022_FULL",
        WindowsServer2025Core = "WINDOWS_SERVER_2025_CORE",
        WindowsServer2025Full = "WINDOWS_SERVER_2025_FULL",
        WindowsServer20h2Core = "WINDOWS_SERVER_20H2_CORE",
        Linux = "LINUX",
    }
}

ecs_enum! {
    IsolationMode {
        Shared = "SHARED",
        IsolatedSandbox = "ISOLATED_SANDBOX",
        ConfidentialSandbox = "CONFIDENTIAL_SANDBOX",
    }
}
