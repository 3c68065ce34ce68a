//! Generating crates: from a loaded package set to files on disk, writing only
//! what changed, or checking that what is on disk is what would be generated.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::emit::{CrateFiles, CrateOptions, CrateToReuse, emit_crate, emit_profile_crate};
use crate::error::{Error, Result};
use crate::ir::{
    ReusedCrate, build_base_types, build_base_types_of, build_profile_types,
    build_profile_types_selected,
};
use crate::package::{PackageId, PackageSet};

/// `definitions/crates.toml`: which package makes which crate.
#[derive(Debug, Clone, Deserialize)]
pub struct CrateManifest {
    #[serde(rename = "crate", default)]
    pub crates: Vec<CrateDefinition>,
}

/// One generated crate of this repository.
#[derive(Debug, Clone, Deserialize)]
pub struct CrateDefinition {
    /// The crate's name (`fhir-r4`).
    pub name: String,
    /// Its folder, relative to the repository root.
    pub path: PathBuf,
    /// The package it is generated from (`hl7.fhir.r4.core@4.0.1`).
    pub package: String,
    pub version: String,
    pub description: String,
    /// The runtime crate's folder, relative to the crate's folder.
    pub runtime_path: Option<String>,
    /// For a profile package, the folder of the base types crate (`fhir-r4`),
    /// relative to the crate's folder.
    pub base_path: Option<String>,
    /// The source repository, for the package metadata.
    pub repository: Option<String>,
    /// `false` for a crate kept for tests or as an example.
    #[serde(default = "yes")]
    pub publish: bool,
}

fn yes() -> bool {
    true
}

impl CrateManifest {
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        toml::from_str(&text).map_err(|e| Error::InvalidFile {
            package: "definitions".to_owned(),
            file: path.display().to_string(),
            message: e.to_string(),
        })
    }
}

/// The runtime version generated crates depend on.
pub const RUNTIME_VERSION: &str = "0.1.0";

/// The version of the `fhir-r4` crate profile crates depend on.
pub const BASE_VERSION: &str = "0.1.0";

/// The core package whose types profile crates reuse.
pub const CORE_PACKAGE: &str = "hl7.fhir.r4.core";

impl CrateDefinition {
    pub fn package_id(&self) -> Result<PackageId> {
        self.package.parse().map_err(
            |e: crate::package::ParsePackageIdError| Error::InvalidFile {
                package: "definitions".to_owned(),
                file: "crates.toml".to_owned(),
                message: e.to_string(),
            },
        )
    }

    pub fn options(&self) -> CrateOptions {
        let runtime_dependency = match &self.runtime_path {
            Some(path) => format!("{{ path = \"{path}\", version = \"{RUNTIME_VERSION}\" }}"),
            None => format!("{{ version = \"{RUNTIME_VERSION}\" }}"),
        };
        // fhirgen-search sits beside the runtime.
        let search_dependency = match &self.runtime_path {
            Some(path) => format!(
                "{{ path = \"{}\", version = \"{RUNTIME_VERSION}\" }}",
                std::path::Path::new(path)
                    .with_file_name("search")
                    .display()
            ),
            None => format!("{{ version = \"{RUNTIME_VERSION}\" }}"),
        };
        let base_dependency = Some(match &self.base_path {
            Some(path) => format!("{{ path = \"{path}\", version = \"{BASE_VERSION}\" }}"),
            None => format!("{{ version = \"{BASE_VERSION}\" }}"),
        });
        CrateOptions {
            name: self.name.clone(),
            version: self.version.clone(),
            description: self.description.clone(),
            runtime_dependency,
            search_dependency,
            base_dependency,
            command: "fhirgen generate".to_owned(),
            macros_dependency: None,
            repository: self.repository.clone(),
            reuse: Vec::new(),
            publish: self.publish,
        }
    }

    /// The dependency on this crate from the crate at `from` (both folders
    /// relative to the repository root): by path and version.
    pub fn dependency_from(&self, from: &Path) -> String {
        let up = "../".repeat(from.components().count());
        format!(
            "{{ path = \"{up}{}\", version = \"{}\" }}",
            self.path.display(),
            self.version
        )
    }
}

impl CrateManifest {
    /// The options `definition`'s crate is generated with, the crates it
    /// may reuse included.
    pub fn crate_options(&self, definition: &CrateDefinition) -> Result<CrateOptions> {
        let mut options = definition.options();
        options.reuse = self.reusable_by(definition)?;
        Ok(options)
    }

    /// The crates of the manifest that `definition`'s crate may reuse: every
    /// other profile crate (its package must be a dependency to be used).
    pub fn reusable_by(&self, definition: &CrateDefinition) -> Result<Vec<CrateToReuse>> {
        let mut reuse = Vec::new();
        for other in &self.crates {
            // A package named by its folder (an IG of our own) is not reused.
            let Ok(package) = other.package.parse::<PackageId>() else {
                continue;
            };
            if other.name == definition.name || package.name == CORE_PACKAGE {
                continue;
            }
            reuse.push(CrateToReuse {
                package,
                name: other.name.clone(),
                dependency: other.dependency_from(&definition.path),
            });
        }
        Ok(reuse)
    }
}

pub use crate::published::PUBLISHED;

/// Where the repository keeps [`PUBLISHED`], written from the manifest.
pub const PUBLISHED_FILE: &str = "generator/src/published.rs";

impl CrateManifest {
    /// The text of [`PUBLISHED_FILE`]: the manifest's published profile
    /// crates, so that `fhirgen` installed anywhere knows which crates a
    /// team's IG can reuse.
    pub fn published_table(&self) -> Result<String> {
        let mut rows = String::new();
        for definition in &self.crates {
            let Ok(package) = definition.package.parse::<PackageId>() else {
                continue;
            };
            if !definition.publish || package.name == CORE_PACKAGE {
                continue;
            }
            rows.push_str(&format!(
                "    (\"{package}\", \"{}\", \"{}\"),\n",
                definition.name, definition.version
            ));
        }
        Ok(format!(
            "// @generated by `fhirgen generate` from definitions/crates.toml: do not edit\n\
             \n\
             //! The profile crates this repository publishes: package, crate, version.\n\
             \n\
             /// A crate made for an IG built on one of these packages uses the\n\
             /// published crate's types instead of generating them again.\n\
             pub const PUBLISHED: &[(&str, &str, &str)] = &[\n{rows}];\n"
        ))
    }
}

/// [`PUBLISHED`] as crates to reuse, by version.
pub fn published_crates() -> Vec<CrateToReuse> {
    PUBLISHED
        .iter()
        .map(|(package, name, version)| CrateToReuse {
            package: package.parse().expect("the table's package ids parse"),
            name: (*name).to_owned(),
            dependency: format!("{{ version = \"{version}\" }}"),
        })
        .collect()
}

/// The crate name for a package: its name without `hl7.fhir.`, dots as
/// dashes, then the version (`hl7.fhir.us.core@8.0.0` -> `us-core-8-0-0`).
/// Always a valid crate name.
pub fn crate_name(id: &PackageId) -> String {
    let name = id.name.strip_prefix("hl7.fhir.").unwrap_or(&id.name);
    let dashed = |text: &str| {
        text.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect::<String>()
    };
    let name = format!("{}-{}", dashed(name), dashed(&id.version));
    if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name
    } else {
        format!("fhir-{name}")
    }
}

/// `name` when Cargo takes it as a crate name (ASCII letters, digits, `-`
/// and `_`, starting with a letter, at most 64 characters).
pub fn check_crate_name(name: &str) -> std::result::Result<&str, String> {
    let valid = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(name)
    } else {
        Err(format!(
            "`{name}` is not a valid crate name (ASCII letters, digits, `-` and `_`, starting with a letter)"
        ))
    }
}

/// The files of the crate of base types (resources, datatypes, primitives)
/// of the set's root package.
pub fn generate_base_crate(set: &PackageSet, options: &CrateOptions) -> Result<CrateFiles> {
    let space = build_base_types(set)?;
    let shapes = crate::shapes::shapes_of(&space)?;
    let constraints = crate::constraints::base_crate_constraints(set, &space.package, shapes)?;
    emit_crate(&space, &constraints, options)
}

/// The files of the crate for the set's root package: the base types for the
/// core package itself, profile types (over `fhir-r4`) for any other.
pub fn generate_crate(set: &PackageSet, options: &CrateOptions) -> Result<CrateFiles> {
    if set.root().id().name == CORE_PACKAGE {
        return generate_base_crate(set, options);
    }
    Ok(generate_profile_crate(set, options)?.0)
}

/// The files of the crate of a profile package's profiles and extensions,
/// and the warnings of what its types cannot express.
pub fn generate_profile_crate(
    set: &PackageSet,
    options: &CrateOptions,
) -> Result<(CrateFiles, Vec<String>)> {
    let core = set.core_package().ok_or_else(|| Error::InvalidFile {
        package: set.root().id().to_string(),
        file: "package/package.json".to_owned(),
        message: format!("depends on no {CORE_PACKAGE} package: profile types are built on R4"),
    })?;
    let base = build_base_types_of(set, &core)?;
    let reused = reused_crates(set, &base, &options.reuse)?;
    let space = build_profile_types_selected(set, &base, None, &reused)?;
    let tables = crate::rules::embedded_tables(set, &space, &reused)?;
    let shapes = crate::shapes::shapes_of(&base)?;
    let constraints =
        crate::constraints::profile_crate_constraints(set, shapes, &resource_profiles(&space))?;
    let registry = crate::search::registry(set, crate::search::resource_types(shapes))?;
    let searches = crate::ir::build_searches(set, &registry)?;
    let files = emit_profile_crate(&space, &tables, &constraints, &searches, options)?;
    let mut warnings = space.warnings;
    warnings.extend(searches.warnings);
    warnings.extend(constraint_notes(set, shapes)?);
    Ok((files, warnings))
}

/// The constraints of the root package's profiles and extensions that are
/// wrong for their element model (they name an element their context does
/// not have, or do not parse): one warning each, naming the constraint.
fn constraint_notes(
    set: &PackageSet,
    shapes: &fhirgen_runtime::shape::Shapes,
) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    for r in set.resources_of_type("StructureDefinition") {
        if set.package_of(r).id() != set.root().id() {
            continue;
        }
        let definition = set.parse::<crate::conformance::StructureDefinition>(r)?;
        if definition.kind == "logical" || definition.is_abstract {
            continue;
        }
        let (_, found) = crate::constraints::invariants_of(&definition, shapes);
        notes.extend(found.into_iter().map(|note| {
            format!(
                "{}: constraint {} on {} is not checked: {}",
                definition.url, note.key, note.path, note.message
            )
        }));
    }
    Ok(notes)
}

/// The URLs of the resource profiles a crate of profiles has types for.
pub(crate) fn resource_profiles(space: &crate::ir::ProfileSpace) -> Vec<&str> {
    space
        .profiles
        .iter()
        .filter(|p| p.kind == crate::ir::ProfileKind::Resource)
        .map(|p| p.url.as_str())
        .collect()
}

/// What each crate of `reuse` whose package is a dependency in `set` has:
/// its profile types, built as they were for that crate.
pub fn reused_crates(
    set: &PackageSet,
    base: &crate::ir::TypeSpace,
    reuse: &[CrateToReuse],
) -> Result<Vec<ReusedCrate>> {
    let mut reused = Vec::new();
    for candidate in reuse {
        if set.root().id() == &candidate.package {
            continue;
        }
        if let Some(dependency) = set.rooted_at(&candidate.package) {
            let space = build_profile_types(&dependency, base)?;
            reused.push(ReusedCrate::new(&candidate.name, &space));
        }
    }
    Ok(reused)
}

/// How a crate folder differs from what would be generated.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Differences {
    /// Files whose content differs, or that are missing.
    pub changed: Vec<String>,
    /// Generated-looking files on disk that would no longer be produced.
    pub stale: Vec<String>,
}

impl Differences {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.stale.is_empty()
    }
}

/// Compares `files` with the folder `out`.
pub fn compare(files: &CrateFiles, out: &Path) -> Result<Differences> {
    let mut differences = Differences::default();
    for (name, content) in files {
        let path = out.join(name);
        match std::fs::read_to_string(&path) {
            Ok(existing) if existing == *content => {}
            Ok(_) => differences.changed.push(name.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                differences.changed.push(name.clone())
            }
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    let produced: BTreeSet<&str> = files.keys().map(String::as_str).collect();
    for existing in generated_files_on_disk(out)? {
        if !produced.contains(existing.as_str()) {
            differences.stale.push(existing);
        }
    }
    Ok(differences)
}

/// Writes the files that differ and removes stale generated ones.
pub fn write(files: &CrateFiles, out: &Path) -> Result<Differences> {
    let differences = compare(files, out)?;
    for name in &differences.changed {
        let path = out.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&path, &files[name]).map_err(|e| Error::io(&path, e))?;
    }
    for name in &differences.stale {
        let path = out.join(name);
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
    }
    Ok(differences)
}

/// The `.rs` files under `src/` that carry the generated header.
fn generated_files_on_disk(out: &Path) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let mut pending = vec![out.join("src")];
    while let Some(dir) = pending.pop() {
        let listing = match std::fs::read_dir(&dir) {
            Ok(listing) => listing,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(dir, e)),
        };
        for item in listing {
            let path = item.map_err(|e| Error::io(&dir, e))?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let head = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
                if head.starts_with("// @generated by") {
                    let relative = path.strip_prefix(out).unwrap_or(&path);
                    found.push(relative.to_string_lossy().replace('\\', "/"));
                }
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod crate_name_tests {
    use super::*;

    #[test]
    fn crate_names_follow_the_package() {
        let id = |s: &str| s.parse::<PackageId>().unwrap();
        assert_eq!(crate_name(&id("hl7.fhir.us.core@8.0.0")), "us-core-8-0-0");
        assert_eq!(
            crate_name(&id("hl7.fhir.us.mcode@4.0.0-ballot")),
            "us-mcode-4-0-0-ballot"
        );
        assert_eq!(
            crate_name(&id("fhirgen.example.clinic@0.1.0")),
            "fhirgen-example-clinic-0-1-0"
        );
        assert_eq!(crate_name(&id("2fhir.x@1.0.0")), "fhir-2fhir-x-1-0-0");
        for name in ["us-core-8-0-0", "fhir-2fhir-x-1-0-0", "a_b"] {
            assert_eq!(check_crate_name(name), Ok(name));
        }
        for name in ["hl7.fhir.x-1.0.0", "1abc", "", "a b", "x@1"] {
            assert!(check_crate_name(name).is_err(), "{name}");
        }
    }
}
