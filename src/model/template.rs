//! Template markers left in manifests by other tools (ecspresso's `{{ must_env `X` }}`, the ECS
//! agent's `$$$REGION$$$`, CodePipeline's `<IMAGE1_NAME>`). ecsctl renders no templates: a
//! marker inside a free-form value is kept as text, but where a fixed set of values is expected
//! it can only be an error, and saying so beats "unknown value `{{networkmode}}`".

/// The first template marker in `text`, if any.
pub fn find_marker(text: &str) -> Option<&str> {
    if let Some(start) = text.find("{{")
        && let Some(len) = text[start..].find("}}")
    {
        return Some(&text[start..start + len + 2]);
    }
    if let Some(start) = text.find("$$$")
        && let Some(len) = text[start + 3..].find("$$$")
    {
        return Some(&text[start..start + 3 + len + 3]);
    }
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        if let Some(end) = after.find('>') {
            let inner = &after[..end];
            if !inner.is_empty()
                && inner
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                let from = offset + start;
                return Some(&text[from..from + end + 2]);
            }
        }
        offset += start + 1;
        rest = &rest[start + 1..];
    }
    None
}

pub fn has_marker(text: &str) -> bool {
    find_marker(text).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_common_marker_styles() {
        assert_eq!(
            find_marker("{{ must_env `IMAGE` }}:latest"),
            Some("{{ must_env `IMAGE` }}")
        );
        assert_eq!(
            find_marker("x-$$$TEST_REGION$$$"),
            Some("$$$TEST_REGION$$$")
        );
        assert_eq!(find_marker("<IMAGE1_NAME>"), Some("<IMAGE1_NAME>"));
        assert_eq!(find_marker("a < b > c"), None);
        assert_eq!(find_marker("nginx:1.27"), None);
    }
}
