//! The HAProxy Runtime API, pure: the command lines ecsctl sends, and what their answers
//! mean. One command per connection (non-interactive mode); the answer ends when HAProxy
//! closes it.

use std::collections::BTreeMap;

use super::config::{AdminState, Server, backend_name, server_parameters};
use crate::model::effective::traffic::EffectiveTargetGroup;

/// `add server tg_TG/NAME ADDR:PORT check … weight 0`: added at weight 0, since a server
/// added at runtime is optimistic (UP before any check). HAProxy creates it in maint, with
/// its check disabled.
pub fn add_server(target_group: &str, settings: &EffectiveTargetGroup, server: &Server) -> String {
    format!(
        "add server {}/{} {}",
        backend_name(target_group),
        server.name,
        server_parameters(settings, server, 0)
    )
}

pub fn enable_health(target_group: &str, server: &str) -> String {
    format!("enable health {}/{server}", backend_name(target_group))
}

pub fn set_state(target_group: &str, server: &str, state: AdminState) -> String {
    format!(
        "set server {}/{server} state {}",
        backend_name(target_group),
        state.as_str()
    )
}

pub fn set_weight(target_group: &str, server: &str, weight: u32) -> String {
    format!(
        "set server {}/{server} weight {weight}",
        backend_name(target_group)
    )
}

pub fn del_server(target_group: &str, server: &str) -> String {
    format!("del server {}/{server}", backend_name(target_group))
}

/// Servers only (`-1` every proxy, `4` servers, `-1` every server).
pub const SHOW_STAT: &str = "show stat -1 4 -1";
pub const SHOW_SERVERS_STATE: &str = "show servers state";

/// What an answer says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Ok,
    /// `del server` of a server that still has connections: retry later.
    StillHasConnections,
    /// `del server` of a server not in maint.
    NotInMaintenance,
    NoSuchServer,
    AlreadyExists,
    Error(String),
}

/// The answer to a command that prints nothing on success.
pub fn answer(text: &str) -> Answer {
    let text = text.trim();
    match text {
        "" | "New server registered." | "Server deleted." => Answer::Ok,
        t if t.contains("still has connections") => Answer::StillHasConnections,
        t if t.contains("Only servers in maintenance mode") => Answer::NotInMaintenance,
        t if t.starts_with("No such server") || t.starts_with("No such backend") => {
            Answer::NoSuchServer
        }
        t if t.contains("Already exists a server") => Answer::AlreadyExists,
        t => Answer::Error(t.to_string()),
    }
}

/// One server's line of `show stat`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerStat {
    pub backend: String,
    pub server: String,
    /// `UP`, `DOWN`, `MAINT`, `DRAIN`, `NOLB`, `UP 1/2`, `no check`, …
    pub status: String,
    pub weight: u32,
    /// `L7OK`, `L4CON`, `L7STS`, `INI`, … without the `* ` of a check in progress.
    pub check_status: Option<String>,
    pub check_code: Option<u16>,
    /// Current sessions (`scur`).
    pub sessions: u64,
    /// Sessions since start (`stot`).
    pub total_sessions: u64,
    /// HTTP responses since start by class (`hrsp_1xx` … `hrsp_5xx`, `hrsp_other`); zero in
    /// TCP mode.
    pub responses: HttpResponses,
    /// Average time to the response headers over the last 1024 requests, ms (`rtime`).
    pub response_time_ms: u64,
}

/// A server's HTTP response counters (cumulative since it was added).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HttpResponses {
    pub class_2xx: u64,
    pub class_4xx: u64,
    pub class_5xx: u64,
    /// Every response, any class.
    pub total: u64,
}

impl ServerStat {
    /// UP, and its last check passed: ready for a weight.
    pub fn is_healthy(&self) -> bool {
        self.status == "UP"
            && matches!(self.check_status.as_deref(), Some("L7OK" | "L6OK" | "L4OK"))
    }

    pub fn is_down(&self) -> bool {
        self.status.starts_with("DOWN")
    }
}

/// Parses `show stat` CSV (header `# pxname,svname,…`) into its server lines, keyed by
/// (backend, server); frontend and backend summary lines are skipped.
pub fn parse_show_stat(text: &str) -> Result<BTreeMap<(String, String), ServerStat>, String> {
    let mut lines = text.lines();
    let header = lines
        .next()
        .and_then(|h| h.strip_prefix("# "))
        .ok_or_else(|| format!("`show stat` answered `{}`", text.trim()))?;
    let columns: BTreeMap<&str, usize> = header
        .split(',')
        .enumerate()
        .map(|(i, name)| (name, i))
        .collect();
    let index = |name: &str| {
        columns
            .get(name)
            .copied()
            .ok_or_else(|| format!("`show stat` has no column `{name}`"))
    };
    let [px, sv, status, weight, check, code, scur, stot] = [
        index("pxname")?,
        index("svname")?,
        index("status")?,
        index("weight")?,
        index("check_status")?,
        index("check_code")?,
        index("scur")?,
        index("stot")?,
    ];
    // Counters that only HTTP backends (and newer versions) have: absent ones read as 0.
    let optional = |name: &str| columns.get(name).copied();
    let classes = [
        "hrsp_1xx",
        "hrsp_2xx",
        "hrsp_3xx",
        "hrsp_4xx",
        "hrsp_5xx",
        "hrsp_other",
    ]
    .map(optional);
    let rtime = optional("rtime");
    let mut servers = BTreeMap::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        let field = |i: usize| fields.get(i).copied().unwrap_or_default();
        let (backend, server) = (field(px), field(sv));
        if server == "FRONTEND" || server == "BACKEND" {
            continue;
        }
        let number = |i: usize| field(i).parse::<u64>().unwrap_or(0);
        let check_status = field(check).trim_start_matches("* ");
        let counter = |i: Option<usize>| i.map_or(0, number);
        let responses = HttpResponses {
            class_2xx: counter(classes[1]),
            class_4xx: counter(classes[3]),
            class_5xx: counter(classes[4]),
            total: classes.iter().map(|i| counter(*i)).sum(),
        };
        servers.insert(
            (backend.to_string(), server.to_string()),
            ServerStat {
                backend: backend.to_string(),
                server: server.to_string(),
                status: field(status).to_string(),
                weight: u32::try_from(number(weight)).unwrap_or(u32::MAX),
                check_status: (!check_status.is_empty()).then(|| check_status.to_string()),
                check_code: field(code).parse().ok(),
                sessions: number(scur),
                total_sessions: number(stot),
                responses,
                response_time_ms: counter(rtime),
            },
        );
    }
    Ok(servers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::traffic::TargetGroupSpec;

    const STAT: &str = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx\ntg_web,a,0,0,2,1,,7,82,183,,0,,0,0,0,0,UP,100,1,0,0,0,5,0,,1,3,1,,1,,2,0,,1,L7OK,200,1,0\ntg_web,b,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,1,1,0,,,0,,,1,3,2,,0,,2,0,,0,,,,0\ntg_web,c,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,0,1,0,,,0,,,1,3,2,,0,,2,0,,0,* L7STS,500,,0\ntg_web,BACKEND,0,0,2,1,,7,82,183,,0,,0,0,0,0,UP,100,1,0\n\n";

    #[test]
    fn show_stat_is_read_per_server() {
        let stats = parse_show_stat(STAT).expect("parsed");
        let keys: Vec<_> = stats.keys().map(|(b, s)| format!("{b}/{s}")).collect();
        assert_eq!(keys, ["tg_web/a", "tg_web/b", "tg_web/c"]);
        let a = &stats[&("tg_web".into(), "a".into())];
        assert_eq!(
            a,
            &ServerStat {
                backend: "tg_web".into(),
                server: "a".into(),
                status: "UP".into(),
                weight: 100,
                check_status: Some("L7OK".into()),
                check_code: Some(200),
                sessions: 2,
                total_sessions: 7,
                responses: HttpResponses {
                    total: 0,
                    ..HttpResponses::default()
                },
                response_time_ms: 0,
            }
        );
        assert!(a.is_healthy());
        let b = &stats[&("tg_web".into(), "b".into())];
        assert!(!b.is_healthy() && b.check_status.is_none());
        let c = &stats[&("tg_web".into(), "c".into())];
        assert!(c.is_down() && c.check_status.as_deref() == Some("L7STS"));
        assert!(parse_show_stat("Unknown command.\n").is_err());
    }

    #[test]
    fn commands_are_exact() {
        let settings = EffectiveTargetGroup::of(&TargetGroupSpec {
            health_check_interval_seconds: Some(5),
            healthy_threshold_count: Some(2),
            ..TargetGroupSpec::default()
        });
        let server = Server {
            name: "t-1".into(),
            address: "127.0.0.1".into(),
            port: 18081,
            weight: 100,
            state: AdminState::Ready,
        };
        assert_eq!(
            add_server("web", &settings, &server),
            "add server tg_web/t-1 127.0.0.1:18081 check inter 5000ms rise 2 fall 2 weight 0"
        );
        assert_eq!(enable_health("web", "t-1"), "enable health tg_web/t-1");
        assert_eq!(
            set_state("web", "t-1", AdminState::Drain),
            "set server tg_web/t-1 state drain"
        );
        assert_eq!(
            set_weight("web", "t-1", 100),
            "set server tg_web/t-1 weight 100"
        );
        assert_eq!(del_server("web", "t-1"), "del server tg_web/t-1");
    }

    #[test]
    fn answers_are_classified() {
        assert_eq!(answer("New server registered.\n\n"), Answer::Ok);
        assert_eq!(answer("\n"), Answer::Ok);
        assert_eq!(
            answer("Server still has connections attached to it, cannot remove it.\n"),
            Answer::StillHasConnections
        );
        assert_eq!(
            answer("Only servers in maintenance mode can be deleted.\n"),
            Answer::NotInMaintenance
        );
        assert_eq!(answer("No such server.\n"), Answer::NoSuchServer);
        assert_eq!(
            answer("Unknown command\n"),
            Answer::Error("Unknown command".into())
        );
    }
}
