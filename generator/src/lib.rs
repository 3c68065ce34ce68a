//! fhirgen: reads FHIR packages and turns FHIR profiles into Rust types.
//!
//! The data flows one way:
//! [`package`] (archives, folders, the package cache, registries; canonical URL
//! resolution) -> [`conformance`] (typed StructureDefinition, ValueSet,
//! CodeSystem) -> [`terminology`] (value set expansion) and [`inspect`] (what a
//! profile demands, element by element).

pub mod build;
pub mod conformance;
pub mod constraints;
pub mod emit;
pub mod error;
pub mod generate;
pub mod inspect;
pub mod ir;
pub mod naming;
pub mod package;
mod published;
pub mod rules;
pub mod search;
pub mod shapes;
pub mod terminology;

pub use error::{Error, Result};
