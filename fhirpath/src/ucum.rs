//! Just enough UCUM to compare and multiply quantities: the base units,
//! the metric prefixes, the common customary and time units, and unit
//! terms made of them with `.`, `/` and exponents (`mg/dL`, `m2`, `s-1`).
//! A unit outside this table does not convert (comparisons are unknown),
//! which is never a wrong answer.

use rust_decimal::Decimal;

/// Length, mass, time, amount, temperature, current, luminous intensity.
pub type Dimensions = [i8; 7];

/// A unit as a factor of base units.
#[derive(Clone, Debug, PartialEq)]
pub struct Unit {
    pub factor: Decimal,
    pub dimensions: Dimensions,
}

const L: Dimensions = [1, 0, 0, 0, 0, 0, 0];
const M: Dimensions = [0, 1, 0, 0, 0, 0, 0];
const T: Dimensions = [0, 0, 1, 0, 0, 0, 0];
const N: Dimensions = [0, 0, 0, 1, 0, 0, 0];
const K: Dimensions = [0, 0, 0, 0, 1, 0, 0];
const A: Dimensions = [0, 0, 0, 0, 0, 1, 0];
const CD: Dimensions = [0, 0, 0, 0, 0, 0, 1];
const ONE: Dimensions = [0; 7];
const VOLUME: Dimensions = [3, 0, 0, 0, 0, 0, 0];
const PRESSURE: Dimensions = [-1, 1, -2, 0, 0, 0, 0];

/// Atoms that take metric prefixes, and those that do not.
const ATOMS: &[(&str, &str, Dimensions, bool)] = &[
    ("m", "1", L, true),
    ("g", "1", M, true),
    ("s", "1", T, true),
    ("mol", "1", N, true),
    ("K", "1", K, true),
    ("A", "1", A, true),
    ("cd", "1", CD, true),
    ("L", "0.001", VOLUME, true),
    ("l", "0.001", VOLUME, true),
    ("min", "60", T, false),
    ("h", "3600", T, false),
    ("d", "86400", T, false),
    ("wk", "604800", T, false),
    ("mo", "2629800", T, false),
    ("a", "31557600", T, false),
    ("[in_i]", "0.0254", L, false),
    ("[ft_i]", "0.3048", L, false),
    ("[mi_i]", "1609.344", L, false),
    ("[lb_av]", "453.59237", M, false),
    ("[oz_av]", "28.349523125", M, false),
    ("mm[Hg]", "133322.387415", PRESSURE, false),
    ("%", "0.01", ONE, false),
    ("1", "1", ONE, false),
];

const PREFIXES: &[(&str, &str)] = &[
    ("da", "10"),
    ("k", "1000"),
    ("h", "100"),
    ("d", "0.1"),
    ("c", "0.01"),
    ("m", "0.001"),
    ("u", "0.000001"),
    ("n", "0.000000001"),
    ("p", "0.000000000001"),
];

fn decimal(text: &str) -> Decimal {
    text.parse().unwrap_or(Decimal::ONE)
}

fn atom(symbol: &str) -> Option<Unit> {
    if let Some(&(_, factor, dimensions, _)) = ATOMS.iter().find(|a| a.0 == symbol) {
        return Some(Unit {
            factor: decimal(factor),
            dimensions,
        });
    }
    for (prefix, scale) in PREFIXES {
        if let Some(rest) = symbol.strip_prefix(prefix)
            && let Some(&(_, factor, dimensions, true)) = ATOMS.iter().find(|a| a.0 == rest)
        {
            return Some(Unit {
                factor: decimal(factor).checked_mul(decimal(scale))?,
                dimensions,
            });
        }
    }
    None
}

/// One component: an atom with an optional exponent (`m2`, `s-1`), or a
/// number (`10`).
fn component(text: &str) -> Option<Unit> {
    let text = match text.find('{') {
        Some(i) if text.ends_with('}') => &text[..i],
        _ => text,
    };
    if text.is_empty() {
        return Some(Unit {
            factor: Decimal::ONE,
            dimensions: ONE,
        });
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Unit {
            factor: text.parse().ok()?,
            dimensions: ONE,
        });
    }
    if let Some(unit) = atom(text) {
        return Some(unit);
    }
    let digits = text
        .bytes()
        .rev()
        .take_while(|b| b.is_ascii_digit() || *b == b'-' || *b == b'+')
        .count();
    let (symbol, exponent) = text.split_at(text.len() - digits);
    let exponent: i8 = exponent.parse().ok()?;
    let base = atom(symbol)?;
    let mut factor = Decimal::ONE;
    for _ in 0..exponent.unsigned_abs() {
        factor = factor.checked_mul(base.factor)?;
    }
    if exponent < 0 {
        factor = Decimal::ONE.checked_div(factor)?;
    }
    let mut dimensions = base.dimensions;
    for d in &mut dimensions {
        *d = d.checked_mul(exponent)?;
    }
    Some(Unit { factor, dimensions })
}

impl Unit {
    /// Parses a UCUM unit term; `None` for what this table does not know.
    pub fn parse(text: &str) -> Option<Unit> {
        let mut unit = Unit {
            factor: Decimal::ONE,
            dimensions: ONE,
        };
        let mut divide = false;
        let mut start = 0;
        let bytes = text.as_bytes();
        let mut depth = 0;
        for i in 0..=bytes.len() {
            let b = bytes.get(i).copied();
            match b {
                Some(b'[') | Some(b'{') => depth += 1,
                Some(b']') | Some(b'}') => depth -= 1,
                _ => {}
            }
            if depth == 0 && matches!(b, None | Some(b'.') | Some(b'/')) {
                let part = component(&text[start..i])?;
                unit = unit.combine(&part, divide)?;
                divide = b == Some(b'/');
                start = i + 1;
            }
        }
        Some(unit)
    }

    /// This unit times (or divided by) `other`.
    pub fn combine(&self, other: &Unit, divide: bool) -> Option<Unit> {
        let mut dimensions = self.dimensions;
        for (d, o) in dimensions.iter_mut().zip(other.dimensions) {
            *d = if divide {
                d.checked_sub(o)?
            } else {
                d.checked_add(o)?
            };
        }
        Some(Unit {
            factor: if divide {
                self.factor.checked_div(other.factor)?
            } else {
                self.factor.checked_mul(other.factor)?
            },
            dimensions,
        })
    }
}

/// The UCUM unit of a calendar duration keyword, or the unit itself.
/// Years and months are calendar durations, not UCUM's `a` and `mo`: they
/// convert to nothing but themselves.
pub fn calendar_to_ucum(unit: &str) -> Option<&str> {
    Some(match unit {
        "year" | "years" | "month" | "months" => return None,
        "week" | "weeks" => "wk",
        "day" | "days" => "d",
        "hour" | "hours" => "h",
        "minute" | "minutes" => "min",
        "second" | "seconds" => "s",
        "millisecond" | "milliseconds" => "ms",
        other => other,
    })
}

/// Whether a unit is the calendar keyword `year(s)` or `month(s)`.
pub fn is_calendar_year_or_month(unit: &str) -> bool {
    matches!(unit, "year" | "years" | "month" | "months")
}

/// The unit a product or quotient of two units is written with: the UCUM
/// term, simplified to the dimensions when they convert (`cm` x `m` is
/// `m2` after scaling the value).
pub fn product(a: &str, b: &str, divide: bool) -> Option<(Decimal, String)> {
    let ua = Unit::parse(calendar_to_ucum(a)?)?;
    let ub = Unit::parse(calendar_to_ucum(b)?)?;
    let unit = ua.combine(&ub, divide)?;
    Some((unit.factor, write_base(&unit.dimensions)))
}

/// Base units with exponents, as UCUM writes them (`g/m`, `m2`, `1`).
fn write_base(dimensions: &Dimensions) -> String {
    const NAMES: [&str; 7] = ["m", "g", "s", "mol", "K", "A", "cd"];
    let mut top = Vec::new();
    let mut bottom = Vec::new();
    for (name, &d) in NAMES.iter().zip(dimensions) {
        let part = |e: i8| {
            if e == 1 {
                (*name).to_owned()
            } else {
                format!("{name}{e}")
            }
        };
        match d.cmp(&0) {
            std::cmp::Ordering::Greater => top.push(part(d)),
            std::cmp::Ordering::Less => bottom.push(part(-d)),
            std::cmp::Ordering::Equal => {}
        }
    }
    let mut out = if top.is_empty() {
        "1".to_owned()
    } else {
        top.join(".")
    };
    for b in bottom {
        out.push('/');
        out.push_str(&b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Unit;

    #[test]
    fn units_convert_and_hostile_ones_do_not_overflow() {
        let mg = Unit::parse("mg/dL").unwrap();
        let g = Unit::parse("g/L").unwrap();
        assert_eq!(mg.dimensions, g.dimensions);
        assert_eq!(Unit::parse("m2").unwrap().dimensions[0], 2);
        // Exponents that overflow the dimension or the factor: not a unit.
        assert_eq!(Unit::parse("L127"), None);
        assert_eq!(Unit::parse("km-128"), None);
        assert!(Unit::parse("m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m.m").is_none());
    }
}
