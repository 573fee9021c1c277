//! The exact configuration the issue's manifests render to.

use std::collections::BTreeMap;

use super::*;
use crate::model::load::check_text;
use crate::model::normalize::Desired;
use crate::model::validate::traffic_fixtures::all;

fn server(name: &str, port: u16, weight: u32, state: AdminState) -> Server {
    Server {
        name: name.into(),
        address: "10.0.0.5".into(),
        port,
        weight,
        state,
    }
}

fn issue_config(host: &str) -> ProxyConfig {
    let (set, diagnostics) = check_text("m.yaml", &all());
    assert!(!diagnostics.has_errors(), "{diagnostics:#?}");
    let d = Desired::from_set(&set);
    let mut targets = BTreeMap::new();
    targets.insert(
        "web".to_string(),
        vec![
            server("t-b", 32769, 100, AdminState::Drain),
            server("t-a", 32768, 100, AdminState::Ready),
            server("t-c", 32770, 100, AdminState::Maint),
        ],
    );
    ProxyConfig::for_host(
        host,
        "0.0.0.0",
        &d.load_balancers["production"],
        &d.target_groups["production"],
        &targets,
    )
}

#[test]
fn the_issue_s_load_balancer_renders_exactly() {
    assert_eq!(
        render(&issue_config("node-a")),
        "\
# Written by ecsctl: every listener and every target with its admin state. Do not edit.
global
    master-worker
    stats socket /run/ecsctl-haproxy/admin.sock mode 600 level admin
    stats timeout 30s
    server-state-file /run/ecsctl-haproxy/server-state

defaults
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    retries 0
    no option redispatch
    load-server-state-from-file global

frontend lb_edge_8080
    mode http
    bind 0.0.0.0:8080
    option idle-close-on-response
    acl r10_0 req.hdr(host),field(1,:) -m str -i api.example.com
    acl r10_1 path -m reg ^/api/.*$
    use_backend tg_api if r10_0 r10_1
    default_backend tg_web

backend tg_api
    mode http
    balance roundrobin
    option httpchk GET /
    http-check expect status 200
    timeout check 5000ms

backend tg_web
    mode http
    balance roundrobin
    option httpchk GET /health
    http-check expect status 200-399
    timeout check 2000ms
    server t-a 10.0.0.5:32768 check inter 5000ms rise 2 fall 2 weight 100
    server t-b 10.0.0.5:32769 check inter 5000ms rise 2 fall 2 weight 0
    server t-c 10.0.0.5:32770 check inter 5000ms rise 2 fall 2 weight 0 disabled
"
    );
}

#[test]
fn a_host_outside_the_load_balancer_carries_nothing() {
    let config = issue_config("node-z");
    assert!(config.frontends.is_empty() && config.backends.is_empty());
}

#[test]
fn tcp_listeners_and_wildcard_hosts() {
    let settings = EffectiveTargetGroup::of(&TargetGroupSpec {
        protocol: Some(TrafficProtocol::Tcp),
        slow_start_seconds: Some(30),
        ..TargetGroupSpec::default()
    });
    let config = ProxyConfig {
        bind_address: "127.0.0.1".into(),
        frontends: vec![
            Frontend {
                load_balancer: "db".into(),
                port: 5432,
                protocol: TrafficProtocol::Tcp,
                rules: vec![],
                default_target_group: "pg".into(),
            },
            Frontend {
                load_balancer: "edge".into(),
                port: 80,
                protocol: TrafficProtocol::Http,
                rules: vec![
                    Rule {
                        priority: 20,
                        conditions: vec![Condition {
                            field: ConditionField::HostHeader,
                            values: vec!["*.example.com".into(), "example.org".into()],
                        }],
                        target_group: "pg".into(),
                    },
                    Rule {
                        priority: 5,
                        conditions: vec![Condition {
                            field: ConditionField::PathPattern,
                            values: vec!["/a".into(), "/b".into()],
                        }],
                        target_group: "pg".into(),
                    },
                ],
                default_target_group: "pg".into(),
            },
        ],
        backends: vec![Backend {
            target_group: "pg".into(),
            settings,
            servers: vec![server("t1", 5432, 10, AdminState::Ready)],
        }],
    };
    let text = render(&config);
    let body = text
        .split_once("frontend")
        .map(|(_, b)| b)
        .unwrap_or_default();
    assert_eq!(
        body,
        " lb_edge_80
    mode http
    bind 127.0.0.1:80
    option idle-close-on-response
    acl r5_0 path -m str /a /b
    use_backend tg_pg if r5_0
    acl r20_0 req.hdr(host),field(1,:) -m reg -i ^.*\\.example\\.com$ ^example\\.org$
    use_backend tg_pg if r20_0
    default_backend tg_pg

frontend lb_db_5432
    mode tcp
    bind 127.0.0.1:5432
    default_backend tg_pg

backend tg_pg
    mode tcp
    balance roundrobin
    timeout check 10000ms
    server t1 10.0.0.5:5432 check inter 30000ms rise 5 fall 2 slowstart 30000ms weight 10
"
    );
}
