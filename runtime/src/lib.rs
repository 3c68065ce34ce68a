//! Run-time support of the FHIR types that fhirgen generates.
//!
//! Generated types hold the data; this crate holds the logic, compiled once:
//! reading FHIR JSON (one loop for every type, driven by each type's small
//! `read_field` match), writing it back, and the primitive types with their
//! FHIR rules (exact decimals, dates with their precision, `_name` elements).

mod builder;
pub mod bundle;
pub mod check;
mod codes;
mod compare;
mod error;
pub mod fhirpath;
pub mod invariants;
mod json;
pub mod limits;
mod narrative;
mod object;
mod owned;
pub mod path;
mod primitive;
mod profile;
pub mod refine;
pub mod shape;
mod temporal;
pub mod tree;
pub mod typed;
pub mod xml;

pub use builder::{Missing, Set, from_pattern};
pub use codes::{CodeEnum, CodeValue};
pub use compare::first_difference;
pub use error::{Error, Issue, IssueCode, Problem};
pub use json::{AnyResource, Reader, ResourceSlot, Writer, describe_json_error, strip_bom};
pub use object::{Choice, Empty, Object, ResourceType, Seen};
pub use owned::{DropOutOfLine, Owned};
pub use primitive::{Decimal, Kind, MAX_STRING_BYTES, Primitive, PrimitiveElement, PrimitiveValue};
pub use profile::{
    LiteralReference, Matcher, NonEmpty, Pattern, R4_RESOURCE_TYPES, ReferenceSlot, SliceItems,
    SliceOrder, SliceRule, SliceSlot, Slicing, Test, canonical_url, coding_in, convert_object,
    convert_resource,
};
pub use temporal::{Date, DateTime, Instant, Precision, Time};

/// The narrative check's two ways, for the `narrative` fuzz target: whether
/// the plain scan accepts the text, and what the full check says. Not a
/// public API.
#[doc(hidden)]
pub fn __narrative_checks(text: &str) -> (bool, Result<(), String>) {
    narrative::both(text)
}

/// What generated code reaches through `::fhirgen_runtime::__private`; not a
/// public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::json::{ReadSlot, WriteSlot};
    pub use crate::object::{coded_primitive, empty_primitive, required_missing};

    /// What generated constraint tables are written with.
    pub mod constraints {
        pub use crate::invariants::{Catalog, Invariant, Rule, Severity, StaticTable};
        pub use fhirgen_fhirpath::ast::build::*;
        pub use fhirgen_fhirpath::ast::{BinaryOp, Function, Node, TypeOp};
        pub use fhirgen_fhirpath::temporal::{DateTime, Precision, Time};
        pub use std::borrow::Cow;
    }
}
