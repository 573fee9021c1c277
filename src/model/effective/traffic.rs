//! ELBv2's defaults for target groups and listeners, as plain values: the one place they are
//! decided (normalization writes them back; the proxy renderer reads them from here).
//!
//! | field | default (ELBv2) |
//! |---|---|
//! | `protocol` | `HTTP` |
//! | `healthCheckPath` | `/` (HTTP only) |
//! | `matcher.httpCode` | `200` (HTTP only) |
//! | `healthCheckIntervalSeconds` | 30 |
//! | `healthCheckTimeoutSeconds` | 5 (HTTP), 10 (TCP) |
//! | `healthyThresholdCount` / `unhealthyThresholdCount` | 5 / 2 |
//! | `deregistrationDelaySeconds` | 300 |
//! | `slowStartSeconds` | 0 (off) |
//! | listener `protocol` | `HTTP` |

use std::time::Duration;

use super::{non_negative, seconds};
use crate::model::traffic::{Listener, TargetGroupSpec, TrafficProtocol};

pub const DEFAULT_HEALTH_CHECK_PATH: &str = "/";
pub const DEFAULT_MATCHER: &str = "200";
pub const DEFAULT_INTERVAL_SECONDS: i32 = 30;
pub const DEFAULT_HTTP_TIMEOUT_SECONDS: i32 = 5;
pub const DEFAULT_TCP_TIMEOUT_SECONDS: i32 = 10;
pub const DEFAULT_HEALTHY_THRESHOLD: i32 = 5;
pub const DEFAULT_UNHEALTHY_THRESHOLD: i32 = 2;
pub const DEFAULT_DEREGISTRATION_DELAY_SECONDS: i32 = 300;

/// An inclusive range of HTTP status codes (`200-399`; a single code is `200-200`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CodeRange {
    pub from: u16,
    pub to: u16,
}

/// Parses ELBv2's `httpCode`: codes and ranges separated by commas (`200,202`, `200-399`).
pub fn parse_http_codes(text: &str) -> Result<Vec<CodeRange>, String> {
    let mut ranges = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let code = |s: &str| -> Result<u16, String> {
            match s.trim().parse::<u16>() {
                Ok(n) if (100..=599).contains(&n) => Ok(n),
                _ => Err(format!("`{s}` is not an HTTP status code")),
            }
        };
        let range = match part.split_once('-') {
            Some((a, b)) => CodeRange {
                from: code(a)?,
                to: code(b)?,
            },
            None => {
                let n = code(part)?;
                CodeRange { from: n, to: n }
            }
        };
        if range.from > range.to {
            return Err(format!("`{part}` is an empty range"));
        }
        ranges.push(range);
    }
    ranges.sort();
    Ok(ranges)
}

/// How a target is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HealthCheckKind {
    /// `GET path`, healthy when the status is in `codes`.
    Http { path: String, codes: Vec<CodeRange> },
    /// A TCP connect.
    Tcp,
    /// `healthCheckEnabled: false`: every target counts as healthy.
    Disabled,
}

/// A target group with its defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectiveTargetGroup {
    pub protocol: TrafficProtocol,
    pub check: HealthCheckKind,
    /// A fixed health check port; `None` is `traffic-port`.
    pub check_port: Option<u16>,
    pub interval: Duration,
    pub timeout: Duration,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
    pub deregistration_delay: Duration,
    /// Zero when off.
    pub slow_start: Duration,
}

pub fn target_group_protocol(spec: &TargetGroupSpec) -> TrafficProtocol {
    spec.protocol.unwrap_or(TrafficProtocol::Http)
}

pub fn listener_protocol(listener: &Listener) -> TrafficProtocol {
    listener.protocol.unwrap_or(TrafficProtocol::Http)
}

impl EffectiveTargetGroup {
    pub fn of(spec: &TargetGroupSpec) -> Self {
        let protocol = target_group_protocol(spec);
        let check = match (spec.health_check_enabled, protocol) {
            (Some(false), _) => HealthCheckKind::Disabled,
            (_, TrafficProtocol::Tcp) => HealthCheckKind::Tcp,
            (_, TrafficProtocol::Http) => HealthCheckKind::Http {
                path: spec
                    .health_check_path
                    .clone()
                    .unwrap_or_else(|| DEFAULT_HEALTH_CHECK_PATH.to_string()),
                codes: spec
                    .matcher
                    .as_ref()
                    .and_then(|m| m.http_code.as_deref())
                    .and_then(|c| parse_http_codes(c).ok())
                    .unwrap_or(vec![CodeRange { from: 200, to: 200 }]),
            },
        };
        let default_timeout = match protocol {
            TrafficProtocol::Http => DEFAULT_HTTP_TIMEOUT_SECONDS,
            TrafficProtocol::Tcp => DEFAULT_TCP_TIMEOUT_SECONDS,
        };
        EffectiveTargetGroup {
            protocol,
            check,
            check_port: spec
                .health_check_port
                .as_deref()
                .and_then(|p| p.parse::<u16>().ok()),
            interval: seconds(
                spec.health_check_interval_seconds
                    .unwrap_or(DEFAULT_INTERVAL_SECONDS),
            ),
            timeout: seconds(spec.health_check_timeout_seconds.unwrap_or(default_timeout)),
            healthy_threshold: non_negative(
                spec.healthy_threshold_count
                    .unwrap_or(DEFAULT_HEALTHY_THRESHOLD),
            ),
            unhealthy_threshold: non_negative(
                spec.unhealthy_threshold_count
                    .unwrap_or(DEFAULT_UNHEALTHY_THRESHOLD),
            ),
            deregistration_delay: seconds(
                spec.deregistration_delay_seconds
                    .unwrap_or(DEFAULT_DEREGISTRATION_DELAY_SECONDS),
            ),
            slow_start: seconds(spec.slow_start_seconds.unwrap_or(0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_codes_are_codes_and_ranges() {
        assert_eq!(
            parse_http_codes("200-399"),
            Ok(vec![CodeRange { from: 200, to: 399 }])
        );
        assert_eq!(
            parse_http_codes("202, 200"),
            Ok(vec![
                CodeRange { from: 200, to: 200 },
                CodeRange { from: 202, to: 202 }
            ])
        );
        assert!(parse_http_codes("399-200").is_err());
        assert!(parse_http_codes("2xx").is_err());
        assert!(parse_http_codes("").is_err());
    }

    #[test]
    fn defaults_are_elbv2_s() {
        let tg = EffectiveTargetGroup::of(&TargetGroupSpec::default());
        assert_eq!(tg.protocol, TrafficProtocol::Http);
        assert_eq!(
            tg.check,
            HealthCheckKind::Http {
                path: "/".into(),
                codes: vec![CodeRange { from: 200, to: 200 }]
            }
        );
        assert_eq!(tg.interval, Duration::from_secs(30));
        assert_eq!(tg.timeout, Duration::from_secs(5));
        assert_eq!((tg.healthy_threshold, tg.unhealthy_threshold), (5, 2));
        assert_eq!(tg.deregistration_delay, Duration::from_secs(300));
        let tcp = EffectiveTargetGroup::of(&TargetGroupSpec {
            protocol: Some(TrafficProtocol::Tcp),
            ..TargetGroupSpec::default()
        });
        assert_eq!(tcp.check, HealthCheckKind::Tcp);
        assert_eq!(tcp.timeout, Duration::from_secs(10));
    }
}
