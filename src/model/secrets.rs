//! Where a secret's value comes from (`valueFrom`). Only the reference lives in manifests,
//! plans and state; the value is read by the runtime when a container is created, and never
//! stored, printed or logged.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretSource {
    /// `env:NAME`: an environment variable of the ecsctl process.
    Env(String),
    /// `file:/path`: a file readable by the ecsctl process (trailing newline removed).
    File(String),
}

pub fn parse_value_from(text: &str) -> Result<SecretSource, String> {
    parse_reference(text, "valueFrom")
}

/// Reads a reference to a secret held where ecsctl runs; `field` names the manifest field
/// in the error (`valueFrom`, `credentialsParameter`).
pub fn parse_reference(text: &str, field: &str) -> Result<SecretSource, String> {
    if let Some(name) = text.strip_prefix("env:") {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "`env:{name}` does not name an environment variable"
            ));
        }
        return Ok(SecretSource::Env(name.to_string()));
    }
    if let Some(path) = text.strip_prefix("file:") {
        if !path.starts_with('/') {
            return Err(format!("`file:{path}` needs an absolute path"));
        }
        return Ok(SecretSource::File(path.to_string()));
    }
    let service = if text.starts_with("arn:aws:secretsmanager:") {
        "an AWS Secrets Manager ARN"
    } else if text.starts_with("arn:aws:ssm:") {
        "an SSM Parameter Store ARN"
    } else if text.starts_with("arn:") {
        "an AWS ARN"
    } else {
        "an SSM parameter name"
    };
    Err(format!(
        "`{field}` is {service}, which cannot be resolved off AWS"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_from_forms() {
        assert_eq!(
            parse_value_from("env:DB_PASSWORD"),
            Ok(SecretSource::Env("DB_PASSWORD".into()))
        );
        assert_eq!(
            parse_value_from("file:/run/secrets/db"),
            Ok(SecretSource::File("/run/secrets/db".into()))
        );
        assert!(parse_value_from("env:").is_err());
        assert!(parse_value_from("file:relative").is_err());
        let arn = parse_value_from("arn:aws:ssm:eu-west-1:1:parameter/x").unwrap_err();
        assert!(arn.contains("SSM Parameter Store"));
        assert!(
            parse_value_from("/prod/db")
                .unwrap_err()
                .contains("SSM parameter name")
        );
    }
}
