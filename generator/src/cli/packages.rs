//! `fhirgen packages` and `fhirgen install`.

use std::process::ExitCode;

use fhirgen::package::{Catalog, Package, PackageId, version_matches};
use serde_json::json;

use super::sources::Sources;
use super::{CommandResult, print_warnings};

pub fn list(sources: &Sources, json: bool) -> CommandResult {
    let mut catalog = sources.catalog()?;
    let results = catalog.load_all();
    let loaded: Vec<&Package> = results
        .iter()
        .filter_map(|(_, r)| r.as_deref().ok())
        .collect();
    let mut failed = false;
    let mut listing = Vec::new();
    for (source, result) in &results {
        match result {
            Ok(package) => listing.push(describe(package, &loaded)),
            Err(error) => {
                failed = true;
                eprintln!("error: {error}");
                let _ = source;
            }
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&listing)?);
    } else if listing.is_empty() {
        println!("no packages found in {}", searched(&catalog));
    } else {
        for item in &listing {
            print_text(item);
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn searched(catalog: &Catalog) -> String {
    let places: Vec<String> = catalog
        .searched()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    if places.is_empty() {
        "no folder (set --packages or FHIR_PACKAGES)".to_owned()
    } else {
        places.join(", ")
    }
}

fn describe(package: &Package, all: &[&Package]) -> serde_json::Value {
    let manifest = package.manifest();
    let dependencies: Vec<serde_json::Value> = manifest
        .dependencies
        .iter()
        .map(|(name, version)| {
            let found = all
                .iter()
                .any(|p| &p.id().name == name && version_matches(version, &p.id().version));
            json!({"name": name, "version": version, "status": if found { "found" } else { "missing" }})
        })
        .collect();
    let counts = package.resource_counts();
    json!({
        "id": package.id().to_string(),
        "name": manifest.name,
        "version": manifest.version,
        "fhirVersions": manifest.fhir_versions,
        "source": package.origin().display().to_string(),
        "dependencies": dependencies,
        "resources": counts,
        "resourceTotal": package.resources().len(),
        "examples": package.examples().len(),
    })
}

fn print_text(item: &serde_json::Value) {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let fhir: Vec<String> = item["fhirVersions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(text)
        .collect();
    println!(
        "{}  (FHIR {})",
        text(&item["id"]),
        if fhir.is_empty() {
            "?".to_owned()
        } else {
            fhir.join(", ")
        }
    );
    println!("  source:       {}", text(&item["source"]));
    let dependencies: Vec<String> = item["dependencies"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            format!(
                "{}@{} {}",
                text(&d["name"]),
                text(&d["version"]),
                text(&d["status"])
            )
        })
        .collect();
    if dependencies.is_empty() {
        println!("  dependencies: none");
    } else {
        println!("  dependencies: {}", dependencies.join(", "));
    }
    let counts: Vec<String> = item["resources"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(kind, count)| format!("{kind} {count}"))
        .collect();
    println!(
        "  resources:    {} ({})",
        item["resourceTotal"],
        counts.join(", ")
    );
    println!("  examples:     {}", item["examples"]);
}

pub fn install(sources: &Sources, wanted: &[String]) -> CommandResult {
    let cache = sources
        .cache()
        .ok_or("no package cache: give --cache DIR (no home folder was found)")?;
    for text in wanted {
        let id: PackageId = text.parse()?;
        // Only the cache counts here: installing means putting it there.
        let mut catalog = Catalog::new();
        catalog.add_path(&cache)?;
        let set = sources.loader(catalog).load(&id)?;
        print_warnings(set.warnings());
        // A dependency the registry does not have is a warning, as everywhere:
        // it matters only if a definition that is needed lives there.
        for package in set.packages() {
            println!("{}  {}", package.id(), package.origin().display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
