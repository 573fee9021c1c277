//! What day-2 commands act on: `service/NAME` (or a bare `NAME`), or `task/ID`.

use std::str::FromStr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Service(String),
    Task(String),
}

impl FromStr for Target {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (kind, name) = text.split_once('/').unwrap_or(("service", text));
        if name.is_empty() {
            return Err(format!(
                "`{text}` names nothing: write service/NAME or task/ID"
            ));
        }
        match kind {
            "service" | "services" | "svc" => Ok(Target::Service(name.to_string())),
            "task" | "tasks" => Ok(Target::Task(name.to_string())),
            other => Err(format!(
                "`{other}/` is not a target: write service/NAME or task/ID"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!("service/web".parse(), Ok(Target::Service("web".into())));
        assert_eq!("web".parse(), Ok(Target::Service("web".into())));
        assert_eq!("task/1a2b".parse(), Ok(Target::Task("1a2b".into())));
        assert!("pod/x".parse::<Target>().is_err());
        assert!("task/".parse::<Target>().is_err());
    }
}
