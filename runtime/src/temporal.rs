//! FHIR date, dateTime, instant and time: kept as their lexical form, so the
//! precision written (`2024`, `2024-05`, `2024-05-01T10:00:00+02:00`) is the
//! precision read back.

use std::fmt;
use std::str::FromStr;

/// How much of a date or dateTime is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Precision {
    Year,
    Month,
    Day,
    /// Down to the second (or a fraction of it), with a time zone.
    Time,
}

macro_rules! temporal {
    ($(#[$doc:meta])* $name:ident, $check:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// The value as written.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, String> {
                $check(text)
                    .map(|_| Self(text.to_owned()))
                    .ok_or_else(|| format!(concat!("`{}` is not a valid FHIR ", $what), text))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

temporal!(
    /// A FHIR `date`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    Date, check_date, "date"
);
temporal!(
    /// A FHIR `dateTime`: a date of any precision, or a full date with a time
    /// to the second and a time zone.
    DateTime, check_date_time, "dateTime"
);
temporal!(
    /// A FHIR `instant`: a date and time to the second (or finer), with a time zone.
    Instant, check_instant, "instant"
);
temporal!(
    /// A FHIR `time`: `hh:mm:ss` with an optional fraction, no zone.
    Time, check_time, "time"
);

impl Date {
    pub fn precision(&self) -> Precision {
        check_date(&self.0).unwrap_or(Precision::Year)
    }
}

impl DateTime {
    pub fn precision(&self) -> Precision {
        check_date_time(&self.0).unwrap_or(Precision::Year)
    }
}

fn digits(text: &[u8], at: usize, count: usize) -> Option<u32> {
    let part = text.get(at..at + count)?;
    part.iter().try_fold(0u32, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY`, `YYYY-MM`, `YYYY-MM-DD`: the precision, or `None`.
fn check_date(text: &str) -> Option<Precision> {
    let b = text.as_bytes();
    let year = digits(b, 0, 4).filter(|&y| y > 0)?;
    match b.len() {
        4 => Some(Precision::Year),
        7 => {
            (b[4] == b'-').then_some(())?;
            digits(b, 5, 2).filter(|m| (1..=12).contains(m))?;
            Some(Precision::Month)
        }
        10 => {
            (b[4] == b'-' && b[7] == b'-').then_some(())?;
            let month = digits(b, 5, 2).filter(|m| (1..=12).contains(m))?;
            digits(b, 8, 2).filter(|&d| d >= 1 && d <= days_in_month(year, month))?;
            Some(Precision::Day)
        }
        _ => None,
    }
}

/// `hh:mm:ss` with an optional `.fraction`; returns where it ends.
fn check_clock(b: &[u8]) -> Option<usize> {
    digits(b, 0, 2).filter(|&h| h < 24)?;
    (b.get(2) == Some(&b':')).then_some(())?;
    digits(b, 3, 2).filter(|&m| m < 60)?;
    (b.get(5) == Some(&b':')).then_some(())?;
    digits(b, 6, 2).filter(|&s| s <= 60)?;
    let mut end = 8;
    if b.get(8) == Some(&b'.') {
        end = 9;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        (end > 9).then_some(())?;
    }
    Some(end)
}

/// `Z` or `+hh:mm` / `-hh:mm`, and nothing after.
fn check_zone(b: &[u8]) -> Option<()> {
    match b {
        [b'Z'] => Some(()),
        [b'+' | b'-', rest @ ..] if rest.len() == 5 => {
            let hours = digits(rest, 0, 2)?;
            (rest[2] == b':').then_some(())?;
            let minutes = digits(rest, 3, 2).filter(|&m| m < 60)?;
            (hours < 14 || (hours == 14 && minutes == 0)).then_some(())
        }
        _ => None,
    }
}

fn check_date_time(text: &str) -> Option<Precision> {
    match text.split_once('T') {
        None => check_date(text),
        Some((date, time)) => {
            (check_date(date)? == Precision::Day).then_some(())?;
            let b = time.as_bytes();
            let end = check_clock(b)?;
            check_zone(&b[end..])?;
            Some(Precision::Time)
        }
    }
}

fn check_instant(text: &str) -> Option<Precision> {
    text.contains('T').then(|| check_date_time(text))?
}

fn check_time(text: &str) -> Option<Precision> {
    (check_clock(text.as_bytes())? == text.len()).then_some(Precision::Time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_keep_their_precision() {
        for (text, precision) in [
            ("2024", Precision::Year),
            ("2024-05", Precision::Month),
            ("2024-02-29", Precision::Day),
        ] {
            let date: Date = text.parse().unwrap();
            assert_eq!((date.as_str(), date.precision()), (text, precision));
        }
        for bad in [
            "0000",
            "2024-13",
            "2023-02-29",
            "2024-5",
            "24",
            "2024-05-01T10:00:00Z",
        ] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
    }

    #[test]
    fn date_times_need_a_zone_with_a_time() {
        for good in [
            "2024",
            "2024-05-01",
            "2024-05-01T10:00:00+02:00",
            "2015-02-07T13:28:17.239Z",
            "2024-05-01T23:59:60-14:00",
        ] {
            assert!(good.parse::<DateTime>().is_ok(), "{good}");
        }
        for bad in [
            "2024-05-01T10:00:00",
            "2024-05-01T10:00Z",
            "2024-05T10:00:00Z",
            "2024-05-01T10:00:00+15:00",
            "2024-05-01T24:00:00Z",
        ] {
            assert!(bad.parse::<DateTime>().is_err(), "{bad}");
        }
    }

    #[test]
    fn instants_and_times() {
        assert!("2024-05-01T10:00:00.5Z".parse::<Instant>().is_ok());
        assert!("2024-05-01".parse::<Instant>().is_err());
        assert!("2024-05-01T10:00Z".parse::<Instant>().is_err());
        assert!("10:00:00".parse::<Time>().is_ok());
        assert!("10:00:00.123".parse::<Time>().is_ok());
        assert!("10:00".parse::<Time>().is_err());
        assert!("10:00:00Z".parse::<Time>().is_err());
    }
}
