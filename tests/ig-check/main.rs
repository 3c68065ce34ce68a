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

use std::collections::HashMap;
use std::process::ExitCode;

use serde_json::Value;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
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
    let (mut total, mut read, mut profiled, mut unchanged) = (0, 0, 0, 0);
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
        let result = match listed_profile(&bytes, &listed) {
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
        "{label}: {total} examples, {read} read strictly ({profiled} into a profile's type), {unchanged} written back unchanged"
    );
    ExitCode::SUCCESS
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
