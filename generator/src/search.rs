//! The search definitions of a package set for [`fhirgen_search`]: its
//! SearchParameters (an IG's over its dependencies'), the Patient
//! CompartmentDefinition, and the server CapabilityStatements it publishes.

use fhirgen_search::{Compartment, Component, ParamType, Registry, SearchParameter};

use crate::conformance::{CapabilityStatement, CompartmentDefinition, SearchParameterDef};
use crate::error::{Error, Result};
use crate::package::PackageSet;

/// The Patient compartment's canonical URL.
pub const PATIENT_COMPARTMENT: &str = "http://hl7.org/fhir/CompartmentDefinition/patient";

/// The resource types of the core package's shapes.
pub fn resource_types(shapes: &fhirgen_runtime::shape::Shapes) -> Vec<String> {
    shapes
        .type_bases()
        .into_iter()
        .filter(|(name, _)| shapes.resource(name).is_some())
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// Every SearchParameter of `set`, for the resource types `resource_types`
/// (the core package's). Dependencies come first, so the root package's
/// parameters replace theirs where both define a code on a type.
pub fn registry(set: &PackageSet, resource_types: Vec<String>) -> Result<Registry> {
    let mut registry = Registry::new(resource_types);
    let mut found: Vec<_> = set.resources_of_type("SearchParameter").collect();
    // `resources_of_type` gives the root package first.
    found.reverse();
    for r in found {
        let definition: std::sync::Arc<SearchParameterDef> = set.parse(r)?;
        let entry = set.entry(r);
        let kind = ParamType::parse(&definition.kind).ok_or_else(|| Error::InvalidElement {
            package: set.package_of(r).id().clone(),
            file: entry.filename.clone(),
            element: "SearchParameter.type".to_owned(),
            message: format!("`{}` is not a search parameter type", definition.kind),
        })?;
        registry.add(SearchParameter {
            url: definition.url.clone(),
            code: definition.code.clone(),
            base: definition.base.clone(),
            kind,
            expression: definition.expression.clone(),
            targets: definition.target.clone(),
            components: definition
                .component
                .iter()
                .map(|c| Component {
                    definition: c.definition.clone(),
                    expression: c.expression.clone(),
                })
                .collect(),
            chains: definition.chain.clone(),
            description: definition.description.clone().unwrap_or_default(),
        });
    }
    Ok(registry)
}

/// The Patient compartment (R4's CompartmentDefinition).
pub fn patient_compartment(set: &PackageSet) -> Result<Compartment> {
    let definition: std::sync::Arc<CompartmentDefinition> = set.resolve_as(PATIENT_COMPARTMENT)?;
    Ok(Compartment {
        code: definition.code.clone(),
        members: definition
            .resource
            .iter()
            .map(|r| (r.code.clone(), r.param.clone()))
            .collect(),
    })
}

/// The CapabilityStatements of the root package with a `server` part.
pub fn server_statements(set: &PackageSet) -> Result<Vec<std::sync::Arc<CapabilityStatement>>> {
    let root = set.root().id().clone();
    let mut out = Vec::new();
    for r in set.resources_of_type("CapabilityStatement") {
        if *set.package_of(r).id() != root {
            continue;
        }
        let statement: std::sync::Arc<CapabilityStatement> = set.parse(r)?;
        if statement.rest.iter().any(|rest| rest.mode == "server") {
            out.push(statement);
        }
    }
    Ok(out)
}
