//! The intermediate model of the types to generate, built from
//! StructureDefinition snapshots and read by the emitter (which reads nothing
//! else).

mod base;
mod codes;
mod profile;
mod profile_types;
mod reuse;
mod search;

pub use base::{build_base_types, build_base_types_of};
pub(crate) use codes::binding_codes;
pub use profile::{
    DiscriminatorValue, ProfileModel, ProfileNode, Slice, discriminator_value, with_snapshot,
};
pub(crate) use profile_types::reference_target_types;
pub use profile_types::{
    ProfileKind, ProfileSpace, ProfileType, build_profile_types, build_profile_types_selected,
};
pub use reuse::ReusedCrate;
pub use search::{CombinationUse, ParameterUse, ResourceSearch, SearchSpace, build_searches};

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
    /// Enums of the codes of the value sets its elements bind (required or
    /// extensible) that expand, sorted by name.
    pub code_enums: Vec<CodeEnum>,
    /// Every type the package defines (primitive, datatype, resource,
    /// abstract ones too) with the type it specializes: `code` -> `string`,
    /// `Age` -> `Quantity`, `Patient` -> `DomainResource`. Sorted by name.
    pub bases: Vec<(String, Option<String>)>,
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
    /// An element a profile constrains (a datatype or backbone element with
    /// the profile's rules).
    ProfilePart,
}

/// A Rust struct: a resource, a datatype or a backbone element.
#[derive(Debug, Clone)]
pub struct StructDef {
    pub name: String,
    /// The FHIR type it holds, as FHIRPath names it: the type's name, the
    /// struct name for a backbone element (`PatientContact`), the base
    /// type's for a profile's struct.
    pub type_code: String,
    pub kind: StructKind,
    /// The FHIR element path (`Patient`, `Patient.contact`).
    pub path: String,
    /// The element id it is made from (`Patient.telecom:email`); the path
    /// for base types.
    pub element_id: String,
    /// The StructureDefinition it comes from, `url|version`.
    pub source: String,
    /// The resource or datatype whose file holds it.
    pub owner: String,
    pub short: Option<String>,
    pub fields: Vec<Field>,
    /// Set on the struct of a profile itself (not its parts).
    pub profile: Option<Box<ProfileType>>,
}

impl StructDef {
    /// Whether any field is sliced (the struct then records slice order).
    pub fn has_slices(&self) -> bool {
        self.fields
            .iter()
            .any(|f| matches!(f.ty, FieldType::Sliced(_)))
    }
}

#[derive(Debug, Clone)]
pub struct Field {
    /// The JSON property name (for a choice, without the type: `value`).
    pub json_name: String,
    pub rust_name: String,
    pub path: String,
    pub min: u32,
    pub max: Max,
    /// Whether FHIR JSON holds it as an array: the base element repeats,
    /// whatever the profile allows.
    pub json_array: bool,
    pub ty: FieldType,
    pub short: Option<String>,
    /// Strength and value set of the binding, if any.
    pub binding: Option<(String, String)>,
    pub is_modifier: bool,
    /// A profile's Must Support flag.
    pub must_support: bool,
    /// A value the profile fixes (`exact`) or a pattern it requires, as JSON.
    pub pattern: Option<PatternDef>,
    /// More lines for the doc comment (allowed reference targets...).
    pub notes: Vec<String>,
    /// A `Coding` or `CodeableConcept` with a required binding to an
    /// enumerable value set: the code enum whose codes it must use.
    pub required_codes: Option<String>,
    /// A `Reference` a profile restricts: the resource types a literal
    /// reference may point to (empty: not checked).
    pub reference_targets: Vec<String>,
    /// Required by the profile although its Rust type is optional: a single
    /// resource (`Bundle.entry.resource` 1..1), which has no placeholder to
    /// read into. A read (and so `validate()`) still requires it.
    pub present_on_read: bool,
}

/// The codes of an enumerable value set, as a Rust enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeEnum {
    pub name: String,
    /// The alias of `Primitive<name, Extension>` for `code` elements.
    pub alias: String,
    /// The value set's canonical URL as the binding gives it.
    pub value_set: String,
    pub title: Option<String>,
    pub codes: Vec<EnumCode>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumCode {
    pub variant: String,
    pub system: String,
    pub code: String,
    pub display: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternDef {
    pub exact: bool,
    /// Compact JSON text.
    pub json: String,
}

impl Field {
    pub fn is_required(&self) -> bool {
        self.min > 0
    }

    pub fn is_list(&self) -> bool {
        self.max != Max::Count(1)
    }

    /// A single value in Rust, an array of one in JSON.
    pub fn is_single_in_array(&self) -> bool {
        self.json_array && !self.is_list()
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
    /// A resource (`contained`, `Bundle.entry.resource`): of any type, or
    /// of the one profile's type (`crate::PasClaim`) the profile names.
    Resource { profile: Option<String> },
    /// A single required primitive whose value the profile fixes: no Rust
    /// field, the value is written as is and checked on read. With the
    /// primitive's runtime kind.
    Constant(PatternDef, &'static str),
    /// A sliced list: a field per slice, and one for the items in no slice.
    Sliced(Box<SlicedDef>),
}

/// A sliced repeating element (`Patient.extension`, `Observation.component`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlicedDef {
    pub slices: Vec<SliceField>,
    /// The items that match no slice; `None` when slicing is closed.
    pub rest: Option<Box<FieldType>>,
    /// Rust name of the rest field.
    pub rest_name: String,
    /// Slices must come in the order the profile gives (`ordered`).
    pub ordered: bool,
    /// Items in no slice may only follow the sliced ones (`openAtEnd`).
    pub open_at_end: bool,
}

/// One slice, as a field of the struct holding the sliced element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliceField {
    /// The slice name (`race`, `systolic`).
    pub name: String,
    pub rust_name: String,
    pub min: u32,
    pub max: Max,
    pub ty: FieldType,
    pub short: Option<String>,
    pub must_support: bool,
    pub matchers: Vec<MatcherDef>,
}

/// What routes an item to a slice (one per discriminator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatcherDef {
    Value {
        path: String,
        pattern: PatternDef,
    },
    Exists {
        path: String,
        present: bool,
    },
    Codes {
        path: String,
        codes: Vec<(String, String)>,
    },
    /// The value at `path` has one of these types (a resource's type).
    Type {
        path: String,
        codes: Vec<String>,
    },
    /// The value at `path` meets one of these profiles' rule tables.
    Profile {
        path: String,
        urls: Vec<String>,
    },
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
