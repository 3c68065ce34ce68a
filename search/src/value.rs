//! The values of search parameters, typed by the parameter's type: read
//! from a query (after URL decoding) and written back, with FHIR's escapes
//! (`\,` `\|` `\$` `\\`).

use std::fmt::{self, Write as _};
use std::str::FromStr;

use fhirgen_fhirpath::temporal::DateTime;
use rust_decimal::Decimal;

use crate::definition::ParamType;

/// The comparison prefix of a number, date or quantity value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Prefix {
    #[default]
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    /// Starts after.
    Sa,
    /// Ends before.
    Eb,
    /// Approximately.
    Ap,
}

impl Prefix {
    pub const ALL: [Prefix; 9] = [
        Prefix::Eq,
        Prefix::Ne,
        Prefix::Gt,
        Prefix::Lt,
        Prefix::Ge,
        Prefix::Le,
        Prefix::Sa,
        Prefix::Eb,
        Prefix::Ap,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Prefix::Eq => "eq",
            Prefix::Ne => "ne",
            Prefix::Gt => "gt",
            Prefix::Lt => "lt",
            Prefix::Ge => "ge",
            Prefix::Le => "le",
            Prefix::Sa => "sa",
            Prefix::Eb => "eb",
            Prefix::Ap => "ap",
        }
    }

    /// The prefix `text` starts with and the rest (`eq` when none).
    fn split(text: &str) -> (Prefix, &str) {
        for prefix in Prefix::ALL {
            if let Some(rest) = text.strip_prefix(prefix.code())
                && rest.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.')
            {
                return (prefix, rest);
            }
        }
        (Prefix::Eq, text)
    }
}

/// A number as written: its value and its digits (`100` stands for
/// [99.5, 100.5), `100.00` for [99.995, 100.005)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Number {
    pub value: Decimal,
    pub text: String,
}

impl Number {
    pub fn parse(text: &str) -> Option<Number> {
        let plain = text.strip_prefix('+').unwrap_or(text);
        if plain.is_empty()
            || !plain
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'e' | b'E' | b'+'))
        {
            return None;
        }
        let value = if plain.contains(['e', 'E']) {
            Decimal::from_scientific(plain).ok()?
        } else {
            Decimal::from_str(plain).ok()?
        };
        Some(Number {
            value,
            text: text.to_owned(),
        })
    }

    /// Half the unit of the last digit written: the implicit range's radius.
    pub fn half_unit(&self) -> Decimal {
        let (mantissa, exponent) = match self.text.split_once(['e', 'E']) {
            Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
            None => (self.text.as_str(), 0),
        };
        let decimals = mantissa.split_once('.').map_or(0, |(_, f)| f.len() as i64);
        // Within what a Decimal holds (28 digits either side).
        let scale = (decimals - exponent).clamp(-28, 28);
        let unit = if scale >= 0 {
            Decimal::new(1, scale as u32)
        } else {
            Decimal::from_i128_with_scale(10i128.pow((-scale) as u32), 0)
        };
        unit / Decimal::from(2)
    }
}

impl From<i64> for Number {
    fn from(value: i64) -> Self {
        Number {
            value: Decimal::from(value),
            text: value.to_string(),
        }
    }
}

/// A date, date-time or instant as written, with its precision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Date {
    pub value: DateTime,
    pub text: String,
}

impl Date {
    pub fn parse(text: &str) -> Option<Date> {
        // A `+` of an offset that was not URL-encoded arrives as a space.
        let text = match text.find('T') {
            Some(t) if text[t..].contains(' ') => text.replacen(' ', "+", 1),
            _ => text.to_owned(),
        };
        let (value, _) = DateTime::parse(&text)?;
        Some(Date { value, text })
    }
}

/// A token: `code`, `system|code`, `|code` (no system), `system|` (any code
/// of the system).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// `None`: no `|` written; `Some("")`: `|code`, the code has no system.
    pub system: Option<String>,
    /// `None` for `system|`.
    pub code: Option<String>,
}

impl Token {
    /// `system|code`.
    pub fn new(system: impl Into<String>, code: impl Into<String>) -> Self {
        Token {
            system: Some(system.into()),
            code: Some(code.into()),
        }
    }

    /// A code in any system.
    pub fn code(code: impl Into<String>) -> Self {
        Token {
            system: None,
            code: Some(code.into()),
        }
    }
}

impl From<&str> for Token {
    /// A code in any system.
    fn from(code: &str) -> Self {
        Token::code(code)
    }
}

impl From<(&str, &str)> for Token {
    /// `(system, code)`.
    fn from((system, code): (&str, &str)) -> Self {
        Token::new(system, code)
    }
}

/// A quantity: `[prefix]number|system|code`, `number||code` (code or unit),
/// `number` (any unit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuantityValue {
    pub prefix: Prefix,
    pub number: Number,
    pub system: Option<String>,
    pub code: Option<String>,
}

impl QuantityValue {
    /// `[prefix]number|system|code`; `None` for a system or code not given.
    pub fn new(prefix: Prefix, number: Number, system: Option<&str>, code: Option<&str>) -> Self {
        QuantityValue {
            prefix,
            number,
            system: system.map(str::to_owned),
            code: code.map(str::to_owned),
        }
    }
}

/// One value of a search parameter (the values of a parameter separated by
/// commas are alternatives).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchValue {
    Number(Prefix, Number),
    Date(Prefix, Date),
    String(String),
    Token(Token),
    /// `Type/id`, `id`, an absolute URL, or a canonical (`url|version`).
    Reference(String),
    Quantity(QuantityValue),
    Uri(String),
    Composite(Vec<SearchValue>),
    /// The value of `:missing` (`true`: the element is absent).
    Missing(bool),
    /// The value of `:of-type`: the identifier type's system and code, and
    /// the identifier's value.
    OfType {
        system: String,
        code: String,
        value: String,
    },
    /// A `special` parameter's value, as written.
    Special(String),
}

/// What a value is read as: the parameter's type, changed by some modifiers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueKind {
    Param(ParamType),
    /// A composite: its components' kinds, in order.
    Composite(Vec<ValueKind>),
    Missing,
    /// `:text` (token), a string.
    Text,
    /// `:in`, `:not-in`, `:above`/`:below` on tokens and uris: a URI.
    Uri,
    /// `:identifier` on references: a token.
    Token,
    OfType,
}

impl SearchValue {
    /// Reads one value (already split from its alternatives and URL-decoded).
    pub fn parse(text: &str, kind: &ValueKind) -> Result<SearchValue, String> {
        Ok(match kind {
            ValueKind::Missing => match text {
                "true" => SearchValue::Missing(true),
                "false" => SearchValue::Missing(false),
                _ => return Err(format!("`{text}` is not `true` or `false`")),
            },
            ValueKind::Text => SearchValue::String(unescape(text)),
            ValueKind::Uri => SearchValue::Uri(unescape(text)),
            ValueKind::Token => SearchValue::Token(token(text)),
            ValueKind::OfType => {
                let parts = split_escaped(text, '|');
                let [system, code, value] = parts.as_slice() else {
                    return Err(format!(
                        "`{text}` is not `type-system|type-code|value` (what :of-type takes)"
                    ));
                };
                if code.is_empty() || value.is_empty() {
                    return Err(format!("`{text}`: :of-type needs a type code and a value"));
                }
                SearchValue::OfType {
                    system: unescape(system),
                    code: unescape(code),
                    value: unescape(value),
                }
            }
            ValueKind::Composite(kinds) => {
                let parts = split_escaped(text, '$');
                if parts.len() != kinds.len() {
                    return Err(format!(
                        "`{text}` has {} part(s); this composite parameter takes {} separated by `$`",
                        parts.len(),
                        kinds.len()
                    ));
                }
                SearchValue::Composite(
                    parts
                        .iter()
                        .zip(kinds)
                        .map(|(part, kind)| SearchValue::parse(part, kind))
                        .collect::<Result<_, _>>()?,
                )
            }
            ValueKind::Param(kind) => match kind {
                ParamType::Number => {
                    let (prefix, rest) = Prefix::split(text);
                    let number =
                        Number::parse(rest).ok_or_else(|| format!("`{text}` is not a number"))?;
                    SearchValue::Number(prefix, number)
                }
                ParamType::Date => {
                    let (prefix, rest) = Prefix::split(text);
                    let date = Date::parse(rest).ok_or_else(|| {
                        format!("`{text}` is not a date (`[prefix]YYYY[-MM[-DD[Thh:mm[:ss[.sss]][Z|+hh:mm]]]]`)")
                    })?;
                    SearchValue::Date(prefix, date)
                }
                ParamType::String => SearchValue::String(unescape(text)),
                ParamType::Token => SearchValue::Token(token(text)),
                ParamType::Reference => {
                    if text.is_empty() {
                        return Err("a reference is empty".to_owned());
                    }
                    SearchValue::Reference(unescape(text))
                }
                ParamType::Uri => SearchValue::Uri(unescape(text)),
                ParamType::Quantity => {
                    let (prefix, rest) = Prefix::split(text);
                    let parts = split_escaped(rest, '|');
                    let bad =
                        || format!("`{text}` is not a quantity (`[prefix]number[|system|code]`)");
                    let number = Number::parse(parts[0]).ok_or_else(bad)?;
                    let (system, code) = match parts.as_slice() {
                        [_] => (None, None),
                        [_, system, code] => (
                            Some(unescape(system)).filter(|s| !s.is_empty()),
                            Some(unescape(code)).filter(|s| !s.is_empty()),
                        ),
                        _ => return Err(bad()),
                    };
                    SearchValue::Quantity(QuantityValue {
                        prefix,
                        number,
                        system,
                        code,
                    })
                }
                ParamType::Composite => {
                    return Err("a composite parameter without components".to_owned());
                }
                ParamType::Special => SearchValue::Special(text.to_owned()),
            },
        })
    }
}

fn token(text: &str) -> Token {
    let parts = split_escaped(text, '|');
    match parts.as_slice() {
        [code] => Token {
            system: None,
            code: Some(unescape(code)),
        },
        [system, code] => Token {
            system: Some(unescape(system)),
            code: Some(unescape(code)).filter(|c| !c.is_empty()),
        },
        // A `|` inside a code not escaped: the first splits.
        [system, ..] => Token {
            system: Some(unescape(system)),
            code: Some(unescape(&text[system.len() + 1..])),
        },
        [] => Token {
            system: None,
            code: None,
        },
    }
}

impl fmt::Display for SearchValue {
    /// The value as a query writes it (before URL encoding).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SearchValue::Number(prefix, number) => write_prefixed(f, *prefix, &number.text),
            SearchValue::Date(prefix, date) => write_prefixed(f, *prefix, &date.text),
            SearchValue::String(s) | SearchValue::Uri(s) | SearchValue::Reference(s) => {
                f.write_str(&escape(s))
            }
            SearchValue::Token(Token { system, code }) => {
                if let Some(system) = system {
                    write!(f, "{}|", escape(system))?;
                }
                f.write_str(&escape(code.as_deref().unwrap_or("")))
            }
            SearchValue::Quantity(q) => {
                write_prefixed(f, q.prefix, &q.number.text)?;
                if q.system.is_some() || q.code.is_some() {
                    write!(
                        f,
                        "|{}|{}",
                        escape(q.system.as_deref().unwrap_or("")),
                        escape(q.code.as_deref().unwrap_or(""))
                    )?;
                }
                Ok(())
            }
            SearchValue::Composite(parts) => {
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        f.write_char('$')?;
                    }
                    // A part's own `$` and `,` are escaped by its Display.
                    write!(f, "{part}")?;
                }
                Ok(())
            }
            SearchValue::Missing(b) => write!(f, "{b}"),
            SearchValue::OfType {
                system,
                code,
                value,
            } => write!(f, "{}|{}|{}", escape(system), escape(code), escape(value)),
            SearchValue::Special(s) => f.write_str(s),
        }
    }
}

fn write_prefixed(f: &mut fmt::Formatter<'_>, prefix: Prefix, text: &str) -> fmt::Result {
    if prefix != Prefix::Eq {
        f.write_str(prefix.code())?;
    }
    f.write_str(text)
}

/// FHIR's escapes for a value's own `\`, `,`, `|` and `$`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | ',' | '|' | '$') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The escapes removed.
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            } else {
                out.push('\\');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` split at each `separator` that is not escaped (escapes kept).
pub fn split_escaped(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == separator {
            parts.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_in_their_four_forms() {
        let kind = ValueKind::Param(ParamType::Token);
        let read = |t| match SearchValue::parse(t, &kind).unwrap() {
            SearchValue::Token(token) => token,
            other => panic!("{other:?}"),
        };
        assert_eq!(read("abc"), Token::code("abc"));
        assert_eq!(
            read("http://loinc.org|8480-6"),
            Token::new("http://loinc.org", "8480-6")
        );
        assert_eq!(read("|abc"), Token::new("", "abc"));
        let any = read("http://loinc.org|");
        assert_eq!(
            (any.system.as_deref(), any.code),
            (Some("http://loinc.org"), None)
        );
        assert_eq!(read(r"a\|b"), Token::code("a|b"));
        for text in [
            "abc",
            "http://loinc.org|8480-6",
            "|abc",
            "http://loinc.org|",
            r"a\|b\,c",
        ] {
            assert_eq!(SearchValue::parse(text, &kind).unwrap().to_string(), text);
        }
    }

    #[test]
    fn prefixes_and_precision() {
        let number = SearchValue::parse("ge100.00", &ValueKind::Param(ParamType::Number)).unwrap();
        let SearchValue::Number(Prefix::Ge, n) = &number else {
            panic!("{number:?}")
        };
        assert_eq!(n.half_unit(), Decimal::new(5, 3));
        assert_eq!(Number::parse("1e2").unwrap().half_unit(), Decimal::from(50));
        // Beyond i64, and at Decimal's ends: no overflow.
        assert_eq!(
            Number::parse("1e20").unwrap().half_unit(),
            Decimal::from_i128_with_scale(5 * 10i128.pow(19), 0)
        );
        let _ = Number::parse("1e-28").unwrap().half_unit();
        let _ = Number::parse("79228162514264337593543950335")
            .unwrap()
            .half_unit();
        let date = SearchValue::parse("lt2020-03", &ValueKind::Param(ParamType::Date)).unwrap();
        assert_eq!(date.to_string(), "lt2020-03");
        // An unencoded `+` of an offset arrives as a space.
        let date = SearchValue::parse(
            "2020-03-01T10:00:00 05:00",
            &ValueKind::Param(ParamType::Date),
        )
        .unwrap();
        assert_eq!(date.to_string(), "2020-03-01T10:00:00+05:00");
        assert!(SearchValue::parse("2020-13", &ValueKind::Param(ParamType::Date)).is_err());
        let q = SearchValue::parse(
            "le5.4|http://unitsofmeasure.org|mg",
            &ValueKind::Param(ParamType::Quantity),
        )
        .unwrap();
        assert_eq!(q.to_string(), "le5.4|http://unitsofmeasure.org|mg");
        let q = SearchValue::parse("5.4||mg", &ValueKind::Param(ParamType::Quantity)).unwrap();
        assert_eq!(q.to_string(), "5.4||mg");
    }
}
