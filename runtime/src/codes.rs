//! Code enums: the codes of one value set as a Rust enum, as the generator
//! makes them for required and extensible bindings.
//!
//! A generated enum gives its tables (`VALUE_SET`, `CODES`, `DISPLAYS`,
//! `VARIANTS`) and where a value sits in them; everything else (the code, its
//! system and display, reading and writing FHIR JSON) is written once, here.

use crate::json::{Reader, Writer};
use crate::primitive::{Kind, PrimitiveValue};
use crate::{Problem, coding_in};

/// The codes of one value set as a Rust enum: a variant per code, and
/// `NotInValueSet` for a code outside it that a lenient read keeps.
///
/// ```
/// use fhirgen_runtime::CodeEnum;
///
/// #[derive(Debug, Clone, PartialEq)]
/// enum Gender {
///     Male,
///     Female,
///     NotInValueSet(String),
/// }
///
/// impl CodeEnum for Gender {
///     const VALUE_SET: &'static str = "http://example.org/ValueSet/gender";
///     const CODES: &'static [(&'static str, &'static str)] =
///         &[("http://example.org/gender", "male"), ("http://example.org/gender", "female")];
///     const DISPLAYS: &'static [Option<&'static str>] = &[Some("Male"), None];
///     const VARIANTS: &'static [Self] = &[Self::Male, Self::Female];
///
///     fn position(&self) -> Result<usize, &str> {
///         match self {
///             Self::Male => Ok(0),
///             Self::Female => Ok(1),
///             Self::NotInValueSet(code) => Err(code),
///         }
///     }
///
///     fn not_in_value_set(code: String) -> Self {
///         Self::NotInValueSet(code)
///     }
/// }
///
/// assert_eq!(Gender::from_code("female"), Some(Gender::Female));
/// assert_eq!(Gender::Male.display(), Some("Male"));
/// assert_eq!(Gender::NotInValueSet("x".into()).code(), "x");
/// ```
pub trait CodeEnum: Sized + Clone + PartialEq + 'static {
    /// The value set's canonical URL.
    const VALUE_SET: &'static str;
    /// Every code of the value set as `(system, code)`, in the order of
    /// [`Self::VARIANTS`].
    const CODES: &'static [(&'static str, &'static str)];
    /// The display text the value set gives each code of [`Self::CODES`].
    const DISPLAYS: &'static [Option<&'static str>];
    /// The variant of each code of [`Self::CODES`].
    const VARIANTS: &'static [Self];

    /// The index of this value's code in [`Self::CODES`], or the code
    /// itself when it is outside the value set.
    fn position(&self) -> Result<usize, &str>;

    /// A code outside the value set (a lenient read keeps it so).
    fn not_in_value_set(code: String) -> Self;

    /// The code.
    fn code(&self) -> &str {
        match self.position() {
            Ok(index) => Self::CODES[index].1,
            Err(code) => code,
        }
    }

    /// The code system, for the value set's codes.
    fn system(&self) -> Option<&'static str> {
        self.position().ok().map(|index| Self::CODES[index].0)
    }

    /// The display text the value set gives the code.
    fn display(&self) -> Option<&'static str> {
        self.position().ok().and_then(|index| Self::DISPLAYS[index])
    }

    /// Whether the code is one of the value set's.
    fn is_in_value_set(&self) -> bool {
        self.position().is_ok()
    }

    /// The value set's code `code`, if it is one (a code listed under two
    /// systems is the first).
    fn from_code(code: &str) -> Option<Self> {
        let index = Self::CODES.iter().position(|(_, c)| *c == code)?;
        Some(Self::VARIANTS[index].clone())
    }

    /// Whether `system` and `code` (of a `Coding`) name one of the value
    /// set's codes, as the profile checks decide it.
    fn has_coding(system: Option<&str>, code: Option<&str>) -> bool {
        coding_in(Self::CODES, system, code)
    }
}

impl<T: CodeEnum> PrimitiveValue for T {
    fn read(r: &mut Reader<'_>, kind: Kind) -> Result<Self, Problem> {
        Ok(match r.code_index(kind, T::VALUE_SET, T::CODES)? {
            Ok(index) => T::VARIANTS[index].clone(),
            Err(code) => T::not_in_value_set(code),
        })
    }

    fn write(&self, w: &mut Writer) {
        w.string_value(self.code());
    }

    fn fhirpath(&self, _: Kind) -> Option<fhirgen_fhirpath::Value> {
        Some(fhirgen_fhirpath::Value::String(self.code().to_owned()))
    }

    fn text(&self, _: Kind) -> Option<&str> {
        Some(self.code())
    }
}

/// What a `code` element holds: any code (`String`), or a code enum.
pub trait CodeValue: Sized {
    /// The value for `code`: for a code enum, `NotInValueSet` when the
    /// value set does not have it.
    fn of_code(code: &str) -> Self;
}

impl CodeValue for String {
    fn of_code(code: &str) -> Self {
        code.to_owned()
    }
}

impl<T: CodeEnum> CodeValue for T {
    fn of_code(code: &str) -> Self {
        T::from_code(code).unwrap_or_else(|| T::not_in_value_set(code.to_owned()))
    }
}
