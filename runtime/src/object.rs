//! The traits generated types implement. Each is a handful of small methods:
//! the loops that drive them live in [`crate::json`], compiled once.

use crate::error::{Error, IssueCode, Problem};
use crate::json::{Reader, Writer};
use crate::typed::Elements;

/// Which of an object's JSON properties have been read (for duplicates and
/// required elements). Generated code numbers each property of a type.
#[derive(Debug, Default, Clone)]
pub struct Seen([u64; 8]);

impl Seen {
    /// How many properties a type can have (the generator checks it): one
    /// cache line, cleared for every object read.
    pub const CAPACITY: u16 = 512;

    /// Marks `key`; false if it was marked already.
    pub fn insert(&mut self, key: u16) -> bool {
        let (word, bit) = (usize::from(key / 64), key % 64);
        let fresh = self.0[word] & (1 << bit) == 0;
        self.0[word] |= 1 << bit;
        fresh
    }

    /// Whether no property was marked.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&word| word == 0)
    }

    pub fn contains(&self, key: u16) -> bool {
        self.0[usize::from(key / 64)] & (1 << (key % 64)) != 0
    }

    /// Whether any of these properties was read.
    pub fn any(&self, keys: &[u16]) -> bool {
        keys.iter().any(|&k| self.contains(k))
    }
}

/// A placeholder value for an element that parsing is about to fill in. It is
/// never handed to users: an object whose required element stays a placeholder
/// is a parse error.
#[doc(hidden)]
pub trait Empty {
    fn empty() -> Self;
}

/// A FHIR complex type, backbone element or resource.
pub trait Object {
    /// Reads the value of the JSON property `key` (which may be a `_name`
    /// property) into the matching field; returns the property's number, or
    /// `None` for a property this type does not have.
    fn read_field(
        &mut self,
        key: &str,
        r: &mut Reader<'_>,
        seen: &Seen,
    ) -> Result<Option<u16>, Error>;

    /// The required elements: name, and the numbers of the properties that
    /// carry it (a choice or primitive has several).
    fn required(&self) -> &'static [(&'static str, &'static [u16])];

    /// Writes the fields as JSON properties, in definition order.
    fn write_fields(&self, w: &mut Writer);

    /// Checks what can only be judged once the whole object is read: each
    /// element of a repeating primitive has a value or an extension (`given`
    /// and `_given` arrive separately), slice cardinalities. The problem
    /// names the offending property.
    fn finish(&self) -> Result<(), Problem> {
        Ok(())
    }

    /// The FHIR type, as FHIRPath names it (`HumanName`, `Patient`,
    /// `PatientContact` for a backbone element); a profile's type gives
    /// the type it constrains.
    fn type_code(&self) -> &'static str {
        ""
    }

    /// Gives each element to `e` by its FHIR name (what
    /// [`Object::write_fields`] writes), for FHIRPath. A type without it is
    /// opaque: constraints below it are reported as not checked.
    fn elements<'a>(&'a self, e: &mut Elements<'a, '_>) {
        e.opaque();
    }
}

/// A resource: an [`Object`] whose JSON carries `resourceType`.
pub trait ResourceType: Object {
    const RESOURCE_TYPE: &'static str;
}

/// A choice element (`value[x]`): an enum with one variant per allowed type.
pub trait Choice: Sized {
    /// Reads the property `key` (`valueQuantity`, `_valueString`...) into
    /// `current`, which holds what earlier properties of the same choice gave.
    /// Returns false if `key` is not one of this choice's properties.
    fn read_choice(
        current: &mut Option<Self>,
        key: &str,
        r: &mut Reader<'_>,
    ) -> Result<bool, Error>;

    /// Writes the property (and its `_name` part) for the variant held.
    fn write_choice(&self, w: &mut Writer);

    /// Gives the variant held to `e` as the element `name` (`value`).
    fn elements<'a>(&'a self, name: &'static str, e: &mut Elements<'a, '_>) {
        let _ = name;
        e.opaque();
    }
}

/// The first required element of `object` that `seen` lacks.
pub fn required_missing(object: &dyn Object, seen: &Seen) -> Option<&'static str> {
    object
        .required()
        .iter()
        .find(|(_, keys)| !seen.any(keys))
        .map(|(name, _)| *name)
}

/// Boxed fields (where a type contains itself) read and write as what they hold.
impl<T: Object + ?Sized> Object for Box<T> {
    fn read_field(
        &mut self,
        key: &str,
        r: &mut Reader<'_>,
        seen: &Seen,
    ) -> Result<Option<u16>, Error> {
        (**self).read_field(key, r, seen)
    }

    fn required(&self) -> &'static [(&'static str, &'static [u16])] {
        (**self).required()
    }

    fn write_fields(&self, w: &mut Writer) {
        (**self).write_fields(w)
    }

    fn finish(&self) -> Result<(), Problem> {
        (**self).finish()
    }

    fn type_code(&self) -> &'static str {
        (**self).type_code()
    }

    fn elements<'a>(&'a self, e: &mut Elements<'a, '_>) {
        (**self).elements(e)
    }
}

/// For [`Object::finish`]: the first element of a repeating primitive with
/// neither value nor extension, as `name[index]`.
pub fn empty_primitive<V, X>(name: &str, list: &[crate::Primitive<V, X>]) -> Result<(), Problem> {
    match list
        .iter()
        .position(|p| p.value.is_none() && !p.has_element_part())
    {
        Some(index) => Err(Problem::new(
            IssueCode::Structure,
            format!("{name}[{index}]"),
            format!(
                "an element needs a value or an extension (null in both `{name}` and `_{name}`)"
            ),
        )),
        None => Ok(()),
    }
}

/// The message of a required-binding `code` given without a code.
pub(crate) const CODE_NEEDED: &str = "a code from the required value set is needed here (for an unknown value, the value set's own code; a data-absent-reason extension alone is not allowed)";

/// For [`Object::finish`]: a `code` with a required binding carries a code.
/// US Core's missing-data rule: such an element uses the value set's own code
/// for "unknown" (or, where it has none, must be populated); an element with
/// only a data-absent-reason extension is not allowed.
pub fn coded_primitive<V, X>(name: &str, list: &[crate::Primitive<V, X>]) -> Result<(), Problem> {
    match list.iter().position(|p| p.value.is_none()) {
        Some(index) => {
            let at = if list.len() > 1 {
                format!("{name}[{index}]")
            } else {
                name.to_owned()
            };
            Err(Problem::new(IssueCode::Required, at, CODE_NEEDED))
        }
        None => Ok(()),
    }
}

impl<T: Empty> Empty for Box<T> {
    fn empty() -> Self {
        Box::new(T::empty())
    }
}

impl<T> Empty for Option<T> {
    fn empty() -> Self {
        None
    }
}

impl<T> Empty for Vec<T> {
    fn empty() -> Self {
        Vec::new()
    }
}

impl Empty for String {
    fn empty() -> Self {
        String::new()
    }
}

impl<V, X> Empty for crate::Primitive<V, X> {
    fn empty() -> Self {
        crate::Primitive::blank()
    }
}
