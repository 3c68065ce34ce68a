//! FHIRPath's System values and how they compare.

use std::cmp::Ordering;
use std::fmt;

use rust_decimal::Decimal;

use crate::temporal::{DateTime, Time};
use crate::ucum;

/// A value of one of FHIRPath's System types.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Boolean(bool),
    Integer(i64),
    Decimal(Decimal),
    String(String),
    Date(DateTime),
    DateTime(DateTime),
    Time(Time),
    Quantity(Quantity),
}

/// A System.Quantity: a decimal and a UCUM unit, or a calendar duration
/// keyword (`year`, `day`...).
#[derive(Clone, Debug, PartialEq)]
pub struct Quantity {
    pub value: Decimal,
    pub unit: String,
}

impl Value {
    /// The System type's name (`Integer`, `DateTime`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Boolean(_) => "Boolean",
            Value::Integer(_) => "Integer",
            Value::Decimal(_) => "Decimal",
            Value::String(_) => "String",
            Value::Date(_) => "Date",
            Value::DateTime(_) => "DateTime",
            Value::Time(_) => "Time",
            Value::Quantity(_) => "Quantity",
        }
    }

    /// FHIRPath's `=` on two values: `None` when unknown (dates of
    /// different precisions that agree as far as both go).
    pub fn equals(&self, other: &Value) -> Option<bool> {
        use Value::*;
        match (self, other) {
            (Boolean(a), Boolean(b)) => Some(a == b),
            (String(a), String(b)) => Some(a == b),
            (Integer(a), Integer(b)) => Some(a == b),
            (Integer(_) | Decimal(_), Integer(_) | Decimal(_)) => {
                Some(self.decimal()? == other.decimal()?)
            }
            (Date(a) | DateTime(a), Date(b) | DateTime(b)) => {
                a.compare(b).map(|o| o == Ordering::Equal)
            }
            (Time(a), Time(b)) => a.compare(b).map(|o| o == Ordering::Equal),
            (Quantity(a), Quantity(b)) => a.equals(b),
            _ => Some(false),
        }
    }

    /// FHIRPath's `~`: strings ignore case and collapse white space,
    /// decimals compare at the lesser precision, dates of different
    /// precisions are not equivalent.
    pub fn equivalent(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (String(a), String(b)) => normalize(a) == normalize(b),
            (Integer(_) | Decimal(_), Integer(_) | Decimal(_)) => {
                match (self.decimal(), other.decimal()) {
                    (Some(a), Some(b)) => decimals_equivalent(a, b),
                    _ => false,
                }
            }
            (Quantity(a), Quantity(b)) => a.equivalent(b),
            _ => self.equals(other).unwrap_or(false),
        }
    }

    /// FHIRPath's ordering, `Err` when the two cannot be compared (a
    /// string and a number), `Ok(None)` when unknown.
    pub fn compare(&self, other: &Value) -> Result<Option<Ordering>, String> {
        use Value::*;
        Ok(match (self, other) {
            (Integer(a), Integer(b)) => Some(a.cmp(b)),
            (Integer(_) | Decimal(_), Integer(_) | Decimal(_)) => {
                self.decimal().zip(other.decimal()).map(|(a, b)| a.cmp(&b))
            }
            (String(a), String(b)) => Some(a.cmp(b)),
            (Date(a) | DateTime(a), Date(b) | DateTime(b)) => a.compare(b),
            (Time(a), Time(b)) => a.compare(b),
            (Quantity(a), Quantity(b)) => a.compare(b),
            _ => {
                return Err(format!(
                    "cannot compare {} with {}",
                    self.type_name(),
                    other.type_name()
                ));
            }
        })
    }

    /// An Integer or Decimal as a decimal.
    pub fn decimal(&self) -> Option<Decimal> {
        match self {
            Value::Integer(i) => Some(Decimal::from(*i)),
            Value::Decimal(d) => Some(*d),
            _ => None,
        }
    }
}

fn normalize(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn decimals_equivalent(a: Decimal, b: Decimal) -> bool {
    let scale = a.scale().min(b.scale());
    a.round_dp(scale) == b.round_dp(scale)
}

impl Quantity {
    /// The two quantities in one unit, when their units convert.
    fn common(&self, other: &Quantity) -> Option<(Decimal, Decimal)> {
        if self.unit == other.unit {
            return Some((self.value, other.value));
        }
        let a = ucum::Unit::parse(ucum::calendar_to_ucum(&self.unit)?)?;
        let b = ucum::Unit::parse(ucum::calendar_to_ucum(&other.unit)?)?;
        if a.dimensions != b.dimensions {
            return None;
        }
        Some((
            self.value.checked_mul(a.factor)?,
            other.value.checked_mul(b.factor)?,
        ))
    }

    pub fn equals(&self, other: &Quantity) -> Option<bool> {
        match self.common(other) {
            Some((a, b)) => Some(a == b),
            // Units that do not convert: not equal when both are UCUM and of
            // different dimensions, unknown for year/month against 'a'/'mo'.
            None if ucum::is_calendar_year_or_month(&self.unit)
                || ucum::is_calendar_year_or_month(&other.unit) =>
            {
                None
            }
            None => Some(false),
        }
    }

    pub fn equivalent(&self, other: &Quantity) -> bool {
        match self.common(other) {
            Some((a, b)) => {
                let scale = self.value.scale().min(other.value.scale());
                a.round_dp(scale) == b.round_dp(scale)
            }
            None => false,
        }
    }

    pub fn compare(&self, other: &Quantity) -> Option<Ordering> {
        self.common(other).map(|(a, b)| a.cmp(&b))
    }

    /// Whether the two units convert to each other.
    pub fn comparable(&self, other: &Quantity) -> bool {
        self.common(other).is_some()
    }
}

/// Writes a decimal as FHIRPath does: its digits as they are.
pub fn write_decimal(d: &Decimal) -> String {
    d.to_string()
}

impl fmt::Display for Value {
    /// The form `toString()` gives.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Boolean(b) => write!(f, "{b}"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Decimal(d) => f.write_str(&write_decimal(d)),
            Value::String(s) => f.write_str(s),
            Value::Date(d) | Value::DateTime(d) => write!(f, "{d}"),
            Value::Time(t) => write!(f, "{t}"),
            Value::Quantity(q) if crate::parser::CALENDAR_UNITS.contains(&q.unit.as_str()) => {
                write!(f, "{} {}", write_decimal(&q.value), q.unit)
            }
            Value::Quantity(q) => write!(f, "{} '{}'", write_decimal(&q.value), q.unit),
        }
    }
}

/// Writes `text` as a JSON string (quoted; `"`, `\` and control
/// characters escaped): how results and messages built on this crate
/// (FHIRPath results, FHIR JSON, an OperationOutcome's diagnostics) write
/// a string; the one implementation they share.
pub fn write_json_string(text: &str, out: &mut String) {
    use std::fmt::Write as _;
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    /// What JSON requires escaped is, and nothing else (`é`, `/` stay as
    /// they are).
    #[test]
    fn json_strings_escape_quotes_backslashes_and_controls() {
        let mut out = String::new();
        super::write_json_string("a\"b\\c\nd\re\tf\u{1}g é/", &mut out);
        assert_eq!(out, r#""a\"b\\c\nd\re\tf\u0001g é/""#);
    }
}
