//! What generated typestate builders use: the two states of a required
//! element, and filling in a profile's pattern.

use crate::json::Reader;
use crate::object::{Empty, Object};
use crate::profile::{NonEmpty, Pattern};

/// A required element a builder has not been given yet.
#[derive(Debug, Clone, Copy, Default)]
pub struct Missing;

/// A required element a builder has been given.
#[derive(Debug, Clone, Copy, Default)]
pub struct Set;

/// A value of `T` read from a profile's pattern (or fixed value): what a
/// builder fills in for an element the profile fixes. The generator uses it
/// only for types without required elements, which any pattern satisfies.
pub fn from_pattern<T: Object + Empty>(pattern: &Pattern) -> T {
    let mut value = T::empty();
    let mut reader = Reader::new(pattern.text().as_bytes());
    if let Err(e) = reader.object_in_place(&mut value) {
        // The generator fills in only patterns of types with no required
        // elements; one that does not read is a bug of the generator.
        panic!(
            "the profile's pattern {} does not read: {e}",
            pattern.text()
        );
    }
    value
}

impl<T> From<T> for NonEmpty<T> {
    fn from(item: T) -> Self {
        NonEmpty::new(item)
    }
}
