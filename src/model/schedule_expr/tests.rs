//! EventBridge's syntax, and next-run times in UTC and across daylight saving time in
//! America/New_York (2026: spring forward Mar 8 02:00, fall back Nov 1 02:00) and
//! Europe/Berlin (2026: Mar 29 02:00, Oct 25 03:00).

use super::*;

fn t(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("timestamp")
}

fn expr(text: &str) -> ScheduleExpression {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e:?}"))
}

fn zone(name: &str) -> TimeZone {
    time_zone(name).expect("zone")
}

/// The next `n` runs after `after`, as RFC 3339 UTC text.
fn runs(text: &str, tz: &str, after: &str, n: usize) -> Vec<String> {
    let e = expr(text);
    let tz = zone(tz);
    let anchor = t(after);
    let mut cursor = anchor;
    let mut out = Vec::new();
    for _ in 0..n {
        let Some(next) = e.next_after(cursor, &tz, anchor) else {
            break;
        };
        assert!(next > cursor, "{text}: {next} after {cursor}");
        out.push(next.to_string());
        cursor = next;
    }
    out
}

fn error(text: &str) -> String {
    match text.parse::<ScheduleExpression>() {
        Ok(e) => panic!("{text} parsed as {e:?}"),
        Err(e) => format!("{} | {}", e.message, e.help.unwrap_or_default()),
    }
}

#[test]
fn rates_count_whole_periods_from_the_anchor() {
    assert_eq!(
        expr("rate(5 minutes)"),
        ScheduleExpression::Rate(Duration::from_secs(300))
    );
    assert_eq!(
        expr("rate(1 minute)"),
        ScheduleExpression::Rate(Duration::from_secs(60))
    );
    assert_eq!(
        expr("rate(2 hours)"),
        ScheduleExpression::Rate(Duration::from_secs(7200))
    );
    assert_eq!(
        expr(" rate(1 day) "),
        ScheduleExpression::Rate(Duration::from_secs(86_400))
    );
    let e = expr("rate(5 minutes)");
    let utc = zone("UTC");
    let anchor = t("2026-01-01T10:00:00Z");
    let next = |after: &str| e.next_after(t(after), &utc, anchor).map(|n| n.to_string());
    assert_eq!(
        next("2026-01-01T10:00:00Z").as_deref(),
        Some("2026-01-01T10:05:00.000Z")
    );
    assert_eq!(
        next("2026-01-01T10:07:30Z").as_deref(),
        Some("2026-01-01T10:10:00.000Z")
    );
    assert_eq!(
        next("2026-01-01T10:10:00Z").as_deref(),
        Some("2026-01-01T10:15:00.000Z")
    );
    // Before the anchor: the first run is one period after it.
    assert_eq!(
        next("2025-12-31T00:00:00Z").as_deref(),
        Some("2026-01-01T10:05:00.000Z")
    );
}

#[test]
fn a_daily_rate_is_24_hours_whatever_the_clocks_do() {
    assert_eq!(
        runs("rate(1 day)", "America/New_York", "2026-03-07T12:00:00Z", 2),
        ["2026-03-08T12:00:00.000Z", "2026-03-09T12:00:00.000Z"]
    );
}

#[test]
fn cron_in_utc() {
    assert_eq!(
        runs("cron(0 3 * * ? *)", "UTC", "2026-01-01T03:00:00Z", 2),
        ["2026-01-02T03:00:00.000Z", "2026-01-03T03:00:00.000Z"]
    );
    assert_eq!(
        runs("cron(*/20 * * * ? *)", "UTC", "2026-01-01T23:30:00Z", 3),
        [
            "2026-01-01T23:40:00.000Z",
            "2026-01-02T00:00:00.000Z",
            "2026-01-02T00:20:00.000Z"
        ]
    );
    assert_eq!(
        runs(
            "cron(10-50/20 8,17 * * ? *)",
            "UTC",
            "2026-01-01T00:00:00Z",
            5
        ),
        [
            "2026-01-01T08:10:00.000Z",
            "2026-01-01T08:30:00.000Z",
            "2026-01-01T08:50:00.000Z",
            "2026-01-01T17:10:00.000Z",
            "2026-01-01T17:30:00.000Z",
        ]
    );
    // `a/step`: from a to the end of the range.
    assert_eq!(
        runs("cron(45/10 0 * * ? *)", "UTC", "2026-01-01T00:00:00Z", 3),
        [
            "2026-01-01T00:45:00.000Z",
            "2026-01-01T00:55:00.000Z",
            "2026-01-02T00:45:00.000Z"
        ]
    );
}

#[test]
fn names_of_months_and_weekdays_and_years() {
    // Weekdays of the first quarter of 2027, at noon.
    assert_eq!(
        runs(
            "cron(0 12 ? JAN-MAR MON-FRI 2027)",
            "UTC",
            "2026-06-01T00:00:00Z",
            2
        ),
        ["2027-01-01T12:00:00.000Z", "2027-01-04T12:00:00.000Z"]
    );
    // Lower case, and numbers: 1 is Sunday.
    assert_eq!(
        runs("cron(0 0 ? * sun *)", "UTC", "2026-03-01T00:00:00Z", 1),
        runs("cron(0 0 ? * 1 *)", "UTC", "2026-03-01T00:00:00Z", 1)
    );
    // The years run out.
    assert_eq!(
        runs("cron(0 0 1 1 ? 2027)", "UTC", "2027-01-01T00:00:00Z", 1),
        Vec::<String>::new()
    );
    assert_eq!(
        runs(
            "cron(0 0 1 1 ? 2030-2199/10)",
            "UTC",
            "2026-01-01T00:00:00Z",
            2
        ),
        ["2030-01-01T00:00:00.000Z", "2040-01-01T00:00:00.000Z"]
    );
}

#[test]
fn last_day_nearest_weekday_and_nth_weekday() {
    assert_eq!(
        runs("cron(0 0 L * ? *)", "UTC", "2028-01-15T00:00:00Z", 3),
        [
            "2028-01-31T00:00:00.000Z",
            "2028-02-29T00:00:00.000Z",
            "2028-03-31T00:00:00.000Z"
        ]
    );
    // 2026-08-15 is a Saturday: the Friday before. 2026-08-01 is a Saturday too, but the
    // Friday before is in July: the Monday after.
    assert_eq!(
        runs("cron(0 9 15W * ? *)", "UTC", "2026-08-01T00:00:00Z", 1),
        ["2026-08-14T09:00:00.000Z"]
    );
    assert_eq!(
        runs("cron(0 9 1W * ? *)", "UTC", "2026-07-31T00:00:00Z", 1),
        ["2026-08-03T09:00:00.000Z"]
    );
    // 2026-05-31 is a Sunday and the last day: the Friday before.
    assert_eq!(
        runs("cron(0 9 31W * ? *)", "UTC", "2026-05-01T00:00:00Z", 1),
        ["2026-05-29T09:00:00.000Z"]
    );
    // The last weekday of January 2026 (the 31st is a Saturday).
    assert_eq!(
        runs("cron(0 9 LW * ? *)", "UTC", "2026-01-01T00:00:00Z", 1),
        ["2026-01-30T09:00:00.000Z"]
    );
    // The first Monday, the last Friday; `L` alone in day-of-week is Saturday.
    assert_eq!(
        runs("cron(0 10 ? * MON#1 *)", "UTC", "2026-01-01T00:00:00Z", 3),
        [
            "2026-01-05T10:00:00.000Z",
            "2026-02-02T10:00:00.000Z",
            "2026-03-02T10:00:00.000Z"
        ]
    );
    assert_eq!(
        runs("cron(0 10 ? * 6L *)", "UTC", "2026-01-01T00:00:00Z", 3),
        [
            "2026-01-30T10:00:00.000Z",
            "2026-02-27T10:00:00.000Z",
            "2026-03-27T10:00:00.000Z"
        ]
    );
    assert_eq!(
        runs("cron(0 10 ? * L *)", "UTC", "2026-01-01T00:00:00Z", 1),
        ["2026-01-03T10:00:00.000Z"]
    );
}

#[test]
fn new_york_spring_forward_runs_a_skipped_time_once_at_the_end_of_the_gap() {
    // 02:30 does not exist on 2026-03-08: it runs at 03:00 EDT (07:00Z), then at 02:30 EDT.
    assert_eq!(
        runs(
            "cron(30 2 * * ? *)",
            "America/New_York",
            "2026-03-07T12:00:00Z",
            3
        ),
        [
            "2026-03-08T07:00:00.000Z",
            "2026-03-09T06:30:00.000Z",
            "2026-03-10T06:30:00.000Z"
        ]
    );
    // Four times in the skipped hour: one run.
    assert_eq!(
        runs(
            "cron(0/15 2 * * ? *)",
            "America/New_York",
            "2026-03-08T06:00:00Z",
            2
        ),
        ["2026-03-08T07:00:00.000Z", "2026-03-09T06:00:00.000Z"]
    );
    // A time in the gap and 03:00 itself: still one run at 03:00.
    assert_eq!(
        runs(
            "cron(30 2,3 8 3 ? 2026)",
            "America/New_York",
            "2026-03-08T06:00:00Z",
            2
        ),
        ["2026-03-08T07:00:00.000Z", "2026-03-08T07:30:00.000Z"]
    );
    // Hourly: the night is one hour shorter.
    let e = expr("cron(0 * * * ? *)");
    let ny = zone("America/New_York");
    let found = e.occurrences(
        t("2026-03-08T05:30:00Z"),
        t("2026-03-08T08:30:00Z"),
        &ny,
        t("2026-01-01T00:00:00Z"),
        100,
    );
    assert_eq!(
        (
            found.count,
            found.first.map(|x| x.to_string()),
            found.last.map(|x| x.to_string())
        ),
        (
            3,
            Some("2026-03-08T06:00:00.000Z".into()),
            Some("2026-03-08T08:00:00.000Z".into())
        )
    );
}

#[test]
fn new_york_fall_back_runs_a_repeated_time_once() {
    // 01:30 happens twice on 2026-11-01 (EDT 05:30Z, EST 06:30Z): it runs at the first.
    assert_eq!(
        runs(
            "cron(30 1 * * ? *)",
            "America/New_York",
            "2026-10-31T12:00:00Z",
            2
        ),
        ["2026-11-01T05:30:00.000Z", "2026-11-02T06:30:00.000Z"]
    );
    // Hourly: 01:00 EDT, then 02:00 EST; 01:00 EST is not a second run.
    assert_eq!(
        runs(
            "cron(0 * * * ? *)",
            "America/New_York",
            "2026-11-01T04:30:00Z",
            3
        ),
        [
            "2026-11-01T05:00:00.000Z",
            "2026-11-01T07:00:00.000Z",
            "2026-11-01T08:00:00.000Z"
        ]
    );
    // Looking from inside the repeated hour (01:10 EST), the repeated 01:30 is over.
    assert_eq!(
        runs(
            "cron(30 1 * * ? *)",
            "America/New_York",
            "2026-11-01T06:10:00Z",
            1
        ),
        ["2026-11-02T06:30:00.000Z"]
    );
}

#[test]
fn berlin_both_transitions() {
    // 2026-03-29: 02:00 CET → 03:00 CEST (01:00Z); 02:30 runs at 03:00 CEST.
    assert_eq!(
        runs(
            "cron(30 2 * * ? *)",
            "Europe/Berlin",
            "2026-03-28T12:00:00Z",
            2
        ),
        ["2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z"]
    );
    // 2026-10-25: 03:00 CEST → 02:00 CET; 02:30 happens twice (00:30Z, 01:30Z): once.
    assert_eq!(
        runs(
            "cron(30 2 * * ? *)",
            "Europe/Berlin",
            "2026-10-24T12:00:00Z",
            2
        ),
        ["2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"]
    );
    // A time outside the transition keeps its wall-clock hour on both sides of it.
    assert_eq!(
        runs(
            "cron(0 9 * * ? *)",
            "Europe/Berlin",
            "2026-10-24T12:00:00Z",
            2
        ),
        ["2026-10-25T08:00:00.000Z", "2026-10-26T08:00:00.000Z"]
    );
}

#[test]
fn at_runs_once_in_its_time_zone() {
    let e = expr("at(2026-03-08T02:30:00)");
    let ny = zone("America/New_York");
    let anchor = t("2026-01-01T00:00:00Z");
    // In the skipped hour: at the end of the gap.
    assert_eq!(
        e.next_after(t("2026-03-01T00:00:00Z"), &ny, anchor)
            .map(|x| x.to_string())
            .as_deref(),
        Some("2026-03-08T07:00:00.000Z")
    );
    assert_eq!(e.next_after(t("2026-03-08T07:00:00Z"), &ny, anchor), None);
    assert_eq!(
        expr("at(2026-06-01T12:00:00)")
            .next_after(anchor, &zone("UTC"), anchor)
            .map(|x| x.to_string())
            .as_deref(),
        Some("2026-06-01T12:00:00.000Z")
    );
}

#[test]
fn occurrences_count_what_a_gap_missed_up_to_a_limit() {
    let e = expr("rate(1 minute)");
    let utc = zone("UTC");
    let anchor = t("2026-01-01T00:00:00Z");
    let found = e.occurrences(
        t("2026-01-01T00:00:30Z"),
        t("2026-01-01T00:10:00Z"),
        &utc,
        anchor,
        1000,
    );
    assert_eq!(found.count, 10);
    assert_eq!(
        found.first.map(|x| x.to_string()).as_deref(),
        Some("2026-01-01T00:01:00.000Z")
    );
    assert_eq!(
        found.last.map(|x| x.to_string()).as_deref(),
        Some("2026-01-01T00:10:00.000Z")
    );
    assert_eq!(
        e.occurrences(
            t("2026-01-01T00:00:30Z"),
            t("2026-01-01T00:10:00Z"),
            &utc,
            anchor,
            3
        )
        .count,
        3
    );
    assert_eq!(
        e.occurrences(
            t("2026-01-01T00:01:00Z"),
            t("2026-01-01T00:01:59Z"),
            &utc,
            anchor,
            3
        )
        .count,
        0
    );
}

#[test]
fn errors_say_what_is_right() {
    insta::assert_snapshot!(
        [
            "every 5 minutes",
            "rate(5 minutes",
            "weekly(1)",
            "rate(0 minutes)",
            "rate(5 weeks)",
            "rate(5)",
            "cron(0 3 * * *)",
            "cron(0 3 * * * *)",
            "cron(0 3 ? * ? *)",
            "cron(60 3 * * ? *)",
            "cron(0 3 * FOO ? *)",
            "cron(0 3 ? * FRI-MON *)",
            "cron(0 3 ? * MON#6 *)",
            "cron(0 3 * * ? 1969)",
            "cron(*/0 3 * * ? *)",
            "at(2026-13-01T00:00:00)",
            "at(2026-01-01)",
        ]
        .iter()
        .map(|text| format!("{text}\n  {}", error(text)))
        .collect::<Vec<_>>()
        .join("\n")
    );
    let e = time_zone("Mars/Olympus").expect_err("unknown zone");
    assert_eq!(e.message, "unknown time zone `Mars/Olympus`");
}
