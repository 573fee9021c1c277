//! A Fargate task's limits for the task as a whole, with nothing but the Docker API.
//!
//! Fargate gives a task one cgroup sized by the task's `cpu` and `memory`: its containers
//! share it (a container that allocates past the task size is OOM-killed, whatever the
//! others use). Hosts are reached through their Docker socket alone, so ecsctl cannot write
//! cgroup files; what it does instead, on cgroup v1 with the cgroupfs driver:
//!
//! - the task's pause container (it holds the awsvpc network namespace already) is created
//!   with the task's limits: `Memory` = `MemorySwap` = task memory, `NanoCpus` and
//!   `CpuShares` from task cpu;
//! - once it runs, its cgroup path is read through `GET /containers/{id}/top` with
//!   `ps -o pid,cgroup` (Docker runs `ps` on the host: the path as the host sees it, under
//!   whatever `--cgroup-parent` the daemon has);
//! - the app containers are created with that path as their `CgroupParent`, so runc nests
//!   their cgroups under the pause container's: v1 memory and cpu limits are hierarchical,
//!   and the parent's bound the task as a whole. Their own limits stay as on any host
//!   (container `memory`, else the task's), so each still reads the task size in its own
//!   cgroup.
//!
//! Cleanup: runc removes a container's cgroup when it stops; the pause container stops last
//! (and is removed last), so its cgroup is empty and goes with it. A pause container killed
//! before its task leaves an empty directory behind until the host reboots: no processes, no
//! charge.
//!
//! Where it cannot be done, the task runs with per-container limits, as EC2 tasks do, and
//! its app containers say why (label [`super::labels::TASK_LIMITS`], shown by
//! `describe task`): cgroup v2 forbids processes in a cgroup whose children have
//! controllers (the pause process would be one), and the systemd driver takes slices, not
//! paths.

/// How a host can bound a task as a whole, from `docker info`.
pub fn support(driver: Option<&str>, version: Option<&str>) -> Result<(), String> {
    match (driver.unwrap_or(""), version.unwrap_or("1")) {
        ("cgroupfs", "1") => Ok(()),
        (_, "2") => Err(
            "the host uses cgroup v2, where a task-wide cgroup would need a parent without processes of its own, which the Docker API cannot create".into(),
        ),
        ("systemd", _) => Err(
            "the host's Docker uses the systemd cgroup driver, whose parents are slices that the Docker API cannot size".into(),
        ),
        (other, v) => Err(format!(
            "the host's Docker reports cgroup driver `{other}`, version {v}"
        )),
    }
}

/// The memory controller's cgroup path in `ps -o cgroup` output
/// (`4:memory:/docker/ID,3:cpuset:...`), or the unified path (`0::/docker/ID`) when there
/// is no memory line.
pub fn path_from_ps(cgroups: &str) -> Option<String> {
    let entries = cgroups.split(',').filter_map(|entry| {
        let mut parts = entry.trim().splitn(3, ':');
        let _id = parts.next()?;
        let controllers = parts.next()?;
        let path = parts.next()?;
        path.starts_with('/').then_some((controllers, path))
    });
    let mut unified = None;
    for (controllers, path) in entries {
        if controllers.split(',').any(|c| c == "memory") {
            return Some(path.to_string());
        }
        if controllers.is_empty() {
            unified = Some(path.to_string());
        }
    }
    unified
}

/// The `ecsctl.task-limits` label of a task's app containers.
pub fn limits_label(cgroup: Result<&str, &str>) -> String {
    match cgroup {
        Ok(path) => format!("task cgroup {path}"),
        Err(reason) => format!("per container: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_cgroup_v1_with_cgroupfs_nests() {
        assert_eq!(support(Some("cgroupfs"), Some("1")), Ok(()));
        // Docker before 20.10 reports no version: v1.
        assert_eq!(support(Some("cgroupfs"), None), Ok(()));
        assert!(
            support(Some("systemd"), Some("2"))
                .is_err_and(|e| e.starts_with("the host uses cgroup v2"))
        );
        assert!(support(Some("cgroupfs"), Some("2")).is_err());
        assert!(
            support(Some("systemd"), Some("1")).is_err_and(|e| e.contains("systemd cgroup driver"))
        );
    }

    #[test]
    fn the_memory_path_of_ps_output() {
        let v1 = "9:name=systemd:/ecsctl-rig-ecsh1/abc,4:memory:/ecsctl-rig-ecsh1/abc,2:cpu,cpuacct:/ecsctl-rig-ecsh1/abc,0::/ecsctl-rig-ecsh1/abc";
        assert_eq!(path_from_ps(v1).as_deref(), Some("/ecsctl-rig-ecsh1/abc"));
        assert_eq!(
            path_from_ps("0::/docker/abc").as_deref(),
            Some("/docker/abc")
        );
        assert_eq!(path_from_ps("-"), None);
        assert_eq!(path_from_ps(""), None);
    }

    #[test]
    fn the_label_says_which_limits_hold() {
        assert_eq!(limits_label(Ok("/docker/abc")), "task cgroup /docker/abc");
        assert_eq!(
            limits_label(Err("the host uses cgroup v2")),
            "per container: the host uses cgroup v2"
        );
    }
}
