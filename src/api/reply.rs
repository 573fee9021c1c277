//! A successful answer's body: either a `serde_json::Value` (the writes, which are rare and
//! build their shapes from what they just wrote) or JSON already serialized from typed,
//! borrowing response structs (the reads, which are most of the traffic: building and
//! dropping a `Value` tree per request was most of their cost).
//!
//! Both forms must give the same bytes: keys in sorted order (what serde_json's map does
//! for a `Value`) and no `null`s or empty objects (what [`super::shapes::prune`] does). The
//! typed structs keep that by declaring their fields in sorted order and skipping absent
//! members; [`canonical`] checks it in the tests.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

use super::error::ApiError;

pub enum Reply {
    /// Pruned and serialized by the server.
    Value(Value),
    /// Already serialized, as sent.
    Json(Vec<u8>),
}

impl From<Value> for Reply {
    fn from(value: Value) -> Self {
        Reply::Value(value)
    }
}

/// What most read answers take; a larger one grows the buffer once or twice.
const INITIAL_CAPACITY: usize = 8 * 1024;

/// `shape` serialized into a buffer sized for a typical answer.
pub fn json<T: Serialize + ?Sized>(shape: &T) -> Result<Reply, ApiError> {
    let mut buffer = Vec::with_capacity(INITIAL_CAPACITY);
    serde_json::to_writer(&mut buffer, shape)
        .map_err(|e| ApiError::server(format!("serializing the answer: {e}")))?;
    Ok(Reply::Json(buffer))
}

/// An entry of `failures`.
#[derive(Serialize)]
pub struct Failure<'a> {
    pub arn: String,
    pub reason: &'a str,
}

/// `{MEMBER: items, "failures": failures}` with the two keys in sorted order.
pub struct Listed<'a, T> {
    pub member: &'static str,
    pub items: &'a [T],
    pub failures: &'a [Failure<'a>],
}

impl<T: Serialize> Serialize for Listed<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        if self.member < "failures" {
            map.serialize_entry(self.member, self.items)?;
            map.serialize_entry("failures", self.failures)?;
        } else {
            map.serialize_entry("failures", self.failures)?;
            map.serialize_entry(self.member, self.items)?;
        }
        map.end()
    }
}

/// A list operation's answer: `{MEMBER: arns, "nextToken": token}`, the token left out on
/// the last page, the keys in sorted order.
pub struct Arns<'a> {
    pub member: &'static str,
    pub arns: &'a [String],
    pub next_token: Option<&'a str>,
}

impl Serialize for Arns<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let token = |map: &mut S::SerializeMap| match self.next_token {
            Some(t) => map.serialize_entry("nextToken", t),
            None => Ok(()),
        };
        if self.member < "nextToken" {
            map.serialize_entry(self.member, self.arns)?;
            token(&mut map)?;
        } else {
            token(&mut map)?;
            map.serialize_entry(self.member, self.arns)?;
        }
        map.end()
    }
}

/// True when a member built as a `Value` (a piece of the applied spec) is left out of the
/// answer, as [`super::shapes::prune`] leaves it out.
pub fn absent_value(value: &Option<Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::Object(map)) => map.is_empty(),
        Some(_) => false,
    }
}

/// The bytes `shape` would have had as a pruned `Value`: what a typed shape must serialize
/// to, byte for byte.
#[cfg(test)]
pub fn canonical<T: Serialize>(shape: &T) -> (String, String) {
    let typed = serde_json::to_string(shape).expect("typed");
    let value = super::shapes::prune(serde_json::to_value(shape).expect("value"));
    (typed, serde_json::to_string(&value).expect("value text"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn listed_and_list_answers_keep_keys_sorted() {
        let failures = [Failure {
            arn: "a".into(),
            reason: "MISSING",
        }];
        for member in ["clusters", "services", "tasks", "containerInstances"] {
            let (typed, value) = canonical(&Listed::<u32> {
                member,
                items: &[1, 2],
                failures: &failures,
            });
            assert_eq!(typed, value);
        }
        let arns = ["x".to_string()];
        for member in [
            "clusterArns",
            "serviceArns",
            "taskDefinitionArns",
            "families",
        ] {
            for next_token in [None, Some("t")] {
                let (typed, value) = canonical(&Arns {
                    member,
                    arns: &arns,
                    next_token,
                });
                assert_eq!(typed, value);
            }
        }
    }

    #[test]
    fn absent_values_are_those_prune_drops() {
        assert!(absent_value(&None));
        assert!(absent_value(&Some(Value::Null)));
        assert!(absent_value(&Some(json!({}))));
        assert!(!absent_value(&Some(json!([]))));
        assert!(!absent_value(&Some(json!(0))));
    }
}
