//! How a user names an object, one grammar for every command (kubectl's): `TYPE/NAME` or
//! `TYPE NAME`, with the same aliases everywhere (`svc`, `service`, `services`; `td`,
//! `taskdef`, `task-definition`; `task`; `host`; `cluster`; `st`, `scheduledtask`, `schedule`), and a bare `NAME` where the
//! command has an obvious kind (`scale web 3` is a service).

use std::fmt;
use std::str::FromStr;

/// The kinds of object a command can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Cluster,
    Host,
    TaskDefinition,
    Service,
    Task,
    TargetGroup,
    LoadBalancer,
    ScheduledTask,
    Alarm,
    ScalableTarget,
    /// The Git sync record (`get sync`): one per state, no name.
    Sync,
}

impl Kind {
    /// The kind a word names, with every alias.
    pub fn from_word(word: &str) -> Option<Kind> {
        Some(match word.to_ascii_lowercase().as_str() {
            "cluster" | "clusters" => Kind::Cluster,
            "host" | "hosts" | "containerinstance" | "container-instance" => Kind::Host,
            "taskdef" | "taskdefs" | "td" | "task-definition" | "task-definitions"
            | "taskdefinition" => Kind::TaskDefinition,
            "service" | "services" | "svc" => Kind::Service,
            "task" | "tasks" => Kind::Task,
            "targetgroup" | "targetgroups" | "target-group" | "target-groups" | "tg" => {
                Kind::TargetGroup
            }
            "loadbalancer" | "loadbalancers" | "load-balancer" | "load-balancers" | "lb" => {
                Kind::LoadBalancer
            }
            "scheduledtask" | "scheduledtasks" | "scheduled-task" | "scheduled-tasks"
            | "schedule" | "schedules" | "st" => Kind::ScheduledTask,
            "alarm" | "alarms" => Kind::Alarm,
            "scalabletarget" | "scalabletargets" | "scalable-target" | "scalable-targets"
            | "autoscaling" => Kind::ScalableTarget,
            "sync" | "syncs" => Kind::Sync,
            _ => return None,
        })
    }

    /// The canonical word (`service/web`).
    pub fn word(self) -> &'static str {
        match self {
            Kind::Cluster => "cluster",
            Kind::Host => "host",
            Kind::TaskDefinition => "taskdef",
            Kind::Service => "service",
            Kind::Task => "task",
            Kind::TargetGroup => "targetgroup",
            Kind::LoadBalancer => "loadbalancer",
            Kind::ScheduledTask => "scheduledtask",
            Kind::Alarm => "alarm",
            Kind::ScalableTarget => "scalabletarget",
            Kind::Sync => "sync",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// An object as named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    pub kind: Kind,
    pub name: String,
}

fn expected(allowed: &[Kind]) -> String {
    allowed
        .iter()
        .map(|k| format!("{k}/NAME"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Reads an object from the start of `words`: `TYPE/NAME`, `TYPE NAME`, or a bare `NAME`
/// of kind `bare` (when the command has one). Returns it and how many words it took.
pub fn parse_words(
    words: &[String],
    allowed: &[Kind],
    bare: Option<Kind>,
) -> Result<(Named, usize), String> {
    let Some(first) = words.first() else {
        return Err(format!("name an object: {}", expected(allowed)));
    };
    let (kind, name, used) = match first.split_once('/') {
        Some((kind, name)) => match Kind::from_word(kind) {
            Some(kind) => (kind, name.to_string(), 1),
            None => {
                return Err(format!(
                    "`{kind}/` is not a kind of object: write {}",
                    expected(allowed)
                ));
            }
        },
        None => match (Kind::from_word(first), words.get(1), bare) {
            (Some(kind), Some(name), _) => (kind, name.clone(), 2),
            (Some(kind), None, None) => {
                return Err(format!(
                    "`{first}` needs a name: write {kind}/NAME or {kind} NAME"
                ));
            }
            (_, _, Some(kind)) => (kind, first.clone(), 1),
            (None, _, None) => {
                return Err(format!(
                    "`{first}` is not a kind of object: write {}",
                    expected(allowed)
                ));
            }
        },
    };
    let named = Named { kind, name };
    if named.name.is_empty() {
        return Err(format!(
            "`{first}` names nothing: write {}",
            expected(allowed)
        ));
    }
    if !allowed.contains(&named.kind) {
        return Err(format!(
            "this command does not take a {}: write {}",
            named.kind,
            expected(allowed)
        ));
    }
    Ok((named, used))
}

/// Exactly one object in `words` (nothing after it).
pub fn parse_one(words: &[String], allowed: &[Kind], bare: Option<Kind>) -> Result<Named, String> {
    let (named, used) = parse_words(words, allowed, bare)?;
    match words.get(used) {
        None => Ok(named),
        Some(extra) => Err(format!(
            "unexpected `{extra}` after {}/{}",
            named.kind, named.name
        )),
    }
}

/// What day-2 commands act on: a service or a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Service(String),
    Task(String),
}

impl Target {
    pub fn from_named(named: Named) -> Result<Target, String> {
        match named.kind {
            Kind::Service => Ok(Target::Service(named.name)),
            Kind::Task => Ok(Target::Task(named.name)),
            other => Err(format!(
                "a {other} is not a target here: write service/NAME or task/ID"
            )),
        }
    }

    /// `service/NAME`, `service NAME`, `task/ID`, `task ID`, or a bare service `NAME`.
    pub fn from_words(words: &[String]) -> Result<Target, String> {
        Target::from_named(parse_one(
            words,
            &[Kind::Service, Kind::Task],
            Some(Kind::Service),
        )?)
    }
}

impl FromStr for Target {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Target::from_words(&[text.to_string()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn targets() {
        assert_eq!("service/web".parse(), Ok(Target::Service("web".into())));
        assert_eq!("web".parse(), Ok(Target::Service("web".into())));
        assert_eq!("task/1a2b".parse(), Ok(Target::Task("1a2b".into())));
        assert!("pod/x".parse::<Target>().is_err());
        assert!("task/".parse::<Target>().is_err());
    }

    #[test]
    fn one_grammar_with_every_alias() {
        let service = Named {
            kind: Kind::Service,
            name: "web".into(),
        };
        let all = [Kind::Service, Kind::Task, Kind::TaskDefinition, Kind::Host];
        for form in [
            "svc web",
            "service web",
            "services web",
            "svc/web",
            "service/web",
            "SVC/web",
        ] {
            assert_eq!(
                parse_one(&words(form), &all, None),
                Ok(service.clone()),
                "{form}"
            );
        }
        for form in ["td web", "taskdef/web", "task-definition web"] {
            assert_eq!(
                parse_one(&words(form), &all, None).map(|n| n.kind),
                Ok(Kind::TaskDefinition),
                "{form}"
            );
        }
        assert_eq!(
            parse_words(&words("svc web 3"), &all, Some(Kind::Service)),
            Ok((service.clone(), 2))
        );
        assert_eq!(
            parse_words(&words("web 3"), &all, Some(Kind::Service)),
            Ok((service.clone(), 1))
        );
        assert!(parse_one(&words("svc"), &all, None).is_err());
        assert!(
            parse_one(&words("web"), &all, None).is_err(),
            "no bare kind here"
        );
        assert!(parse_one(&words("svc web extra"), &all, None).is_err());
        assert!(parse_one(&words("host/h1"), &[Kind::Service], None).is_err());
        let error = parse_one(&words("pod/x"), &[Kind::Service, Kind::Task], None).unwrap_err();
        assert!(error.contains("service/NAME or task/NAME"), "{error}");
    }
}
