//! `fhirgen validate`: check resources against the profiles of a package.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use fhirgen::conformance::StructureDefinition;
use fhirgen::inspect::find_profile;
use fhirgen::ir::ProfileModel;
use fhirgen::package::PackageSet;
use fhirgen::terminology::Expander;
use fhirgen::validate::{Issue, validate};
use serde_json::{Value, json};

use super::sources::Sources;
use super::{CommandResult, print_warnings};

pub struct Options<'a> {
    pub package: &'a str,
    pub profile: Option<&'a str>,
    pub lenient: bool,
    pub files: &'a [PathBuf],
}

#[derive(Default)]
struct Tally {
    resources: usize,
    invalid: usize,
    input_errors: usize,
}

/// Reads a resource into a package's generated types (strictly, or leniently
/// with the issues): the FHIR JSON rules, and for a US Core package built in,
/// every rule its profile types carry (required bindings, reference targets).
type TypedRead = fn(&[u8], bool) -> Result<Vec<fhirgen_runtime::Issue>, fhirgen_runtime::Error>;

fn typed_read(package: &str) -> TypedRead {
    macro_rules! profiled {
        ($krate:ident) => {
            |bytes, lenient| {
                if lenient {
                    $krate::ProfiledResource::from_json_lenient(bytes).map(|(_, issues)| issues)
                } else {
                    $krate::ProfiledResource::from_json(bytes).map(|_| Vec::new())
                }
            }
        };
    }
    match package.replace('#', "@").as_str() {
        #[cfg(feature = "us-core")]
        "hl7.fhir.us.core@3.1.1" => profiled!(us_core_3_1_1),
        #[cfg(feature = "us-core")]
        "hl7.fhir.us.core@6.1.0" => profiled!(us_core_6_1_0),
        #[cfg(feature = "us-core")]
        "hl7.fhir.us.core@7.0.0" => profiled!(us_core_7_0_0),
        _ => |bytes, lenient| {
            if lenient {
                fhir_r4::Resource::from_json_lenient(bytes).map(|(_, issues)| issues)
            } else {
                fhir_r4::Resource::from_json(bytes).map(|_| Vec::new())
            }
        },
    }
}

struct Validator<'s> {
    read: TypedRead,
    set: &'s PackageSet,
    expander: Expander<'s>,
    models: HashMap<String, Arc<ProfileModel>>,
    profile: Option<String>,
    lenient: bool,
}

pub fn validate_files(sources: &Sources, options: &Options<'_>) -> CommandResult {
    let set = sources.load_set(options.package)?;
    print_warnings(set.warnings());
    let profile = match options.profile {
        Some(wanted) => {
            let found = find_profile(&set, wanted)?;
            Some(set.entry(found).url.clone().unwrap_or_default())
        }
        None => None,
    };
    let mut validator = Validator {
        read: typed_read(options.package),
        set: &set,
        expander: Expander::new(&set),
        models: HashMap::new(),
        profile,
        lenient: options.lenient,
    };
    let mut tally = Tally::default();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for file in &super::input_files(options.files)? {
        let label = file.display().to_string();
        if file.extension().is_some_and(|e| e == "ndjson") {
            let handle = match std::fs::File::open(file) {
                Ok(handle) => handle,
                Err(e) => {
                    eprintln!("error: {label}: {e}");
                    tally.input_errors += 1;
                    continue;
                }
            };
            // One line at a time: memory stays bounded by the longest line.
            for (number, line) in BufReader::new(handle).lines().enumerate() {
                match line {
                    Ok(line) if line.trim().is_empty() => {}
                    Ok(line) => validator.one(
                        &label,
                        Some(number + 1),
                        line.as_bytes(),
                        &mut tally,
                        &mut out,
                    )?,
                    Err(e) => {
                        eprintln!("error: {label}: line {}: {e}", number + 1);
                        tally.input_errors += 1;
                        break;
                    }
                }
            }
        } else {
            let bytes = match std::fs::read(file) {
                Ok(bytes) => bytes,
                Err(e) => {
                    eprintln!("error: {label}: {e}");
                    tally.input_errors += 1;
                    continue;
                }
            };
            let entries = bundle_entries(&bytes);
            match entries {
                Some(entries) => {
                    for (index, entry) in entries.iter().enumerate() {
                        validator.one(
                            &label,
                            Some(index),
                            entry.to_string().as_bytes(),
                            &mut tally,
                            &mut out,
                        )?;
                    }
                }
                None => validator.one(&label, None, &bytes, &mut tally, &mut out)?,
            }
        }
    }
    eprintln!(
        "{} resources checked against {}: {} valid, {} not valid{}",
        tally.resources,
        options.package,
        tally.resources - tally.invalid,
        tally.invalid,
        if tally.input_errors > 0 {
            format!(", {} input errors", tally.input_errors)
        } else {
            String::new()
        }
    );
    Ok(if tally.input_errors > 0 {
        ExitCode::from(2)
    } else if tally.invalid > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The resources of a Bundle's entries, each checked on its own.
fn bundle_entries(bytes: &[u8]) -> Option<Vec<Value>> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    if value["resourceType"] != "Bundle" {
        return None;
    }
    Some(
        value["entry"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("resource").cloned())
            .collect(),
    )
}

impl Validator<'_> {
    fn model(&mut self, url: &str) -> Result<Arc<ProfileModel>, Box<dyn std::error::Error>> {
        if let Some(model) = self.models.get(url) {
            return Ok(model.clone());
        }
        let definition = self.set.resolve_as::<StructureDefinition>(url)?;
        let model = ProfileModel::from_definition(&definition)
            .map_err(|(element, message)| format!("{url}, element `{element}`: {message}"))?;
        let model = Arc::new(model);
        self.models.insert(url.to_owned(), model.clone());
        Ok(model)
    }

    /// The profiles to check a resource against: those of its `meta.profile`
    /// that the package set defines, else `--profile`, else the base type.
    fn profiles_for(&self, resource: &Value) -> Vec<String> {
        let named: Vec<String> = resource["meta"]["profile"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|p| {
                self.set
                    .resolve(p)
                    .is_some_and(|r| self.set.entry(r).resource_type == "StructureDefinition")
            })
            .map(str::to_owned)
            .collect();
        if !named.is_empty() {
            return named;
        }
        if let Some(profile) = &self.profile {
            return vec![profile.clone()];
        }
        resource["resourceType"]
            .as_str()
            .map(|t| vec![format!("http://hl7.org/fhir/StructureDefinition/{t}")])
            .unwrap_or_default()
    }

    fn one(
        &mut self,
        file: &str,
        entry: Option<usize>,
        bytes: &[u8],
        tally: &mut Tally,
        out: &mut impl Write,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let resource: Value = match serde_json::from_slice(bytes) {
            Ok(resource) => resource,
            Err(e) => {
                let at = entry.map(|e| format!(" (entry {e})")).unwrap_or_default();
                eprintln!("error: {file}{at}: not JSON: {e}");
                tally.input_errors += 1;
                return Ok(());
            }
        };
        tally.resources += 1;
        let mut issues = Vec::new();
        // The FHIR R4 JSON rules (and, for a built-in US Core package, its
        // profiles' rules), through the generated types.
        match (self.read)(bytes, self.lenient) {
            Ok(skipped) => issues.extend(skipped.into_iter().map(|e| Issue {
                severity: "warning",
                code: e.code.as_str(),
                path: e.path,
                message: e.message,
            })),
            Err(e) => issues.push(Issue {
                severity: "error",
                code: e.code.as_str(),
                path: e.path,
                message: e.message,
            }),
        }
        let profiles = self.profiles_for(&resource);
        for profile in &profiles {
            match self.model(profile) {
                Ok(model) => {
                    // What the typed read reported already is not repeated.
                    let found = validate(&model, &resource, Some(&self.expander));
                    let known: Vec<String> = issues.iter().map(|i| i.path.clone()).collect();
                    issues.extend(found.into_iter().filter(|i| !known.contains(&i.path)));
                }
                Err(e) => issues.push(Issue {
                    severity: "error",
                    code: "not-supported",
                    path: resource["resourceType"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    message: format!("profile {profile} cannot be used: {e}"),
                }),
            }
        }
        let valid = !issues.iter().any(|i| i.severity == "error");
        if !valid {
            tally.invalid += 1;
        }
        let mut line = json!({"file": file});
        if let Some(entry) = entry {
            line["entry"] = json!(entry);
        }
        line["resourceType"] = resource["resourceType"].clone();
        line["id"] = resource["id"].clone();
        line["profiles"] = json!(profiles);
        line["valid"] = json!(valid);
        line["outcome"] = outcome(&issues);
        writeln!(out, "{line}")?;
        Ok(())
    }
}

/// An R4 OperationOutcome for the issues (one informational issue when there
/// are none: an OperationOutcome needs at least one).
fn outcome(issues: &[Issue]) -> Value {
    let mut list: Vec<Value> = issues
        .iter()
        .map(|i| {
            json!({
                "severity": i.severity,
                "code": i.code,
                "diagnostics": i.message,
                "expression": [i.path],
            })
        })
        .collect();
    if list.is_empty() {
        list.push(
            json!({"severity": "information", "code": "informational", "diagnostics": "no issues"}),
        );
    }
    json!({"resourceType": "OperationOutcome", "issue": list})
}
