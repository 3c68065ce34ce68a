//! `fhirgen validate`: check resources against the profiles of a package.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use fhirgen::conformance::StructureDefinition;
use fhirgen::constraints::Note;
use fhirgen::inspect::find_profile;
use fhirgen::package::PackageSet;
use fhirgen::rules::RulesBuilder;
use fhirgen::terminology::ValueSetCodes;
use fhirgen_runtime::check::{Severity, check, check_in_bundle};
use fhirgen_runtime::invariants::{self, Invariants};
use fhirgen_runtime::shape::Shapes;
use fhirgen_runtime::tree::Json;
use jiter::JsonValue;
use serde_json::value::RawValue;
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

struct Validator<'s> {
    set: &'s PackageSet,
    /// The FHIR JSON rules of the core package's types, as data.
    shapes: &'static Shapes,
    /// The constraints of the core types, and of each profile used so far
    /// (by URL as the resource names it).
    invariants: Invariants,
    /// The value sets `memberOf()` in a constraint looks codes up in.
    value_sets: ValueSetCodes<'s>,
    /// The package named on the command line.
    package: &'s str,
    builder: RulesBuilder<'s>,
    /// `--profile`: its URL and the type it constrains.
    profile: Option<(String, String)>,
    lenient: bool,
}

pub fn validate_files(sources: &Sources, options: &Options<'_>) -> CommandResult {
    let set = sources.load_set(options.package)?;
    print_warnings(set.warnings());
    let profile = match options.profile {
        Some(wanted) => {
            let found = find_profile(&set, wanted)?;
            let url = set.entry(found).url.clone().unwrap_or_default();
            let definition = set.parse::<StructureDefinition>(found)?;
            Some((url, definition.type_.clone()))
        }
        None => None,
    };
    let core = set.core_package().ok_or_else(|| {
        format!(
            "{} depends on no {}: resources are checked against R4",
            options.package,
            fhirgen::generate::CORE_PACKAGE
        )
    })?;
    let shapes = fhirgen::shapes::base_shapes(&set, &core)?;
    let (invariants, notes) = fhirgen::constraints::base_invariants(&set, &core, shapes)?;
    print_notes(&core.to_string(), &notes);
    let mut validator = Validator {
        set: &set,
        shapes,
        invariants,
        value_sets: ValueSetCodes::new(&set),
        package: options.package,
        builder: RulesBuilder::new(&set),
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
                    Ok(line) => {
                        let bytes = fhirgen_runtime::strip_bom(line.as_bytes());
                        match (JsonValue::parse(bytes, false), Json::parse(bytes)) {
                            (Ok(value), Ok(tree)) => validator.one(
                                &label,
                                Some(number + 1),
                                line.as_bytes(),
                                &value,
                                None,
                                (&tree, &tree),
                                &mut tally,
                                &mut out,
                            )?,
                            (Err(e), _) => {
                                eprintln!(
                                    "error: {label} (entry {}): {}",
                                    number + 1,
                                    fhirgen_runtime::describe_json_error(
                                        bytes,
                                        &e.error_type,
                                        e.index
                                    )
                                );
                                tally.input_errors += 1;
                            }
                            (_, Err(e)) => {
                                eprintln!("error: {label} (entry {}): {e}", number + 1);
                                tally.input_errors += 1;
                            }
                        }
                    }
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
            let bytes = fhirgen_runtime::strip_bom(&bytes);
            validator.file(&label, bytes, &mut tally, &mut out)?;
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

impl Validator<'_> {
    /// The profiles to check a resource against: those of its `meta.profile`
    /// that the package set defines (`|version` included), else `--profile`,
    /// else the base type; and those it names that the set does not define.
    fn profiles_for(&self, resource: &JsonValue<'_>) -> (Vec<String>, Vec<String>) {
        let (named, unknown): (Vec<&str>, Vec<&str>) =
            field(field(Some(resource), "meta"), "profile")
                .and_then(|p| match p {
                    JsonValue::Array(items) => Some(items.iter()),
                    _ => None,
                })
                .into_iter()
                .flatten()
                .filter_map(text)
                .partition(|p| {
                    self.set
                        .resolve(p)
                        .is_some_and(|r| self.set.entry(r).resource_type == "StructureDefinition")
                });
        let unknown = unknown.into_iter().map(str::to_owned).collect();
        if !named.is_empty() {
            return (named.into_iter().map(str::to_owned).collect(), unknown);
        }
        (self.default_profiles(resource), unknown)
    }

    /// Makes sure a profile's constraints are loaded; false for the base
    /// type's own definition (its table is the type's) and for a profile
    /// the set does not define.
    fn profile_invariants(&mut self, profile: &str) -> bool {
        if profile.starts_with("http://hl7.org/fhir/StructureDefinition/") && !profile.contains('|')
        {
            let name = &profile["http://hl7.org/fhir/StructureDefinition/".len()..];
            if self.invariants.has(name) {
                return false;
            }
        }
        if self.invariants.has(profile) {
            return true;
        }
        let Some(found) = self.set.resolve(profile) else {
            return false;
        };
        let Ok(definition) = self.set.parse::<StructureDefinition>(found) else {
            return false;
        };
        let (table, notes) = fhirgen::constraints::table_of(&definition, self.shapes);
        print_notes(&definition.url, &notes);
        self.invariants.insert(profile, table);
        true
    }

    /// `--profile` for a resource of its type, else the base type.
    fn default_profiles(&self, resource: &JsonValue<'_>) -> Vec<String> {
        // `--profile` is for the resources of its type (a Bundle profile is
        // not for the Bundle's entries).
        if let Some((profile, type_)) = &self.profile
            && text_at(resource, "resourceType") == Some(type_.as_str())
        {
            return vec![profile.clone()];
        }
        text_at(resource, "resourceType")
            .map(|t| vec![format!("http://hl7.org/fhir/StructureDefinition/{t}")])
            .unwrap_or_default()
    }

    /// A file: a resource, or a Bundle, checked itself (its entries'
    /// resources left to their own lines), then each entry's resource
    /// with the Bundle as the context `resolve()` finds references in.
    fn file(
        &mut self,
        file: &str,
        bytes: &[u8],
        tally: &mut Tally,
        out: &mut impl Write,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let (value, tree) = match (JsonValue::parse(bytes, false), Json::parse(bytes)) {
            (Ok(value), Ok(tree)) => (value, tree),
            (Err(e), _) => {
                eprintln!(
                    "error: {file}: {}",
                    fhirgen_runtime::describe_json_error(bytes, &e.error_type, e.index)
                );
                tally.input_errors += 1;
                return Ok(());
            }
            (_, Err(e)) => {
                eprintln!("error: {file}: {e}");
                tally.input_errors += 1;
                return Ok(());
            }
        };
        if text_at(&value, "resourceType") != Some("Bundle") {
            return self.one(file, None, bytes, &value, None, (&tree, &tree), tally, out);
        }
        self.one(
            file,
            None,
            bytes,
            &value,
            Some(&value),
            (&tree, &tree),
            tally,
            out,
        )?;
        let tree_entries = match tree.get("entry") {
            Some(Json::Array(entries)) => entries.as_slice(),
            _ => &[],
        };
        let entries = match field(Some(&value), "entry") {
            Some(JsonValue::Array(entries)) => entries.as_slice(),
            _ => &[],
        };
        // Each entry's resource as written, for the R4 read.
        let texts: Vec<Option<&RawValue>> = serde_json::from_slice::<RawBundle<'_>>(bytes)
            .map(|b| b.entry.into_iter().map(|e| e.resource).collect())
            .unwrap_or_default();
        for (index, entry) in entries.iter().enumerate() {
            if let (Some(resource), Some(Some(text)), Some(tree_resource)) = (
                field(Some(entry), "resource"),
                texts.get(index),
                tree_entries.get(index).and_then(|e| e.get("resource")),
            ) {
                let text = text.get().as_bytes();
                self.one(
                    file,
                    Some(index),
                    text,
                    resource,
                    Some(&value),
                    (&tree, tree_resource),
                    tally,
                    out,
                )?;
            }
        }
        Ok(())
    }

    /// Checks one resource (`bytes`, parsed as `resource`), an entry of
    /// `bundle` or the Bundle itself, and writes its line.
    #[allow(clippy::too_many_arguments)]
    fn one<'a, 'j>(
        &mut self,
        file: &str,
        entry: Option<usize>,
        bytes: &[u8],
        resource: &'a JsonValue<'j>,
        bundle: Option<&'a JsonValue<'j>>,
        (root, tree): (&Json, &Json),
        tally: &mut Tally,
        out: &mut impl Write,
    ) -> Result<(), Box<dyn std::error::Error>> {
        tally.resources += 1;
        let is_bundle_itself = entry.is_none() && bundle.is_some();
        let mut issues = Vec::new();
        // The FHIR R4 JSON rules, as the R4 types read them.
        match self.shapes.read(bytes, self.lenient) {
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
        // An entry's resource has its own line: the Bundle's says nothing
        // about what is inside one.
        if is_bundle_itself {
            issues.retain(|i| !in_entry_resource(&i.path));
        }
        let (profiles, unknown) = self.profiles_for(resource);
        // A claimed profile this package set does not define is not checked,
        // and the outcome says so.
        for profile in unknown {
            issues.push(Issue {
                severity: "information",
                code: "not-supported",
                path: text_at(resource, "resourceType")
                    .unwrap_or_default()
                    .to_owned(),
                message: format!(
                    "profile {profile} (meta.profile) is not defined in {} or its dependencies: not checked",
                    self.package
                ),
            });
        }
        // The profiles' rules, by the runtime's checker (the one the
        // generated types' checks share their rules with).
        for profile in &profiles {
            match self.builder.rules_for(profile) {
                Ok(rules) => {
                    // What the base read reported already is not repeated.
                    let known: Vec<String> = issues.iter().map(|i| i.path.clone()).collect();
                    let findings = match bundle {
                        Some(bundle) => check_in_bundle(&rules, resource, bundle),
                        None => check(&rules, resource),
                    };
                    for finding in findings {
                        if known.contains(&finding.path)
                            || (is_bundle_itself && in_entry_resource(&finding.path))
                        {
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
                    path: text_at(resource, "resourceType")
                        .unwrap_or_default()
                        .to_owned(),
                    message: format!("profile {profile} cannot be used: {e}"),
                }),
            }
        }
        // A Bundle's entries' fullUrls (bundle.html): absolute, agreeing with their resources.
        if is_bundle_itself {
            for (path, message) in fhirgen_runtime::bundle::full_url_problems(tree) {
                if issues.iter().any(|i| i.path == path) {
                    continue;
                }
                issues.push(Issue {
                    severity: "error",
                    code: "invalid",
                    path,
                    message,
                });
            }
        }
        // The constraints of the type, its datatypes and its profiles.
        let tables: Vec<&str> = profiles
            .iter()
            .filter(|p| self.profile_invariants(p))
            .map(String::as_str)
            .collect();
        let reported: Vec<String> = issues.iter().map(|i| i.path.clone()).collect();
        let findings =
            self.invariants
                .check(self.shapes, root, tree, &tables, Some(&self.value_sets));
        for finding in findings {
            if reported.contains(&finding.path) {
                continue;
            }
            issues.push(Issue {
                severity: match finding.severity {
                    Some(invariants::Severity::Error) => "error",
                    Some(invariants::Severity::Warning) => "warning",
                    None => "information",
                },
                code: if finding.severity.is_some() {
                    "invariant"
                } else {
                    "not-supported"
                },
                path: finding.path,
                message: finding.message,
            });
        }
        let valid = !issues.iter().any(|i| i.severity == "error");
        if !valid {
            tally.invalid += 1;
        }
        let mut line = json!({"file": file});
        if let Some(entry) = entry {
            line["entry"] = json!(entry);
        }
        line["resourceType"] = json!(text_at(resource, "resourceType"));
        line["id"] = json!(text_at(resource, "id"));
        line["profiles"] = json!(profiles);
        line["valid"] = json!(valid);
        line["outcome"] = outcome(&issues);
        writeln!(out, "{line}")?;
        Ok(())
    }
}

/// Constraints that cannot be checked (they do not parse, or name an
/// element their context lacks): said once, on standard error.
fn print_notes(source: &str, notes: &[Note]) {
    for note in notes {
        eprintln!(
            "warning: {source}: constraint {} on {} is not checked: {}",
            note.key, note.path, note.message
        );
    }
}

/// Whether a FHIRPath is inside an entry's resource of a Bundle
/// (`Bundle.entry[2].resource.name`, `Bundle.entry:patient.resource`).
fn in_entry_resource(path: &str) -> bool {
    path.strip_prefix("Bundle.entry")
        .and_then(|rest| rest.split_once(".resource"))
        .is_some_and(|(index, after)| {
            !index.contains('.') && (after.is_empty() || after.starts_with('.'))
        })
}

fn field<'a, 'j>(value: Option<&'a JsonValue<'j>>, key: &str) -> Option<&'a JsonValue<'j>> {
    match value? {
        JsonValue::Object(object) => object.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

fn text<'a>(value: &'a JsonValue<'_>) -> Option<&'a str> {
    match value {
        JsonValue::Str(s) => Some(s.as_ref()),
        _ => None,
    }
}

fn text_at<'a>(value: &'a JsonValue<'_>, key: &str) -> Option<&'a str> {
    field(Some(value), key).and_then(text)
}

/// A Bundle's entries, each resource as its text.
#[derive(serde::Deserialize)]
struct RawBundle<'a> {
    #[serde(borrow, default)]
    entry: Vec<RawEntry<'a>>,
}

#[derive(serde::Deserialize)]
struct RawEntry<'a> {
    #[serde(borrow, default)]
    resource: Option<&'a RawValue>,
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
