//! Reads every example of one implementation guide through the crate
//! `fhirgen generate` made of it: each must read strictly into the crate's
//! `ProfiledResource` and write back unchanged. `scripts/check-igs.sh` builds
//! one such program per IG, with the generated crate as the dependency `ig`.
//!
//! An example is read as the profile its `meta.profile` names; one that names
//! none of the crate's is read as the profile the IG's `ImplementationGuide`
//! resource lists it for (`definition.resource.exampleCanonical`), else into
//! its base R4 type.
//!
//! Arguments: the IG's name for the report, the ImplementationGuide file (or
//! `-` for none), then the example files. Prints one line per example that
//! fails (`FILE<TAB>what`), then the counts.
//!
//! With `--mutations TABLE FHIRGEN PACKAGE EXAMPLES_DIR`: each row of the
//! table (`tests/ig-check/mutations.tsv`) for PACKAGE changes one example so
//! that it breaks one rule of its profile; both the crate (a strict read) and
//! `fhirgen validate --package` must reject it, at the element and with the
//! issue type the row names; and so must the crate's embedded rule tables
//! (`ig::rules`), which must also find every example valid.

use std::collections::HashMap;
use std::process::ExitCode;

use serde_json::Value;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("--mutations") {
        let args: Vec<String> = args.skip(1).collect();
        return match args.as_slice() {
            [table, fhirgen, package, examples] => mutations(table, fhirgen, package, examples),
            _ => {
                eprintln!("usage: ig-check --mutations TABLE FHIRGEN PACKAGE EXAMPLES_DIR");
                ExitCode::from(2)
            }
        };
    }
    let (Some(label), Some(guide)) = (args.next(), args.next()) else {
        eprintln!("usage: ig-check LABEL IMPLEMENTATION_GUIDE|- FILE...");
        return ExitCode::from(2);
    };
    let listed = match listed_examples(&guide) {
        Ok(listed) => listed,
        Err(e) => {
            eprintln!("error: {guide}: {e}");
            return ExitCode::from(2);
        }
    };
    let (mut total, mut read, mut profiled, mut unchanged, mut by_tables) = (0, 0, 0, 0, 0);
    for path in args {
        total += 1;
        let name = std::path::Path::new(&path)
            .file_name()
            .map_or(path.clone(), |n| n.to_string_lossy().into_owned());
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                println!("{name}\tcannot be read: {e}");
                continue;
            }
        };
        let listed_as = listed_profile(&bytes, &listed);
        // The crate's own rule tables (those `fhirgen validate` builds).
        let errors = table_errors(&bytes, listed_as);
        if errors.is_empty() {
            by_tables += 1;
        } else {
            println!("{name}	rule tables: {}", errors.join("; "));
        }
        let result = match listed_as {
            Some(profile) => ig::ProfiledResource::from_json_as(profile, &bytes),
            None => ig::ProfiledResource::from_json(&bytes),
        };
        let resource = match result {
            Ok(resource) => resource,
            Err(error) => {
                println!("{name}\tread: {error}");
                continue;
            }
        };
        read += 1;
        if resource.profile().is_some() {
            profiled += 1;
        }
        let written = resource.to_json();
        match fhirgen_runtime::first_difference(&bytes, &written, resource.resource_type()) {
            Ok(None) => unchanged += 1,
            Ok(Some(at)) => println!("{name}\twritten back differently at {at}"),
            Err(error) => println!("{name}\twritten back unreadable: {error}"),
        }
    }
    println!(
        "{label}: {total} examples, {read} read strictly ({profiled} into a profile's type), {unchanged} written back unchanged, {by_tables} valid by the crate's rule tables"
    );
    ExitCode::SUCCESS
}

/// The errors the crate's embedded rule tables find in `bytes` (as
/// `path [code]`), against the profiles its `meta.profile` names, else the
/// one the IG lists it for.
fn table_errors(bytes: &[u8], listed: Option<&str>) -> Vec<String> {
    use fhirgen_runtime::check::{Severity, check_json};
    let (mut findings, checked) = ig::rules::check_claimed(bytes);
    if checked.is_empty()
        && let Some(rules) = listed.and_then(ig::rules::rules_for)
    {
        findings = check_json(&rules, bytes);
    }
    findings
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{} [{}]", f.path, f.code.as_str()))
        .collect()
}

/// `Type/id` -> the profile the ImplementationGuide lists the example for.
fn listed_examples(guide: &str) -> Result<HashMap<String, String>, String> {
    if guide == "-" {
        return Ok(HashMap::new());
    }
    let text = std::fs::read(guide).map_err(|e| e.to_string())?;
    let guide: Value = serde_json::from_slice(&text).map_err(|e| e.to_string())?;
    let resources = guide["definition"]["resource"].as_array();
    Ok(resources
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let reference = r["reference"]["reference"].as_str()?;
            let profile = r["exampleCanonical"].as_str()?;
            Some((reference.to_owned(), profile.to_owned()))
        })
        .collect())
}

/// The profile the guide lists this example for, when its `meta.profile`
/// names none of the crate's.
fn listed_profile<'a>(bytes: &[u8], listed: &'a HashMap<String, String>) -> Option<&'a str> {
    let resource: Value = serde_json::from_slice(bytes).ok()?;
    let claims_one = resource["meta"]["profile"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(ig::ProfiledResource::has_profile);
    if claims_one {
        return None;
    }
    let key = format!(
        "{}/{}",
        resource["resourceType"].as_str()?,
        resource["id"].as_str()?
    );
    listed
        .get(&key)
        .map(String::as_str)
        .filter(|p| ig::ProfiledResource::has_profile(p))
}

/// Runs the mutation rows of `package`; fails unless every one is rejected
/// by both paths as its row says.
fn mutations(table: &str, fhirgen: &str, package: &str, examples: &str) -> ExitCode {
    let text = match std::fs::read_to_string(table) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: {table}: {e}");
            return ExitCode::from(2);
        }
    };
    let scratch = std::env::temp_dir().join(format!("ig-check-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&scratch) {
        eprintln!("error: {}: {e}", scratch.display());
        return ExitCode::from(2);
    }
    // The ImplementationGuide beside the examples lists the profile of
    // those that name none.
    let guide = std::fs::read_dir(format!("{examples}/.."))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("ImplementationGuide-"))
        });
    let listed = match guide {
        Some(guide) => match listed_examples(&guide.to_string_lossy()) {
            Ok(listed) => listed,
            Err(e) => {
                eprintln!("error: {}: {e}", guide.display());
                return ExitCode::from(2);
            }
        },
        None => HashMap::new(),
    };
    let (mut total, mut alike) = (0, 0);
    for (number, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let columns: Vec<&str> = line.split('\t').collect();
        let [row_package, file, op, pointer, value, path, code] = columns[..] else {
            eprintln!("error: {table}:{}: expected 7 columns", number + 1);
            return ExitCode::from(2);
        };
        if row_package != package {
            continue;
        }
        total += 1;
        let label = format!("{file} {op} {pointer}");
        let mutated = match mutate(&format!("{examples}/{file}"), op, pointer, value) {
            Ok(bytes) => bytes,
            Err(e) => {
                println!("{label}\tcannot be made: {e}");
                continue;
            }
        };
        let listed_as = listed_profile(&mutated, &listed);
        let read = match listed_as {
            Some(profile) => ig::ProfiledResource::from_json_as(profile, &mutated),
            None => ig::ProfiledResource::from_json(&mutated),
        };
        let typed = match read {
            Ok(_) => "accepted".to_owned(),
            Err(error) => format!("{}\t{}", error.path, error.code.as_str()),
        };
        let file_path = scratch.join(format!("{}-{file}", number + 1));
        if let Err(e) = std::fs::write(&file_path, &mutated) {
            println!("{label}\tcannot be written: {e}");
            continue;
        }
        let validated = validate(fhirgen, package, &file_path, listed_as);
        let wanted = format!("{path}\t{code}");
        let validate_found = validated.iter().any(|found| *found == wanted);
        let tables = table_errors(&mutated, listed_as);
        let tables_found = tables.contains(&format!("{path} [{code}]"));
        if typed == wanted && validate_found && tables_found {
            alike += 1;
        } else {
            println!(
                "{label}\texpected {wanted}; the crate: {typed}; its rule tables: {}; fhirgen validate: {}",
                if tables.is_empty() { "valid".to_owned() } else { tables.join(", ") },
                if validated.is_empty() { "valid".to_owned() } else { validated.join(", ") }
            );
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    println!("{package}: {total} mutations, {alike} rejected alike by the crate's types, its rule tables and fhirgen validate");
    if alike == total { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// The example at `path` with one change: `remove` the value at the JSON
/// pointer, or `set` it to the JSON `value`.
fn mutate(path: &str, op: &str, pointer: &str, value: &str) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let mut resource: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    match op {
        "set" => {
            let value: Value = serde_json::from_str(value).map_err(|e| e.to_string())?;
            *resource.pointer_mut(pointer).ok_or("no value at the pointer")? = value;
        }
        "remove" => {
            let (parent, last) = pointer.rsplit_once('/').ok_or("not a JSON pointer")?;
            match resource.pointer_mut(parent).ok_or("no parent at the pointer")? {
                Value::Object(object) => {
                    object.remove(last).ok_or("nothing to remove")?;
                }
                Value::Array(items) => {
                    let index: usize = last.parse().map_err(|_| "not an index")?;
                    if index >= items.len() {
                        return Err("nothing to remove".into());
                    }
                    items.remove(index);
                }
                _ => return Err("the parent holds nothing".into()),
            }
        }
        other => return Err(format!("unknown operation `{other}`")),
    }
    serde_json::to_vec(&resource).map_err(|e| e.to_string())
}

/// `fhirgen validate --package`'s error issues for the file (checked
/// against `profile` when its `meta.profile` names none), as
/// `EXPRESSION<TAB>CODE`.
fn validate(
    fhirgen: &str,
    package: &str,
    file: &std::path::Path,
    profile: Option<&str>,
) -> Vec<String> {
    let output = std::process::Command::new(fhirgen)
        .args(["validate", "--offline", "--package", package])
        .args(profile.map(|p| ["--profile", p]).into_iter().flatten())
        .arg(file)
        .output();
    let Ok(output) = output else {
        return vec!["(fhirgen did not run)".to_owned()];
    };
    let mut found = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(result) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        for issue in result["outcome"]["issue"].as_array().into_iter().flatten() {
            if issue["severity"] == "error" {
                found.push(format!(
                    "{}\t{}",
                    issue["expression"][0].as_str().unwrap_or(""),
                    issue["code"].as_str().unwrap_or("")
                ));
            }
        }
    }
    found
}
