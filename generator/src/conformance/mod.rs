//! Typed models of the conformance resources the generator reads:
//! StructureDefinition (with ElementDefinition), ValueSet, CodeSystem, and
//! the resources of search (SearchParameter, CompartmentDefinition,
//! CapabilityStatement).
//!
//! They hold what the toolchain needs and nothing more; the narrative and other
//! parts are skipped while parsing rather than kept.

mod code_system;
mod element;
mod search;
mod snapshot;
mod structure_definition;
mod value_set;

pub use code_system::{CodeSystem, CodeSystemConcept, ConceptProperty};
pub use element::{
    Base, Binding, Constraint, Discriminator, ElementDefinition, Max, Slicing, TypeRef,
    extension_slice_url,
};
pub use search::{
    CapabilityResource, CapabilityRest, CapabilitySearchParam, CapabilityStatement, Combination,
    CompartmentDefinition, CompartmentResource, SearchComponentDef, SearchParameterDef,
    expectation,
};
pub use snapshot::derive_snapshot;
pub use structure_definition::{ElementList, StructureDefinition};
pub use value_set::{
    ConceptReference, ConceptSet, ExpansionContains, Filter, ValueSet, ValueSetCompose,
    ValueSetExpansion,
};
