//! The base FHIR types (resources, datatypes, primitives) of a core package
//! such as hl7.fhir.r4.core, from their StructureDefinition snapshots.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use super::codes::{binding_codes, code_enum};
use super::{
    ChoiceDef, CodeEnum, Field, FieldType, PrimitiveDef, StructDef, StructKind, TypeSpace,
    ValueType, Variant,
};
use crate::conformance::{ElementDefinition, Max, StructureDefinition};
use crate::error::{Error, Result};
use crate::naming;
use crate::package::{PackageId, PackageSet, ResourceRef};
use crate::terminology::Expander;

/// The primitive types of FHIR R4: value type and runtime kind.
const PRIMITIVES: &[(&str, ValueType, &str)] = &[
    ("base64Binary", ValueType::String, "Base64Binary"),
    ("boolean", ValueType::Bool, "Boolean"),
    ("canonical", ValueType::String, "Canonical"),
    ("code", ValueType::String, "Code"),
    ("date", ValueType::Date, "Date"),
    ("dateTime", ValueType::DateTime, "DateTime"),
    ("decimal", ValueType::Decimal, "Decimal"),
    ("id", ValueType::String, "Id"),
    ("instant", ValueType::Instant, "Instant"),
    ("integer", ValueType::Integer, "Integer"),
    ("markdown", ValueType::String, "Markdown"),
    ("oid", ValueType::String, "Oid"),
    ("positiveInt", ValueType::Integer, "PositiveInt"),
    ("string", ValueType::String, "String"),
    ("time", ValueType::Time, "Time"),
    ("unsignedInt", ValueType::Integer, "UnsignedInt"),
    ("uri", ValueType::String, "Uri"),
    ("url", ValueType::String, "Url"),
    ("uuid", ValueType::String, "Uuid"),
    ("xhtml", ValueType::String, "Xhtml"),
];

/// Builds the types of every primitive, datatype and resource the root
/// package defines (specializations only: profiles are not base types).
pub fn build_base_types(set: &PackageSet) -> Result<TypeSpace> {
    build_base_types_of(set, &set.root().id().clone())
}

/// Builds the base types of the package `root` of the set (the core package
/// a profile package depends on).
pub fn build_base_types_of(set: &PackageSet, root: &PackageId) -> Result<TypeSpace> {
    let root = root.clone();
    let mut definitions: Vec<(ResourceRef, Arc<StructureDefinition>)> = Vec::new();
    // The value sets the package's own profiles and extensions bind.
    let mut profile_bindings: BTreeSet<String> = BTreeSet::new();
    for r in set.resources_of_type("StructureDefinition") {
        if set.package_of(r).id() != &root {
            continue;
        }
        let definition = set.parse::<StructureDefinition>(r)?;
        if definition.derivation.as_deref() == Some("constraint") {
            profile_bindings.extend(coded_bindings(&definition));
            continue;
        }
        if definition.derivation.as_deref() == Some("specialization")
            && matches!(
                definition.kind.as_str(),
                "primitive-type" | "complex-type" | "resource"
            )
        {
            definitions.push((r, definition));
        }
    }
    let complex: HashSet<String> = definitions
        .iter()
        .filter(|(_, d)| d.kind == "complex-type" && !d.is_abstract)
        .map(|(_, d)| d.type_.clone())
        .collect();

    let mut space = TypeSpace {
        package: root.clone(),
        primitives: Vec::new(),
        structs: Vec::new(),
        choices: Vec::new(),
        resources: Vec::new(),
        code_enums: Vec::new(),
        bases: Vec::new(),
    };
    for (_, definition) in &definitions {
        let base = definition
            .base_definition
            .as_deref()
            .and_then(|url| url.rsplit('/').next())
            .map(str::to_owned);
        space.bases.push((definition.type_.clone(), base));
    }
    space.bases.sort();
    for (r, definition) in &definitions {
        let source = format!(
            "{}|{}",
            definition.url,
            definition.version.as_deref().unwrap_or("")
        );
        if definition.kind == "primitive-type" {
            let (_, value, kind) = PRIMITIVES
                .iter()
                .find(|(code, ..)| *code == definition.type_)
                .ok_or_else(|| {
                    invalid(
                        set,
                        *r,
                        &definition.type_,
                        "a primitive type this generator does not know",
                    )
                })?;
            space.primitives.push(PrimitiveDef {
                code: definition.type_.clone(),
                alias: naming::primitive_alias(&definition.type_),
                value: *value,
                kind,
                url: source,
                short: definition.description.clone(),
            });
            continue;
        }
        if definition.is_abstract {
            continue;
        }
        let elements = definition
            .snapshot_elements()
            .ok_or_else(|| Error::NoSnapshot {
                package: set.package_of(*r).id().clone(),
                file: format!("package/{}", set.entry(*r).filename),
                profile: definition.url.clone(),
            })?;
        let kind = if definition.kind == "resource" {
            space.resources.push(definition.type_.clone());
            StructKind::Resource
        } else {
            StructKind::Datatype
        };
        let builder = Builder {
            set,
            definition: *r,
            is_resource: kind == StructKind::Resource,
            owner: &definition.type_,
            source: &source,
            complex: &complex,
            elements,
        };
        builder.build(kind, &mut space)?;
    }
    space.primitives.sort_by(|a, b| a.alias.cmp(&b.alias));
    space.structs.sort_by(|a, b| a.name.cmp(&b.name));
    space.choices.sort_by(|a, b| a.name.cmp(&b.name));
    space.resources.sort();
    let core = set.rooted_at(&root).ok_or_else(|| {
        crate::error::Error::Usage(format!("package {root} is not in the package set"))
    })?;
    bind_codes(&core, &mut space, &profile_bindings)?;
    check_unique_names(&space)?;
    box_cycles(&mut space);
    Ok(space)
}

fn invalid(set: &PackageSet, r: ResourceRef, element: &str, message: &str) -> Error {
    Error::InvalidElement {
        package: set.package_of(r).id().clone(),
        file: format!("package/{}", set.entry(r).filename),
        element: element.to_owned(),
        message: message.to_owned(),
    }
}

struct Builder<'a> {
    set: &'a PackageSet,
    definition: ResourceRef,
    is_resource: bool,
    owner: &'a str,
    source: &'a str,
    complex: &'a HashSet<String>,
    elements: &'a [ElementDefinition],
}

impl Builder<'_> {
    fn error(&self, element: &ElementDefinition, message: impl Into<String>) -> Error {
        invalid(self.set, self.definition, element.key(), &message.into())
    }

    fn build(&self, kind: StructKind, space: &mut TypeSpace) -> Result<()> {
        // Element paths that have children become structs.
        let parents: HashSet<&str> = self
            .elements
            .iter()
            .filter_map(|e| e.path.rsplit_once('.').map(|(parent, _)| parent))
            .collect();
        let mut structs: BTreeMap<&str, StructDef> = BTreeMap::new();
        let root = &self.elements[0];
        structs.insert(
            &root.path,
            StructDef {
                name: naming::type_name(&root.path),
                type_code: naming::type_name(&root.path),
                kind,
                path: root.path.clone(),
                element_id: root.path.clone(),
                source: self.source.to_owned(),
                owner: self.owner.to_owned(),
                short: root.short.clone(),
                fields: Vec::new(),
                profile: None,
            },
        );
        for element in &self.elements[1..] {
            if element.slice_name.is_some() || element.max() == Some(Max::Count(0)) {
                continue;
            }
            let Some((parent, name)) = element.path.rsplit_once('.') else {
                return Err(self.error(element, "element path has no parent"));
            };
            if !structs.contains_key(parent) {
                // A child of an element that is skipped (a slice, max 0).
                continue;
            }
            let field = self.field(
                element,
                name,
                parents.contains(element.path.as_str()),
                space,
            )?;
            if let FieldType::Object { type_name, .. } = &field.ty
                && parents.contains(element.path.as_str())
                && element.content_reference.is_none()
            {
                structs.insert(
                    &element.path,
                    StructDef {
                        name: type_name.clone(),
                        type_code: type_name.clone(),
                        kind: StructKind::Backbone,
                        path: element.path.clone(),
                        element_id: element.path.clone(),
                        source: self.source.to_owned(),
                        owner: self.owner.to_owned(),
                        short: element.short.clone(),
                        fields: Vec::new(),
                        profile: None,
                    },
                );
            }
            structs
                .get_mut(parent)
                .expect("parent checked above")
                .fields
                .push(field);
        }
        space.structs.extend(structs.into_values());
        Ok(())
    }

    fn field(
        &self,
        element: &ElementDefinition,
        name: &str,
        has_children: bool,
        space: &mut TypeSpace,
    ) -> Result<Field> {
        let json_name = name.trim_end_matches("[x]").to_owned();
        let min = element.min.unwrap_or(0);
        let max = element
            .max()
            .ok_or_else(|| self.error(element, "no max cardinality"))?;
        let ty = if let Some(reference) = &element.content_reference {
            let target = reference.trim_start_matches('#');
            let target = target.rsplit_once('#').map_or(target, |(_, path)| path);
            FieldType::Object {
                type_name: naming::type_name(target),
                boxed: false,
            }
        } else if name.ends_with("[x]") {
            let enum_name = naming::type_name(&element.path);
            let variants = element
                .types
                .iter()
                .map(|t| {
                    let code = t
                        .code
                        .as_deref()
                        .ok_or_else(|| self.error(element, "a type without a code"))?;
                    Ok(Variant {
                        type_code: code.to_owned(),
                        name: naming::variant_name(code),
                        json_name: naming::choice_property(&json_name, code),
                        ty: self.single_type(element, code, false)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            space.choices.push(ChoiceDef {
                name: enum_name.clone(),
                path: element.path.clone(),
                base: json_name.clone(),
                owner: self.owner.to_owned(),
                variants,
            });
            FieldType::Choice { enum_name }
        } else {
            let [only] = element.types.as_slice() else {
                return Err(self.error(element, "expected exactly one type outside a choice"));
            };
            match only.code.as_deref() {
                Some(code) if code.starts_with("http://hl7.org/fhirpath/System.") => {
                    let fhir_type = only.fhir_type().unwrap_or("string");
                    // R4 types Resource.id as a FHIRPath string, but it is an `id`.
                    let resource_id =
                        self.is_resource && element.path == format!("{}.id", self.owner);
                    let kind = if resource_id {
                        "Id"
                    } else {
                        runtime_kind(fhir_type).ok_or_else(|| {
                            self.error(element, format!("unknown FHIRPath type `{fhir_type}`"))
                        })?
                    };
                    FieldType::Plain { kind }
                }
                Some(code) if has_children && matches!(code, "BackboneElement" | "Element") => {
                    FieldType::Object {
                        type_name: naming::type_name(&element.path),
                        boxed: false,
                    }
                }
                Some(code) => self.single_type(element, code, has_children)?,
                None => return Err(self.error(element, "a type without a code")),
            }
        };
        Ok(Field {
            rust_name: naming::field_name(&json_name),
            json_name,
            path: element.path.clone(),
            min,
            max,
            json_array: max != Max::Count(1),
            ty,
            short: element.short.clone(),
            binding: element
                .binding
                .as_ref()
                .and_then(|b| Some((b.strength.clone(), b.value_set.clone()?))),
            is_modifier: element.is_modifier(),
            must_support: false,
            pattern: None,
            notes: Vec::new(),
            required_codes: None,
            reference_targets: Vec::new(),
            present_on_read: false,
        })
    }

    fn single_type(
        &self,
        element: &ElementDefinition,
        code: &str,
        has_children: bool,
    ) -> Result<FieldType> {
        if let Some((code, _, kind)) = PRIMITIVES.iter().find(|(c, ..)| *c == code) {
            return Ok(FieldType::Primitive {
                alias: naming::primitive_alias(code),
                kind,
            });
        }
        if code == "Resource" {
            return Ok(FieldType::Resource { profile: None });
        }
        if self.complex.contains(code) && !has_children {
            return Ok(FieldType::Object {
                type_name: code.to_owned(),
                boxed: false,
            });
        }
        Err(self.error(
            element,
            format!("type `{code}` is not a datatype of this package"),
        ))
    }
}

fn runtime_kind(fhir_type: &str) -> Option<&'static str> {
    PRIMITIVES
        .iter()
        .find(|(code, ..)| *code == fhir_type)
        .map(|(_, _, kind)| *kind)
}

/// The names a base crate has besides its types.
const OTHER_NAMES: &[&str] = &["Resource", "CodeEnum", "Error", "Issue", "IssueCode"];

/// The value sets a profile's snapshot binds to coded elements (`code`,
/// `Coding`, `CodeableConcept`) with a required or extensible binding.
fn coded_bindings(definition: &StructureDefinition) -> Vec<String> {
    definition
        .snapshot_elements()
        .unwrap_or_default()
        .iter()
        .filter(|e| {
            matches!(e.types.as_slice(), [only]
                if matches!(only.code.as_deref(), Some("code" | "Coding" | "CodeableConcept")))
        })
        .filter_map(|e| {
            let binding = e.binding.as_ref()?;
            let value_set = binding.value_set.as_deref()?;
            matches!(binding.strength.as_str(), "required" | "extensible")
                .then(|| fhirgen_runtime::canonical_url(value_set).to_owned())
        })
        .collect()
}

/// Code enums for the required and extensible bindings of coded elements
/// (`code`, `Coding`, `CodeableConcept`) to value sets that expand offline,
/// one per value set: a `code` element with a required binding holds the
/// enum (a read rejects another code); a `Coding` or `CodeableConcept` with
/// one must carry one of its codes; the docs name the enum. The value sets
/// the package's own profiles bind (`profile_bindings`) get enums too, for
/// the crates of IGs to use. Value sets expand in `core` alone, so the enums
/// are the same whichever IG the base types are built for.
fn bind_codes(
    core: &PackageSet,
    space: &mut TypeSpace,
    profile_bindings: &BTreeSet<String>,
) -> Result<()> {
    let expander = Expander::new(core);
    let mut taken: HashSet<String> = space
        .structs
        .iter()
        .map(|s| s.name.clone())
        .chain(space.choices.iter().map(|c| c.name.clone()))
        .chain(space.primitives.iter().map(|p| p.alias.clone()))
        .chain(OTHER_NAMES.iter().map(|n| (*n).to_owned()))
        .collect();
    let mut fresh = |wanted: String| naming::unique_type_name(&mut taken, wanted);
    // Value set (no version) -> its enum, `None` when it does not expand.
    let mut made: HashMap<String, Option<CodeEnum>> = HashMap::new();
    let mut make = |value_set: &str| -> Result<Option<CodeEnum>> {
        if let Some(known) = made.get(value_set) {
            return Ok(known.clone());
        }
        let code_enum = match binding_codes(&expander, value_set)? {
            Ok(codes) if !codes.is_empty() => Some(code_enum(core, value_set, codes, &mut fresh)),
            _ => None,
        };
        made.insert(value_set.to_owned(), code_enum.clone());
        Ok(code_enum)
    };
    for s in &mut space.structs {
        for field in &mut s.fields {
            let Some((strength, value_set)) = &field.binding else {
                continue;
            };
            let required = strength == "required";
            if !required && strength != "extensible" {
                continue;
            }
            let code = matches!(&field.ty, FieldType::Primitive { kind: "Code", .. });
            let coded = matches!(&field.ty, FieldType::Object { type_name, .. }
                if type_name == "Coding" || type_name == "CodeableConcept");
            if !code && !coded {
                continue;
            }
            let value_set = fhirgen_runtime::canonical_url(value_set);
            let Some(code_enum) = make(value_set)? else {
                continue;
            };
            field
                .notes
                .push(format!("Codes: [`{0}`](crate::{0})", code_enum.name));
            if !required {
                continue;
            }
            match &mut field.ty {
                FieldType::Primitive { alias, .. } => *alias = code_enum.alias.clone(),
                _ => field.required_codes = Some(code_enum.name.clone()),
            }
        }
    }
    for value_set in profile_bindings {
        make(value_set)?;
    }
    space.code_enums = made.into_values().flatten().collect();
    space.code_enums.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(())
}

fn check_unique_names(space: &TypeSpace) -> Result<()> {
    let mut seen = BTreeSet::new();
    let names = space
        .structs
        .iter()
        .map(|s| (&s.name, &s.path))
        .chain(space.choices.iter().map(|c| (&c.name, &c.path)));
    for (name, path) in names.chain(space.primitives.iter().map(|p| (&p.alias, &p.code))) {
        if !seen.insert(name.as_str()) || name == "Resource" {
            return Err(Error::InvalidElement {
                package: space.package.clone(),
                file: "(generated names)".to_owned(),
                element: path.clone(),
                message: format!("two types would be named `{name}`"),
            });
        }
    }
    Ok(())
}

/// Boxes every field that leads back to the type holding it without going
/// through a `Vec`, so every type has a finite size, and every datatype held
/// by a choice enum.
fn box_cycles(space: &mut TypeSpace) {
    // Direct containment: type -> types it holds inline.
    let mut edges: HashMap<String, Vec<String>> = HashMap::new();
    for s in &space.structs {
        let targets = s
            .fields
            .iter()
            .filter(|f| !f.is_list())
            .filter_map(|f| match &f.ty {
                FieldType::Object { type_name, .. } => Some(type_name.clone()),
                FieldType::Choice { enum_name } => Some(enum_name.clone()),
                _ => None,
            })
            .collect();
        edges.insert(s.name.clone(), targets);
    }
    for c in &space.choices {
        let targets = c
            .variants
            .iter()
            .filter_map(|v| match &v.ty {
                FieldType::Object { type_name, .. } => Some(type_name.clone()),
                _ => None,
            })
            .collect();
        edges.insert(c.name.clone(), targets);
    }
    let reaches = |from: &str, to: &str| -> bool {
        let mut stack = vec![from.to_owned()];
        let mut visited = HashSet::new();
        while let Some(next) = stack.pop() {
            if next == to {
                return true;
            }
            if visited.insert(next.clone()) {
                stack.extend(edges.get(&next).into_iter().flatten().cloned());
            }
        }
        false
    };
    let mut boxed: HashSet<(String, String)> = HashSet::new();
    for (from, targets) in &edges {
        for target in targets {
            if reaches(target, from) {
                boxed.insert((from.clone(), target.clone()));
            }
        }
    }
    let mark = |owner: &str, ty: &mut FieldType| {
        if let FieldType::Object {
            type_name,
            boxed: b,
        } = ty
            && boxed.contains(&(owner.to_owned(), type_name.clone()))
        {
            *b = true;
        }
    };
    for s in &mut space.structs {
        for f in s.fields.iter_mut().filter(|f| f.max == Max::Count(1)) {
            mark(&s.name, &mut f.ty);
        }
    }
    // Every datatype in a choice is boxed: an enum is as large as its largest
    // variant, and `Extension.value[x]` would otherwise make every extension
    // 4.5 kB. A present value costs one allocation instead.
    for c in &mut space.choices {
        for v in &mut c.variants {
            if let FieldType::Object { boxed, .. } = &mut v.ty {
                *boxed = true;
            }
        }
    }
}
