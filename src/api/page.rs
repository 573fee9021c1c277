//! Pagination as ECS does it: `maxResults` (1..=100) and an opaque `nextToken`. The token
//! names the last key returned (hex of `v1:KEY`), so a page after it stays right when
//! objects are added or removed between calls; items come sorted by key.

use super::error::ApiError;

/// ECS's upper bound for `maxResults`.
pub const MAX_RESULTS: i32 = 100;

pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

pub fn token(key: &str) -> String {
    format!("v1:{key}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn key_of(token: &str) -> Result<String, ApiError> {
    let bad = || ApiError::invalid(format!("invalid nextToken `{token}`"));
    if !token.len().is_multiple_of(2) {
        return Err(bad());
    }
    let bytes: Result<Vec<u8>, _> = (0..token.len())
        .step_by(2)
        .map(|i| {
            token
                .get(i..i + 2)
                .ok_or(())
                .and_then(|h| u8::from_str_radix(h, 16).map_err(|_| ()))
        })
        .collect();
    let text = String::from_utf8(bytes.map_err(|_| bad())?).map_err(|_| bad())?;
    text.strip_prefix("v1:").map(str::to_string).ok_or_else(bad)
}

/// One page of `items` (sorted here by key); `default` is the operation's page size.
pub fn page<T>(
    mut items: Vec<(String, T)>,
    max_results: Option<i32>,
    next_token: Option<&str>,
    default: i32,
) -> Result<Page<T>, ApiError> {
    let size = max_results.unwrap_or(default);
    if !(1..=MAX_RESULTS).contains(&size) {
        return Err(ApiError::invalid(format!(
            "maxResults must be between 1 and {MAX_RESULTS}, not {size}"
        )));
    }
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let after = next_token
        .filter(|t| !t.is_empty())
        .map(key_of)
        .transpose()?;
    let mut rest: Vec<(String, T)> = items
        .into_iter()
        .filter(|(k, _)| after.as_ref().is_none_or(|a| k > a))
        .collect();
    let size = usize::try_from(size).unwrap_or(1);
    let more = rest.len() > size;
    rest.truncate(size);
    let next_token = if more {
        rest.last().map(|(k, _)| token(k))
    } else {
        None
    };
    Ok(Page {
        items: rest.into_iter().map(|(_, v)| v).collect(),
        next_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize) -> Vec<(String, usize)> {
        (0..n).map(|i| (format!("k{i:03}"), i)).collect()
    }

    #[test]
    fn pages_cover_everything_once() {
        let mut seen = Vec::new();
        let mut next: Option<String> = None;
        let mut pages = 0;
        loop {
            let p = page(items(250), Some(100), next.as_deref(), 100).expect("page");
            seen.extend(p.items);
            pages += 1;
            match p.next_token {
                Some(t) => next = Some(t),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen, (0..250).collect::<Vec<_>>());
    }

    #[test]
    fn tokens_survive_changes_and_bad_ones_are_refused() {
        let p = page(items(5), Some(2), None, 10).expect("page");
        assert_eq!(p.items, vec![0, 1]);
        let t = p.next_token.expect("more");
        let mut fewer = items(5);
        fewer.remove(0);
        let p = page(fewer, Some(2), Some(&t), 10).expect("page");
        assert_eq!(p.items, vec![2, 3]);
        assert!(page(items(5), Some(2), Some("zz"), 10).is_err());
        assert!(page(items(5), Some(2), Some(&token("x")[2..]), 10).is_err());
        assert!(page(items(5), Some(0), None, 10).is_err());
        assert!(page(items(5), Some(101), None, 10).is_err());
        let exact = page(items(4), Some(2), Some(&token("k001")), 10).expect("page");
        assert_eq!((exact.items, exact.next_token), (vec![2, 3], None));
    }
}
