//! Timestamps as the state and JSON output carry them: RFC 3339, UTC, milliseconds.
//! Pure code receives `now` as an argument; only adapters call [`Timestamp::now`].

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(SystemTime);

impl Timestamp {
    pub fn now() -> Self {
        Timestamp(SystemTime::now())
    }

    pub fn from_unix_millis(millis: u64) -> Self {
        Timestamp(UNIX_EPOCH + Duration::from_millis(millis))
    }

    pub fn from_unix_nanos(nanos: i64) -> Self {
        let nanos = u64::try_from(nanos).unwrap_or(0);
        Timestamp(UNIX_EPOCH + Duration::from_nanos(nanos))
    }

    pub fn unix_millis(self) -> u64 {
        let millis = self
            .0
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        u64::try_from(millis).unwrap_or(u64::MAX)
    }

    pub fn system_time(self) -> SystemTime {
        self.0
    }

    /// Time from `earlier` to `self`; zero when `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> Duration {
        self.0.duration_since(earlier.0).unwrap_or_default()
    }

    pub fn plus(self, duration: Duration) -> Timestamp {
        Timestamp(self.0 + duration)
    }

    pub fn minus(self, duration: Duration) -> Timestamp {
        Timestamp(self.0.checked_sub(duration).unwrap_or(UNIX_EPOCH))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        humantime::parse_rfc3339_weak(text)
            .map(Timestamp)
            .map_err(|e| format!("invalid timestamp `{text}`: {e}"))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_rfc3339_millis(self.0))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// "3s", "5m", "2h", "4d": the age column of tables.
pub fn short_age(age: Duration) -> String {
    let secs = age.as_secs();
    match secs {
        0..=119 => format!("{secs}s"),
        120..=7199 => format!("{}m", secs / 60),
        7200..=172_799 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_as_rfc3339() {
        let t = Timestamp::from_unix_millis(1_700_000_000_123);
        let text = t.to_string();
        assert_eq!(text, "2023-11-14T22:13:20.123Z");
        assert_eq!(Timestamp::parse(&text), Ok(t));
        let json = serde_json::to_string(&t).expect("serializes");
        assert_eq!(json, "\"2023-11-14T22:13:20.123Z\"");
    }

    #[test]
    fn ages() {
        assert_eq!(short_age(Duration::from_secs(5)), "5s");
        assert_eq!(short_age(Duration::from_secs(600)), "10m");
        assert_eq!(short_age(Duration::from_secs(3 * 3600)), "3h");
        assert_eq!(short_age(Duration::from_secs(5 * 86_400)), "5d");
    }
}
