//! Command-line front end: parses arguments, calls the library, prints.

mod fhirpath;
mod generate;
mod inspect;
mod new_crate;
mod packages;
#[cfg(feature = "r4")]
mod roundtrip;
mod search;
mod sources;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use sources::Sources;

/// Turns FHIR profiles into Rust types. Reads FHIR packages from .tgz archives,
/// unpacked folders and the FHIR package cache (~/.fhir/packages), installing
/// missing ones from a FHIR package registry.
#[derive(Parser)]
#[command(name = "fhirgen", version, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every package found, with FHIR version, dependencies and resource counts
    Packages {
        #[command(flatten)]
        sources: Sources,
        /// Print one JSON array instead of text
        #[arg(long)]
        json: bool,
    },
    /// Show what a profile demands, element by element
    Inspect {
        #[command(flatten)]
        sources: Sources,
        /// The package: NAME@VERSION (or NAME#VERSION), or the path of a .tgz or package folder
        #[arg(long, value_name = "PACKAGE")]
        package: String,
        /// The profile's id, name or canonical URL
        #[arg(long, value_name = "PROFILE")]
        profile: String,
        /// Print one JSON object (a stable interface, see the README)
        #[arg(long)]
        json: bool,
    },
    /// Expand a value set from the package and its dependencies
    Expand {
        #[command(flatten)]
        sources: Sources,
        /// The package: NAME@VERSION, or the path of a .tgz or package folder
        #[arg(long, value_name = "PACKAGE")]
        package: String,
        /// The value set's canonical URL (`url` or `url|version`)
        #[arg(value_name = "VALUESET_URL")]
        value_set: String,
        /// Print one JSON object instead of text
        #[arg(long)]
        json: bool,
    },
    /// Generate Rust crates: every crate definitions/crates.toml lists, or one from --package into --out
    Generate {
        #[command(flatten)]
        sources: Sources,
        /// The package to generate from (NAME@VERSION); with --out
        #[arg(long, value_name = "PACKAGE", requires = "out")]
        package: Option<String>,
        /// The crate folder to write; with --package
        #[arg(long, value_name = "DIR", requires = "package")]
        out: Option<std::path::PathBuf>,
        /// Write nothing; exit 1 naming the files that differ from what would be generated
        #[arg(long)]
        check: bool,
        /// With --package: types carry #[derive(fhirgen_macros::FhirObject)] instead of their
        /// written-out JSON code (to compare compile times; scripts/measure-macros.sh)
        #[arg(long, requires = "package")]
        derive_objects: bool,
        /// With --package: generate the profiles of US Core too instead of using the published
        /// us-core-* crate of the US Core version the package depends on
        #[arg(long, requires = "package")]
        no_reuse: bool,
        /// With --package: the crate's name (default: the package name without `hl7.fhir.`, then
        /// the version: us-core-6-1-0), whatever the --out folder is called
        #[arg(long, requires = "package")]
        name: Option<String>,
    },
    /// Add the crate of a new IG release (definitions/, the workspace) and generate it; run at the repository root
    NewCrate {
        #[command(flatten)]
        sources: Sources,
        /// The package (NAME@VERSION, a .tgz or a package folder)
        #[arg(value_name = "PACKAGE")]
        package: String,
        /// The crate's name (default: the package name without `hl7.fhir.`, then the version: us-core-8-0-0)
        #[arg(long)]
        name: Option<String>,
    },
    /// Read resources into the generated types and write them back; print each one whose JSON changed
    #[cfg(feature = "r4")]
    Roundtrip {
        /// The package whose types to use (built in: hl7.fhir.r4.core@4.0.1, the default)
        #[arg(long, value_name = "PACKAGE")]
        package: Option<String>,
        /// Files: one resource, a Bundle (each entry), or .ndjson (each line); a folder: its .json and .ndjson files
        #[arg(value_name = "FILE", required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Check resources against the profiles of a package; one JSON line per resource
    Validate {
        #[command(flatten)]
        sources: Sources,
        /// The package whose profiles apply (NAME@VERSION)
        #[arg(long, value_name = "PACKAGE")]
        package: String,
        /// The profile for resources whose meta.profile names none of the package
        #[arg(long, value_name = "PROFILE")]
        profile: Option<String>,
        /// Report unknown properties as warnings instead of errors
        #[arg(long)]
        lenient: bool,
        /// Threads that check the lines of .ndjson files, output kept in input order [default: all cores]
        #[arg(long, value_name = "N")]
        jobs: Option<std::num::NonZeroUsize>,
        /// Files: one resource, a Bundle (each entry on its own), or .ndjson (each line); a folder: its .json and .ndjson files
        #[arg(value_name = "FILE", required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Evaluate a FHIRPath expression on resources; one JSON line per resource with its result
    Fhirpath {
        #[command(flatten)]
        sources: Sources,
        /// The package whose types the resources have
        #[arg(long, value_name = "PACKAGE", default_value = "hl7.fhir.r4.core@4.0.1")]
        package: String,
        /// The FHIRPath expression
        #[arg(value_name = "EXPRESSION")]
        expression: String,
        /// Files: one resource in JSON or XML (a Bundle is one resource), or .ndjson (each line)
        #[arg(value_name = "FILE", required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Print the resources a FHIR search matches, one JSON line each: `{"file","entry"?,"resourceType","id"}`
    Search {
        #[command(flatten)]
        sources: Sources,
        /// The package whose search parameters to use (an IG, or hl7.fhir.r4.core@4.0.1)
        #[arg(long, value_name = "PACKAGE")]
        package: String,
        /// The search, as a FHIR query: `Observation?patient=Patient/example&category=laboratory`
        #[arg(value_name = "QUERY")]
        query: String,
        /// SMART scopes granted (space-separated): print only what they permit a search to return
        #[arg(long, value_name = "SCOPES")]
        scope: Option<String>,
        /// The patient in the launch context (its id), for `patient/` scopes
        #[arg(long, value_name = "ID", requires = "scope")]
        patient: Option<String>,
        /// Pass over unknown parameters, as FHIR's `handling=lenient` (a warning each)
        #[arg(long)]
        lenient: bool,
        /// Files: one resource, a Bundle (each entry), or .ndjson (each line); a folder: its .json and .ndjson files
        #[arg(value_name = "FILE", required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Install packages and their dependencies from a registry into the package cache
    Install {
        #[command(flatten)]
        sources: Sources,
        /// Packages to install, as NAME@VERSION (VERSION may be `1.0.x` or `latest`)
        #[arg(value_name = "PACKAGE", required = true)]
        wanted: Vec<String>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Packages { sources, json } => packages::list(&sources, json),
        Command::Inspect {
            sources,
            package,
            profile,
            json,
        } => inspect::inspect(&sources, &package, &profile, json),
        Command::Expand {
            sources,
            package,
            value_set,
            json,
        } => inspect::expand(&sources, &package, &value_set, json),
        Command::Generate {
            sources,
            package,
            out,
            check,
            derive_objects,
            no_reuse,
            name,
        } => generate::generate(
            &sources,
            &generate::Options {
                package: package.as_deref(),
                out: out.as_deref(),
                check,
                derive_objects,
                reuse_published: !no_reuse,
                name: name.as_deref(),
            },
        ),
        Command::NewCrate {
            sources,
            package,
            name,
        } => new_crate::new_crate(&sources, &package, name.as_deref()),
        #[cfg(feature = "r4")]
        Command::Roundtrip { package, files } => roundtrip::roundtrip(package.as_deref(), &files),
        Command::Validate {
            sources,
            package,
            profile,
            lenient,
            jobs,
            files,
        } => validate::validate_files(
            &sources,
            &validate::Options {
                package: &package,
                profile: profile.as_deref(),
                lenient,
                files: &files,
                jobs: jobs.map(std::num::NonZeroUsize::get),
            },
        ),
        Command::Fhirpath {
            sources,
            package,
            expression,
            files,
        } => fhirpath::fhirpath(
            &sources,
            &fhirpath::Options {
                package: &package,
                expression: &expression,
                files: &files,
            },
        ),
        Command::Search {
            sources,
            package,
            query,
            scope,
            patient,
            lenient,
            files,
        } => search::search(
            &sources,
            &search::Options {
                package: &package,
                query: &query,
                scope: scope.as_deref(),
                patient: patient.as_deref(),
                lenient,
                files: &files,
            },
        ),
        Command::Install { sources, wanted } => packages::install(&sources, &wanted),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// A failure that ends the command: printed as `error: ...`, exit code 1.
type CommandResult = Result<ExitCode, Box<dyn std::error::Error>>;

fn print_warnings(warnings: &[String]) {
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
}

/// The files of the command line, each folder replaced by the `.json` and
/// `.ndjson` files below it (sorted; hidden ones, such as a package's
/// `.index.json`, left out).
fn input_files(paths: &[std::path::PathBuf]) -> Result<Vec<std::path::PathBuf>, String> {
    fn walk(folder: &std::path::Path, found: &mut Vec<std::path::PathBuf>) -> Result<(), String> {
        let entries =
            std::fs::read_dir(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
        let mut paths = entries
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{}: {e}", folder.display()))?;
        paths.sort();
        for path in paths {
            let hidden = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden {
                continue;
            }
            if path.is_dir() {
                walk(&path, found)?;
            } else if path
                .extension()
                .is_some_and(|e| e == "json" || e == "ndjson")
            {
                found.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn arguments_are_consistent() {
        super::Cli::command().debug_assert();
    }
}
