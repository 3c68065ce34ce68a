//! Moving an element between the field of a base profile and the field of a
//! profile that refines it: what `#[derive(fhirgen_macros::Profile)]`
//! generates for hand-written profiles calls these.

use crate::error::{Error, IssueCode};
use crate::profile::NonEmpty;

/// A field of a base profile that a refining profile can take an element
/// out of, and put it back into: `Option<T>`, `Vec<T>`, `NonEmpty<T>`.
#[diagnostic::on_unimplemented(
    message = "the base's `{Self}` field holds exactly one value already",
    label = "a refining profile cannot narrow this element further",
    note = "leave the element in the base profile's field"
)]
pub trait Slot {
    type Item;
    /// The items, leaving the field empty.
    fn take_items(&mut self) -> Vec<Self::Item>;
    /// Puts items back (as many as the field allows: the refining profile's
    /// shape is narrower than the base's).
    fn put_items(&mut self, items: Vec<Self::Item>);
}

impl<T> Slot for Option<T> {
    type Item = T;
    fn take_items(&mut self) -> Vec<T> {
        self.take().into_iter().collect()
    }
    fn put_items(&mut self, items: Vec<T>) {
        *self = items.into_iter().next();
    }
}

impl<T> Slot for Vec<T> {
    type Item = T;
    fn take_items(&mut self) -> Vec<T> {
        std::mem::take(self)
    }
    fn put_items(&mut self, items: Vec<T>) {
        *self = items;
    }
}

impl<T> Slot for NonEmpty<T> {
    type Item = T;
    fn take_items(&mut self) -> Vec<T> {
        std::mem::take(self.as_vec_mut())
    }
    fn put_items(&mut self, items: Vec<T>) {
        *self.as_vec_mut() = items;
    }
}

fn missing(path: &str) -> Error {
    Error::new(path, crate::error::REQUIRED_MISSING).with_code(IssueCode::Required)
}

/// Exactly one item (`1..1`).
pub fn one<T>(items: Vec<T>, path: &str) -> Result<T, Error> {
    match <[T; 1]>::try_from(items) {
        Ok([item]) => Ok(item),
        Err(items) if items.is_empty() => Err(missing(path)),
        Err(items) => Err(too_many(path, items.len(), 1)),
    }
}

/// At most one item (`0..1`).
pub fn at_most_one<T>(items: Vec<T>, path: &str) -> Result<Option<T>, Error> {
    if items.len() > 1 {
        return Err(too_many(path, items.len(), 1));
    }
    Ok(items.into_iter().next())
}

/// At least `min` and at most `max` items (`min..max`, `None` for `*`).
pub fn list<T>(items: Vec<T>, path: &str, min: usize, max: Option<usize>) -> Result<Vec<T>, Error> {
    if items.len() < min {
        return Err(if items.is_empty() {
            missing(path)
        } else {
            Error::new(
                path,
                format!("{} items, the profile needs at least {min}", items.len()),
            )
        });
    }
    match max {
        Some(max) if items.len() > max => Err(too_many(path, items.len(), max)),
        _ => Ok(items),
    }
}

/// At least one item (`1..*`, `1..n`).
pub fn non_empty<T>(items: Vec<T>, path: &str, max: Option<usize>) -> Result<NonEmpty<T>, Error> {
    let items = list(items, path, 1, max)?;
    NonEmpty::from_vec(items).ok_or_else(|| missing(path))
}

fn too_many(path: &str, count: usize, max: usize) -> Error {
    Error::new(
        path,
        format!("{count} items, the profile allows at most {max}"),
    )
}
