//! The labels ecsctl puts on every container, and the names it gives them. What runs is
//! rebuilt from these labels alone; a container without them (or with another state's
//! lineage) is never touched.

pub const CLUSTER: &str = "ecsctl.cluster";
pub const LINEAGE: &str = "ecsctl.lineage";
pub const TASK: &str = "ecsctl.task";
pub const CONTAINER: &str = "ecsctl.container";
pub const FAMILY: &str = "ecsctl.family";
pub const REVISION: &str = "ecsctl.revision";
pub const SERVICE: &str = "ecsctl.service";
pub const STARTED_BY: &str = "ecsctl.started-by";
pub const DEPLOYMENT: &str = "ecsctl.deployment";
pub const ESSENTIAL: &str = "ecsctl.essential";
pub const PAUSE: &str = "ecsctl.pause";
pub const CREATED: &str = "ecsctl.task-created";
/// The cluster host (by its name in the Cluster manifest) the task was placed on: several
/// hosts may share one Docker daemon, and each sees only its own tasks.
pub const HOST: &str = "ecsctl.host";
/// `FARGATE` on every container of a Fargate task (absent: EC2).
pub const LAUNCH_TYPE: &str = "ecsctl.launch-type";
/// On the app containers of a Fargate task: which limits hold, `task cgroup PATH` or
/// `per container: WHY` (see [`super::cgroup`]).
pub const TASK_LIMITS: &str = "ecsctl.task-limits";
/// On task-scoped Docker volumes, so they are removed with their task.
pub const VOLUME_TASK: &str = "ecsctl.volume-task";

/// Docker names containers must carry: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
fn clean(part: &str) -> String {
    part.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `ecsctl-CLUSTER-FAMILY-REV-CONTAINER-TASKID12`, like the ECS agent's `ecs-FAMILY-REV-NAME-ID`.
pub fn container_name(
    cluster: &str,
    family: &str,
    revision: u32,
    container: &str,
    task_id: &str,
) -> String {
    let short = task_id.get(..12).unwrap_or(task_id);
    clean(&format!(
        "ecsctl-{cluster}-{family}-{revision}-{container}-{short}"
    ))
}

/// The awsvpc network holder ends with `-network`: no container name can end like that,
/// since container names end with the task id.
pub fn pause_name(cluster: &str, family: &str, revision: u32, task_id: &str) -> String {
    let short = task_id.get(..12).unwrap_or(task_id);
    clean(&format!(
        "ecsctl-{cluster}-{family}-{revision}-{short}-network"
    ))
}

/// Task-scoped Docker volumes are named after their task.
pub fn task_volume_name(task_id: &str, volume: &str) -> String {
    clean(&format!("ecsctl-{task_id}-{volume}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_docker_names() {
        assert_eq!(
            container_name("default", "web", 3, "app", "0123456789abcdef0123"),
            "ecsctl-default-web-3-app-0123456789ab"
        );
        assert_eq!(
            container_name("c", "f", 1, "we ird", "x"),
            "ecsctl-c-f-1-we-ird-x"
        );
        assert_eq!(task_volume_name("abc", "data"), "ecsctl-abc-data");
    }
}
