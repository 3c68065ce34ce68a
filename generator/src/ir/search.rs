//! The typed searches of an IG crate: for each resource type its server
//! CapabilityStatement lists (or its own SearchParameters search), the
//! parameters with their definitions, the combinations the IG names, and
//! the `_include` / `_revinclude` values it lists.

use std::collections::BTreeMap;

use fhirgen_search::{ParamType, Registry, SearchParameter};

use crate::conformance::expectation;
use crate::error::{Error, Result};
use crate::package::{PackageId, PackageSet};

/// Everything a crate's `search` module is made of.
#[derive(Debug, Clone, Default)]
pub struct SearchSpace {
    /// The resource types of the core package (a search names them).
    pub resource_types: Vec<String>,
    /// Every definition a search of the crate may use (the parameters, their
    /// components), sorted by URL.
    pub parameters: Vec<SearchParameter>,
    pub resources: Vec<ResourceSearch>,
    /// Where the lists come from (the CapabilityStatement's URL), for docs.
    pub source: Option<String>,
    /// What the statement lists that has no typed search (a parameter no
    /// package of the set defines), once each.
    pub warnings: Vec<String>,
}

/// The searches of one resource type.
#[derive(Debug, Clone)]
pub struct ResourceSearch {
    pub resource_type: String,
    /// Its parameters, by code: those listed and the universal `_id` and
    /// `_lastUpdated`.
    pub parameters: Vec<ParameterUse>,
    pub combinations: Vec<CombinationUse>,
    pub includes: Vec<String>,
    pub revincludes: Vec<String>,
}

/// A parameter as a resource type's search uses it.
#[derive(Debug, Clone)]
pub struct ParameterUse {
    pub definition: SearchParameter,
    /// `SHALL`, `SHOULD`, `MAY`, as the CapabilityStatement says.
    pub expectation: Option<String>,
    /// The CapabilityStatement's words on it.
    pub documentation: Option<String>,
    /// For a composite, the type of each component.
    pub components: Vec<ParamType>,
}

/// A combination of parameters a server is expected to support together.
#[derive(Debug, Clone)]
pub struct CombinationUse {
    pub codes: Vec<String>,
    pub expectation: Option<String>,
}

/// Parameters every typed search has, from `Resource`.
const UNIVERSAL: [&str; 2] = ["_id", "_lastUpdated"];

/// The typed searches of the root package of `set`: `registry` holds every
/// parameter of the set (see [`crate::search::registry`]).
pub fn build_searches(set: &PackageSet, registry: &Registry) -> Result<SearchSpace> {
    let root = set.root().id().clone();
    let mut by_type: BTreeMap<String, ResourceSearch> = BTreeMap::new();
    let mut source = None;
    let mut warnings = Vec::new();
    let invalid = |file: &str, element: String, message: String| Error::InvalidElement {
        package: root.clone(),
        file: file.to_owned(),
        element,
        message,
    };
    let new_search = |t: &str| ResourceSearch {
        resource_type: t.to_owned(),
        parameters: Vec::new(),
        combinations: Vec::new(),
        includes: Vec::new(),
        revincludes: Vec::new(),
    };
    for statement in crate::search::server_statements(set)? {
        let file = statement.id.clone().unwrap_or_default();
        source = source.or_else(|| statement.url.clone());
        for rest in statement.rest.iter().filter(|r| r.mode == "server") {
            for resource in &rest.resource {
                let t = &resource.resource_type;
                if !registry.is_resource_type(t) {
                    return Err(invalid(
                        &file,
                        format!("CapabilityStatement.rest.resource({t})"),
                        format!("`{t}` is not a resource type"),
                    ));
                }
                let search = by_type.entry(t.clone()).or_insert_with(|| new_search(t));
                for listed in &resource.search_param {
                    let found = listed
                        .definition
                        .as_deref()
                        .and_then(|url| registry.by_url(url))
                        .or_else(|| registry.get(t, &listed.name));
                    let Some(definition) = found else {
                        warnings.push(format!(
                            "{file}: {t}?{} has no typed search: no SearchParameter of the loaded packages defines it ({})",
                            listed.name,
                            listed.definition.as_deref().unwrap_or("no definition given")
                        ));
                        continue;
                    };
                    let mut definition = definition.clone();
                    // The name the statement gives is the one a query uses.
                    definition.code = listed.name.clone();
                    push_parameter(
                        &root,
                        search,
                        registry,
                        definition,
                        expectation(&listed.extension),
                        listed.documentation.clone(),
                    )?;
                }
                for combination in resource.combinations() {
                    search.combinations.push(CombinationUse {
                        codes: combination.required,
                        expectation: combination.expectation,
                    });
                }
                search
                    .includes
                    .extend(resource.search_include.iter().cloned());
                search
                    .revincludes
                    .extend(resource.search_rev_include.iter().cloned());
            }
        }
    }
    // The package's own parameters search their bases too.
    for r in set.resources_of_type("SearchParameter") {
        if *set.package_of(r).id() != root {
            continue;
        }
        let url = set.entry(r).url.clone().unwrap_or_default();
        let Some(definition) = registry.by_url(&url) else {
            continue;
        };
        for base in &definition.base {
            if !registry.is_resource_type(base) {
                continue;
            }
            let search = by_type
                .entry(base.clone())
                .or_insert_with(|| new_search(base));
            if search
                .parameters
                .iter()
                .all(|p| p.definition.code != definition.code)
            {
                push_parameter(&root, search, registry, definition.clone(), None, None)?;
            }
        }
    }
    for search in by_type.values_mut() {
        for code in UNIVERSAL {
            if search.parameters.iter().all(|p| p.definition.code != code)
                && let Some(definition) = registry.get(&search.resource_type, code)
            {
                push_parameter(&root, search, registry, definition.clone(), None, None)?;
            }
        }
        search
            .parameters
            .sort_by(|a, b| a.definition.code.cmp(&b.definition.code));
        // A combination names parameters the type has.
        let (resource_type, parameters) = (&search.resource_type, &search.parameters);
        search.combinations.retain(|combination| {
            let missing: Vec<&String> = combination
                .codes
                .iter()
                .filter(|code| parameters.iter().all(|p| p.definition.code != **code))
                .collect();
            if !missing.is_empty() {
                warnings.push(format!(
                    "the {resource_type} search combination {} has no constructor: {missing:?} have no typed search",
                    combination.codes.join("+")
                ));
            }
            missing.is_empty()
        });
        // Listed once each, in the statement's order.
        let mut seen = std::collections::HashSet::new();
        search.includes.retain(|i| seen.insert(i.clone()));
        let mut seen = std::collections::HashSet::new();
        search.revincludes.retain(|i| seen.insert(i.clone()));
    }
    // Every definition used, with composites' components.
    let mut parameters: BTreeMap<String, SearchParameter> = BTreeMap::new();
    for search in by_type.values() {
        for used in &search.parameters {
            for component in &used.definition.components {
                if let Some(part) = registry.by_url(&component.definition) {
                    parameters
                        .entry(part.url.clone())
                        .or_insert_with(|| part.clone());
                }
            }
            let definition = &used.definition;
            let entry =
                parameters
                    .entry(definition.url.clone())
                    .or_insert_with(|| SearchParameter {
                        base: Vec::new(),
                        ..definition.clone()
                    });
            if !entry.base.contains(&search.resource_type) {
                entry.base.push(search.resource_type.clone());
            }
        }
    }
    // The parameters `_include` and `_revinclude` values name, so that a
    // typed parse reads what the statement lists.
    for search in by_type.values() {
        for include in search.includes.iter().chain(&search.revincludes) {
            let mut parts = include.split(':');
            let (Some(source), Some(code)) = (parts.next(), parts.next()) else {
                continue;
            };
            if code == "*" {
                continue;
            }
            let Some(definition) = registry.get(source, code) else {
                warnings.push(format!(
                    "the {} search lists `{include}`, whose parameter no package defines",
                    search.resource_type
                ));
                continue;
            };
            let entry =
                parameters
                    .entry(definition.url.clone())
                    .or_insert_with(|| SearchParameter {
                        base: Vec::new(),
                        ..definition.clone()
                    });
            if !entry.base.iter().any(|b| b == source) {
                entry.base.push(source.to_owned());
            }
        }
    }
    Ok(SearchSpace {
        resource_types: registry.resource_types().to_vec(),
        parameters: parameters.into_values().collect(),
        resources: by_type.into_values().collect(),
        source,
        warnings,
    })
}

fn push_parameter(
    root: &PackageId,
    search: &mut ResourceSearch,
    registry: &Registry,
    definition: SearchParameter,
    expectation: Option<String>,
    documentation: Option<String>,
) -> Result<()> {
    let components = definition
        .components
        .iter()
        .map(|c| {
            registry
                .by_url(&c.definition)
                .map(|p| p.kind)
                .ok_or_else(|| Error::InvalidElement {
                    package: root.clone(),
                    file: definition.url.clone(),
                    element: "SearchParameter.component.definition".to_owned(),
                    message: format!("`{}` is not in the packages", c.definition),
                })
        })
        .collect::<Result<Vec<_>>>()?;
    if search
        .parameters
        .iter()
        .any(|p| p.definition.code == definition.code)
    {
        return Ok(());
    }
    search.parameters.push(ParameterUse {
        definition,
        expectation,
        documentation,
        components,
    });
    Ok(())
}
