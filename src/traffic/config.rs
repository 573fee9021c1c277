//! The HAProxy configuration of one host, rendered from plain values. Pure.
//!
//! | ecsctl | HAProxy |
//! |---|---|
//! | listener `port`, `protocol` | `frontend lb_LB_PORT`, `bind ADDR:PORT`, `mode http\|tcp` |
//! | rule (by priority) | `acl rPRIO_N …` per condition, `use_backend tg_TG if rPRIO_0 rPRIO_1` |
//! | `host-header` values | `req.hdr(host),field(1,:) -m str -i V` (`-m reg -i` with wildcards) |
//! | `path-pattern` values | `path -m str V` (`-m reg` with wildcards) |
//! | `defaultActions` | `default_backend tg_TG` |
//! | target group | `backend tg_TG`, `balance roundrobin`, `retries 0`, `no option redispatch` |
//! | health check path, matcher | `option httpchk GET PATH`, `http-check expect status CODES` |
//! | interval, timeout, thresholds | `inter`, `timeout check`, `rise`, `fall` on every server |
//! | slow start | `slowstart` |
//! | target | `server NAME ADDR:PORT check … weight W` (`disabled` in maint; weight 0 when draining) |
//!
//! Servers carry their check settings themselves (not `default-server`): servers added at
//! runtime do not inherit `default-server`, and both must behave the same.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::model::effective::traffic::{
    CodeRange, EffectiveTargetGroup, HealthCheckKind, listener_protocol,
};
use crate::model::traffic::{ConditionField, LoadBalancerSpec, TargetGroupSpec, TrafficProtocol};

/// Where the admin socket and the server state live inside the proxy container.
pub const RUN_DIR: &str = "/run/ecsctl-haproxy";

/// A server's administrative state, as the Runtime API names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AdminState {
    /// Takes traffic.
    Ready,
    /// Finishes its sessions; takes no new ones.
    Drain,
    /// Out of rotation; checks stop.
    Maint,
}

impl AdminState {
    pub fn as_str(self) -> &'static str {
        match self {
            AdminState::Ready => "ready",
            AdminState::Drain => "drain",
            AdminState::Maint => "maint",
        }
    }
}

/// One target: a task's container port on a host.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Server {
    /// Unique in its backend: `[A-Za-z0-9_.:-]`.
    pub name: String,
    pub address: String,
    pub port: u16,
    pub weight: u32,
    pub state: AdminState,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backend {
    /// The target group's name.
    pub target_group: String,
    pub settings: EffectiveTargetGroup,
    /// Sorted by name.
    pub servers: Vec<Server>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub field: ConditionField,
    pub values: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub priority: u32,
    pub conditions: Vec<Condition>,
    pub target_group: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frontend {
    pub load_balancer: String,
    pub port: u16,
    pub protocol: TrafficProtocol,
    /// Sorted by priority when rendered.
    pub rules: Vec<Rule>,
    pub default_target_group: String,
}

/// Everything one host's proxy carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyConfig {
    /// The address listeners bind (`0.0.0.0`, or `127.0.0.1` in tests).
    pub bind_address: String,
    pub frontends: Vec<Frontend>,
    pub backends: Vec<Backend>,
}

impl ProxyConfig {
    /// What `host` carries of a cluster: the listeners of the load balancers placed on it
    /// (no `hosts` = every host), the target groups they forward to, and their targets.
    /// Takes normalized specs (target groups named, protocols written out).
    pub fn for_host(
        host: &str,
        bind_address: &str,
        load_balancers: &BTreeMap<String, LoadBalancerSpec>,
        target_groups: &BTreeMap<String, TargetGroupSpec>,
        targets: &BTreeMap<String, Vec<Server>>,
    ) -> Self {
        let mut frontends = Vec::new();
        let mut used = BTreeSet::new();
        for (name, lb) in load_balancers {
            if !lb.hosts.is_empty() && !lb.hosts.iter().any(|h| h == host) {
                continue;
            }
            for listener in &lb.listeners {
                let (Some(port), Some(default)) = (
                    listener.port.and_then(|p| u16::try_from(p).ok()),
                    listener
                        .default_actions
                        .first()
                        .and_then(|a| a.target_group_name.clone()),
                ) else {
                    continue;
                };
                used.insert(default.clone());
                let rules = listener
                    .rules
                    .iter()
                    .filter_map(|rule| {
                        let target_group = rule.actions.first()?.target_group_name.clone()?;
                        used.insert(target_group.clone());
                        Some(Rule {
                            priority: rule.priority.and_then(|p| u32::try_from(p).ok())?,
                            conditions: rule
                                .conditions
                                .iter()
                                .filter_map(|c| {
                                    Some(Condition {
                                        field: c.field?,
                                        values: c.values.clone(),
                                    })
                                })
                                .collect(),
                            target_group,
                        })
                    })
                    .collect();
                frontends.push(Frontend {
                    load_balancer: name.clone(),
                    port,
                    protocol: listener_protocol(listener),
                    rules,
                    default_target_group: default,
                });
            }
        }
        let backends = used
            .into_iter()
            .filter_map(|name| {
                let spec = target_groups.get(&name)?;
                let mut servers = targets.get(&name).cloned().unwrap_or_default();
                servers.sort();
                Some(Backend {
                    target_group: name,
                    settings: EffectiveTargetGroup::of(spec),
                    servers,
                })
            })
            .collect();
        ProxyConfig {
            bind_address: bind_address.to_string(),
            frontends,
            backends,
        }
    }
}

impl ProxyConfig {
    /// The config without its servers: what a reload is needed for (listeners, rules,
    /// backends and their settings). Servers change through the Runtime API instead.
    pub fn skeleton(&self) -> String {
        skeleton_of(&render(self))
    }
}

/// A rendered config without its `server` lines (see [`ProxyConfig::skeleton`]): also read
/// from the file a running proxy holds, so that a new controller does not reload for nothing.
pub fn skeleton_of(text: &str) -> String {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("server "))
        .map(|line| format!("{line}\n"))
        .collect()
}

pub fn backend_name(target_group: &str) -> String {
    format!("tg_{}", clean(target_group))
}

pub fn frontend_name(load_balancer: &str, port: u16) -> String {
    format!("lb_{}_{port}", clean(load_balancer))
}

/// HAProxy identifiers: letters, digits, `-_.:`.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.:".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn millis(d: std::time::Duration) -> u128 {
    d.as_millis()
}

/// `200`, `200-399`, `200,202`: HAProxy's `http-check expect status` takes ELBv2's form.
pub fn status_codes(codes: &[CodeRange]) -> String {
    codes
        .iter()
        .map(|r| {
            if r.from == r.to {
                r.from.to_string()
            } else {
                format!("{}-{}", r.from, r.to)
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The server line's parameters after its name: `ADDR:PORT check inter … weight W`. The same
/// for the config file and for `add server` (where checks start disabled until
/// `enable health`).
pub fn server_parameters(settings: &EffectiveTargetGroup, server: &Server, weight: u32) -> String {
    let mut out = format!("{}:{}", server.address, server.port);
    if settings.check != HealthCheckKind::Disabled {
        let _ = write!(
            out,
            " check inter {}ms rise {} fall {}",
            millis(settings.interval),
            settings.healthy_threshold,
            settings.unhealthy_threshold
        );
        if let Some(port) = settings.check_port {
            let _ = write!(out, " port {port}");
        }
    }
    if !settings.slow_start.is_zero() {
        let _ = write!(out, " slowstart {}ms", millis(settings.slow_start));
    }
    let _ = write!(out, " weight {weight}");
    out
}

/// An ELBv2 pattern (`*` any characters, `?` one) as an anchored regex.
fn wildcard_regex(pattern: &str) -> String {
    let mut out = String::from("^");
    for c in pattern.chars() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            c if c.is_ascii_alphanumeric() || c == '/' || c == '-' || c == '_' => out.push(c),
            c => {
                out.push('\\');
                out.push(c);
            }
        }
    }
    out.push('$');
    out
}

fn acl(condition: &Condition) -> String {
    let wildcard = condition
        .values
        .iter()
        .any(|v| v.contains('*') || v.contains('?'));
    let (fetch, case) = match condition.field {
        ConditionField::HostHeader => ("req.hdr(host),field(1,:)", " -i"),
        ConditionField::PathPattern => ("path", ""),
    };
    let values: Vec<String> = if wildcard {
        condition.values.iter().map(|v| wildcard_regex(v)).collect()
    } else {
        condition.values.clone()
    };
    let matcher = if wildcard { "reg" } else { "str" };
    format!("{fetch} -m {matcher}{case} {}", values.join(" "))
}

fn mode(protocol: TrafficProtocol) -> &'static str {
    match protocol {
        TrafficProtocol::Http => "http",
        TrafficProtocol::Tcp => "tcp",
    }
}

/// The whole configuration file.
pub fn render(config: &ProxyConfig) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Written by ecsctl: every listener and every target with its admin state. Do not edit."
    );
    let _ = writeln!(out, "global");
    let _ = writeln!(out, "    master-worker");
    let _ = writeln!(
        out,
        "    stats socket {RUN_DIR}/admin.sock mode 600 level admin"
    );
    let _ = writeln!(out, "    stats timeout 30s");
    let _ = writeln!(out, "    server-state-file {RUN_DIR}/server-state");
    let _ = writeln!(out);
    let _ = writeln!(out, "defaults");
    let _ = writeln!(out, "    timeout connect 5s");
    let _ = writeln!(out, "    timeout client 60s");
    let _ = writeln!(out, "    timeout server 60s");
    let _ = writeln!(out, "    retries 0");
    let _ = writeln!(out, "    no option redispatch");
    let _ = writeln!(out, "    load-server-state-from-file global");
    let mut frontends: Vec<&Frontend> = config.frontends.iter().collect();
    frontends.sort_by(|a, b| (a.port, &a.load_balancer).cmp(&(b.port, &b.load_balancer)));
    for f in frontends {
        let _ = writeln!(out);
        let _ = writeln!(out, "frontend {}", frontend_name(&f.load_balancer, f.port));
        let _ = writeln!(out, "    mode {}", mode(f.protocol));
        let _ = writeln!(out, "    bind {}:{}", config.bind_address, f.port);
        if f.protocol == TrafficProtocol::Http {
            let _ = writeln!(out, "    option idle-close-on-response");
        }
        let mut rules: Vec<&Rule> = f.rules.iter().collect();
        rules.sort_by_key(|r| r.priority);
        for rule in &rules {
            let mut names = Vec::new();
            for (i, condition) in rule.conditions.iter().enumerate() {
                let name = format!("r{}_{i}", rule.priority);
                let _ = writeln!(out, "    acl {name} {}", acl(condition));
                names.push(name);
            }
            let _ = writeln!(
                out,
                "    use_backend {} if {}",
                backend_name(&rule.target_group),
                names.join(" ")
            );
        }
        let _ = writeln!(
            out,
            "    default_backend {}",
            backend_name(&f.default_target_group)
        );
    }
    let mut backends: Vec<&Backend> = config.backends.iter().collect();
    backends.sort_by(|a, b| a.target_group.cmp(&b.target_group));
    for b in backends {
        let s = &b.settings;
        let _ = writeln!(out);
        let _ = writeln!(out, "backend {}", backend_name(&b.target_group));
        let _ = writeln!(out, "    mode {}", mode(s.protocol));
        let _ = writeln!(out, "    balance roundrobin");
        if let HealthCheckKind::Http { path, codes } = &s.check {
            let _ = writeln!(out, "    option httpchk GET {path}");
            let _ = writeln!(out, "    http-check expect status {}", status_codes(codes));
        }
        if s.check != HealthCheckKind::Disabled {
            let _ = writeln!(out, "    timeout check {}ms", millis(s.timeout));
        }
        let mut servers: Vec<&Server> = b.servers.iter().collect();
        servers.sort();
        for server in servers {
            let weight = match server.state {
                AdminState::Ready => server.weight,
                AdminState::Drain | AdminState::Maint => 0,
            };
            let disabled = if server.state == AdminState::Maint {
                " disabled"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "    server {} {}{disabled}",
                clean(&server.name),
                server_parameters(s, server, weight)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests;
