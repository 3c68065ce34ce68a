//! FHIRPath's partial dates, date-times and times: each keeps the precision
//! it was written with, comparisons that reach a component one side lacks
//! are unknown (empty), and calendar arithmetic clamps to the month's end.

use std::cmp::Ordering;
use std::fmt;

/// How far a date, date-time or time is written. Seconds and milliseconds
/// count as one precision when compared (FHIRPath 2.0, §5.2.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precision {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Millisecond,
}

/// A date or date-time (`@2015`, `@2015-02-04T14:34:28.123+10:00`); a
/// time of day uses the same fields with `year` unused (see [`Time`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DateTime {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub millisecond: u16,
    pub precision: Precision,
    /// Offset from UTC in minutes, when written.
    pub offset: Option<i16>,
}

/// A time of day (`@T14:34`), without a date or an offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Time {
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub millisecond: u16,
    pub precision: Precision,
}

fn digits(s: &str, n: usize) -> Option<(u32, &str)> {
    if s.len() < n || !s.as_bytes()[..n].iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some((s[..n].parse().ok()?, &s[n..]))
}

/// Parses `hh[:mm[:ss[.fff]]]` (the time part of a literal).
fn parse_clock(s: &str) -> Option<(u8, u8, u8, u16, Precision, &str)> {
    let (hour, mut rest) = digits(s, 2)?;
    let (mut minute, mut second, mut millis, mut precision) = (0, 0, 0, Precision::Hour);
    if let Some(r) = rest.strip_prefix(':') {
        let (m, r) = digits(r, 2)?;
        minute = m;
        precision = Precision::Minute;
        rest = r;
        if let Some(r) = rest.strip_prefix(':') {
            let (sec, r) = digits(r, 2)?;
            second = sec;
            precision = Precision::Second;
            rest = r;
            if let Some(r) = rest.strip_prefix('.') {
                let n = r.bytes().take_while(u8::is_ascii_digit).count();
                if n == 0 {
                    return None;
                }
                // Digits beyond milliseconds are dropped (FHIR instants may have them).
                let mut value = 0u32;
                for (i, b) in r[..n].bytes().enumerate().take(3) {
                    value += u32::from(b - b'0') * [100, 10, 1][i];
                }
                millis = value;
                precision = Precision::Millisecond;
                rest = &r[n..];
            }
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some((
        hour as u8,
        minute as u8,
        second as u8,
        millis as u16,
        precision,
        rest,
    ))
}

fn parse_offset(s: &str) -> Option<(Option<i16>, &str)> {
    if let Some(rest) = s.strip_prefix('Z') {
        return Some((Some(0), rest));
    }
    let sign = match s.as_bytes().first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Some((None, s)),
    };
    let (h, r) = digits(&s[1..], 2)?;
    let r = r.strip_prefix(':')?;
    let (m, r) = digits(r, 2)?;
    if h > 14 || m > 59 {
        return None;
    }
    Some((Some(sign * (h * 60 + m) as i16), r))
}

pub(crate) fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

impl DateTime {
    /// Parses a date (`2015-02-04`) or a date-time
    /// (`2015-02-04T14:34:28.123+10:00`, `2015T`); `None` if malformed. The
    /// second value says whether a `T` was written (a date-time).
    pub fn parse(text: &str) -> Option<(DateTime, bool)> {
        let (year, mut rest) = digits(text, 4)?;
        let mut value = DateTime {
            year: year as i32,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            millisecond: 0,
            precision: Precision::Year,
            offset: None,
        };
        if let Some(r) = rest.strip_prefix('-') {
            let (month, r) = digits(r, 2)?;
            if !(1..=12).contains(&month) {
                return None;
            }
            value.month = month as u8;
            value.precision = Precision::Month;
            rest = r;
            if let Some(r) = rest.strip_prefix('-') {
                let (day, r) = digits(r, 2)?;
                if day == 0 || day > u32::from(days_in_month(value.year, value.month)) {
                    return None;
                }
                value.day = day as u8;
                value.precision = Precision::Day;
                rest = r;
            }
        }
        let Some(r) = rest.strip_prefix('T') else {
            return rest.is_empty().then_some((value, false));
        };
        if r.is_empty() {
            return Some((value, true));
        }
        if value.precision != Precision::Day {
            return None;
        }
        let (hour, minute, second, millisecond, precision, r) = parse_clock(r)?;
        let (offset, r) = parse_offset(r)?;
        if !r.is_empty() {
            return None;
        }
        value.hour = hour;
        value.minute = minute;
        value.second = second;
        value.millisecond = millisecond;
        value.precision = precision;
        value.offset = offset;
        Some((value, true))
    }

    /// The same instant in UTC, when an offset is known and the precision
    /// reaches the hour.
    fn normalized(&self) -> DateTime {
        match self.offset {
            Some(offset) if offset != 0 && self.precision >= Precision::Hour => {
                let minutes = days_from_civil(self.year, self.month, self.day) * 1440
                    + i64::from(self.hour) * 60
                    + i64::from(self.minute)
                    - i64::from(offset);
                let (year, month, day) = civil_from_days(minutes.div_euclid(1440));
                let in_day = minutes.rem_euclid(1440);
                DateTime {
                    year,
                    month,
                    day,
                    hour: (in_day / 60) as u8,
                    minute: (in_day % 60) as u8,
                    offset: Some(0),
                    ..*self
                }
            }
            _ => *self,
        }
    }

    fn components(&self) -> [i64; 6] {
        [
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
            i64::from(self.hour),
            i64::from(self.minute),
            i64::from(self.second) * 1000 + i64::from(self.millisecond),
        ]
    }

    /// FHIRPath's comparison: `None` when the values agree as far as the
    /// less precise goes but their precisions differ (unknown).
    pub fn compare(&self, other: &DateTime) -> Option<Ordering> {
        let timed = self.precision >= Precision::Hour && other.precision >= Precision::Hour;
        if timed && self.offset.is_some() != other.offset.is_some() {
            // One in a known zone, one in none: the order is unknown.
            return None;
        }
        let (a, b) = if self.offset.is_some() && other.offset.is_some() {
            (self.normalized(), other.normalized())
        } else {
            (*self, *other)
        };
        compare_components(
            &a.components(),
            rank(a.precision),
            &b.components(),
            rank(b.precision),
        )
    }

    /// Adds `amount` of a calendar unit, clamping the day to the month's
    /// last (`2020-01-31 + 1 month` is `2020-02-29`).
    pub fn add(&self, amount: i64, unit: Precision) -> Option<DateTime> {
        let mut v = *self;
        match unit {
            Precision::Year => {
                v.year = i32::try_from(i64::from(v.year).checked_add(amount)?).ok()?
            }
            Precision::Month => {
                let months =
                    (i64::from(v.year) * 12 + i64::from(v.month) - 1).checked_add(amount)?;
                v.year = i32::try_from(months.div_euclid(12)).ok()?;
                v.month = (months.rem_euclid(12) + 1) as u8;
            }
            _ => {
                let millis = match unit {
                    Precision::Day => amount.checked_mul(86_400_000)?,
                    Precision::Hour => amount.checked_mul(3_600_000)?,
                    Precision::Minute => amount.checked_mul(60_000)?,
                    Precision::Second => amount.checked_mul(1000)?,
                    _ => amount,
                };
                let total = days_from_civil(v.year, v.month, v.day)
                    .checked_mul(86_400_000)?
                    .checked_add(
                        i64::from(v.hour) * 3_600_000
                            + i64::from(v.minute) * 60_000
                            + i64::from(v.second) * 1000
                            + i64::from(v.millisecond),
                    )?
                    .checked_add(millis)?;
                let (year, month, day) = civil_from_days(total.div_euclid(86_400_000));
                let in_day = total.rem_euclid(86_400_000);
                v.year = year;
                v.month = month;
                v.day = day;
                v.hour = (in_day / 3_600_000) as u8;
                v.minute = (in_day / 60_000 % 60) as u8;
                v.second = (in_day / 1000 % 60) as u8;
                v.millisecond = (in_day % 1000) as u16;
            }
        }
        if !(1..=9999).contains(&v.year) {
            return None;
        }
        v.day = v.day.min(days_in_month(v.year, v.month));
        Some(v)
    }

    /// The instants this value stands for, in milliseconds since
    /// 1970-01-01T00:00:00Z: the first, and the first after it (`2020-03`
    /// is all of March). A value without an offset is taken as UTC.
    pub fn instant_range(&self) -> (i64, i64) {
        let start = self.normalized();
        let millis = |v: &DateTime| {
            days_from_civil(v.year, v.month, v.day) * 86_400_000
                + i64::from(v.hour) * 3_600_000
                + i64::from(v.minute) * 60_000
                + i64::from(v.second) * 1000
                + i64::from(v.millisecond)
        };
        let first = millis(&start);
        let next = match self.precision {
            Precision::Year => days_from_civil(start.year + 1, 1, 1) * 86_400_000,
            Precision::Month => {
                let (year, month) = if start.month == 12 {
                    (start.year + 1, 1)
                } else {
                    (start.year, start.month + 1)
                };
                days_from_civil(year, month, 1) * 86_400_000
            }
            Precision::Day => first + 86_400_000,
            Precision::Hour => first + 3_600_000,
            Precision::Minute => first + 60_000,
            Precision::Second => first + 1000,
            Precision::Millisecond => first + 1,
        };
        (first, next)
    }

    /// The number of digits FHIRPath's `precision()` gives (4 for a year,
    /// 17 for milliseconds).
    pub fn digits(&self) -> i64 {
        match self.precision {
            Precision::Year => 4,
            Precision::Month => 6,
            Precision::Day => 8,
            Precision::Hour => 10,
            Precision::Minute => 12,
            Precision::Second => 14,
            Precision::Millisecond => 17,
        }
    }

    /// The earliest (`high` false) or latest value this one may stand for,
    /// written to `precision` digits (4, 6, 8, 10, 12, 14 or 17).
    pub fn boundary(&self, digits: i64, high: bool, date_only: bool) -> Option<DateTime> {
        let precision = match digits {
            4 => Precision::Year,
            6 => Precision::Month,
            8 => Precision::Day,
            10 if !date_only => Precision::Hour,
            12 if !date_only => Precision::Minute,
            14 if !date_only => Precision::Second,
            17 if !date_only => Precision::Millisecond,
            _ => return None,
        };
        let mut v = *self;
        if self.precision < Precision::Month {
            v.month = if high { 12 } else { 1 };
        }
        if self.precision < Precision::Day {
            v.day = if high {
                days_in_month(v.year, v.month)
            } else {
                1
            };
        }
        fill_clock(
            self.precision,
            high,
            (
                &mut v.hour,
                &mut v.minute,
                &mut v.second,
                &mut v.millisecond,
            ),
        );
        if precision >= Precision::Hour && v.offset.is_none() {
            // The widest range: the earliest instant is at +14:00, the latest at -12:00.
            v.offset = Some(if high { -12 * 60 } else { 14 * 60 });
        }
        if precision < Precision::Hour {
            v.offset = None;
        }
        v.precision = precision;
        Some(v)
    }
}

/// Sets the clock fields finer than `precision` to their least (`high`
/// false) or greatest value: what a boundary fills in.
fn fill_clock(
    precision: Precision,
    high: bool,
    (hour, minute, second, millisecond): (&mut u8, &mut u8, &mut u8, &mut u16),
) {
    if precision < Precision::Hour {
        *hour = if high { 23 } else { 0 };
    }
    if precision < Precision::Minute {
        *minute = if high { 59 } else { 0 };
    }
    if precision < Precision::Second {
        *second = if high { 59 } else { 0 };
    }
    if precision < Precision::Millisecond {
        *millisecond = if high { 999 } else { 0 };
    }
}

fn rank(p: Precision) -> usize {
    match p {
        Precision::Year => 0,
        Precision::Month => 1,
        Precision::Day => 2,
        Precision::Hour => 3,
        Precision::Minute => 4,
        Precision::Second | Precision::Millisecond => 5,
    }
}

fn compare_components(a: &[i64], a_rank: usize, b: &[i64], b_rank: usize) -> Option<Ordering> {
    let common = a_rank.min(b_rank);
    for i in 0..=common {
        match a[i].cmp(&b[i]) {
            Ordering::Equal => {}
            other => return Some(other),
        }
    }
    (a_rank == b_rank).then_some(Ordering::Equal)
}

impl Time {
    /// Parses `hh[:mm[:ss[.fff]]]`.
    pub fn parse(text: &str) -> Option<Time> {
        let (hour, minute, second, millisecond, precision, rest) = parse_clock(text)?;
        rest.is_empty().then_some(Time {
            hour,
            minute,
            second,
            millisecond,
            precision,
        })
    }

    fn components(&self) -> [i64; 3] {
        [
            i64::from(self.hour),
            i64::from(self.minute),
            i64::from(self.second) * 1000 + i64::from(self.millisecond),
        ]
    }

    /// As [`DateTime::compare`].
    pub fn compare(&self, other: &Time) -> Option<Ordering> {
        compare_components(
            &self.components(),
            rank(self.precision) - 3,
            &other.components(),
            rank(other.precision) - 3,
        )
    }

    /// Adds hours, minutes, seconds or milliseconds, wrapping at midnight.
    pub fn add(&self, amount: i64, unit: Precision) -> Option<Time> {
        let millis = match unit {
            Precision::Hour => amount.checked_mul(3_600_000)?,
            Precision::Minute => amount.checked_mul(60_000)?,
            Precision::Second => amount.checked_mul(1000)?,
            Precision::Millisecond => amount,
            _ => return None,
        };
        let total = (i64::from(self.hour) * 3_600_000
            + i64::from(self.minute) * 60_000
            + i64::from(self.second) * 1000
            + i64::from(self.millisecond))
        .checked_add(millis)?
        .rem_euclid(86_400_000);
        Some(Time {
            hour: (total / 3_600_000) as u8,
            minute: (total / 60_000 % 60) as u8,
            second: (total / 1000 % 60) as u8,
            millisecond: (total % 1000) as u16,
            precision: self.precision,
        })
    }

    pub fn digits(&self) -> i64 {
        match self.precision {
            Precision::Hour => 2,
            Precision::Minute => 4,
            Precision::Second => 6,
            _ => 9,
        }
    }

    pub fn boundary(&self, digits: i64, high: bool) -> Option<Time> {
        let precision = match digits {
            2 => Precision::Hour,
            4 => Precision::Minute,
            6 => Precision::Second,
            9 => Precision::Millisecond,
            _ => return None,
        };
        let mut v = *self;
        fill_clock(
            self.precision,
            high,
            (
                &mut v.hour,
                &mut v.minute,
                &mut v.second,
                &mut v.millisecond,
            ),
        );
        v.precision = precision;
        Some(v)
    }
}

fn write_clock(
    f: &mut fmt::Formatter<'_>,
    (hour, minute, second, millisecond): (u8, u8, u8, u16),
    precision: Precision,
) -> fmt::Result {
    write!(f, "{hour:02}")?;
    if precision >= Precision::Minute {
        write!(f, ":{minute:02}")?;
    }
    if precision >= Precision::Second {
        write!(f, ":{second:02}")?;
    }
    if precision >= Precision::Millisecond {
        write!(f, ".{millisecond:03}")?;
    }
    Ok(())
}

impl fmt::Display for DateTime {
    /// FHIR's form, without the `@` of a literal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if self.precision >= Precision::Month {
            write!(f, "-{:02}", self.month)?;
        }
        if self.precision >= Precision::Day {
            write!(f, "-{:02}", self.day)?;
        }
        if self.precision >= Precision::Hour {
            f.write_str("T")?;
            write_clock(
                f,
                (self.hour, self.minute, self.second, self.millisecond),
                self.precision,
            )?;
            match self.offset {
                Some(0) => f.write_str("Z")?,
                Some(o) => {
                    let sign = if o < 0 { '-' } else { '+' };
                    write!(f, "{sign}{:02}:{:02}", o.abs() / 60, o.abs() % 60)?;
                }
                None => {}
            }
        }
        Ok(())
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_clock(
            f,
            (self.hour, self.minute, self.second, self.millisecond),
            self.precision,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_normalised_before_comparing() {
        let a = DateTime::parse("2017-11-05T01:30:00.0-04:00").unwrap().0;
        let b = DateTime::parse("2017-11-05T01:15:00.0-05:00").unwrap().0;
        assert_eq!(a.compare(&b), Some(Ordering::Less));
        let c = DateTime::parse("2017-11-05T00:30:00.0-05:00").unwrap().0;
        assert_eq!(a.compare(&c), Some(Ordering::Equal));
    }

    #[test]
    fn different_precisions_compare_as_unknown_when_equal_so_far() {
        let year = DateTime::parse("2012").unwrap().0;
        let day = DateTime::parse("2012-04-15").unwrap().0;
        assert_eq!(year.compare(&day), None);
        let other = DateTime::parse("2013-01-01").unwrap().0;
        assert_eq!(year.compare(&other), Some(Ordering::Less));
    }

    #[test]
    fn huge_amounts_are_no_date_not_a_panic() {
        let d = DateTime::parse("2020-01-31").unwrap().0;
        for unit in [
            Precision::Year,
            Precision::Month,
            Precision::Day,
            Precision::Millisecond,
        ] {
            assert_eq!(d.add(i64::MAX, unit), None);
            assert_eq!(d.add(i64::MIN, unit), None);
        }
    }

    #[test]
    fn month_arithmetic_clamps_the_day() {
        let d = DateTime::parse("2020-01-31").unwrap().0;
        assert_eq!(
            d.add(1, Precision::Month).unwrap().to_string(),
            "2020-02-29"
        );
        assert_eq!(d.add(-1, Precision::Day).unwrap().to_string(), "2020-01-30");
    }
}
