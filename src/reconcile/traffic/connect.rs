//! ECS Service Connect as load balancing, pure: every Service Connect service of a
//! namespace becomes an implicit TCP target group of its `portName`'s tasks, every client
//! alias a listener on every host of the cluster, and every task of every Service Connect
//! service in the namespace gets the aliases' names mapped to its own host (the proxy there
//! balances over the healthy tasks on all hosts, with the same drain rules as any target
//! group).
//!
//! | ECS | here |
//! |---|---|
//! | `services[].portName` | the task definition's `portMappings[].name`: container, port |
//! | `services[].discoveryName` (default `portName`) | target group `sc-NAMESPACE-DISCOVERY` |
//! | `clientAliases[].port`, `dnsName` (default `DISCOVERY.NAMESPACE`) | a TCP listener on every host; `dnsName` → the host (`host-gateway`) |

use std::collections::BTreeMap;

use crate::model::ecs::{LoadBalancer, ServiceSpec, TaskDefinitionSpec};
use crate::model::names::TaskDefRef;
use crate::model::traffic::{
    ActionType, Listener, ListenerAction, LoadBalancerSpec, TargetGroupSpec, TrafficProtocol,
};
use crate::state::ServiceRecord;

/// What Service Connect adds to a cluster's traffic.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceConnect {
    /// One per namespace (`sc-NAMESPACE`), with a listener per client alias, on every host.
    pub load_balancers: BTreeMap<String, LoadBalancerSpec>,
    pub target_groups: BTreeMap<String, TargetGroupSpec>,
    /// By service: the registrations its tasks get, as `loadBalancers[]` entries.
    pub registrations: BTreeMap<String, Vec<LoadBalancer>>,
    /// By service: the names its tasks resolve to their own host (`dnsName`s of its namespace).
    pub aliases: BTreeMap<String, Vec<String>>,
}

fn enabled(spec: &ServiceSpec) -> Option<String> {
    let config = spec.service_connect_configuration.as_ref()?;
    config
        .enabled
        .unwrap_or(false)
        .then(|| config.namespace.clone().unwrap_or_else(|| "default".into()))
}

/// The container and port a `portName` names in a task definition.
fn named_port(spec: &TaskDefinitionSpec, port_name: &str) -> Option<(String, i32)> {
    spec.container_definitions.iter().find_map(|c| {
        let mapping = c
            .port_mappings
            .iter()
            .find(|m| m.name.as_deref() == Some(port_name))?;
        Some((c.name.clone()?, mapping.container_port?))
    })
}

/// The target group of a Service Connect service.
pub fn target_group_name(namespace: &str, discovery: &str) -> String {
    format!("sc-{namespace}-{discovery}")
}

pub fn derive<'a>(
    services: &BTreeMap<String, ServiceRecord>,
    spec_of: &dyn Fn(&TaskDefRef) -> Option<&'a TaskDefinitionSpec>,
) -> ServiceConnect {
    let mut out = ServiceConnect::default();
    let mut names_by_namespace: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, record) in services {
        let Some(namespace) = enabled(&record.spec) else {
            continue;
        };
        members
            .entry(namespace.clone())
            .or_default()
            .push(name.clone());
        let Some(config) = &record.spec.service_connect_configuration else {
            continue;
        };
        let task_definition = spec_of(&record.task_definition);
        for sc in &config.services {
            let Some(port_name) = sc.port_name.as_deref() else {
                continue;
            };
            let discovery = sc.discovery_name.as_deref().unwrap_or(port_name);
            let group = target_group_name(&namespace, discovery);
            let Some((container, container_port)) =
                task_definition.and_then(|td| named_port(td, port_name))
            else {
                continue;
            };
            out.target_groups.insert(
                group.clone(),
                TargetGroupSpec {
                    protocol: Some(TrafficProtocol::Tcp),
                    health_check_interval_seconds: Some(5),
                    health_check_timeout_seconds: Some(2),
                    healthy_threshold_count: Some(2),
                    unhealthy_threshold_count: Some(2),
                    deregistration_delay_seconds: Some(5),
                    ..TargetGroupSpec::default()
                },
            );
            out.registrations
                .entry(name.clone())
                .or_default()
                .push(LoadBalancer {
                    target_group_name: Some(group.clone()),
                    container_name: Some(container),
                    container_port: Some(container_port),
                    ..LoadBalancer::default()
                });
            let lb = out
                .load_balancers
                .entry(format!("sc-{namespace}"))
                .or_default();
            for alias in &sc.client_aliases {
                let Some(port) = alias.port else {
                    continue;
                };
                let dns = alias
                    .dns_name
                    .clone()
                    .unwrap_or_else(|| format!("{discovery}.{namespace}"));
                names_by_namespace
                    .entry(namespace.clone())
                    .or_default()
                    .push(dns);
                lb.listeners.push(Listener {
                    port: Some(port),
                    protocol: Some(TrafficProtocol::Tcp),
                    default_actions: vec![ListenerAction {
                        r#type: Some(ActionType::Forward),
                        target_group_name: Some(group.clone()),
                        ..ListenerAction::default()
                    }],
                    ..Listener::default()
                });
            }
        }
    }
    for (namespace, services) in members {
        let mut names = names_by_namespace.remove(&namespace).unwrap_or_default();
        names.sort();
        names.dedup();
        if names.is_empty() {
            continue;
        }
        for service in services {
            out.aliases.insert(service, names.clone());
        }
    }
    out.load_balancers.retain(|_, lb| !lb.listeners.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ecs::{
        ContainerDefinition, PortMapping, ServiceConnectClientAlias, ServiceConnectConfiguration,
        ServiceConnectService,
    };
    use crate::state::{Deployment, ServiceStatus};
    use crate::time::Timestamp;

    fn record(spec: ServiceSpec) -> ServiceRecord {
        let deployment = Deployment {
            id: "d1".into(),
            task_definition: TaskDefRef::pinned("web", 1),
            created_at: Timestamp::from_unix_millis(0),
            reason: "test".into(),
        };
        ServiceRecord {
            spec,
            task_definition: deployment.task_definition.clone(),
            desired_count: 1,
            status: ServiceStatus::Active,
            deployments: vec![deployment],
            created_at: Timestamp::from_unix_millis(0),
            updated_at: Timestamp::from_unix_millis(0),
        }
    }

    fn connect(services: Vec<ServiceConnectService>) -> ServiceSpec {
        ServiceSpec {
            service_connect_configuration: Some(ServiceConnectConfiguration {
                enabled: Some(true),
                namespace: Some("internal".into()),
                services,
                ..ServiceConnectConfiguration::default()
            }),
            ..ServiceSpec::default()
        }
    }

    #[test]
    fn a_server_and_a_client_of_one_namespace() {
        let td = TaskDefinitionSpec {
            container_definitions: vec![ContainerDefinition {
                name: Some("app".into()),
                port_mappings: vec![PortMapping {
                    container_port: Some(8080),
                    name: Some("http".into()),
                    ..PortMapping::default()
                }],
                ..ContainerDefinition::default()
            }],
            ..TaskDefinitionSpec::default()
        };
        let services = BTreeMap::from([
            (
                "web".to_string(),
                record(connect(vec![ServiceConnectService {
                    port_name: Some("http".into()),
                    discovery_name: Some("web".into()),
                    client_aliases: vec![ServiceConnectClientAlias {
                        port: Some(80),
                        dns_name: Some("web.internal".into()),
                        ..ServiceConnectClientAlias::default()
                    }],
                    ..ServiceConnectService::default()
                }])),
            ),
            ("client".to_string(), record(connect(vec![]))),
            ("apart".to_string(), record(ServiceSpec::default())),
        ]);
        let spec_of = |_: &TaskDefRef| Some(&td);
        let sc = derive(&services, &spec_of);
        assert_eq!(
            sc.registrations["web"],
            [LoadBalancer {
                target_group_name: Some("sc-internal-web".into()),
                container_name: Some("app".into()),
                container_port: Some(8080),
                ..LoadBalancer::default()
            }]
        );
        let lb = &sc.load_balancers["sc-internal"];
        assert!(lb.hosts.is_empty(), "on every host");
        assert_eq!(lb.listeners[0].port, Some(80));
        assert_eq!(
            sc.target_groups["sc-internal-web"].protocol,
            Some(TrafficProtocol::Tcp)
        );
        let names = vec!["web.internal".to_string()];
        assert_eq!(sc.aliases.get("web"), Some(&names));
        assert_eq!(sc.aliases.get("client"), Some(&names));
        assert_eq!(sc.aliases.get("apart"), None);
    }
}
