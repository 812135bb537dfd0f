//! One calendar for the whole program: file times and event times as the
//! UTC text exhunt prints and compares (`2021-03-03T06:49:42Z`), and the
//! few date forms it reads from the command line and from its own output.
//!
//! The calendar itself is `jiff`'s. jiff's dates stop at the years
//! -9999 and 9999, but a file time can lie outside them (a forged or
//! damaged time stamp is evidence too, and must print as it is), so days
//! are first folded into one 400-year cycle of the Gregorian calendar,
//! which repeats exactly every 146 097 days; jiff dates the day inside the
//! cycle and the cycles are added back to the year: a time of any year
//! prints correctly, and none makes these functions panic.

use jiff::civil::Date;
use jiff::Span;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds in a day (UTC has no leap seconds in these counts).
const DAY: i64 = 86_400;
/// Days in 400 Gregorian years: the calendar repeats after them.
const CYCLE_DAYS: i64 = 146_097;
const CYCLE_YEARS: i64 = 400;
/// Day 0 of the counts, and the first year of the cycle days fold into.
const EPOCH: Date = Date::constant(1970, 1, 1);

/// Why a text is not a time exhunt accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS[Z]`; the text as given.
    #[error("not a date: {0:?} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC)")]
    NotADate(String),
}

/// A file time as ISO 8601 UTC to the second: `2021-03-03T06:49:42Z`.
pub fn system_time_iso(t: SystemTime) -> String {
    seconds_to_iso(unix_seconds(t))
}

/// A file time as UTC year, month, day, hour, minute, second.
pub fn utc_parts(t: SystemTime) -> (i64, u32, u32, u32, u32, u32) {
    utc_parts_of_seconds(unix_seconds(t))
}

/// Seconds since 1970-01-01T00:00:00Z as ISO 8601 UTC to the second
/// (years beyond 9999 get more digits, years before 1 a sign).
pub fn seconds_to_iso(secs: i64) -> String {
    let (y, m, d, hh, mm, ss) = utc_parts_of_seconds(secs);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

/// Seconds since 1970 of a `YYYY-MM-DDTHH:MM:SS…` text (`T` or a space
/// between date and time; a fraction and a zone after the seconds are
/// ignored, for every time exhunt writes is UTC). The check is loose on
/// purpose, as it reads exhunt's own output back: a day past the end of its
/// month counts on into the next, and second 60 into the next minute.
pub fn iso_to_seconds(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * DAY + h * 3600 + mi * 60 + se)
}

/// An event's time as `YYYY-MM-DDTHH:MM:SS.fffZ` (UTC, milliseconds,
/// truncated). Accepts RFC 3339 / ISO 8601 with `Z` or an offset (converted
/// to UTC), and date-times without a zone, which are taken as UTC (event
/// exports write UTC; a local-time export cannot be told apart from the
/// text alone).
pub fn normalize_utc_millis(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let ts = match s.parse::<jiff::Timestamp>() {
        Ok(ts) => ts,
        Err(_) => s
            .parse::<jiff::civil::DateTime>()
            .ok()?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp(),
    };
    Some(ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

/// A `--since` value: `YYYY-MM-DD` (midnight) or `YYYY-MM-DDTHH:MM:SS`
/// with an optional `Z`, surrounding spaces allowed, always returned as
/// `YYYY-MM-DDTHH:MM:SSZ`. UTC only: a time with an offset would cut at the
/// wrong hour. The result is compared as text with the UTC times of
/// records, so only the form is checked: months 1-12, days 1-31 (whatever
/// the month), hours 0-23, minutes 0-59, seconds 0-60.
pub fn parse_since_utc(s: &str) -> Result<String, TimeError> {
    let t = s.trim();
    let bad = || TimeError::NotADate(s.to_string());
    // ASCII only, so that the byte offsets below are character offsets.
    if !t.is_ascii() {
        return Err(bad());
    }
    let ok_date = |d: &str| {
        d.len() == 10
            && d.as_bytes()[4] == b'-'
            && d.as_bytes()[7] == b'-'
            && [&d[..4], &d[5..7], &d[8..10]]
                .iter()
                .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
            && d[5..7].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
            && d[8..10].parse::<u8>().is_ok_and(|m| (1..=31).contains(&m))
    };
    if ok_date(t) {
        return Ok(format!("{t}T00:00:00Z"));
    }
    if (t.len() == 19 || (t.len() == 20 && t.ends_with('Z')))
        && ok_date(&t[..10])
        && t.as_bytes()[10] == b'T'
    {
        let hms = &t[11..19];
        let parts: Vec<&str> = hms.split(':').collect();
        let in_range = |p: &str, max: u8| {
            p.len() == 2
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u8>().is_ok_and(|n| n <= max)
        };
        if parts.len() == 3
            && in_range(parts[0], 23)
            && in_range(parts[1], 59)
            && in_range(parts[2], 60)
        {
            return Ok(format!("{}T{hms}Z", &t[..10]));
        }
    }
    Err(bad())
}

/// Whole seconds since 1970, truncated toward 1970: a time half a second
/// before it is second 0, as file times have always been printed here.
fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// Seconds since 1970 as UTC year, month, day, hour, minute, second.
fn utc_parts_of_seconds(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let rem = secs.rem_euclid(DAY) as u32;
    let (y, m, d) = civil_from_days(secs.div_euclid(DAY));
    (y, m, d, rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// Days since 1970-01-01 to a proleptic Gregorian date, any number of days.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let (cycles, in_cycle) = (days.div_euclid(CYCLE_DAYS), days.rem_euclid(CYCLE_DAYS));
    let date = EPOCH
        .checked_add(Span::new().days(in_cycle))
        .expect("a day of 1970-2369 is a jiff date");
    (
        i64::from(date.year()) + cycles * CYCLE_YEARS,
        date.month() as u32,
        date.day() as u32,
    )
}

/// Days since 1970-01-01 of year `y`, month `m` (1-12), day `d` (1-31; a
/// day past the month's end counts on into the next month).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let (cycles, year) = (
        (y - 1970).div_euclid(CYCLE_YEARS),
        1970 + (y - 1970).rem_euclid(CYCLE_YEARS),
    );
    let first = Date::new(year as i16, m as i8, 1).expect("month 1-12 of 1970-2369 is a jiff date");
    let days = first.duration_since(EPOCH).as_hours() / 24;
    cycles * CYCLE_DAYS + days + (d - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The hand-written calendar this module replaced (H. Hinnant's
    /// algorithms), kept as the reference the jiff-based one must agree with.
    mod reference {
        pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
            let z = z + 719_468;
            let era = z.div_euclid(146_097);
            let doe = z.rem_euclid(146_097);
            let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
            let y = yoe + era * 400;
            let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
            let mp = (5 * doy + 2) / 153;
            let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
            let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
            (if m <= 2 { y + 1 } else { y }, m, d)
        }

        pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
            let y = if m <= 2 { y - 1 } else { y };
            let era = y.div_euclid(400);
            let yoe = y - era * 400;
            let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
            let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
            era * 146_097 + doe - 719_468
        }
    }

    fn at(secs: i64) -> SystemTime {
        if secs >= 0 {
            UNIX_EPOCH + Duration::from_secs(secs as u64)
        } else {
            UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
        }
    }

    #[test]
    fn iso_times() {
        assert_eq!(system_time_iso(at(1_614_754_182)), "2021-03-03T06:49:42Z");
        assert_eq!(system_time_iso(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(utc_parts(at(1_614_754_182)), (2021, 3, 3, 6, 49, 42));
    }

    #[test]
    fn before_1970_and_leap_days() {
        assert_eq!(system_time_iso(at(-1)), "1969-12-31T23:59:59Z");
        assert_eq!(system_time_iso(at(-86_400)), "1969-12-31T00:00:00Z");
        // Part of a second before 1970 is cut toward 1970, as before.
        assert_eq!(
            system_time_iso(UNIX_EPOCH - Duration::from_millis(500)),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            system_time_iso(UNIX_EPOCH - Duration::from_millis(1500)),
            "1969-12-31T23:59:59Z"
        );
        // 1601-01-01, the FILETIME epoch.
        assert_eq!(seconds_to_iso(-11_644_473_600), "1601-01-01T00:00:00Z");
        assert_eq!(seconds_to_iso(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(seconds_to_iso(-2_203_891_200), "1900-03-01T00:00:00Z");
        assert_eq!(seconds_to_iso(4_107_542_400), "2100-03-01T00:00:00Z");
        assert_eq!(seconds_to_iso(1_709_164_800), "2024-02-29T00:00:00Z");
        assert_eq!(seconds_to_iso(-62_162_121_600), "0000-02-29T00:00:00Z");
        // Outside jiff's years: FILETIME's largest value, and before year 1.
        assert_eq!(seconds_to_iso(910_692_730_085), "30828-09-14T02:48:05Z");
        assert_eq!(seconds_to_iso(-62_167_219_201), "-001-12-31T23:59:59Z");
    }

    #[test]
    fn agrees_with_the_hand_written_calendar() {
        let mut days: Vec<i64> = (-800_000..800_000).step_by(7).collect();
        // Around every leap day and century of 1600-2400.
        for y in 1600..=2400 {
            let d = reference::days_from_civil(y, 3, 1);
            days.extend(d - 3..d + 3);
        }
        days.extend([
            i64::MAX / DAY,
            i64::MIN / DAY,
            i64::MAX / DAY - 1,
            i64::MIN / DAY + 1,
            -719_468,
            -719_469,
            146_097 * 1_000_000,
        ]);
        for z in days {
            let (y, m, d) = civil_from_days(z);
            assert_eq!((y, m, d), reference::civil_from_days(z), "day {z}");
            assert_eq!(days_from_civil(y, m.into(), d.into()), z, "day {z}");
        }
        for y in [
            -10_000, -401, -400, -1, 0, 1, 1900, 1969, 2000, 2370, 30_828,
        ] {
            for m in 1..=12 {
                for d in 1..=31 {
                    assert_eq!(
                        days_from_civil(y, m, d),
                        reference::days_from_civil(y, m, d),
                        "{y}-{m}-{d}"
                    );
                }
            }
        }
        for secs in [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX] {
            let (y, m, d, hh, mm, ss) = utc_parts_of_seconds(secs);
            let (ry, rm, rd) = reference::civil_from_days(secs.div_euclid(DAY));
            assert_eq!((y, m, d), (ry, rm, rd), "{secs}");
            assert_eq!(
                i64::from(hh * 3600 + mm * 60 + ss),
                secs.rem_euclid(DAY),
                "{secs}"
            );
        }
    }

    #[test]
    fn iso_round_trip() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2021-03-03T06:49:42Z",
            "2000-02-29T23:59:59Z",
            "1969-12-31T23:59:59Z",
            "1601-01-01T00:00:00Z",
        ] {
            assert_eq!(seconds_to_iso(iso_to_seconds(s).unwrap()), s);
        }
        assert_eq!(
            iso_to_seconds("2021-03-03T06:49:42.123Z"),
            iso_to_seconds("2021-03-03 06:49:42")
        );
        assert_eq!(iso_to_seconds("2021-03-03T06:49:42Z"), Some(1_614_754_182));
        assert_eq!(iso_to_seconds("2021-13-03T06:49:42Z"), None);
        assert_eq!(iso_to_seconds("2021-03-03T24:00:00Z"), None);
        assert_eq!(iso_to_seconds("2021-03-03"), None);
        assert_eq!(iso_to_seconds("yesterday and today"), None);
        // Loose on purpose (see the doc): these count on.
        assert_eq!(
            iso_to_seconds("2021-02-31T00:00:00Z").map(seconds_to_iso),
            Some("2021-03-03T00:00:00Z".to_string())
        );
        assert_eq!(
            iso_to_seconds("2021-03-03T23:59:60Z").map(seconds_to_iso),
            Some("2021-03-04T00:00:00Z".to_string())
        );
    }

    #[test]
    fn event_times_are_normalised_to_utc_milliseconds() {
        let n = |s: &str| normalize_utc_millis(s);
        assert_eq!(
            n("2019-05-24T01:33:53.1124866Z").as_deref(),
            Some("2019-05-24T01:33:53.112Z")
        );
        assert_eq!(
            n("2021-03-14T02:40:12.9879+01:00").as_deref(),
            Some("2021-03-14T01:40:12.987Z")
        );
        assert_eq!(
            n("2021-03-14 01:40:12").as_deref(),
            Some("2021-03-14T01:40:12.000Z")
        );
        assert_eq!(
            n("1969-12-31T23:59:59.5Z").as_deref(),
            Some("1969-12-31T23:59:59.500Z")
        );
        assert_eq!(n("yesterday"), None);
        assert_eq!(n(""), None);
    }

    #[test]
    fn since_dates() {
        assert_eq!(
            parse_since_utc("2021-03-01").as_deref(),
            Ok("2021-03-01T00:00:00Z")
        );
        assert_eq!(
            parse_since_utc(" 2021-03-01T06:07:08Z ").as_deref(),
            Ok("2021-03-01T06:07:08Z")
        );
        for bad in [
            "",
            "March",
            "2021-13-01",
            "2021-03-32",
            "2021/03/01",
            "2021-03-01T6:07:08",
            "2021-03-01T06:07:08+05:00",
            "2021-03-01T24:00:00Z",
            "2021-03-01T06:60:00Z",
            "+021-03-01",
            "2021-+3-01",
            "2021-03-0é",
            "202é-03-01T00:00:00Z",
        ] {
            assert!(parse_since_utc(bad).is_err(), "{bad:?}");
        }
        // Only the form is checked, as before.
        assert_eq!(
            parse_since_utc("2021-02-31").as_deref(),
            Ok("2021-02-31T00:00:00Z")
        );
        assert_eq!(
            parse_since_utc("2021-03-01T06:07:60").as_deref(),
            Ok("2021-03-01T06:07:60Z")
        );
        assert_eq!(
            parse_since_utc(" 2021/03/01").unwrap_err().to_string(),
            r#"not a date: " 2021/03/01" (use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC)"#
        );
        assert_eq!(
            parse_since_utc("202é-03-01").unwrap_err(),
            TimeError::NotADate("202é-03-01".to_string())
        );
    }
}
