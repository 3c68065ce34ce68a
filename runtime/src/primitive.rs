//! FHIR primitives: a value (maybe absent) plus the `id` and `extension` that
//! FHIR JSON carries in the `_name` property beside it.

use std::fmt;
use std::str::FromStr;

use crate::error::Problem;
use crate::json::{Reader, Writer};
use crate::temporal::{Date, DateTime, Instant, Time};
use crate::typed::text_value;
use fhirgen_fhirpath::Value;

/// Which FHIR primitive type a value is, for the rules checked on read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Boolean,
    Integer,
    UnsignedInt,
    PositiveInt,
    Decimal,
    String,
    Code,
    Id,
    Uri,
    Url,
    Canonical,
    Oid,
    Uuid,
    Markdown,
    Base64Binary,
    Date,
    DateTime,
    Instant,
    Time,
    Xhtml,
}

impl Kind {
    /// Every primitive type of FHIR R4.
    pub const ALL: [Kind; 20] = [
        Kind::Boolean,
        Kind::Integer,
        Kind::UnsignedInt,
        Kind::PositiveInt,
        Kind::Decimal,
        Kind::String,
        Kind::Code,
        Kind::Id,
        Kind::Uri,
        Kind::Url,
        Kind::Canonical,
        Kind::Oid,
        Kind::Uuid,
        Kind::Markdown,
        Kind::Base64Binary,
        Kind::Date,
        Kind::DateTime,
        Kind::Instant,
        Kind::Time,
        Kind::Xhtml,
    ];

    /// The FHIR type code (`DateTime` -> `dateTime`).
    pub fn type_code(self) -> &'static str {
        match self {
            Kind::Boolean => "boolean",
            Kind::Integer => "integer",
            Kind::UnsignedInt => "unsignedInt",
            Kind::PositiveInt => "positiveInt",
            Kind::Decimal => "decimal",
            Kind::String => "string",
            Kind::Code => "code",
            Kind::Id => "id",
            Kind::Uri => "uri",
            Kind::Url => "url",
            Kind::Canonical => "canonical",
            Kind::Oid => "oid",
            Kind::Uuid => "uuid",
            Kind::Markdown => "markdown",
            Kind::Base64Binary => "base64Binary",
            Kind::Date => "date",
            Kind::DateTime => "dateTime",
            Kind::Instant => "instant",
            Kind::Time => "time",
            Kind::Xhtml => "xhtml",
        }
    }

    /// The kind named `name` (`"DateTime"`), as generated code spells it.
    /// Whether FHIR JSON writes it as a number.
    /// Whether FHIRPath sees a primitive of this kind as a String (`code`,
    /// `uri`, `markdown`...), its text as it is.
    pub fn is_string(self) -> bool {
        !self.is_number()
            && !matches!(
                self,
                Kind::Boolean | Kind::Date | Kind::DateTime | Kind::Instant | Kind::Time
            )
    }

    pub fn is_number(self) -> bool {
        matches!(
            self,
            Kind::Integer | Kind::UnsignedInt | Kind::PositiveInt | Kind::Decimal
        )
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Some(match name {
            "Boolean" => Kind::Boolean,
            "Integer" => Kind::Integer,
            "UnsignedInt" => Kind::UnsignedInt,
            "PositiveInt" => Kind::PositiveInt,
            "Decimal" => Kind::Decimal,
            "String" => Kind::String,
            "Code" => Kind::Code,
            "Id" => Kind::Id,
            "Uri" => Kind::Uri,
            "Url" => Kind::Url,
            "Canonical" => Kind::Canonical,
            "Oid" => Kind::Oid,
            "Uuid" => Kind::Uuid,
            "Markdown" => Kind::Markdown,
            "Base64Binary" => Kind::Base64Binary,
            "Date" => Kind::Date,
            "DateTime" => Kind::DateTime,
            "Instant" => Kind::Instant,
            "Time" => Kind::Time,
            "Xhtml" => Kind::Xhtml,
            _ => return None,
        })
    }
}

/// A primitive element: its value, and the `id` and extensions FHIR JSON
/// puts in `_name`. A primitive may have extensions and no value (how a
/// data-absent-reason reaches a primitive); one with neither is not valid FHIR.
///
/// The `_name` part is boxed: most primitives have none, and this keeps a
/// primitive at 32 bytes instead of 72 (a `Coding` holds five).
#[derive(Debug, Clone, PartialEq)]
pub struct Primitive<V, X> {
    pub value: Option<V>,
    element: Option<Box<PrimitiveElement<X>>>,
}

/// The `_name` part of a primitive: its `id` and `extension`.
#[derive(Debug, Clone, PartialEq)]
pub struct PrimitiveElement<X> {
    pub id: Option<String>,
    pub extension: Vec<X>,
}

impl<V, X> Primitive<V, X> {
    /// A primitive with this value and nothing else.
    pub fn new(value: V) -> Self {
        Self {
            value: Some(value),
            element: None,
        }
    }

    /// A primitive with no value, only extensions (a data-absent-reason).
    pub fn absent(extension: Vec<X>) -> Self {
        Self {
            value: None,
            element: Some(Box::new(PrimitiveElement {
                id: None,
                extension,
            })),
        }
    }

    pub fn id(&self) -> Option<&str> {
        self.element.as_ref().and_then(|e| e.id.as_deref())
    }

    pub fn extension(&self) -> &[X] {
        self.element
            .as_ref()
            .map_or(&[], |e| e.extension.as_slice())
    }

    /// The `_name` part, created empty if there is none.
    pub fn element_mut(&mut self) -> &mut PrimitiveElement<X> {
        self.element.get_or_insert_with(|| {
            Box::new(PrimitiveElement {
                id: None,
                extension: Vec::new(),
            })
        })
    }

    /// The `_name` part, if there is one.
    pub(crate) fn element(&self) -> Option<&PrimitiveElement<X>> {
        self.element.as_deref()
    }

    /// Whether `_name` has anything to say.
    pub fn has_element_part(&self) -> bool {
        self.element
            .as_ref()
            .is_some_and(|e| e.id.is_some() || !e.extension.is_empty())
    }

    pub(crate) fn set_element(&mut self, element: PrimitiveElement<X>) {
        self.element = Some(Box::new(element));
    }

    pub(crate) fn blank() -> Self {
        Self {
            value: None,
            element: None,
        }
    }
}

impl<V, X> From<V> for Primitive<V, X> {
    fn from(value: V) -> Self {
        Self::new(value)
    }
}

/// `"Chalmers".into()` for any string-valued primitive (`FhirString`, `Uri`,
/// `Code`...), as builders' setters take it.
impl<X> From<&str> for Primitive<String, X> {
    fn from(value: &str) -> Self {
        Self::new(value.to_owned())
    }
}

/// A FHIR decimal, kept as written: `1.50` stays `1.50`, `1e3` stays `1e3`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decimal(String);

impl Decimal {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The nearest `f64` (for arithmetic; the decimal itself stays exact).
    pub fn to_f64(&self) -> f64 {
        self.0.parse().unwrap_or(f64::NAN)
    }
}

impl FromStr for Decimal {
    type Err = String;

    /// Accepts the FHIR (and JSON) number grammar:
    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn from_str(text: &str) -> Result<Self, String> {
        let b = text.as_bytes();
        let mut i = usize::from(b.first() == Some(&b'-'));
        let int_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let int_digits = i - int_start;
        let mut ok = int_digits > 0 && !(int_digits > 1 && b[int_start] == b'0');
        if ok && b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            ok = i > start;
        }
        if ok && matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            ok = i > start;
        }
        if ok && i == b.len() {
            Ok(Decimal(text.to_owned()))
        } else {
            Err(format!("`{text}` is not a valid FHIR decimal"))
        }
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Rust type that holds the value of FHIR primitives.
pub trait PrimitiveValue: Sized {
    /// Reads the JSON value; the error is the problem, the reader adds where.
    fn read(r: &mut Reader<'_>, kind: Kind) -> Result<Self, Problem>;
    fn write(&self, w: &mut Writer);
    /// The value as FHIRPath sees it, for an element of kind `kind`.
    fn fhirpath(&self, kind: Kind) -> Option<Value>;
    /// The value lent as text, when FHIRPath sees it as a String (what
    /// [`PrimitiveValue::fhirpath`] would copy).
    fn text(&self, kind: Kind) -> Option<&str> {
        let _ = kind;
        None
    }
}

impl PrimitiveValue for bool {
    fn read(r: &mut Reader<'_>, _: Kind) -> Result<Self, Problem> {
        Ok(r.next_bool()?)
    }

    fn write(&self, w: &mut Writer) {
        w.raw(if *self { "true" } else { "false" });
    }

    fn fhirpath(&self, _: Kind) -> Option<Value> {
        Some(Value::Boolean(*self))
    }
}

impl PrimitiveValue for i32 {
    fn read(r: &mut Reader<'_>, kind: Kind) -> Result<Self, Problem> {
        let value: i32 = r.next_number(|text| {
            text.parse()
                .map_err(|_| format!("`{text}` is not a valid FHIR integer"))
        })?;
        match kind {
            Kind::PositiveInt if value < 1 => {
                Err(format!("{value} is not a positiveInt (1 or more)").into())
            }
            Kind::UnsignedInt if value < 0 => {
                Err(format!("{value} is not an unsignedInt (0 or more)").into())
            }
            _ => Ok(value),
        }
    }

    fn write(&self, w: &mut Writer) {
        w.raw(&self.to_string());
    }

    fn fhirpath(&self, _: Kind) -> Option<Value> {
        Some(Value::Integer(i64::from(*self)))
    }
}

impl PrimitiveValue for Decimal {
    fn read(r: &mut Reader<'_>, _: Kind) -> Result<Self, Problem> {
        Ok(r.next_number(str::parse)?)
    }

    fn write(&self, w: &mut Writer) {
        w.raw(&self.0);
    }

    fn fhirpath(&self, _: Kind) -> Option<Value> {
        text_value(Kind::Decimal, &self.0)
    }
}

impl PrimitiveValue for String {
    fn read(r: &mut Reader<'_>, kind: Kind) -> Result<Self, Problem> {
        let text = r.next_string()?;
        check_string(&text, kind)?;
        Ok(text)
    }

    fn write(&self, w: &mut Writer) {
        w.string(self);
    }

    fn fhirpath(&self, kind: Kind) -> Option<Value> {
        text_value(kind, self)
    }

    fn text(&self, kind: Kind) -> Option<&str> {
        kind.is_string().then_some(self.as_str())
    }
}

macro_rules! temporal_value {
    ($($ty:ty),*) => {$(
        impl PrimitiveValue for $ty {
            fn read(r: &mut Reader<'_>, _: Kind) -> Result<Self, Problem> {
                Ok(r.next_string()?.parse()?)
            }

            fn write(&self, w: &mut Writer) {
                w.string(self.as_str());
            }

            fn fhirpath(&self, kind: Kind) -> Option<Value> {
                text_value(kind, self.as_str())
            }
        }
    )*};
}

temporal_value!(Date, DateTime, Instant, Time);

/// The bytes a base64Binary may hold: the alphabet, padding and white space.
static BASE64: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] =
            c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=') || c.is_ascii_whitespace();
        b += 1;
    }
    table
};

/// The lexical rules of the string-based FHIR primitives.
/// The largest `string` (and `markdown`) FHIR allows: "strings SHALL NOT
/// exceed 1MB in size" (R4, datatypes).
pub const MAX_STRING_BYTES: usize = 1024 * 1024;

pub(crate) fn check_string(text: &str, kind: Kind) -> Result<(), String> {
    let bad = |what: &str| Err(format!("`{}` is not a valid FHIR {what}", shorten(text)));
    match kind {
        // R4's regex for these, `[ \r\n\t\S]+`, asks only for content.
        Kind::String | Kind::Markdown | Kind::Xhtml => {
            if text.is_empty() {
                return Err(format!("a FHIR {} must not be empty", kind.type_code()));
            }
            if kind == Kind::Xhtml {
                crate::narrative::check(text)?;
            } else if text.len() > MAX_STRING_BYTES {
                return Err(format!(
                    "a FHIR {} may hold at most 1 MB ({MAX_STRING_BYTES} bytes); this one has {}",
                    kind.type_code(),
                    text.len()
                ));
            }
        }
        Kind::Code => {
            // `[^\s]+(\s[^\s]+)*`, where `\s` is the regex class of ASCII white
            // space (a no-break space is part of a token).
            // Byte by byte: no UTF-8 sequence holds an ASCII byte.
            let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
            let bytes = text.as_bytes();
            let ok = bytes.first().is_some_and(|b| !space(b))
                && bytes.last().is_some_and(|b| !space(b))
                && !bytes
                    .windows(2)
                    .any(|pair| space(&pair[0]) && space(&pair[1]));
            if !ok {
                return bad("code");
            }
        }
        Kind::Id => {
            let ok = (1..=64).contains(&text.len())
                && text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
            if !ok {
                return bad("id");
            }
        }
        // `\S*`: the regex class of ASCII white space.
        Kind::Uri | Kind::Url | Kind::Canonical => {
            if text.is_empty() || text.bytes().any(|b| b.is_ascii_whitespace()) {
                return bad(kind.type_code());
            }
        }
        Kind::Oid => {
            let ok = text.strip_prefix("urn:oid:").is_some_and(|rest| {
                let mut parts = rest.split('.');
                let first_ok = parts.next().is_some_and(|p| matches!(p, "0" | "1" | "2"));
                let mut count = 0;
                let rest_ok = parts.all(|p| {
                    count += 1;
                    !p.is_empty()
                        && p.bytes().all(|b| b.is_ascii_digit())
                        && (p == "0" || !p.starts_with('0'))
                });
                first_ok && rest_ok && count > 0
            });
            if !ok {
                return bad("oid");
            }
        }
        Kind::Uuid => {
            let ok = text.strip_prefix("urn:uuid:").is_some_and(|rest| {
                rest.len() == 36
                    && rest.bytes().enumerate().all(|(i, b)| match i {
                        8 | 13 | 18 | 23 => b == b'-',
                        _ => b.is_ascii_hexdigit() && !b.is_ascii_uppercase(),
                    })
            });
            if !ok {
                return bad("uuid");
            }
        }
        Kind::Base64Binary => {
            // Attachments can be megabytes: one table look-up a byte.
            if !text.bytes().all(|b| BASE64[usize::from(b)]) {
                return bad("base64Binary");
            }
        }
        Kind::Boolean
        | Kind::Integer
        | Kind::UnsignedInt
        | Kind::PositiveInt
        | Kind::Decimal
        | Kind::Date
        | Kind::DateTime
        | Kind::Instant
        | Kind::Time => {}
    }
    Ok(())
}

fn shorten(text: &str) -> String {
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(79).collect::<String>())
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_text() {
        for text in ["26.0", "1.50", "1e3", "-0.001", "0", "1E-7"] {
            assert_eq!(text.parse::<Decimal>().unwrap().as_str(), text);
        }
        for bad in ["01", "1.", ".5", "1e", "+1", "NaN", ""] {
            assert!(bad.parse::<Decimal>().is_err(), "{bad}");
        }
    }

    #[test]
    fn string_rules() {
        assert!(check_string("male", Kind::Code).is_ok());
        assert!(check_string(" male", Kind::Code).is_err());
        assert!(check_string("a  b", Kind::Code).is_err());
        assert!(check_string("a b\tc", Kind::Code).is_ok());
        assert!(
            check_string("CHEST\u{a0}", Kind::Code).is_ok(),
            "no-break space is not regex white space"
        );
        assert!(check_string("male ", Kind::Code).is_err());
        assert!(check_string("abc-1.2", Kind::Id).is_ok());
        assert!(check_string("abc_1", Kind::Id).is_err());
        assert!(check_string(&"a".repeat(65), Kind::Id).is_err());
        assert!(check_string("urn:oid:2.16.840.1.113883", Kind::Oid).is_ok());
        assert!(check_string("urn:oid:3.1", Kind::Oid).is_err());
        assert!(check_string("urn:uuid:c757873d-ec9a-4326-a141-556f43239520", Kind::Uuid).is_ok());
        assert!(check_string("urn:uuid:C757873D-ec9a-4326-a141-556f43239520", Kind::Uuid).is_err());
        assert!(check_string("http://a b", Kind::Uri).is_err());
        assert!(check_string("", Kind::String).is_err());
        assert!(check_string("aGVsbG8=\n", Kind::Base64Binary).is_ok());
        assert!(check_string("aGVs*bG8=", Kind::Base64Binary).is_err());
    }
}
