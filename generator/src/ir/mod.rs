//! The intermediate model of the types to generate, built from
//! StructureDefinition snapshots and read by the emitter (which reads nothing
//! else).

mod base;
mod profile;

pub use base::build_base_types;
pub use profile::{DiscriminatorValue, ProfileModel, ProfileNode, Slice};

use crate::conformance::Max;
use crate::package::PackageId;

/// Every type to generate for one package.
#[derive(Debug, Clone)]
pub struct TypeSpace {
    /// The package the types come from.
    pub package: PackageId,
    pub primitives: Vec<PrimitiveDef>,
    /// Structs, sorted by name.
    pub structs: Vec<StructDef>,
    /// Choice enums, sorted by name.
    pub choices: Vec<ChoiceDef>,
    /// Resource type names, sorted.
    pub resources: Vec<String>,
}

/// A FHIR primitive type and the Rust type holding its value.
#[derive(Debug, Clone)]
pub struct PrimitiveDef {
    /// The FHIR type code (`dateTime`).
    pub code: String,
    /// The Rust alias (`DateTime`).
    pub alias: String,
    pub value: ValueType,
    /// The `fhirgen_runtime::Kind` variant that checks its rules.
    pub kind: &'static str,
    pub url: String,
    pub short: Option<String>,
}

/// Rust value types of primitives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    Bool,
    Integer,
    Decimal,
    String,
    Date,
    DateTime,
    Instant,
    Time,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StructKind {
    Resource,
    Datatype,
    /// A backbone element of the resource or datatype named.
    Backbone,
}

/// A Rust struct: a resource, a datatype or a backbone element.
#[derive(Debug, Clone)]
pub struct StructDef {
    pub name: String,
    pub kind: StructKind,
    /// The FHIR element path (`Patient`, `Patient.contact`).
    pub path: String,
    /// The StructureDefinition it comes from, `url|version`.
    pub source: String,
    /// The resource or datatype whose file holds it.
    pub owner: String,
    pub short: Option<String>,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone)]
pub struct Field {
    /// The JSON property name (for a choice, without the type: `value`).
    pub json_name: String,
    pub rust_name: String,
    pub path: String,
    pub min: u32,
    pub max: Max,
    pub ty: FieldType,
    pub short: Option<String>,
    /// Strength and value set of the binding, if any.
    pub binding: Option<(String, String)>,
    pub is_modifier: bool,
}

impl Field {
    pub fn is_required(&self) -> bool {
        self.min > 0
    }

    pub fn is_list(&self) -> bool {
        self.max != Max::Count(1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    /// A FHIR primitive, with `_name` support: the alias and runtime kind.
    Primitive { alias: String, kind: &'static str },
    /// A bare value with no `_name` part (`Element.id`, `Extension.url`).
    Plain { kind: &'static str },
    /// A datatype or backbone struct.
    Object { type_name: String, boxed: bool },
    /// A choice element's enum.
    Choice { enum_name: String },
    /// Any resource (`contained`, `Bundle.entry.resource`).
    Resource,
}

/// A choice element (`value[x]`) as an enum.
#[derive(Debug, Clone)]
pub struct ChoiceDef {
    pub name: String,
    pub path: String,
    /// The JSON name without type (`value`).
    pub base: String,
    pub owner: String,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone)]
pub struct Variant {
    pub type_code: String,
    pub name: String,
    /// The JSON property (`valueQuantity`).
    pub json_name: String,
    /// `Primitive` or `Object`.
    pub ty: FieldType,
}
