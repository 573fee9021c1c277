//! The traffic kinds, typed: `TargetGroup` and `LoadBalancer` (ELBv2 field names, camelCase),
//! and how a service's `loadBalancers[]` names a target group.
//!
//! Data only, like [`super::ecs`]: every field optional, required-ness and ranges are checked
//! in `model::validate::traffic`, defaults are decided in `model::effective::traffic`. Both
//! kinds live in a cluster (`metadata.cluster`, default `default`).
//!
//! | ELBv2 | here | HAProxy (see `traffic::config`) |
//! |---|---|---|
//! | CreateTargetGroup `Protocol` | `protocol: HTTP \| TCP` | backend `mode http \| tcp` |
//! | `HealthCheckPath`, `Matcher.HttpCode` | `healthCheckPath`, `matcher.httpCode` | `option httpchk GET PATH`, `http-check expect status CODES` |
//! | `HealthCheckIntervalSeconds`, `…TimeoutSeconds` | same | `inter`, `timeout check` |
//! | `HealthyThresholdCount`, `UnhealthyThresholdCount` | same | `rise`, `fall` |
//! | attribute `deregistration_delay.timeout_seconds` | `deregistrationDelaySeconds` | drain time before `maint` |
//! | attribute `slow_start.duration_seconds` | `slowStartSeconds` | `slowstart` |
//! | CreateListener `Port`, `Protocol`, `DefaultActions` | `listeners[]` | one `frontend` per listener |
//! | CreateRule `Priority`, `Conditions`, `Actions` | `listeners[].rules[]` | `acl` + `use_backend … if`, by priority |

use super::ecs::{ecs_enum, strict_struct};

strict_struct! {
    /// ELBv2's `Matcher`: the HTTP codes a healthy target answers (`"200"`, `"200,202"`,
    /// `"200-399"`).
    Matcher {
        http_code: Option<String>,
    }
}

strict_struct! {
    /// `spec` of `kind: TargetGroup`.
    TargetGroupSpec {
        protocol: Option<TrafficProtocol>,
        /// The port targets listen on when a registration does not say (ECS always does).
        port: Option<i32>,
        health_check_enabled: Option<bool>,
        health_check_path: Option<String>,
        /// `traffic-port` (the target's own port, the default) or a port number.
        health_check_port: Option<String>,
        health_check_interval_seconds: Option<i32>,
        health_check_timeout_seconds: Option<i32>,
        healthy_threshold_count: Option<i32>,
        unhealthy_threshold_count: Option<i32>,
        matcher: Option<Matcher>,
        deregistration_delay_seconds: Option<i32>,
        slow_start_seconds: Option<i32>,
    }
}

strict_struct! {
    /// An ELBv2 action: `forward` to one target group, by name (or by the ARN of a real
    /// ELBv2 target group, which names it).
    ListenerAction {
        r#type: Option<ActionType>,
        target_group_name: Option<String>,
        target_group_arn: Option<String>,
    }
}

strict_struct! {
    /// An ELBv2 rule condition: the values of one condition are alternatives (OR); the
    /// conditions of a rule must all hold (AND).
    RuleCondition {
        field: Option<ConditionField>,
        values: Vec<String>,
    }
}

strict_struct! {
    ListenerRule {
        priority: Option<i32>,
        conditions: Vec<RuleCondition>,
        actions: Vec<ListenerAction>,
    }
}

strict_struct! {
    Listener {
        port: Option<i32>,
        protocol: Option<TrafficProtocol>,
        default_actions: Vec<ListenerAction>,
        rules: Vec<ListenerRule>,
    }
}

strict_struct! {
    /// `spec` of `kind: LoadBalancer`.
    LoadBalancerSpec {
        /// Where the listeners run; empty means every ACTIVE host of the cluster.
        hosts: Vec<String>,
        /// The proxy image; default `proxy::container::DEFAULT_IMAGE`.
        image: Option<String>,
        listeners: Vec<Listener>,
    }
}

ecs_enum! {
    TrafficProtocol {
        Http = "HTTP",
        Tcp = "TCP",
    }
}

ecs_enum! {
    ActionType {
        Forward = "forward",
    }
}

ecs_enum! {
    ConditionField {
        HostHeader = "host-header",
        PathPattern = "path-pattern",
    }
}

/// How something names its target group: `targetGroupName`, or `targetGroupArn`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetGroupRef {
    Named(String),
    /// Neither field was written.
    Missing,
    /// Both were written, and they disagree.
    Both {
        name: String,
        arn_name: String,
    },
    /// An ARN that is not `arn:…:targetgroup/NAME/ID`.
    BadArn(String),
}

impl TargetGroupRef {
    pub fn of(name: Option<&str>, arn: Option<&str>) -> Self {
        match (name, arn) {
            (None, None) => TargetGroupRef::Missing,
            (Some(name), None) => TargetGroupRef::Named(name.to_string()),
            (name, Some(arn)) => match target_group_name_of_arn(arn) {
                None => TargetGroupRef::BadArn(arn.to_string()),
                Some(arn_name) => match name {
                    Some(name) if name != arn_name => TargetGroupRef::Both {
                        name: name.to_string(),
                        arn_name: arn_name.to_string(),
                    },
                    _ => TargetGroupRef::Named(arn_name.to_string()),
                },
            },
        }
    }

    pub fn name(&self) -> Option<&str> {
        match self {
            TargetGroupRef::Named(name) => Some(name),
            _ => None,
        }
    }
}

/// `arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID` → `NAME`.
pub fn target_group_name_of_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    if parts.next() != Some("arn") {
        return None;
    }
    let resource = parts.nth(4)?;
    let mut segments = resource.split('/');
    if segments.next() != Some("targetgroup") {
        return None;
    }
    let name = segments.next().filter(|n| !n.is_empty())?;
    segments.next()?;
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arn_names_its_target_group() {
        let arn =
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/73e2d6bc24d8a067";
        assert_eq!(target_group_name_of_arn(arn), Some("web"));
        assert_eq!(
            TargetGroupRef::of(None, Some(arn)),
            TargetGroupRef::Named("web".into())
        );
        assert_eq!(
            TargetGroupRef::of(Some("web"), Some(arn)),
            TargetGroupRef::Named("web".into())
        );
        assert_eq!(
            TargetGroupRef::of(Some("api"), Some(arn)),
            TargetGroupRef::Both {
                name: "api".into(),
                arn_name: "web".into()
            }
        );
        assert_eq!(target_group_name_of_arn("web"), None);
        assert_eq!(
            target_group_name_of_arn("arn:aws:elasticloadbalancing:r:a:loadbalancer/app/x/1"),
            None
        );
        assert_eq!(TargetGroupRef::of(None, None), TargetGroupRef::Missing);
    }
}
