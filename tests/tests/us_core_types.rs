//! The US Core profile crates over every example of the three US Core
//! packages: each parses into the type of the profile its `meta.profile`
//! names, and writes back to the same JSON.

mod common;

use common::load;

use fhirgen_runtime::{Error, first_difference};

/// Reads into the crate's dispatcher: the profile chosen (if any) and the
/// JSON written back.
type Dispatch = fn(&[u8]) -> Result<(Option<&'static str>, Vec<u8>), Error>;

fn dispatcher(version: &str) -> Dispatch {
    match version {
        "3.1.1" => |json| {
            us_core_3_1_1::ProfiledResource::from_json(json).map(|r| (r.profile(), r.to_json()))
        },
        "6.1.0" => |json| {
            us_core_6_1_0::ProfiledResource::from_json(json).map(|r| (r.profile(), r.to_json()))
        },
        "7.0.0" => |json| {
            us_core_7_0_0::ProfiledResource::from_json(json).map(|r| (r.profile(), r.to_json()))
        },
        other => panic!("no crate for US Core {other}"),
    }
}

/// Examples that are not valid R4, with the exact error (as in the base R4
/// round-trip test): version, file, error.
const INVALID: &[(&str, &str, &str)] = &[(
    "3.1.1",
    "example/DiagnosticReport-cardiology-report.json",
    // `.` is not in the base64 alphabet.
    "DiagnosticReport.presentedForm[0].hash: `EQH/..AgME` is not a valid FHIR base64Binary",
)];

#[test]
fn every_us_core_example_reads_into_its_profile_type_and_round_trips() {
    let mut report = Vec::new();
    for version in ["3.1.1", "6.1.0", "7.0.0"] {
        let set = load(&format!("hl7.fhir.us.core@{version}"));
        let package = set.root();
        let read = dispatcher(version);
        let (mut total, mut profiled, mut failures) = (0, 0, Vec::new());
        // Each example, and each entry of the Bundles on its own.
        let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
        for entry in package.examples() {
            let json = package.read(&entry.filename).unwrap().into_owned();
            let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
            if value["resourceType"] == "Bundle" {
                for (i, item) in value["entry"].as_array().into_iter().flatten().enumerate() {
                    let resource = serde_json::to_vec(&item["resource"]).unwrap();
                    inputs.push((format!("{}#entry[{i}]", entry.filename), resource));
                }
            } else {
                inputs.push((entry.filename.clone(), json));
            }
        }
        for (filename, json) in &inputs {
            total += 1;
            match read(json) {
                Ok((profile, written)) => {
                    let value: serde_json::Value = serde_json::from_slice(json).unwrap();
                    let claimed: Vec<&str> = value["meta"]["profile"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|p| p.as_str())
                        .map(fhirgen_runtime::canonical_url)
                        .collect();
                    match profile {
                        Some(url) if claimed.contains(&url) => profiled += 1,
                        Some(url) => {
                            failures.push(format!("{}: read as {url}, not claimed", filename))
                        }
                        // Read as the base resource: it must claim no profile of the crate.
                        None => {}
                    }
                    if let Some(difference) = first_difference(json, &written, "").unwrap() {
                        failures.push(format!("{}: changed: {difference}", filename));
                    }
                }
                Err(e) => {
                    let known = INVALID.iter().any(|(v, file, error)| {
                        *v == version && *file == *filename && *error == e.to_string()
                    });
                    if !known {
                        failures.push(format!("{}: {e}", filename));
                    }
                }
            }
        }
        report.push(format!(
            "US Core {version}: {total} resources (examples and Bundle entries), {profiled} read as a profile type, {} listed as invalid R4, {} failures",
            INVALID.iter().filter(|(v, ..)| *v == version).count(),
            failures.len()
        ));
        for f in &failures {
            report.push(format!("  {f}"));
        }
    }
    println!("{}", report.join("\n"));
    assert!(
        report.iter().all(|l| !l.starts_with("  ")),
        "{}",
        report.join("\n")
    );
}

/// `from_json_as` reads as the profile given, whatever `meta.profile` says
/// (`|version` allowed), with that profile's rules; an unknown profile reads
/// as `from_json` does.
#[test]
fn a_resource_reads_as_the_profile_given() {
    use us_core_6_1_0::ProfiledResource;
    const PATIENT: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient";
    let unclaimed = br#"{"resourceType":"Patient","identifier":[{"system":"urn:x","value":"1"}],"name":[{"family":"Lee"}],"gender":"female"}"#;
    assert_eq!(
        ProfiledResource::from_json(unclaimed).unwrap().profile(),
        None
    );
    let read = ProfiledResource::from_json_as(&format!("{PATIENT}|6.1.0"), unclaimed).unwrap();
    assert_eq!(read.profile(), Some(PATIENT));
    assert!(ProfiledResource::has_profile(PATIENT));
    assert!(!ProfiledResource::has_profile("https://example.org/other"));
    let other = ProfiledResource::from_json_as("https://example.org/other", unclaimed).unwrap();
    assert_eq!(other.profile(), None);
    // The profile's rules apply: US Core Patient requires a gender.
    let no_gender = br#"{"resourceType":"Patient","identifier":[{"system":"urn:x","value":"1"}],"name":[{"family":"Lee"}]}"#;
    let error = ProfiledResource::from_json_as(PATIENT, no_gender).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Patient.gender: required element is missing"
    );
}
