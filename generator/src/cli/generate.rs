//! `fhirgen generate`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use fhirgen::emit::CrateOptions;
use fhirgen::generate::{
    BASE_VERSION, CORE_PACKAGE, CrateManifest, PUBLISHED_FILE, RUNTIME_VERSION, check_crate_name,
    compare, crate_name, generate_crate, generate_profile_crate, published_crates, write,
};

use super::sources::Sources;
use super::{CommandResult, print_warnings};

/// Where the repository lists the crates it generates.
pub const MANIFEST: &str = "definitions/crates.toml";

/// What `fhirgen generate` was asked.
pub struct Options<'a> {
    pub package: Option<&'a str>,
    pub out: Option<&'a Path>,
    pub check: bool,
    pub derive_objects: bool,
    /// With `package`: use the published US Core crates for the US Core
    /// profiles the package builds on.
    pub reuse_published: bool,
    /// With `package`: the crate's name; by default the package's.
    pub name: Option<&'a str>,
}

pub fn generate(sources: &Sources, options: &Options<'_>) -> CommandResult {
    let Options {
        package,
        out,
        check,
        derive_objects,
        reuse_published,
        name,
    } = *options;
    // In the repository, the table of published crates is written from the
    // manifest too.
    let mut published = None;
    let jobs: Vec<Job> = match (package, out) {
        (Some(package), Some(out)) => {
            // The crate is named after the package (known once it is
            // loaded, since --package may be a path), unless --name says.
            let name = match name {
                Some(name) => check_crate_name(name)?.to_owned(),
                None => crate_name(sources.load_set(package)?.root().id()),
            };
            let options = CrateOptions {
                name,
                version: "0.1.0".to_owned(),
                description: format!("FHIR types generated from {package} by fhirgen"),
                runtime_dependency: format!("{{ version = \"{RUNTIME_VERSION}\" }}"),
                search_dependency: format!("{{ version = \"{RUNTIME_VERSION}\" }}"),
                base_dependency: Some(format!("{{ version = \"{BASE_VERSION}\" }}")),
                command: format!("fhirgen generate --package {package}"),
                macros_dependency: derive_objects
                    .then(|| format!("{{ version = \"{RUNTIME_VERSION}\" }}")),
                repository: None,
                reuse: if reuse_published {
                    published_crates()
                } else {
                    Vec::new()
                },
                publish: true,
            };
            vec![(package.to_owned(), out.to_owned(), options)]
        }
        (None, None) => {
            let manifest = CrateManifest::read(Path::new(MANIFEST)).map_err(|e| {
                format!("{e} (run at the repository root, or give --package and --out)")
            })?;
            if Path::new(PUBLISHED_FILE).exists() {
                published = Some(manifest.published_table()?);
            }
            let mut jobs = Vec::new();
            for definition in &manifest.crates {
                let options = manifest.crate_options(definition)?;
                jobs.push((definition.package.clone(), definition.path.clone(), options));
            }
            jobs
        }
        _ => return Err("--package and --out go together".into()),
    };
    run(sources, jobs, check, published)
}

/// One crate to make: its package, its folder, its options.
pub type Job = (String, PathBuf, CrateOptions);

/// Generates (or with `check`, compares) each crate of `jobs`, then the
/// table of published crates when given; prints progress and a summary.
pub fn run(
    sources: &Sources,
    jobs: Vec<Job>,
    check: bool,
    published: Option<String>,
) -> CommandResult {
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
    if let Some(table) = published {
        let on_disk = std::fs::read_to_string(PUBLISHED_FILE).unwrap_or_default();
        if on_disk != table {
            if check {
                eprintln!("differs: {PUBLISHED_FILE}");
                differing += 1;
            } else {
                std::fs::write(PUBLISHED_FILE, table)
                    .map_err(|e| format!("writing {PUBLISHED_FILE}: {e}"))?;
                eprintln!("{PUBLISHED_FILE}: written (the published crates)");
            }
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
