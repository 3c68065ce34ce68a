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
use fhirgen::rules::RulesBuilder;
use fhirgen_runtime::check::{ProfileRules, Severity, check_json};
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

/// One issue of the outcome.
struct Issue {
    severity: &'static str,
    code: &'static str,
    path: String,
    message: String,
}

/// Reads a resource into the R4 types (strictly, or leniently with the
/// issues): the FHIR JSON rules of the base resource.
fn base_read(
    bytes: &[u8],
    lenient: bool,
) -> Result<Vec<fhirgen_runtime::Issue>, fhirgen_runtime::Error> {
    if lenient {
        fhir_r4::Resource::from_json_lenient(bytes).map(|(_, issues)| issues)
    } else {
        fhir_r4::Resource::from_json(bytes).map(|_| Vec::new())
    }
}

struct Validator<'s> {
    set: &'s PackageSet,
    builder: RulesBuilder<'s>,
    /// The rule table of each profile used, by URL.
    rules: HashMap<String, Arc<ProfileRules>>,
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
        set: &set,
        builder: RulesBuilder::new(&set),
        rules: HashMap::new(),
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
    /// The rule table of the profile at `url`, built once.
    fn rules(&mut self, url: &str) -> Result<Arc<ProfileRules>, Box<dyn std::error::Error>> {
        if let Some(rules) = self.rules.get(url) {
            return Ok(rules.clone());
        }
        let definition = self.set.resolve_as::<StructureDefinition>(url)?;
        let model = ProfileModel::from_definition(&definition)
            .map_err(|(element, message)| format!("{url}, element `{element}`: {message}"))?;
        let rules = Arc::new(self.builder.build(&model)?);
        self.rules.insert(url.to_owned(), rules.clone());
        Ok(rules)
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
        // The FHIR R4 JSON rules, through the R4 types.
        match base_read(bytes, self.lenient) {
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
        // The profiles' rules, by the runtime's checker (the one the
        // generated types' checks share their rules with).
        for profile in &profiles {
            match self.rules(profile) {
                Ok(rules) => {
                    // What the base read reported already is not repeated.
                    let known: Vec<String> = issues.iter().map(|i| i.path.clone()).collect();
                    for finding in check_json(&rules, bytes) {
                        if known.contains(&finding.path) {
                            continue;
                        }
                        let severity = match finding.severity {
                            Severity::Error if finding.lenient && self.lenient => "warning",
                            other => other.as_str(),
                        };
                        issues.push(Issue {
                            severity,
                            code: finding.code.as_str(),
                            path: finding.path,
                            message: finding.message,
                        });
                    }
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
