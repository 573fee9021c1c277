//! Schedule expressions in EventBridge Scheduler's syntax, and when they next fire. Pure: the
//! caller gives the instant to look after, the time zone and (for `rate`) the anchor.
//!
//! | expression | meaning |
//! |---|---|
//! | `rate(5 minutes)`, `rate(1 hour)`, `rate(2 days)` | every N units from the anchor (the time the schedule was applied); first run one period after it |
//! | `cron(min hour day-of-month month day-of-week year)` | EventBridge's six fields: `,` `-` `*` `/` everywhere, `?` in one of the two day fields, `L` and `W` in day-of-month, `L` and `#` in day-of-week, `JAN`-`DEC`, `SUN`-`SAT` (1 = Sunday), years 1970-2199 |
//! | `at(2026-03-08T02:30:00)` | once, at that wall-clock time |
//!
//! Wall-clock times are read in the schedule's time zone (IANA name, default UTC), with
//! daylight saving time handled as EventBridge Scheduler does: a time that does not exist
//! (the hour skipped in spring) fires once, at the first instant after the gap; a time that
//! exists twice (the hour repeated in autumn) fires once, at its first occurrence.

use std::str::FromStr;
use std::time::Duration;

use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};

use crate::time::Timestamp;

/// Why a schedule expression or time zone is not valid; `help` says what is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ScheduleError {
    pub message: String,
    pub help: Option<String>,
}

impl ScheduleError {
    fn new(message: impl Into<String>, help: impl Into<String>) -> Self {
        ScheduleError {
            message: message.into(),
            help: Some(help.into()),
        }
    }
}

const FORMS: &str = "write `rate(5 minutes)`, `cron(0 3 * * ? *)` or `at(2026-01-31T03:00:00)`";

/// A parsed schedule expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScheduleExpression {
    Rate(Duration),
    Cron(Box<Cron>),
    At(DateTime),
}

/// The six fields of a cron expression, each as the values it allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cron {
    minutes: Vec<i8>,
    hours: Vec<i8>,
    days: DaySpec,
    months: [bool; 13],
    years: Vec<i16>,
}

/// Day-of-month or day-of-week (exactly one of them is `?`).
#[derive(Clone, Debug, PartialEq, Eq)]
enum DaySpec {
    Month(Vec<MonthDay>),
    Week(Vec<WeekDay>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MonthDay {
    Day(i8),
    Last,
    /// The weekday nearest to this day, within the month.
    NearestWeekday(i8),
    LastWeekday,
}

/// Days of the week are numbered as EventBridge does: 1 = Sunday … 7 = Saturday.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WeekDay {
    Day(i8),
    /// The last such weekday of the month (`6L`).
    Last(i8),
    /// The n-th such weekday of the month (`2#1`: the first Monday).
    Nth(i8, i8),
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const YEAR_MIN: i16 = 1970;
const YEAR_MAX: i16 = 2199;

impl FromStr for ScheduleExpression {
    type Err = ScheduleError;

    fn from_str(text: &str) -> Result<Self, ScheduleError> {
        let text = text.trim();
        let Some(open) = text.find('(') else {
            return Err(ScheduleError::new(
                format!("`{text}` is not a schedule expression"),
                FORMS,
            ));
        };
        let Some(body) = text[open + 1..].strip_suffix(')') else {
            return Err(ScheduleError::new(
                format!("`{text}` does not end with `)`"),
                FORMS,
            ));
        };
        match &text[..open] {
            "rate" => rate(body.trim()),
            "cron" => cron(body.trim()).map(|c| ScheduleExpression::Cron(Box::new(c))),
            "at" => at(body.trim()),
            other => Err(ScheduleError::new(
                format!("unknown schedule type `{other}`"),
                FORMS,
            )),
        }
    }
}

fn rate(body: &str) -> Result<ScheduleExpression, ScheduleError> {
    let help = "write `rate(VALUE UNIT)` with a whole VALUE above 0 and UNIT `minute(s)`, `hour(s)` or `day(s)`: `rate(5 minutes)`";
    let mut words = body.split_whitespace();
    let (Some(value), Some(unit), None) = (words.next(), words.next(), words.next()) else {
        return Err(ScheduleError::new(
            format!("`rate({body})` needs a value and a unit"),
            help,
        ));
    };
    let value: u64 = match value.parse() {
        Ok(v) if v > 0 => v,
        _ => {
            return Err(ScheduleError::new(
                format!("the rate `{value}` is not a whole number above 0"),
                help,
            ));
        }
    };
    let seconds = match unit {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        other => {
            return Err(ScheduleError::new(
                format!("unknown rate unit `{other}`"),
                help,
            ));
        }
    };
    value
        .checked_mul(seconds)
        .map(|s| ScheduleExpression::Rate(Duration::from_secs(s)))
        .ok_or_else(|| ScheduleError::new(format!("the rate `{value}` is too large"), help))
}

fn at(body: &str) -> Result<ScheduleExpression, ScheduleError> {
    body.parse::<DateTime>()
        .ok()
        .filter(|_| body.len() == "yyyy-mm-ddThh:mm:ss".len())
        .map(ScheduleExpression::At)
        .ok_or_else(|| {
            ScheduleError::new(
                format!("`{body}` is not a date and time"),
                "write `at(yyyy-mm-ddThh:mm:ss)`: `at(2026-01-31T03:00:00)`",
            )
        })
}

/// One field's name and range, for parsing and messages.
struct Field {
    name: &'static str,
    min: i8,
    max: i8,
    names: &'static [&'static str],
}

const MINUTE: Field = Field {
    name: "minutes",
    min: 0,
    max: 59,
    names: &[],
};
const HOUR: Field = Field {
    name: "hours",
    min: 0,
    max: 23,
    names: &[],
};
const DAY_OF_MONTH: Field = Field {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
};
const MONTH: Field = Field {
    name: "month",
    min: 1,
    max: 12,
    names: &MONTHS,
};
const DAY_OF_WEEK: Field = Field {
    name: "day-of-week",
    min: 1,
    max: 7,
    names: &WEEKDAYS,
};

impl Field {
    fn expected(&self) -> String {
        match self.names.first().zip(self.names.last()) {
            Some((first, last)) => format!(
                "{}-{} or {first}-{last}, with `,` `-` `*` `/`",
                self.min, self.max
            ),
            None => format!("{}-{}, with `,` `-` `*` `/`", self.min, self.max),
        }
    }

    fn error(&self, text: &str) -> ScheduleError {
        ScheduleError::new(
            format!("{} `{text}` is not valid", self.name),
            format!("{} takes {}", self.name, self.expected()),
        )
    }

    fn value(&self, text: &str) -> Result<i8, ScheduleError> {
        let upper = text.to_ascii_uppercase();
        if let Some(i) = self.names.iter().position(|n| *n == upper) {
            return Ok(self.min + i8::try_from(i).unwrap_or(0));
        }
        match text.parse::<i8>() {
            Ok(v) if (self.min..=self.max).contains(&v) => Ok(v),
            _ => Err(self.error(text)),
        }
    }

    /// The values of a list of `*`, `a`, `a-b`, with an optional `/step`.
    fn values(&self, text: &str) -> Result<Vec<i8>, ScheduleError> {
        let mut out = Vec::new();
        for item in text.split(',') {
            let (range, step) = match item.split_once('/') {
                Some((range, step)) => {
                    let step = step
                        .parse::<i8>()
                        .ok()
                        .filter(|s| *s > 0)
                        .ok_or_else(|| self.error(item))?;
                    (range, step)
                }
                None => (item, 1),
            };
            let (from, to) = if range == "*" {
                (self.min, self.max)
            } else if let Some((a, b)) = range.split_once('-') {
                let (low, high) = (self.value(a)?, self.value(b)?);
                if low > high {
                    return Err(ScheduleError::new(
                        format!("{} range `{range}` goes backwards", self.name),
                        format!("write the smaller value first: `{b}-{a}`"),
                    ));
                }
                (low, high)
            } else {
                let a = self.value(range)?;
                // `a/step` runs from a to the end of the range, as in EventBridge.
                (a, if item.contains('/') { self.max } else { a })
            };
            let mut v = from;
            while v <= to {
                out.push(v);
                v = match v.checked_add(step) {
                    Some(n) => n,
                    None => break,
                };
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}

fn cron(body: &str) -> Result<Cron, ScheduleError> {
    let fields: Vec<&str> = body.split_whitespace().collect();
    let [minutes, hours, dom, month, dow, year] = fields[..] else {
        return Err(ScheduleError::new(
            format!(
                "a cron expression has 6 fields, `cron({body})` has {}",
                fields.len()
            ),
            "write `cron(minutes hours day-of-month month day-of-week year)`: `cron(0 3 * * ? *)`",
        ));
    };
    let days = match (dom == "?", dow == "?") {
        (true, false) => DaySpec::Week(week_days(dow)?),
        (false, true) => DaySpec::Month(month_days(dom)?),
        _ => {
            return Err(ScheduleError::new(
                format!(
                    "day-of-month `{dom}` and day-of-week `{dow}`: exactly one of them must be `?`"
                ),
                "write `?` in the one that does not apply: `cron(0 3 * * ? *)` or `cron(0 3 ? * MON *)`",
            ));
        }
    };
    let mut months = [false; 13];
    for m in MONTH.values(month)? {
        if let Some(slot) = months.get_mut(usize::try_from(m).unwrap_or(0)) {
            *slot = true;
        }
    }
    Ok(Cron {
        minutes: MINUTE.values(minutes)?,
        hours: HOUR.values(hours)?,
        days,
        months,
        years: years(year)?,
    })
}

fn month_days(text: &str) -> Result<Vec<MonthDay>, ScheduleError> {
    let mut out = Vec::new();
    for item in text.split(',') {
        if item == "L" {
            out.push(MonthDay::Last);
        } else if item == "LW" {
            out.push(MonthDay::LastWeekday);
        } else if let Some(day) = item.strip_suffix('W') {
            out.push(MonthDay::NearestWeekday(DAY_OF_MONTH.value(day)?));
        } else {
            out.extend(DAY_OF_MONTH.values(item)?.into_iter().map(MonthDay::Day));
        }
    }
    Ok(out)
}

fn week_days(text: &str) -> Result<Vec<WeekDay>, ScheduleError> {
    let mut out = Vec::new();
    for item in text.split(',') {
        if item == "L" {
            out.push(WeekDay::Day(7));
        } else if let Some(day) = item.strip_suffix('L') {
            out.push(WeekDay::Last(DAY_OF_WEEK.value(day)?));
        } else if let Some((day, nth)) = item.split_once('#') {
            let nth = nth
                .parse::<i8>()
                .ok()
                .filter(|n| (1..=5).contains(n))
                .ok_or_else(|| {
                    ScheduleError::new(
                        format!("day-of-week `{item}`: `#` takes 1-5"),
                        "write `DAY#N` for the N-th such day of the month: `MON#1`",
                    )
                })?;
            out.push(WeekDay::Nth(DAY_OF_WEEK.value(day)?, nth));
        } else {
            out.extend(DAY_OF_WEEK.values(item)?.into_iter().map(WeekDay::Day));
        }
    }
    Ok(out)
}

/// Years do not fit the `i8` fields: parsed on their own, 1970-2199.
fn years(text: &str) -> Result<Vec<i16>, ScheduleError> {
    let error = || {
        ScheduleError::new(
            format!("year `{text}` is not valid"),
            format!("year takes {YEAR_MIN}-{YEAR_MAX}, with `,` `-` `*` `/`"),
        )
    };
    let value = |t: &str| {
        t.parse::<i16>()
            .ok()
            .filter(|y| (YEAR_MIN..=YEAR_MAX).contains(y))
            .ok_or_else(error)
    };
    let mut out = Vec::new();
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (
                range,
                step.parse::<i16>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(error)?,
            ),
            None => (item, 1),
        };
        let (from, to) = match range.split_once('-') {
            _ if range == "*" => (YEAR_MIN, YEAR_MAX),
            Some((a, b)) => (value(a)?, value(b)?),
            None if item.contains('/') => (value(range)?, YEAR_MAX),
            None => (value(range)?, value(range)?),
        };
        if from > to {
            return Err(error());
        }
        out.extend((from..=to).step_by(usize::try_from(step).unwrap_or(1)));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

impl Cron {
    fn day_matches(&self, date: Date) -> bool {
        let last = date.days_in_month();
        let day = date.day();
        let weekday = date.weekday().to_sunday_one_offset();
        let is_weekday = (2..=6).contains(&weekday);
        match &self.days {
            DaySpec::Month(items) => items.iter().any(|item| match *item {
                MonthDay::Day(d) => d == day,
                MonthDay::Last => day == last,
                MonthDay::NearestWeekday(d) => is_weekday && nearest_weekday(date, d) == day,
                MonthDay::LastWeekday => is_weekday && nearest_weekday(date, last) == day,
            }),
            DaySpec::Week(items) => items.iter().any(|item| match *item {
                WeekDay::Day(d) => d == weekday,
                WeekDay::Last(d) => d == weekday && day + 7 > last,
                WeekDay::Nth(d, n) => d == weekday && (day - 1) / 7 + 1 == n,
            }),
        }
    }

    /// The first minute this cron allows strictly after `after`.
    fn next_after(&self, after: jiff::Timestamp, tz: &TimeZone) -> Option<jiff::Timestamp> {
        // A day earlier than `after`'s own date: a skipped hour moves times forward.
        let start = tz.to_datetime(after).date().yesterday().ok()?;
        for &year in self.years.iter().filter(|y| **y >= start.year()) {
            for month in 1..=12i8 {
                if !self.months[usize::try_from(month).unwrap_or(0)]
                    || (year, month) < (start.year(), start.month())
                {
                    continue;
                }
                let Ok(first) = Date::new(year, month, 1) else {
                    continue;
                };
                for day in 1..=first.days_in_month() {
                    let Ok(date) = Date::new(year, month, day) else {
                        continue;
                    };
                    if date < start || !self.day_matches(date) {
                        continue;
                    }
                    for &hour in &self.hours {
                        for &minute in &self.minutes {
                            let civil = date.at(hour, minute, 0, 0);
                            if let Some(at) = resolve(civil, tz)
                                && at > after
                            {
                                return Some(at);
                            }
                        }
                    }
                }
            }
        }
        None
    }
}

/// The weekday (Mon-Fri) nearest to day `d` of `date`'s month, without leaving the month
/// (EventBridge's `W`): a Saturday moves to Friday, a Sunday to Monday, except at the edges.
fn nearest_weekday(date: Date, d: i8) -> i8 {
    let last = date.days_in_month();
    let d = d.min(last);
    let Ok(target) = Date::new(date.year(), date.month(), d) else {
        return d;
    };
    match target.weekday().to_sunday_one_offset() {
        7 if d == 1 => 3,
        7 => d - 1,
        1 if d == last => d - 2,
        1 => d + 1,
        _ => d,
    }
}

/// The instant of a wall-clock time: in a gap (spring forward), the end of the gap; in a fold
/// (autumn), the first of the two.
fn resolve(civil: DateTime, tz: &TimeZone) -> Option<jiff::Timestamp> {
    let ambiguous = tz.to_ambiguous_timestamp(civil);
    match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { .. } | AmbiguousOffset::Fold { .. } => {
            ambiguous.earlier().ok()
        }
        AmbiguousOffset::Gap { after, .. } => {
            // Read with the later offset, the time falls before the transition: the
            // transition that follows it is the end of the gap.
            let before_gap = after.to_timestamp(civil).ok()?;
            tz.following(before_gap).next().map(|t| t.timestamp())
        }
    }
}

fn to_jiff(t: Timestamp) -> Option<jiff::Timestamp> {
    jiff::Timestamp::from_millisecond(i64::try_from(t.unix_millis()).ok()?).ok()
}

fn from_jiff(t: jiff::Timestamp) -> Timestamp {
    Timestamp::from_unix_millis(u64::try_from(t.as_millisecond()).unwrap_or(0))
}

/// A time zone by its IANA name (`America/New_York`, `UTC`), from the tz database built in.
pub fn time_zone(name: &str) -> Result<TimeZone, ScheduleError> {
    TimeZone::get(name).map_err(|_| {
        ScheduleError::new(
            format!("unknown time zone `{name}`"),
            "write an IANA time zone name: `UTC`, `Europe/Berlin`, `America/New_York`",
        )
    })
}

impl ScheduleExpression {
    /// When the schedule fires next, strictly after `after`; `anchor` is when a `rate`
    /// started counting. `None`: never again (a past `at`, a cron whose years are over).
    pub fn next_after(
        &self,
        after: Timestamp,
        tz: &TimeZone,
        anchor: Timestamp,
    ) -> Option<Timestamp> {
        match self {
            ScheduleExpression::Rate(period) => {
                let period = u64::try_from(period.as_millis()).ok()?.max(1);
                let (after, anchor) = (after.unix_millis(), anchor.unix_millis());
                let periods = match after.checked_sub(anchor) {
                    Some(elapsed) => elapsed / period + 1,
                    None => 1,
                };
                let at = anchor.checked_add(periods.checked_mul(period)?)?;
                Some(Timestamp::from_unix_millis(at))
            }
            ScheduleExpression::Cron(cron) => cron.next_after(to_jiff(after)?, tz).map(from_jiff),
            ScheduleExpression::At(civil) => {
                let at = resolve(*civil, tz)?;
                (at > to_jiff(after)?).then(|| from_jiff(at))
            }
        }
    }

    /// The times it fired in `(from, to]`: how many, the first and the last (counting stops
    /// at `limit`, which bounds the work after a long gap).
    pub fn occurrences(
        &self,
        from: Timestamp,
        to: Timestamp,
        tz: &TimeZone,
        anchor: Timestamp,
        limit: usize,
    ) -> Occurrences {
        let mut found = Occurrences::default();
        let mut cursor = from;
        while found.count < limit {
            let Some(at) = self.next_after(cursor, tz, anchor) else {
                break;
            };
            if at > to {
                break;
            }
            found.first.get_or_insert(at);
            found.last = Some(at);
            found.count += 1;
            cursor = at;
        }
        found
    }
}

/// What [`ScheduleExpression::occurrences`] found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Occurrences {
    pub count: usize,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
}

#[cfg(test)]
mod tests;
