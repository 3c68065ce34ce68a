//! What FHIR profile rules mean for Rust types, in one place.
//!
//! The generator decides the type of each element from these rules, and the
//! proc-macros of `fhirgen-macros` check hand-written (or hand-edited) types
//! against them: the same code, with the same messages, at generation time
//! and at compile time. No dependencies by default, so that it costs the
//! macros nothing to compile. The `tokens` feature adds the code both emit
//! for a type's FHIR JSON.

use std::fmt;

/// The upper bound of a cardinality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Max {
    Count(u32),
    Unbounded,
}

impl Max {
    /// `*` or a number, as `ElementDefinition.max` writes it.
    pub fn parse(text: &str) -> Option<Max> {
        if text == "*" {
            Some(Max::Unbounded)
        } else {
            text.parse().ok().map(Max::Count)
        }
    }
}

impl fmt::Display for Max {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Max::Count(n) => write!(f, "{n}"),
            Max::Unbounded => f.write_str("*"),
        }
    }
}

/// An element's cardinality, `min..max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cardinality {
    pub min: u32,
    pub max: Max,
}

impl Cardinality {
    pub const fn new(min: u32, max: Max) -> Self {
        Self { min, max }
    }

    /// `1..1`, `0..*`...
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a cardinality (`min..max`, such as `1..*`)");
        let (min, max) = text.split_once("..").ok_or_else(bad)?;
        let min: u32 = min.trim().parse().map_err(|_| bad())?;
        let max = Max::parse(max.trim()).ok_or_else(bad)?;
        if max < Max::Count(min) {
            return Err(format!("`{text}`: the maximum is below the minimum"));
        }
        Ok(Self { min, max })
    }

    /// The Rust shape of an element with this cardinality; `None` for `max = 0`
    /// (the element does not exist on the type).
    pub fn shape(self) -> Option<Shape> {
        Some(match (self.min, self.max) {
            (_, Max::Count(0)) => return None,
            (0, Max::Count(1)) => Shape::Optional,
            (_, Max::Count(1)) => Shape::One,
            (0, _) => Shape::List,
            (_, _) => Shape::NonEmptyList,
        })
    }
}

impl fmt::Display for Cardinality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.min, self.max)
    }
}

/// How a field holds its element: the rule that makes `0..1`, `1..1`, `0..*`
/// and `1..*` different types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `T`: exactly one (`1..1`).
    One,
    /// `Option<T>`: at most one (`0..1`).
    Optional,
    /// `Vec<T>`: any number (`0..*`, `0..n`).
    List,
    /// `NonEmpty<T>`: at least one (`1..*`, `1..n`).
    NonEmptyList,
}

impl Shape {
    /// The shape of a Rust type from the last segment of its path
    /// (`Option`, `Vec`, `NonEmpty`; anything else holds one value).
    pub fn of_type_name(name: &str) -> Shape {
        match name {
            "Option" => Shape::Optional,
            "Vec" => Shape::List,
            "NonEmpty" => Shape::NonEmptyList,
            _ => Shape::One,
        }
    }

    /// The Rust form, as the messages write it.
    pub fn form(self) -> &'static str {
        match self {
            Shape::One => "T",
            Shape::Optional => "Option<T>",
            Shape::List => "Vec<T>",
            Shape::NonEmptyList => "NonEmpty<T>",
        }
    }

    fn meaning(self) -> &'static str {
        match self {
            Shape::One => "exactly one",
            Shape::Optional => "at most one",
            Shape::List => "any number",
            Shape::NonEmptyList => "at least one",
        }
    }
}

/// A binding's strength.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strength {
    Required,
    Extensible,
    Preferred,
    Example,
}

impl Strength {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "required" => Ok(Strength::Required),
            "extensible" => Ok(Strength::Extensible),
            "preferred" => Ok(Strength::Preferred),
            "example" => Ok(Strength::Example),
            other => Err(format!(
                "`{other}` is not a binding strength (required, extensible, preferred, example)"
            )),
        }
    }
}

/// How a coded element's Rust type holds its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeType {
    /// The value set's enum (`AdministrativeGenderCode`): no other code fits.
    Enum,
    /// A type open to any code (`Code`, `String`, `CodeableConcept`...).
    Open,
}

/// A rule a type breaks: which element, which rule, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The element's path (`Patient.telecom`).
    pub element: String,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.element, self.message)
    }
}

impl std::error::Error for Violation {}

/// Checks that a field of shape `found` can hold element `element` of
/// cardinality `card`.
pub fn check_shape(element: &str, card: Cardinality, found: Shape) -> Result<(), Violation> {
    let violation = |message: String| Violation {
        element: element.to_owned(),
        message,
    };
    match card.shape() {
        None => Err(violation(format!(
            "is {card}: the profile forbids it, so the type must not have it"
        ))),
        Some(expected) if expected == found => Ok(()),
        Some(expected) => Err(violation(format!(
            "is {card} ({}): its Rust type must be `{}`, found `{}` ({})",
            expected.meaning(),
            expected.form(),
            found.form(),
            found.meaning(),
        ))),
    }
}

/// Checks that a `code` element bound to `value_set` with `strength` is held
/// by a type that keeps to the binding: a required binding to a value set
/// whose codes are known (`enumerable`) takes the value set's code enum.
/// (`Coding` and `CodeableConcept` stay open types whose codes are checked
/// on read.)
pub fn check_binding(
    element: &str,
    strength: Strength,
    value_set: &str,
    enumerable: bool,
    found: CodeType,
) -> Result<(), Violation> {
    if strength == Strength::Required && enumerable && found == CodeType::Open {
        return Err(Violation {
            element: element.to_owned(),
            message: format!(
                "has a required binding to {value_set}: its type must be the value set's code enum, \
                 so that no other code fits; found a type open to any code"
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cardinalities_have_shapes() {
        let shape = |text| Cardinality::parse(text).unwrap().shape();
        assert_eq!(shape("1..1"), Some(Shape::One));
        assert_eq!(shape("0..1"), Some(Shape::Optional));
        assert_eq!(shape("0..*"), Some(Shape::List));
        assert_eq!(shape("0..3"), Some(Shape::List));
        assert_eq!(shape("1..*"), Some(Shape::NonEmptyList));
        assert_eq!(shape("2..*"), Some(Shape::NonEmptyList));
        assert_eq!(shape("0..0"), None);
        assert!(Cardinality::parse("1..0").is_err());
        assert!(Cardinality::parse("one").is_err());
    }

    #[test]
    fn a_shape_that_contradicts_the_cardinality_is_named() {
        let card = Cardinality::parse("1..1").unwrap();
        assert!(check_shape("Patient.gender", card, Shape::One).is_ok());
        let error = check_shape("Patient.gender", card, Shape::Optional).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`Patient.gender` is 1..1 (exactly one): its Rust type must be `T`, \
             found `Option<T>` (at most one)"
        );
    }

    #[test]
    fn required_bindings_to_known_codes_take_the_enum() {
        let vs = "http://hl7.org/fhir/ValueSet/administrative-gender";
        let check = |strength, enumerable, found| {
            check_binding("Patient.gender", strength, vs, enumerable, found).is_ok()
        };
        assert!(check(Strength::Required, true, CodeType::Enum));
        assert!(!check(Strength::Required, true, CodeType::Open));
        assert!(check(Strength::Required, false, CodeType::Open));
        assert!(check(Strength::Extensible, true, CodeType::Open));
    }
}

#[cfg(feature = "tokens")]
pub mod tokens;
