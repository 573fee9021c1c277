//! A service's CPU and memory utilization as ECS computes it, pure: what its tasks use over
//! what their task definitions reserve, in percent. `CPUUtilization` = Σ cpu units used
//! (1024 = one core) / Σ cpu units reserved; `MemoryUtilization` = Σ MiB used / Σ MiB
//! reserved. Docker's counters are read each pass; the CPU a container used between two reads
//! is the growth of its cumulative CPU time over the wall time between them.
//!
//! Samples are kept per service for a while; a window's value is the average of the samples
//! inside it, with the average number of tasks measured (how many tasks carried that load).

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::time::Timestamp;

/// Samples older than this are dropped (longer than any window read).
pub const SAMPLE_RETENTION: Duration = Duration::from_secs(3 * 3600);
/// At most this many samples per service.
const MAX_SAMPLES: usize = 4096;

/// One read of a container's cumulative counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// CPU time used since the container started, in nanoseconds.
    pub cpu_ns: u64,
    /// Memory in use, less the page cache (as `docker stats` shows it), in bytes.
    pub memory_bytes: u64,
}

/// One task's read: its service, what it reserves, and its containers' counters.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskRead {
    pub service: String,
    pub task: String,
    /// CPU units reserved (the task's `cpu`, else the sum of its containers').
    pub cpu_reserved: i64,
    /// MiB reserved (the task's `memory`, else its containers' `memory` or reservation).
    pub memory_reserved: i64,
    /// Docker id → counters, for the containers that could be read.
    pub containers: BTreeMap<String, Counters>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UsageSample {
    pub at: Timestamp,
    /// `None` when no task reserves CPU or none was read twice yet.
    pub cpu_percent: Option<f64>,
    pub memory_percent: Option<f64>,
    /// Tasks measured.
    pub tasks: u32,
}

/// A window's reading: the average value and the average number of tasks measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    pub value: f64,
    pub tasks: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    Cpu,
    Memory,
}

#[derive(Clone, Debug, Default)]
pub struct UsageMeter {
    /// Docker id → (when read, counters).
    last: BTreeMap<String, (Timestamp, Counters)>,
    samples: BTreeMap<String, VecDeque<UsageSample>>,
}

impl UsageMeter {
    /// Records one pass's reads. Services without reads this pass get no sample.
    pub fn observe(&mut self, now: Timestamp, reads: &[TaskRead]) {
        #[derive(Default)]
        struct Sums {
            cpu_used: f64,
            cpu_reserved: i64,
            memory_used: f64,
            memory_reserved: i64,
            tasks: u32,
        }
        let mut sums: BTreeMap<&str, Sums> = BTreeMap::new();
        let mut seen = BTreeMap::new();
        for read in reads {
            let s = sums.entry(read.service.as_str()).or_default();
            let mut cpu_units = 0.0;
            let mut complete = !read.containers.is_empty();
            let mut memory = 0u64;
            for (id, counters) in &read.containers {
                memory += counters.memory_bytes;
                match self.last.get(id) {
                    Some((then, before)) if *then < now && before.cpu_ns <= counters.cpu_ns => {
                        let wall_ns = now.since(*then).as_nanos() as f64;
                        let cpu_ns = (counters.cpu_ns - before.cpu_ns) as f64;
                        cpu_units += cpu_ns / wall_ns * 1024.0;
                    }
                    _ => complete = false,
                }
                seen.insert(id.clone(), (now, *counters));
            }
            if read.containers.is_empty() {
                continue;
            }
            s.tasks += 1;
            s.memory_used += memory as f64 / (1024.0 * 1024.0);
            s.memory_reserved += read.memory_reserved.max(0);
            // A task counts for CPU once each of its containers was read twice.
            if complete {
                s.cpu_used += cpu_units;
                s.cpu_reserved += read.cpu_reserved.max(0);
            }
        }
        self.last = seen;
        for (service, s) in sums {
            let percent =
                |used: f64, reserved: i64| (reserved > 0).then(|| used / reserved as f64 * 100.0);
            let samples = self.samples.entry(service.to_string()).or_default();
            samples.push_back(UsageSample {
                at: now,
                cpu_percent: percent(s.cpu_used, s.cpu_reserved),
                memory_percent: percent(s.memory_used, s.memory_reserved),
                tasks: s.tasks,
            });
            while samples.len() > MAX_SAMPLES
                || samples
                    .front()
                    .is_some_and(|x| now.since(x.at) > SAMPLE_RETENTION)
            {
                samples.pop_front();
            }
            samples.make_contiguous();
        }
        let live: Vec<String> = self.samples.keys().cloned().collect();
        for service in live {
            let stale = self
                .samples
                .get(&service)
                .and_then(|s| s.back())
                .is_none_or(|last| now.since(last.at) > SAMPLE_RETENTION);
            if stale {
                self.samples.remove(&service);
            }
        }
    }

    pub fn samples(&self, service: &str) -> &[UsageSample] {
        self.samples.get(service).map_or(&[], |s| s.as_slices().0)
    }

    /// The average over the samples taken in `(start, end]`; `None` without any.
    pub fn window(
        &self,
        service: &str,
        resource: Resource,
        start: Timestamp,
        end: Timestamp,
    ) -> Option<Reading> {
        let samples = self.samples(service);
        let from = samples.partition_point(|s| s.at <= start);
        let to = samples.partition_point(|s| s.at <= end);
        let mut n = 0.0;
        let (mut value, mut tasks) = (0.0, 0.0);
        for s in &samples[from..to] {
            let v = match resource {
                Resource::Cpu => s.cpu_percent,
                Resource::Memory => s.memory_percent,
            };
            if let Some(v) = v {
                value += v;
                tasks += f64::from(s.tasks);
                n += 1.0;
            }
        }
        (n > 0.0).then(|| Reading {
            value: value / n,
            tasks: tasks / n,
        })
    }

    /// When the first sample of the service was taken (a window needs data from before it).
    pub fn first_at(&self, service: &str) -> Option<Timestamp> {
        self.samples(service).first().map(|s| s.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Timestamp {
        Timestamp::from_unix_millis(1_000_000 + ms)
    }

    fn read(task: &str, cpu_ns: u64, mib: u64) -> TaskRead {
        TaskRead {
            service: "web".into(),
            task: task.into(),
            cpu_reserved: 256,
            memory_reserved: 128,
            containers: [(
                format!("{task}-app"),
                Counters {
                    cpu_ns,
                    memory_bytes: mib * 1024 * 1024,
                },
            )]
            .into_iter()
            .collect(),
        }
    }

    #[test]
    fn cpu_is_used_over_reserved_units_as_ecs_computes_it() {
        let mut m = UsageMeter::default();
        m.observe(at(0), &[read("a", 0, 64), read("b", 0, 32)]);
        // First read: memory is known, CPU needs a second read.
        assert_eq!(m.samples("web")[0].cpu_percent, None);
        assert_eq!(
            m.samples("web")[0].memory_percent,
            Some(96.0 / 256.0 * 100.0)
        );
        // One second later: a used a whole core (1024 units), b a quarter (256 units).
        m.observe(
            at(1000),
            &[read("a", 1_000_000_000, 64), read("b", 250_000_000, 32)],
        );
        let cpu = m.samples("web")[1].cpu_percent.unwrap_or_default();
        assert!((cpu - 1280.0 / 512.0 * 100.0).abs() < 1e-9, "{cpu}");
        assert_eq!(m.samples("web")[1].tasks, 2);
    }

    #[test]
    fn a_new_task_counts_for_cpu_from_its_second_read() {
        let mut m = UsageMeter::default();
        m.observe(at(0), &[read("a", 0, 0)]);
        m.observe(at(1000), &[read("a", 500_000_000, 0), read("b", 0, 0)]);
        let cpu = m.samples("web")[1].cpu_percent.unwrap_or_default();
        // b reserves 256 units too, but is not counted until it was read twice.
        assert!((cpu - 200.0).abs() < 1e-9, "{cpu}");
    }

    #[test]
    fn a_restarted_container_is_not_negative_usage() {
        let mut m = UsageMeter::default();
        m.observe(at(0), &[read("a", 5_000_000_000, 0)]);
        m.observe(at(1000), &[read("a", 100, 0)]);
        assert_eq!(m.samples("web")[1].cpu_percent, None);
        m.observe(at(2000), &[read("a", 250_000_100, 0)]);
        let cpu = m.samples("web")[2].cpu_percent.unwrap_or_default();
        assert!((cpu - 100.0).abs() < 1e-6, "{cpu}");
    }

    #[test]
    fn a_window_averages_its_samples_and_their_task_counts() {
        let mut m = UsageMeter::default();
        m.observe(at(0), &[read("a", 0, 0)]);
        // 256 units are a quarter of a core: 250 ms of CPU per second is 100 %.
        m.observe(at(1000), &[read("a", 250_000_000, 0)]);
        m.observe(
            at(2000),
            &[read("a", 250_000_000 + 750_000_000, 0), read("b", 0, 0)],
        ); // a: 300 % of its 256
        let r = m.window("web", Resource::Cpu, at(0), at(2000));
        assert_eq!(
            r,
            Some(Reading {
                value: 200.0,
                tasks: 1.5
            })
        );
        assert_eq!(m.window("web", Resource::Cpu, at(2000), at(3000)), None);
        assert_eq!(m.window("api", Resource::Cpu, at(0), at(3000)), None);
    }

    #[test]
    fn services_without_reservations_have_no_utilization() {
        let mut m = UsageMeter::default();
        let mut r = read("a", 0, 10);
        r.cpu_reserved = 0;
        r.memory_reserved = 0;
        m.observe(at(0), std::slice::from_ref(&r));
        r.containers
            .values_mut()
            .for_each(|c| c.cpu_ns = 1_000_000_000);
        m.observe(at(1000), &[r]);
        assert_eq!(m.samples("web")[1].cpu_percent, None);
        assert_eq!(m.samples("web")[1].memory_percent, None);
    }
}
