//! Identifiers in ECS's shapes: task ids (32 hex digits), deployment ids (`ecs-svc/` and 19
//! digits), state lineages (a UUID). Pure code takes an [`IdSource`]; tests use a sequence.

use rand::RngExt;

pub trait IdSource {
    fn task_id(&mut self) -> String;
    fn deployment_id(&mut self) -> String;
    fn event_id(&mut self) -> String;
}

/// Random identifiers, for real runs.
#[derive(Default)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn task_id(&mut self) -> String {
        let value: u128 = rand::rng().random();
        format!("{value:032x}")
    }

    fn deployment_id(&mut self) -> String {
        let value: u64 =
            rand::rng().random_range(1_000_000_000_000_000_000..10_000_000_000_000_000_000);
        format!("ecs-svc/{value}")
    }

    fn event_id(&mut self) -> String {
        let value: u128 = rand::rng().random();
        let text = format!("{value:032x}");
        format!(
            "{}-{}-{}-{}-{}",
            &text[..8],
            &text[8..12],
            &text[12..16],
            &text[16..20],
            &text[20..]
        )
    }
}

pub fn new_lineage() -> String {
    RandomIds.event_id()
}

/// Predictable identifiers for tests: `t0001...`, `ecs-svc/0000000000000000001`, ...
#[derive(Default)]
pub struct SequentialIds {
    next: u64,
}

impl IdSource for SequentialIds {
    fn task_id(&mut self) -> String {
        self.next += 1;
        format!("{:032x}", self.next)
    }

    fn deployment_id(&mut self) -> String {
        self.next += 1;
        format!("ecs-svc/{:019}", self.next)
    }

    fn event_id(&mut self) -> String {
        self.next += 1;
        format!("event-{}", self.next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_match_ecs() {
        let mut ids = RandomIds;
        let task = ids.task_id();
        assert_eq!(task.len(), 32);
        assert!(task.chars().all(|c| c.is_ascii_hexdigit()));
        let deployment = ids.deployment_id();
        assert!(deployment.starts_with("ecs-svc/"));
        assert_eq!(deployment.len(), "ecs-svc/".len() + 19);
        assert_ne!(new_lineage(), new_lineage());
    }
}
