//! `fhirgen generate`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use fhirgen::emit::CrateOptions;
use fhirgen::generate::{
    BASE_VERSION, CORE_PACKAGE, CrateManifest, RUNTIME_VERSION, compare, generate_crate,
    generate_profile_crate, write,
};

use super::sources::Sources;
use super::{CommandResult, print_warnings};

/// Where the repository lists the crates it generates.
const MANIFEST: &str = "definitions/crates.toml";

pub fn generate(
    sources: &Sources,
    package: Option<&str>,
    out: Option<&Path>,
    check: bool,
    derive_objects: bool,
) -> CommandResult {
    let jobs: Vec<(String, PathBuf, CrateOptions)> = match (package, out) {
        (Some(package), Some(out)) => {
            let name = out
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "fhir-types".to_owned());
            let options = CrateOptions {
                name,
                version: "0.1.0".to_owned(),
                description: format!("FHIR types generated from {package} by fhirgen"),
                runtime_dependency: format!("{{ version = \"{RUNTIME_VERSION}\" }}"),
                base_dependency: Some(format!("{{ version = \"{BASE_VERSION}\" }}")),
                command: format!("fhirgen generate --package {package}"),
                macros_dependency: derive_objects
                    .then(|| format!("{{ version = \"{RUNTIME_VERSION}\" }}")),
                repository: None,
            };
            vec![(package.to_owned(), out.to_owned(), options)]
        }
        (None, None) => {
            let manifest = CrateManifest::read(Path::new(MANIFEST)).map_err(|e| {
                format!("{e} (run at the repository root, or give --package and --out)")
            })?;
            manifest
                .crates
                .iter()
                .map(|c| (c.package.clone(), c.path.clone(), c.options()))
                .collect()
        }
        _ => return Err("--package and --out go together".into()),
    };
    let mut differing = 0;
    let mut total = Summary::default();
    for (package, out, options) in jobs {
        eprintln!("generating {} from {package} ...", options.name);
        let set = sources.load_set(&package)?;
        print_warnings(set.warnings());
        let (files, warnings) = if set.root().id().name == CORE_PACKAGE {
            (generate_crate(&set, &options)?, Vec::new())
        } else {
            generate_profile_crate(&set, &options)?
        };
        for warning in &warnings {
            eprintln!("note: {warning}");
        }
        let summary = Summary::of(&files, warnings.len());
        total.add(&summary);
        if check {
            let differences = compare(&files, &out)?;
            for file in &differences.changed {
                eprintln!("differs: {}", out.join(file).display());
            }
            for file in &differences.stale {
                eprintln!("no longer generated: {}", out.join(file).display());
            }
            if !differences.is_empty() {
                differing += 1;
            }
            eprintln!(
                "{}: {} files checked, {} differ",
                options.name,
                files.len(),
                differences.changed.len() + differences.stale.len()
            );
        } else {
            let written = write(&files, &out)?;
            total.written += written.changed.len();
            eprintln!(
                "{}: {}{} types, {} files, {} written, {} removed, {} notes, in {}",
                options.name,
                summary.profiles_text(),
                summary.types,
                files.len(),
                written.changed.len(),
                written.stale.len(),
                warnings.len(),
                out.display()
            );
        }
    }
    if total.crates > 1 {
        eprintln!(
            "{} crates: {}{} types, {} files ({} written), {} notes",
            total.crates,
            total.profiles_text(),
            total.types,
            total.files,
            total.written,
            total.notes
        );
    }
    if differing > 0 {
        eprintln!("run `fhirgen generate` to update the generated crates");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// What a generation made, for the lines it ends with.
#[derive(Default)]
struct Summary {
    crates: usize,
    profiles: usize,
    extensions: usize,
    types: usize,
    files: usize,
    written: usize,
    notes: usize,
}

impl Summary {
    fn of(files: &fhirgen::emit::CrateFiles, notes: usize) -> Self {
        let in_folder = |folder: &str| {
            files
                .keys()
                .filter(|f| f.starts_with(folder) && !f.ends_with("/mod.rs"))
                .count()
        };
        let types = files
            .iter()
            .filter(|(name, _)| name.ends_with(".rs"))
            .flat_map(|(_, text)| text.lines())
            .filter(|line| line.starts_with("pub struct ") || line.starts_with("pub enum "))
            .count();
        Summary {
            crates: 1,
            profiles: in_folder("src/profiles/"),
            extensions: in_folder("src/extensions/"),
            types,
            files: files.len(),
            written: 0,
            notes,
        }
    }

    fn add(&mut self, other: &Summary) {
        self.crates += other.crates;
        self.profiles += other.profiles;
        self.extensions += other.extensions;
        self.types += other.types;
        self.files += other.files;
        self.notes += other.notes;
    }

    fn profiles_text(&self) -> String {
        if self.profiles + self.extensions == 0 {
            String::new()
        } else {
            format!(
                "{} profiles, {} extensions, ",
                self.profiles, self.extensions
            )
        }
    }
}
