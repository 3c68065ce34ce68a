//! The base types' FHIR JSON rules as data ([`fhirgen_runtime::shape`]),
//! from the same [`TypeSpace`] the base crate is generated from: `fhirgen
//! validate` reads resources with them as the generated `fhir-r4` types
//! would, without compiling those types in.

use std::collections::HashMap;

use fhirgen_runtime::Kind;
use fhirgen_runtime::shape::{BoundCodes, ElementKind, ElementShape, Shapes};

use crate::error::{Error, Result};
use crate::ir::{CodeEnum, FieldType, TypeSpace, build_base_types_of};
use crate::package::{PackageId, PackageSet};

/// The shapes of the base types of `core` (the core package of `set`).
/// Leaked: build them once per program.
pub fn base_shapes(set: &PackageSet, core: &PackageId) -> Result<&'static Shapes> {
    shapes_of(&build_base_types_of(set, core)?)
}

/// The shapes of the types of `space`.
pub fn shapes_of(space: &TypeSpace) -> Result<&'static Shapes> {
    let by_alias: HashMap<&str, &CodeEnum> = space
        .code_enums
        .iter()
        .map(|e| (e.alias.as_str(), e))
        .collect();
    let by_name: HashMap<&str, &CodeEnum> = space
        .code_enums
        .iter()
        .map(|e| (e.name.as_str(), e))
        .collect();
    let choices: HashMap<&str, &crate::ir::ChoiceDef> =
        space.choices.iter().map(|c| (c.name.as_str(), c)).collect();
    let bound = |code_enum: &CodeEnum| {
        BoundCodes::new(
            code_enum
                .codes
                .iter()
                .map(|c| (c.system.clone(), c.code.clone()))
                .collect(),
            code_enum.value_set.clone(),
        )
    };
    let kind = |name: &str, path: &str| {
        Kind::from_name(name).ok_or_else(|| Error::InvalidElement {
            package: space.package.clone(),
            file: "(base types)".to_owned(),
            element: path.to_owned(),
            message: format!("no primitive kind `{name}`"),
        })
    };
    let element_kind =
        |ty: &FieldType, required_codes: Option<&str>, path: &str| -> Result<ElementKind> {
            Ok(match ty {
                FieldType::Plain { kind: k } => ElementKind::Plain(kind(k, path)?),
                FieldType::Primitive { alias, kind: k } => ElementKind::Primitive {
                    kind: kind(k, path)?,
                    codes: by_alias.get(alias.as_str()).map(|e| bound(e)),
                },
                FieldType::Object { type_name, .. } => ElementKind::Object {
                    type_name: type_name.clone(),
                    codes: required_codes
                        .and_then(|name| by_name.get(name))
                        .map(|e| bound(e)),
                },
                FieldType::Resource { .. } => ElementKind::Resource,
                other => {
                    return Err(Error::InvalidElement {
                        package: space.package.clone(),
                        file: "(base types)".to_owned(),
                        element: path.to_owned(),
                        message: format!("a base type has no {other:?} element"),
                    });
                }
            })
        };
    let mut types = Vec::new();
    for s in &space.structs {
        let mut elements = Vec::new();
        for field in &s.fields {
            let kind = match &field.ty {
                FieldType::Choice { enum_name } => {
                    let choice =
                        choices
                            .get(enum_name.as_str())
                            .ok_or_else(|| Error::InvalidElement {
                                package: space.package.clone(),
                                file: "(base types)".to_owned(),
                                element: field.path.clone(),
                                message: format!("no choice `{enum_name}`"),
                            })?;
                    ElementKind::Choice(
                        choice
                            .variants
                            .iter()
                            .map(|v| {
                                Ok((v.type_code.clone(), element_kind(&v.ty, None, &field.path)?))
                            })
                            .collect::<Result<_>>()?,
                    )
                }
                ty => element_kind(ty, field.required_codes.as_deref(), &field.path)?,
            };
            elements.push(ElementShape {
                json: field.json_name.clone(),
                min: field.min,
                repeats: field.json_array,
                kind,
            });
        }
        types.push((s.name.clone(), elements));
    }
    // Backbone elements (`PatientContact`) are types of their own here.
    // (`space.bases` is sorted; what is added goes after it, so each
    // lookup is in the sorted part.)
    let mut bases = space.bases.clone();
    let known = bases.len();
    for (name, _) in &types {
        if bases[..known]
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .is_err()
        {
            bases.push((name.clone(), Some("BackboneElement".to_owned())));
        }
    }
    Shapes::new(types, &space.resources, bases).map_err(|message| Error::InvalidFile {
        package: space.package.to_string(),
        file: "(base types)".to_owned(),
        message,
    })
}
