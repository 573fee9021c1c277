//! Task-level cpu and memory, in the string forms ECS accepts.
//!
//! ECS takes `"256"` (cpu units, 1024 per vCPU), `"1 vCPU"`, `".25 vcpu"`; and `"512"` (MiB),
//! `"1 GB"`, `"0.5 GB"`, `"2GB"`. The result is cpu units and MiB, the numbers placement uses.

/// Cpu units from an ECS task `cpu` string.
pub fn parse_cpu(text: &str) -> Result<u32, String> {
    let (number, unit) = split_number(text)?;
    let factor = match unit.to_ascii_lowercase().as_str() {
        "" => 1.0,
        "vcpu" | "vcpus" => 1024.0,
        other => {
            return Err(format!("unknown cpu unit `{other}`"));
        }
    };
    to_whole(number * factor, "cpu units")
}

/// MiB from an ECS task `memory` string.
pub fn parse_memory(text: &str) -> Result<u32, String> {
    let (number, unit) = split_number(text)?;
    let factor = match unit.to_ascii_lowercase().as_str() {
        "" | "mb" | "mib" => 1.0,
        "gb" | "gib" => 1024.0,
        other => {
            return Err(format!("unknown memory unit `{other}`"));
        }
    };
    to_whole(number * factor, "MiB")
}

fn split_number(text: &str) -> Result<(f64, &str), String> {
    let text = text.trim();
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(end);
    if number.is_empty() || number == "." {
        return Err(format!("`{text}` does not start with a number"));
    }
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{number}` is not a number"))?;
    Ok((value, unit.trim()))
}

fn to_whole(value: f64, unit: &str) -> Result<u32, String> {
    let rounded = value.round();
    if (value - rounded).abs() > 1e-6 {
        return Err(format!("{value} {unit} is not a whole number of {unit}"));
    }
    if rounded <= 0.0 || rounded > f64::from(u32::MAX) {
        return Err(format!("{rounded} {unit} is out of range"));
    }
    // Checked just above: positive, whole and within u32.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(rounded as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_forms() {
        assert_eq!(parse_cpu("256"), Ok(256));
        assert_eq!(parse_cpu("1 vCPU"), Ok(1024));
        assert_eq!(parse_cpu(".25 vcpu"), Ok(256));
        assert_eq!(parse_cpu("2vcpu"), Ok(2048));
        assert!(parse_cpu("fast").is_err());
        assert!(parse_cpu("1 core").is_err());
        assert!(parse_cpu("0").is_err());
        assert!(parse_cpu("0.1").is_err());
    }

    #[test]
    fn memory_forms() {
        assert_eq!(parse_memory("512"), Ok(512));
        assert_eq!(parse_memory("0.5 GB"), Ok(512));
        assert_eq!(parse_memory(".5 gb"), Ok(512));
        assert_eq!(parse_memory("2GB"), Ok(2048));
        assert_eq!(parse_memory("300 MiB"), Ok(300));
        assert!(parse_memory("1 TB").is_err());
        assert!(parse_memory("").is_err());
    }
}
