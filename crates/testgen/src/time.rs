//! UTC timestamps as Exchange writes them (`2021-03-03T06:49:42.162Z`),
//! without a date crate: the generators only need civil-date arithmetic.

/// Milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub i64);

const MS_HOUR: i64 = 3_600_000;
const MS_DAY: i64 = 24 * MS_HOUR;

// Howard Hinnant's days_from_civil / civil_from_days.
const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

const fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl Time {
    /// A UTC calendar time.
    pub const fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Time {
        let days = days_from_civil(y as i64, mo as i64, d as i64);
        Time(days * MS_DAY + (h as i64) * MS_HOUR + (mi as i64) * 60_000 + (s as i64) * 1000)
    }

    pub const fn plus_ms(self, ms: i64) -> Time {
        Time(self.0 + ms)
    }

    pub const fn plus_secs(self, s: i64) -> Time {
        Time(self.0 + s * 1000)
    }

    pub const fn plus_hours(self, h: i64) -> Time {
        Time(self.0 + h * MS_HOUR)
    }

    pub const fn plus_days(self, d: i64) -> Time {
        Time(self.0 + d * MS_DAY)
    }

    /// The start of the hour this time falls in.
    pub const fn hour_start(self) -> Time {
        Time(self.0.div_euclid(MS_HOUR) * MS_HOUR)
    }

    /// The start of the day this time falls in.
    pub const fn day_start(self) -> Time {
        Time(self.0.div_euclid(MS_DAY) * MS_DAY)
    }

    /// (year, month, day, hour, minute, second, millisecond).
    pub const fn parts(self) -> (i64, u32, u32, u32, u32, u32, u32) {
        let days = self.0.div_euclid(MS_DAY);
        let ms = self.0.rem_euclid(MS_DAY);
        let (y, m, d) = civil_from_days(days);
        (
            y,
            m,
            d,
            (ms / MS_HOUR) as u32,
            ((ms / 60_000) % 60) as u32,
            ((ms / 1000) % 60) as u32,
            (ms % 1000) as u32,
        )
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS.mmmZ`. Digits are written by hand: this
    /// runs several times per generated row in the benchmark writer.
    pub fn push_iso(self, out: &mut String) {
        let (y, mo, d, h, mi, s, ms) = self.parts();
        let mut b = *b"0000-00-00T00:00:00.000Z";
        let y = y.clamp(0, 9999) as u32;
        put(&mut b[0..4], y);
        put(&mut b[5..7], mo);
        put(&mut b[8..10], d);
        put(&mut b[11..13], h);
        put(&mut b[14..16], mi);
        put(&mut b[17..19], s);
        put(&mut b[20..23], ms);
        // All bytes are ASCII digits or separators.
        out.push_str(std::str::from_utf8(&b).unwrap_or_default());
    }

    pub fn iso(self) -> String {
        let mut s = String::with_capacity(24);
        self.push_iso(&mut s);
        s
    }

    /// `YYYYMMDDHH`, as in `HttpProxy_2021030306-1.LOG`.
    pub fn hour_stamp(self) -> String {
        let (y, mo, d, h, ..) = self.parts();
        format!("{y:04}{mo:02}{d:02}{h:02}")
    }

    /// `YYYYMMDD`, as in `OABGenerator20210303-1.LOG`.
    pub fn day_stamp(self) -> String {
        let (y, mo, d, ..) = self.parts();
        format!("{y:04}{mo:02}{d:02}")
    }

    /// Seconds since the Unix epoch (for file times and minidump headers).
    pub const fn unix_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }
}

fn put(dst: &mut [u8], mut v: u32) {
    for b in dst.iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_format() {
        let t = Time::utc(2021, 3, 3, 6, 49, 42).plus_ms(162);
        assert_eq!(t.iso(), "2021-03-03T06:49:42.162Z");
        assert_eq!(t.hour_stamp(), "2021030306");
        assert_eq!(t.day_stamp(), "20210303");
        assert_eq!(t.hour_start().iso(), "2021-03-03T06:00:00.000Z");
        assert_eq!(Time::utc(1970, 1, 1, 0, 0, 0).0, 0);
        assert_eq!(Time::utc(2021, 3, 3, 0, 0, 0).unix_secs(), 1_614_729_600);
        // Leap year and month ends.
        assert_eq!(
            Time::utc(2020, 2, 28, 23, 0, 0).plus_hours(1).iso(),
            "2020-02-29T00:00:00.000Z"
        );
        assert_eq!(
            Time::utc(2020, 12, 31, 23, 59, 59).plus_secs(1).iso(),
            "2021-01-01T00:00:00.000Z"
        );
    }
}
