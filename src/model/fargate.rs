//! What Fargate promises a task, as rules: the task sizes it offers (cpu units with the
//! memory each allows), the range of ephemeral storage, and which launch type a task runs
//! with. Pure; validation reports with these, the Docker mapping enforces the size.

use super::cluster::FARGATE_PROVIDERS;

/// The memory (MiB) Fargate allows with one cpu value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryChoices {
    /// These values.
    List(&'static [u32]),
    /// From `min` to `max` by `step`.
    Range { min: u32, max: u32, step: u32 },
}

impl MemoryChoices {
    /// The values, smallest first.
    pub fn values(&self) -> Vec<u32> {
        match *self {
            MemoryChoices::List(values) => values.to_vec(),
            MemoryChoices::Range { min, max, step } => (min..=max).step_by(step as usize).collect(),
        }
    }

    /// `512, 1024, 2048` or `2048–8192 in steps of 1024`.
    pub fn describe(&self) -> String {
        match *self {
            MemoryChoices::List(values) => values
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            MemoryChoices::Range { min, max, step } => {
                format!("{min}–{max} in steps of {step}")
            }
        }
    }
}

/// Fargate's task sizes (Linux) as the ECS documentation lists them: cpu units → memory.
/// 0.25 vCPU → 0.5, 1 or 2 GB; 0.5 vCPU → 1–4 GB; 1 vCPU → 2–8 GB; 2 vCPU → 4–16 GB (1 GB
/// steps); 4 vCPU → 8–30 GB (1 GB steps); 8 vCPU → 16–60 GB (4 GB steps); 16 vCPU →
/// 32–120 GB (8 GB steps).
pub const SIZES: [(u32, MemoryChoices); 7] = {
    use MemoryChoices::{List, Range};
    [
        (256, List(&[512, 1024, 2048])),
        (
            512,
            Range {
                min: 1024,
                max: 4096,
                step: 1024,
            },
        ),
        (
            1024,
            Range {
                min: 2048,
                max: 8192,
                step: 1024,
            },
        ),
        (
            2048,
            Range {
                min: 4096,
                max: 16384,
                step: 1024,
            },
        ),
        (
            4096,
            Range {
                min: 8192,
                max: 30720,
                step: 1024,
            },
        ),
        (
            8192,
            Range {
                min: 16384,
                max: 61440,
                step: 4096,
            },
        ),
        (
            16384,
            Range {
                min: 32768,
                max: 122880,
                step: 8192,
            },
        ),
    ]
};

/// The memory choices of `cpu` units; `None` for a cpu value Fargate does not offer.
pub fn memory_for(cpu: u32) -> Option<MemoryChoices> {
    SIZES.iter().find(|(c, _)| *c == cpu).map(|(_, m)| *m)
}

/// Whether Fargate offers a task of `cpu` units and `memory` MiB.
pub fn size_allowed(cpu: u32, memory: u32) -> bool {
    memory_for(cpu).is_some_and(|m| m.values().contains(&memory))
}

/// The cpu values Fargate offers, for messages.
pub fn cpu_values() -> impl Iterator<Item = u32> {
    SIZES.iter().map(|(c, _)| *c)
}

/// ECS's words for a size Fargate does not offer.
pub fn no_configuration(cpu: u32, memory: u32) -> String {
    format!(
        "No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. See the Amazon ECS documentation for the valid values."
    )
}

/// The range of `ephemeralStorage.sizeInGiB` (Fargate's default is 20 GiB, not writable).
pub const EPHEMERAL_STORAGE_GIB: std::ops::RangeInclusive<i32> = 21..=200;

/// Whether a capacity provider is one of Fargate's (`FARGATE`, `FARGATE_SPOT`).
pub fn is_fargate_provider(name: &str) -> bool {
    FARGATE_PROVIDERS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole table, as the ECS documentation lists it.
    #[test]
    fn the_fargate_cpu_memory_table() {
        let gb = |n: u32| n * 1024;
        let range = |from: u32, to: u32, step: u32| (from..=to).step_by(step as usize).collect();
        let table: [(u32, Vec<u32>); 7] = [
            (256, vec![512, gb(1), gb(2)]),
            (512, range(gb(1), gb(4), gb(1))),
            (1024, range(gb(2), gb(8), gb(1))),
            (2048, range(gb(4), gb(16), gb(1))),
            (4096, range(gb(8), gb(30), gb(1))),
            (8192, range(gb(16), gb(60), gb(4))),
            (16384, range(gb(32), gb(120), gb(8))),
        ];
        for (cpu, memory) in &table {
            assert_eq!(
                memory_for(*cpu).map(|m| m.values()).as_ref(),
                Some(memory),
                "cpu {cpu}"
            );
            for m in memory {
                assert!(size_allowed(*cpu, *m), "{cpu} CPU, {m} memory");
            }
        }
        // Every other pair in the table's span is refused.
        let allowed: Vec<(u32, u32)> = table
            .iter()
            .flat_map(|(c, ms)| ms.iter().map(move |m| (*c, *m)))
            .collect();
        for cpu in [
            128, 256, 384, 512, 768, 1024, 2048, 3072, 4096, 8192, 16384, 32768,
        ] {
            for memory in (256..=gb(128)).step_by(256) {
                assert_eq!(
                    size_allowed(cpu, memory),
                    allowed.contains(&(cpu, memory)),
                    "{cpu} CPU, {memory} memory"
                );
            }
        }
        assert_eq!(cpu_values().collect::<Vec<_>>(), table.map(|(c, _)| c));
    }

    #[test]
    fn messages_name_the_values() {
        assert_eq!(
            no_configuration(256, 4096),
            "No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the Amazon ECS documentation for the valid values."
        );
        let describe = |cpu| memory_for(cpu).map(|m| m.describe());
        assert_eq!(describe(256).as_deref(), Some("512, 1024, 2048"));
        assert_eq!(
            describe(1024).as_deref(),
            Some("2048–8192 in steps of 1024")
        );
        assert_eq!(describe(300), None);
    }
}
