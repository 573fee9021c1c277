//! Names and references: what a valid name looks like, `family:revision`, and the checked
//! identifiers that cross modules (`ClusterName`, `ServiceName`, `HostName`, `TaskId`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::template;

/// ECS names (clusters, services, families, containers): 1–255 letters, digits, `-` and `_`.
pub fn check_ecs_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a name must not be empty".into());
    }
    if name.len() > 255 {
        return Err(format!(
            "`{name}` is {} characters long; the limit is 255",
            name.len()
        ));
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        Some(c) => Err(format!(
            "`{name}` contains `{c}`: only letters, digits, `-` and `_` are allowed"
        )),
        None => Ok(()),
    }
}

/// Host names in a cluster: like ECS names, plus `.` (they are often DNS names).
pub fn check_host_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 255 {
        return Err("a host name must have 1 to 255 characters".into());
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        Some(c) => Err(format!(
            "`{name}` contains `{c}`: only letters, digits, `-`, `_` and `.` are allowed"
        )),
        None => Ok(()),
    }
}

/// True when the name is a template marker left for another tool to fill in; such names are
/// reported once as templates rather than as invalid names.
pub fn is_templated(name: &str) -> bool {
    template::has_marker(name)
}

/// A task definition reference: a family, optionally pinned to a revision (`web`, `web:3`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TaskDefRef {
    pub family: String,
    pub revision: Option<u32>,
}

impl TaskDefRef {
    pub fn pinned(family: impl Into<String>, revision: u32) -> Self {
        TaskDefRef {
            family: family.into(),
            revision: Some(revision),
        }
    }
}

impl FromStr for TaskDefRef {
    type Err = String;

    /// Accepts `family`, `family:rev` and a task definition ARN
    /// (`arn:aws:ecs:REGION:ACCOUNT:task-definition/family:rev`).
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let body = match text.strip_prefix("arn:") {
            Some(_) => text
                .rsplit_once(":task-definition/")
                .map(|(_, rest)| rest)
                .ok_or_else(|| format!("`{text}` is not a task definition ARN"))?,
            None => text,
        };
        let (family, revision) = match body.split_once(':') {
            Some((family, rev)) => {
                let revision: u32 = rev.parse().map_err(|_| {
                    format!("`{rev}` is not a revision number (write `{family}` or `{family}:3`)")
                })?;
                if revision == 0 {
                    return Err("revisions start at 1".into());
                }
                (family, Some(revision))
            }
            None => (body, None),
        };
        check_ecs_name(family)?;
        Ok(TaskDefRef {
            family: family.to_string(),
            revision,
        })
    }
}

impl TryFrom<String> for TaskDefRef {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

impl From<TaskDefRef> for String {
    fn from(r: TaskDefRef) -> String {
        r.to_string()
    }
}

impl fmt::Display for TaskDefRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.revision {
            Some(rev) => write!(f, "{}:{rev}", self.family),
            None => f.write_str(&self.family),
        }
    }
}

/// A task id as ecsctl makes them: 32 lowercase hexadecimal digits.
pub fn check_task_id(id: &str) -> Result<(), String> {
    if id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(format!(
            "`{id}` is not a task id (32 hexadecimal digits, lowercase)"
        ))
    }
}

/// An identifier that is a string checked once, when it is made. It serializes as the plain
/// string, so it can replace a `String` in the state file or a saved plan without changing
/// their format, and it borrows as `str`, so maps keyed by it are looked up with a `&str`.
macro_rules! checked_name {
    ($(#[$meta:meta])* $name:ident, $check:path) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn new(text: impl Into<String>) -> Result<Self, String> {
                let text = text.into();
                $check(&text)?;
                Ok($name(text))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, String> {
                $name::new(text)
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(text: String) -> Result<Self, String> {
                $name::new(text)
            }
        }

        impl From<$name> for String {
            fn from(name: $name) -> String {
                name.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

checked_name! {
    /// A cluster's name (an ECS name: `production`, `default`).
    ClusterName, check_ecs_name
}

checked_name! {
    /// A service's name (an ECS name), unique within its cluster.
    ServiceName, check_ecs_name
}

checked_name! {
    /// A host of a cluster (`node-a.internal`, `local`).
    HostName, check_host_name
}

checked_name! {
    /// A task's id (`0123456789abcdef0123456789abcdef`).
    TaskId, check_task_id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_checked_once_and_stay_plain_strings() {
        let cluster = ClusterName::new("production").expect("valid");
        assert_eq!(cluster, "production");
        assert_eq!(cluster.to_string(), "production");
        assert!(ClusterName::new("prod.eu").is_err());
        assert!("".parse::<ServiceName>().is_err());
        assert!(HostName::new("node-a.internal").is_ok());
        assert!(HostName::new("node a").is_err());
        assert!(TaskId::new("0123456789abcdef0123456789abcdef").is_ok());
        for bad in [
            "0123",
            "0123456789ABCDEF0123456789ABCDEF",
            "g123456789abcdef0123456789abcdef",
        ] {
            assert!(TaskId::new(bad).is_err(), "{bad}");
        }
        // The same JSON as a String: the state format does not change.
        let json = serde_json::to_string(&ServiceName::new("web").expect("valid")).expect("json");
        assert_eq!(json, "\"web\"");
        let back: ServiceName = serde_json::from_str(&json).expect("read back");
        assert_eq!(back.as_str(), "web");
        assert!(serde_json::from_str::<ServiceName>("\"a b\"").is_err());
        // Maps keyed by a name are looked up with a `&str`.
        let map: std::collections::BTreeMap<HostName, u32> =
            [(HostName::new("local").expect("valid"), 1)].into();
        assert_eq!(map.get("local"), Some(&1));
    }

    #[test]
    fn ecs_names() {
        assert!(check_ecs_name("web-1_a").is_ok());
        assert!(check_ecs_name("").is_err());
        assert!(check_ecs_name("web.app").is_err());
        assert!(check_ecs_name(&"a".repeat(256)).is_err());
        assert!(check_host_name("node-a.internal").is_ok());
        assert!(check_host_name("node a").is_err());
    }

    #[test]
    fn task_definition_references() {
        assert_eq!(
            "web".parse(),
            Ok(TaskDefRef {
                family: "web".into(),
                revision: None
            })
        );
        assert_eq!("web:3".parse(), Ok(TaskDefRef::pinned("web", 3)));
        assert_eq!(
            "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7".parse(),
            Ok(TaskDefRef::pinned("web", 7))
        );
        assert!("web:latest".parse::<TaskDefRef>().is_err());
        assert!("web:0".parse::<TaskDefRef>().is_err());
        assert_eq!(TaskDefRef::pinned("web", 2).to_string(), "web:2");
    }
}
