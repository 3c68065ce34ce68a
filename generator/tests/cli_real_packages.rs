//! `fhirgen packages`, `inspect` and `expand` on the official packages.

mod common;

use common::{fhirgen, json, run, shared_packages};
use serde_json::Value;

fn offline(cache: &std::path::Path, subcommand: &str) -> assert_cmd::Command {
    let mut command = fhirgen(cache);
    command.args([subcommand, "--offline"]);
    command
}

fn inspect(version: &str, profile: &str) -> Value {
    let cache = tempfile::tempdir().unwrap();
    let mut command = fhirgen(cache.path());
    command
        .args(["inspect", "--offline", "--packages"])
        .arg(shared_packages())
        .args([
            "--package",
            &format!("hl7.fhir.us.core@{version}"),
            "--profile",
            profile,
            "--json",
        ]);
    json(&run(&mut command))
}

fn element<'a>(profile: &'a Value, id: &str) -> &'a Value {
    profile["elements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("no element {id}"))
}

#[test]
fn packages_lists_all_five_with_their_contents() {
    let cache = tempfile::tempdir().unwrap();
    let mut command = fhirgen(cache.path());
    command
        .args(["packages", "--offline", "--json", "--packages"])
        .arg(shared_packages());
    let listing = json(&run(&mut command));
    let by_id = |id: &str| {
        listing
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap_or_else(|| panic!("{id} not listed"))
            .clone()
    };
    let core = by_id("hl7.fhir.r4.core@4.0.1");
    assert_eq!(core["resourceTotal"], 4581);
    assert_eq!(core["fhirVersions"][0], "4.0.1");
    assert_eq!(core["resources"]["StructureDefinition"], 658);
    assert_eq!(by_id("hl7.fhir.r4.examples@4.0.1")["resourceTotal"], 718);
    for (version, examples) in [("3.1.1", 84), ("6.1.0", 183), ("7.0.0", 214)] {
        let us_core = by_id(&format!("hl7.fhir.us.core@{version}"));
        assert_eq!(us_core["examples"], examples, "US Core {version}");
        let deps = us_core["dependencies"].as_array().unwrap();
        assert_eq!(deps[0]["name"], "hl7.fhir.r4.core");
        assert_eq!(deps[0]["status"], "found");
    }
    let six = by_id("hl7.fhir.us.core@6.1.0");
    let terminology = six["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "hl7.terminology.r4")
        .unwrap();
    assert_eq!(terminology["status"], "missing");

    let mut text = fhirgen(cache.path());
    text.args(["packages", "--offline", "--packages"])
        .arg(shared_packages());
    let text = run(&mut text);
    assert_eq!(text.code, 0);
    assert!(
        text.stdout.contains("hl7.fhir.us.core@6.1.0  (FHIR 4.0.1)"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("hl7.terminology.r4@5.0.0 missing"));
}

#[test]
fn us_core_6_patient_facts() {
    let patient = inspect("6.1.0", "us-core-patient");
    assert_eq!(
        patient["url"],
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"
    );
    assert_eq!(patient["version"], "6.1.0");
    assert_eq!(patient["type"], "Patient");
    assert_eq!(
        patient["baseDefinition"],
        "http://hl7.org/fhir/StructureDefinition/Patient"
    );

    let gender = element(&patient, "Patient.gender");
    assert_eq!(
        (gender["min"].as_u64(), gender["max"].as_str()),
        (Some(1), Some("1"))
    );
    assert_eq!(gender["mustSupport"], true);
    let binding = &gender["binding"];
    assert_eq!(binding["strength"], "required");
    assert_eq!(
        binding["valueSet"],
        "http://hl7.org/fhir/ValueSet/administrative-gender"
    );
    assert_eq!(binding["expansion"], "enumerated");
    let codes: Vec<&str> = binding["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["male", "female", "other", "unknown"]);
    assert_eq!(
        binding["codes"][0]["system"],
        "http://hl7.org/fhir/administrative-gender"
    );

    // The exact shape of an element is a stable interface.
    let keys: Vec<&str> = gender
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "path",
            "min",
            "max",
            "mustSupport",
            "isModifier",
            "types",
            "binding"
        ]
    );
    assert_eq!(
        gender["types"],
        serde_json::json!([{"code": "code", "profiles": [], "targetProfiles": []}])
    );

    let race = element(&patient, "Patient.extension:race");
    assert_eq!(race["sliceName"], "race");
    assert_eq!(race["path"], "Patient.extension");
    assert_eq!(
        race["types"][0]["profiles"][0],
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
    );
    let extension = element(&patient, "Patient.extension");
    assert_eq!(
        extension["slicing"]["discriminators"],
        serde_json::json!([{"type": "value", "path": "url"}])
    );
    assert_eq!(extension["slicing"]["rules"], "open");

    let system = element(&patient, "Patient.identifier.system");
    assert_eq!(
        (system["min"].as_u64(), system["mustSupport"].as_bool()),
        (Some(1), Some(true))
    );

    // A binding to a terminology that is not in the packages is reported, not guessed.
    let state = element(&patient, "Patient.address.state");
    assert_eq!(state["binding"]["expansion"], "not-expandable");
    assert!(state["binding"].get("codes").is_none());
}

#[test]
fn blood_pressure_components_are_sliced_by_code_pattern() {
    let bp = inspect("6.1.0", "us-core-blood-pressure");
    let component = element(&bp, "Observation.component");
    assert_eq!(component["min"], 2);
    assert_eq!(
        component["slicing"]["discriminators"],
        serde_json::json!([{"type": "pattern", "path": "code"}])
    );
    for (slice, loinc) in [("systolic", "8480-6"), ("diastolic", "8462-4")] {
        let id = format!("Observation.component:{slice}");
        let sliced = element(&bp, &id);
        assert_eq!(sliced["sliceName"], slice);
        assert_eq!(
            (sliced["min"].as_u64(), sliced["max"].as_str()),
            (Some(1), Some("1"))
        );
        let code = element(&bp, &format!("{id}.code"));
        assert_eq!(code["pattern"]["coding"][0]["system"], "http://loinc.org");
        assert_eq!(code["pattern"]["coding"][0]["code"], loinc);
        let value = element(&bp, &format!("{id}.value[x]"));
        assert_eq!(value["types"].as_array().unwrap().len(), 1);
        assert_eq!(value["types"][0]["code"], "Quantity");
        assert_eq!(
            element(&bp, &format!("{id}.value[x].code"))["fixed"],
            "mm[Hg]"
        );
    }
    assert_eq!(
        element(&bp, "Observation.code")["pattern"]["coding"][0]["code"],
        "85354-9"
    );
}

#[test]
fn profile_found_by_id_name_or_url_in_every_us_core_version() {
    for version in ["3.1.1", "6.1.0", "7.0.0"] {
        let by_id = inspect(version, "us-core-patient");
        let by_name = inspect(version, "USCorePatientProfile");
        let by_url = inspect(
            version,
            "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient",
        );
        assert_eq!(by_id["version"], version);
        assert_eq!(by_id["elements"], by_name["elements"], "{version}");
        assert_eq!(by_id["elements"], by_url["elements"], "{version}");
        let gender = element(&by_id, "Patient.gender");
        assert_eq!(
            gender["binding"]["codes"].as_array().unwrap().len(),
            4,
            "{version}"
        );
    }
    // A profile of a dependency, by versioned canonical URL.
    let vitals = inspect(
        "6.1.0",
        "http://hl7.org/fhir/StructureDefinition/vitalsigns|4.0.1",
    );
    assert_eq!(vitals["name"], "observation-vitalsigns");
}

#[test]
fn inspect_text_is_a_readable_table() {
    let cache = tempfile::tempdir().unwrap();
    let mut command = offline(cache.path(), "inspect");
    command
        .args([
            "--package",
            "hl7.fhir.us.core@6.1.0",
            "--profile",
            "us-core-patient",
            "--packages",
        ])
        .arg(shared_packages());
    let output = run(&mut command);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let gender = output
        .stdout
        .lines()
        .find(|l| l.starts_with("Patient.gender "))
        .unwrap();
    for part in [
        "1..1",
        "code",
        "MS",
        "required administrative-gender (4 codes)",
    ] {
        assert!(gender.contains(part), "{gender}");
    }
    assert!(
        output
            .stdout
            .starts_with("US Core Patient Profile (USCorePatientProfile)")
    );
    assert!(
        output
            .stdout
            .contains("value sets that cannot be enumerated offline:")
    );
    // Missing dependencies are named as warnings, not errors.
    assert!(output.stderr.contains(
        "warning: dependency hl7.terminology.r4@5.0.0 of hl7.fhir.us.core@6.1.0 is missing"
    ));
}

#[test]
fn inspect_works_on_r4_core_and_names_what_r4_examples_lacks() {
    let cache = tempfile::tempdir().unwrap();
    let mut command = offline(cache.path(), "inspect");
    command
        .args([
            "--package",
            "hl7.fhir.r4.core@4.0.1",
            "--profile",
            "Patient",
            "--json",
            "--packages",
        ])
        .arg(shared_packages());
    let patient = json(&run(&mut command));
    assert_eq!(patient["type"], "Patient");
    assert_eq!(element(&patient, "Patient.gender")["min"], 0);
    assert_eq!(
        element(&patient, "Patient.deceased[x]")["types"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let mut command = offline(cache.path(), "inspect");
    command
        .args([
            "--package",
            "hl7.fhir.r4.examples@4.0.1",
            "--profile",
            "Patient",
            "--packages",
        ])
        .arg(shared_packages());
    let output = run(&mut command);
    assert_eq!(output.code, 1);
    assert!(
        output
            .stderr
            .contains("profile `Patient` was not found in hl7.fhir.r4.examples@4.0.1"),
        "{}",
        output.stderr
    );
}

#[test]
fn expand_enumerates_or_says_why_not() {
    let cache = tempfile::tempdir().unwrap();
    let mut command = offline(cache.path(), "expand");
    command
        .args([
            "--package",
            "hl7.fhir.us.core@6.1.0",
            "http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1",
            "--json",
            "--packages",
        ])
        .arg(shared_packages());
    let gender = json(&run(&mut command));
    assert_eq!(gender["expansion"], "enumerated");
    assert_eq!(gender["total"], 4);
    assert_eq!(gender["codes"][1]["display"], "Female");

    // A hierarchy filter over a loaded code system (is-a SIB in v3 RoleCode).
    let mut command = offline(cache.path(), "expand");
    command
        .args([
            "--package",
            "hl7.fhir.r4.core@4.0.1",
            "http://hl7.org/fhir/ValueSet/sibling-relationship-codes",
            "--json",
            "--packages",
        ])
        .arg(shared_packages());
    let siblings = json(&run(&mut command));
    assert_eq!(siblings["total"], 21);
    assert!(
        siblings["codes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "TWINSIS")
    );

    let mut command = offline(cache.path(), "expand");
    command
        .args([
            "--package",
            "hl7.fhir.us.core@6.1.0",
            "http://hl7.org/fhir/us/core/ValueSet/us-core-documentreference-type",
            "--json",
            "--packages",
        ])
        .arg(shared_packages());
    let loinc = json(&run(&mut command));
    assert_eq!(loinc["expansion"], "not-expandable");
    assert!(
        loinc["reason"]
            .as_str()
            .unwrap()
            .contains("http://loinc.org"),
        "{loinc}"
    );

    let mut command = offline(cache.path(), "expand");
    command
        .args([
            "--package",
            "hl7.fhir.us.core@6.1.0",
            "http://example.org/ValueSet/nope",
            "--packages",
        ])
        .arg(shared_packages());
    let output = run(&mut command);
    assert_eq!(output.code, 1);
    assert!(
        output
            .stderr
            .contains("ValueSet `http://example.org/ValueSet/nope` was not found")
    );
}

/// The whole table for US Core 6.1.0 Patient, as a reviewed snapshot.
#[test]
fn us_core_6_patient_table_snapshot() {
    let cache = tempfile::tempdir().unwrap();
    let mut command = offline(cache.path(), "inspect");
    command
        .args([
            "--package",
            "hl7.fhir.us.core@6.1.0",
            "--profile",
            "us-core-patient",
            "--packages",
        ])
        .arg(shared_packages());
    let output = run(&mut command);
    assert_eq!(output.code, 0, "{}", output.stderr);
    insta::assert_snapshot!("us_core_6_patient_table", output.stdout);
}

#[test]
fn help_snapshot() {
    let cache = tempfile::tempdir().unwrap();
    for subcommand in [None, Some("inspect")] {
        let mut command = fhirgen(cache.path());
        command.args(subcommand).arg("--help");
        let output = run(&mut command);
        assert_eq!(output.code, 0);
        insta::assert_snapshot!(
            format!("help_{}", subcommand.unwrap_or("main")),
            output.stdout
        );
    }
}

/// `fhirgen roundtrip` over every R4 example, an NDJSON file and a broken Bundle.
#[test]
fn roundtrip_reports_only_what_does_not_survive() {
    let dir = tempfile::tempdir().unwrap();
    let files = fhirgen::package::read_archive_file(
        &shared_packages().join("hl7.fhir.r4.examples-4.0.1.tgz"),
    )
    .unwrap();
    let mut paths = Vec::new();
    let mut ndjson = String::new();
    for (name, bytes) in &files {
        if !name.ends_with(".json") || name.contains('/') || name == "package.json" {
            continue;
        }
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        paths.push(path);
        if name.starts_with("Patient-") && ndjson.lines().count() < 3 {
            let compact: Value = serde_json::from_slice(bytes).unwrap();
            ndjson.push_str(&format!("{compact}\n"));
        }
    }
    assert_eq!(paths.len(), 718);
    let mut broken: Value = serde_json::from_slice(&files["Patient-example.json"]).unwrap();
    broken["name"][0]["nickname"] = Value::from("Jim");
    ndjson.push_str(&format!("{broken}\n"));
    std::fs::write(dir.path().join("patients.ndjson"), &ndjson).unwrap();

    let cache = tempfile::tempdir().unwrap();
    let mut command = fhirgen(cache.path());
    command
        .arg("roundtrip")
        .args(&paths)
        .arg(dir.path().join("patients.ndjson"));
    let output = run(&mut command);
    assert_eq!(output.code, 1, "{}", output.stderr);
    let lines: Vec<Value> = output
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The nine R4 examples that are not valid R4 (see tests/tests/r4_roundtrip.rs:
    // two miss a required element, four have an empty narrative, txt-2, three
    // Bundles have a fullUrl that disagrees with its resource), and the
    // broken NDJSON line.
    assert_eq!(lines.len(), 10, "{}", output.stdout);
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["firstDifference"]
                .as_str()
                .is_some_and(|p| p.starts_with("Bundle.entry[") && p.ends_with("].fullUrl")))
            .count(),
        3
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["firstDifference"]
                .as_str()
                .is_some_and(|p| p.ends_with(".text.div")))
            .count(),
        4
    );
    assert!(lines.iter().any(
        |l| l["id"] == "qs1" && l["firstDifference"] == "Questionnaire.item[0].item[0].linkId"
    ));
    assert!(
        lines
            .iter()
            .any(|l| l["resourceType"] == "ImplementationGuide")
    );
    let ndjson_line = lines
        .iter()
        .find(|l| l["entry"] == 4 && l["resourceType"] == "Patient")
        .expect("NDJSON line 4 reported");
    assert_eq!(ndjson_line["firstDifference"], "Patient.name[0].nickname");
    assert_eq!(
        ndjson_line["error"],
        "Patient.name[0].nickname: unknown property `nickname`"
    );
    assert!(
        output
            .stderr
            .contains("722 resources read from 719 files: 712 survive the round trip, 10 do not"),
        "{}",
        output.stderr
    );

    let mut command = fhirgen(cache.path());
    command
        .args(["roundtrip", "--package", "hl7.fhir.r5.core@5.0.0"])
        .arg(&paths[0]);
    assert_eq!(run(&mut command).code, 2);
}

/// The examples of a US Core version, written to a scratch folder (kept alive
/// by the returned handle).
fn us_core_examples(version: &str) -> (tempfile::TempDir, Vec<std::path::PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let archive = shared_packages().join(format!("hl7.fhir.us.core-{version}.tgz"));
    let files = fhirgen::package::read_archive_file(&archive).unwrap();
    let mut paths = Vec::new();
    for (name, bytes) in &files {
        let example = name
            .strip_prefix("example/")
            .filter(|n| n.ends_with(".json") && !n.starts_with('.'));
        if let Some(example) = example {
            let path = dir.path().join(example);
            std::fs::write(&path, bytes).unwrap();
            paths.push(path);
        }
    }
    (dir, paths)
}

/// US Core examples that are not valid R4: version, file, the error, and why.
const INVALID_US_CORE_EXAMPLES: &[(&str, &str, &str)] = &[(
    "3.1.1",
    "DiagnosticReport-cardiology-report.json",
    // `.` is not in the base64 alphabet.
    "DiagnosticReport.presentedForm[0].hash: `EQH/..AgME` is not a valid FHIR base64Binary",
)];

/// US Core Bundles whose entries' fullUrls break R4's rule (bundle.html,
/// "fullUrl": absolute, and a RESTful one agrees with Resource.id), which
/// `validate` and a strict read of the types refuse: version, file, why.
const FULL_URL_MISMATCHES: &[(&str, &str, &str)] = &[
    (
        "3.1.1",
        "Bundle-66c8856b-ba11-4876-8aa8-467aad8c11a2.json",
        "fullUrl .../Endpoint/Endpoint-71 for the Endpoint 71",
    ),
    (
        "3.1.1",
        "Bundle-uscore-mo3.json",
        "fullUrl `/Medication/uscore-med2` is relative",
    ),
    (
        "6.1.0",
        "Bundle-66c8856b-ba11-4876-8aa8-467aad8c11a2.json",
        "fullUrl .../Endpoint/Endpoint-71 for the Endpoint 71",
    ),
    (
        "6.1.0",
        "Bundle-docref-example-2.json",
        "fullUrl .../DocumentReference/discharge-summary789 for the DocumentReference discharge",
    ),
];

/// Every example of the three US Core packages (and each Bundle entry on its
/// own) survives the US Core profile types, but those listed above. The
/// binary needs the `us-core` feature: `cargo test --workspace` builds it so
/// (fhirgen-e2e asks for it), `cargo test -p fhirgen` needs `--features us-core`.
#[test]
fn roundtrip_over_every_us_core_example() {
    for version in ["3.1.1", "6.1.0", "7.0.0"] {
        let (_dir, paths) = us_core_examples(version);
        let invalid: Vec<_> = INVALID_US_CORE_EXAMPLES
            .iter()
            .filter(|(v, ..)| *v == version)
            .collect();
        let mismatched: Vec<_> = FULL_URL_MISMATCHES
            .iter()
            .filter(|(v, ..)| *v == version)
            .collect();
        let refused = invalid.len() + mismatched.len();
        let cache = tempfile::tempdir().unwrap();
        let mut command = fhirgen(cache.path());
        command
            .args([
                "roundtrip",
                "--package",
                &format!("hl7.fhir.us.core@{version}"),
            ])
            .args(&paths);
        let output = run(&mut command);
        assert_ne!(
            output.code, 2,
            "build fhirgen with `--features us-core` (cargo test --workspace does): {}",
            output.stderr
        );
        let lines: Vec<Value> = output
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            lines.len(),
            refused,
            "US Core {version}:\n{}",
            output.stdout
        );
        for (_, file, _) in &mismatched {
            assert!(
                lines
                    .iter()
                    .any(|l| l["file"].as_str().unwrap().ends_with(file)
                        && l["error"].as_str().unwrap().contains(".fullUrl: fullUrl `")),
                "US Core {version}: {file} not refused for its fullUrl:\n{}",
                output.stdout
            );
        }
        for (_, file, error) in &invalid {
            assert!(
                lines
                    .iter()
                    .any(|l| l["file"].as_str().unwrap().ends_with(file) && l["error"] == *error),
                "US Core {version}: {file} not reported as `{error}`:\n{}",
                output.stdout
            );
        }
        assert_eq!(output.code, if refused == 0 { 0 } else { 1 });
        let files = paths.len();
        let entries: usize = paths
            .iter()
            .map(|p| serde_json::from_slice::<Value>(&std::fs::read(p).unwrap()).unwrap())
            .filter(|v| v["resourceType"] == "Bundle")
            .map(|v| v["entry"].as_array().map_or(0, |e| e.len()))
            .sum();
        let n = files + entries;
        let summary = format!(
            "{n} resources read from {files} files: {} survive the round trip, {} do not",
            n - refused,
            refused
        );
        assert!(output.stderr.contains(&summary), "{}", output.stderr);
        println!("US Core {version}: {summary}");
    }
}

/// `fhirgen generate --check` passes on the repository, and `--package --out`
/// makes a whole crate elsewhere.
#[test]
fn generate_checks_the_repository_and_writes_a_crate_anywhere() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut check = fhirgen(cache.path());
    check
        .current_dir(root)
        .args(["generate", "--offline", "--check", "--packages"])
        .arg(shared_packages());
    let output = run(&mut check);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("fhir-r4: 195 files checked, 0 differ"),
        "{}",
        output.stderr
    );

    let out = tempfile::tempdir().unwrap();
    // A folder name that is no crate name: the crate is named after the package.
    let crate_dir = out.path().join("hl7.fhir.r4.core@4.0.1");
    let mut generate = fhirgen(cache.path());
    generate
        .args([
            "generate",
            "--offline",
            "--package",
            "hl7.fhir.r4.core@4.0.1",
            "--out",
        ])
        .arg(&crate_dir)
        .arg("--packages")
        .arg(shared_packages());
    let output = run(&mut generate);
    assert_eq!(output.code, 0, "{}", output.stderr);
    // Progress, then a summary of what was made.
    assert!(
        output
            .stderr
            .contains("generating r4-core-4-0-1 from hl7.fhir.r4.core@4.0.1 ..."),
        "{}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains("r4-core-4-0-1: 1833 types, 195 files, 195 written, 0 removed, 0 notes"),
        "{}",
        output.stderr
    );
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("name = \"r4-core-4-0-1\""), "{manifest}");
    assert!(manifest.contains("fhirgen-runtime = { version = \"0.1.0\" }"));
    let patient = std::fs::read_to_string(crate_dir.join("src/resources/patient.rs")).unwrap();
    assert!(patient.starts_with(
        "// @generated by `fhirgen generate --package hl7.fhir.r4.core@4.0.1`: do not edit"
    ));
    assert!(patient.contains("pub struct Patient {"));

    // A file edited by hand is reported by --check, and the run fails.
    std::fs::write(crate_dir.join("src/resources/patient.rs"), "// edited\n").unwrap();
    let mut check = fhirgen(cache.path());
    check
        .args([
            "generate",
            "--offline",
            "--check",
            "--package",
            "hl7.fhir.r4.core@4.0.1",
            "--out",
        ])
        .arg(&crate_dir)
        .arg("--packages")
        .arg(shared_packages());
    let output = run(&mut check);
    assert_eq!(output.code, 1);
    assert!(output.stderr.contains("differs: "), "{}", output.stderr);
    assert!(
        output.stderr.contains("src/resources/patient.rs"),
        "{}",
        output.stderr
    );
}

/// `fhirgen validate` over every US Core example, and over mutated copies in
/// an NDJSON file.
#[test]
fn validate_reports_each_resource_with_an_operation_outcome() {
    for version in ["3.1.1", "6.1.0", "7.0.0"] {
        let (_dir, paths) = us_core_examples(version);
        let cache = tempfile::tempdir().unwrap();
        let mut command = fhirgen(cache.path());
        command
            .args([
                "validate",
                "--offline",
                "--package",
                &format!("hl7.fhir.us.core@{version}"),
                "--packages",
            ])
            .arg(shared_packages())
            .args(&paths);
        let output = run(&mut command);
        let lines: Vec<Value> = output
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let invalid: Vec<&Value> = lines.iter().filter(|l| l["valid"] == false).collect();
        let expected_invalid = INVALID_US_CORE_EXAMPLES
            .iter()
            .chain(FULL_URL_MISMATCHES)
            .filter(|(v, ..)| *v == version)
            .count();
        for (_, file, _) in FULL_URL_MISMATCHES.iter().filter(|(v, ..)| *v == version) {
            assert!(
                invalid
                    .iter()
                    .any(|l| l["file"].as_str().unwrap().ends_with(file)
                        && l["outcome"].to_string().contains("fullUrl")),
                "US Core {version}: {file} not rejected for its fullUrl"
            );
        }
        assert_eq!(
            invalid.len(),
            expected_invalid,
            "US Core {version}: {invalid:?}"
        );
        assert_eq!(output.code, if expected_invalid == 0 { 0 } else { 1 });
        assert!(
            lines.len() >= paths.len(),
            "one line per resource (Bundles: per entry)"
        );
        let valid = lines.iter().find(|l| l["valid"] == true).unwrap();
        assert_eq!(valid["outcome"]["resourceType"], "OperationOutcome");
        println!(
            "US Core {version}: {}",
            output.stderr.lines().last().unwrap_or_default()
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let files =
        fhirgen::package::read_archive_file(&shared_packages().join("hl7.fhir.us.core-6.1.0.tgz"))
            .unwrap();
    let bp: Value =
        serde_json::from_slice(&files["example/Observation-blood-pressure.json"]).unwrap();
    let mut no_diastolic = bp.clone();
    no_diastolic["component"]
        .as_array_mut()
        .unwrap()
        .retain(|c| c["code"]["coding"][0]["code"] != "8462-4");
    std::fs::write(
        dir.path().join("bp.ndjson"),
        format!("{bp}\n{no_diastolic}\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.json"), "{not json").unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut command = fhirgen(cache.path());
    command
        .args([
            "validate",
            "--offline",
            "--package",
            "hl7.fhir.us.core@6.1.0",
            "--packages",
        ])
        .arg(shared_packages())
        .arg(dir.path().join("bp.ndjson"));
    let output = run(&mut command);
    assert_eq!(output.code, 1, "{}", output.stderr);
    let lines: Vec<Value> = output
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        (lines[0]["entry"].as_u64(), lines[0]["valid"].as_bool()),
        (Some(1), Some(true))
    );
    assert_eq!(
        (lines[1]["entry"].as_u64(), lines[1]["valid"].as_bool()),
        (Some(2), Some(false))
    );
    let issues = lines[1]["outcome"]["issue"].as_array().unwrap();
    assert!(
        issues
            .iter()
            .any(|i| i["expression"][0] == "Observation.component:diastolic"
                && i["code"] == "required"
                && i["severity"] == "error"),
        "{issues:?}"
    );
    assert!(
        output
            .stderr
            .contains("2 resources checked against hl7.fhir.us.core@6.1.0: 1 valid, 1 not valid")
    );

    let mut command = fhirgen(cache.path());
    command
        .args([
            "validate",
            "--offline",
            "--package",
            "hl7.fhir.us.core@6.1.0",
            "--packages",
        ])
        .arg(shared_packages())
        .arg(dir.path().join("broken.json"));
    assert_eq!(run(&mut command).code, 2);
}

/// `validate` checks required bindings with the rule tables it builds from
/// the package (no generated crate): a code outside a required value set is
/// an error at its FHIRPath, and `--lenient` makes it a warning, as a lenient
/// read of the generated types does.
/// NDJSON is checked on every thread asked for, a wave of lines at a time:
/// the output is the one thread's, line for line, in input order (a broken
/// line and a blank one among them).
#[test]
fn validate_checks_ndjson_on_every_thread_in_input_order() {
    let files =
        fhirgen::package::read_archive_file(&shared_packages().join("hl7.fhir.us.core-6.1.0.tgz"))
            .unwrap();
    let mut lines = Vec::new();
    for (name, bytes) in &files {
        if name.starts_with("example/") && name.ends_with(".json") {
            let value: Value = serde_json::from_slice(bytes).unwrap();
            if value["resourceType"] != "Bundle" {
                lines.push(value.to_string());
            }
        }
    }
    // Over two waves of three threads (256 lines each per wave).
    let mut ndjson = String::new();
    for round in 0..5 {
        for line in &lines {
            ndjson.push_str(line);
            ndjson.push('\n');
        }
        if round == 2 {
            ndjson.push_str("{\"resourceType\": \"Patient\", \"gender\": 1}\n\n{broken\n");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("examples.ndjson");
    std::fs::write(&path, &ndjson).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let validate = |jobs: &str| {
        let mut command = fhirgen(cache.path());
        command
            .args([
                "validate",
                "--offline",
                "--jobs",
                jobs,
                "--package",
                "hl7.fhir.us.core@6.1.0",
                "--packages",
            ])
            .arg(shared_packages())
            .arg(&path);
        run(&mut command)
    };
    let one = validate("1");
    let three = validate("3");
    assert_eq!(one.code, 2, "{}", one.stderr);
    assert_eq!(three.code, one.code);
    assert_eq!(three.stdout, one.stdout);
    assert_eq!(three.stderr, one.stderr);
    let numbers: Vec<u64> = one
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["entry"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(numbers.len(), lines.len() * 5 + 1);
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "in input order");
    assert!(
        one.stderr.contains(&format!(
            "error: {} (entry {}): not JSON",
            path.display(),
            lines.len() * 3 + 3
        )),
        "{}",
        one.stderr
    );
}

#[test]
fn validate_checks_required_bindings_from_the_package() {
    let dir = tempfile::tempdir().unwrap();
    let files =
        fhirgen::package::read_archive_file(&shared_packages().join("hl7.fhir.us.core-6.1.0.tgz"))
            .unwrap();
    let mut patient: Value =
        serde_json::from_slice(&files["example/Patient-example.json"]).unwrap();
    patient["gender"] = Value::from("woman");
    std::fs::write(dir.path().join("patient.json"), patient.to_string()).unwrap();
    // R4's own binding holds with no profile claimed, in R4 core alone.
    let mut plain = patient.clone();
    plain.as_object_mut().unwrap().remove("meta");
    std::fs::write(dir.path().join("plain.json"), plain.to_string()).unwrap();
    let cases = [
        (
            "hl7.fhir.us.core@6.1.0",
            "patient.json",
            false,
            false,
            "error",
        ),
        (
            "hl7.fhir.us.core@6.1.0",
            "patient.json",
            true,
            true,
            "warning",
        ),
        (
            "hl7.fhir.r4.core@4.0.1",
            "plain.json",
            false,
            false,
            "error",
        ),
    ];
    for (package, file, lenient, valid, severity) in cases {
        let cache = tempfile::tempdir().unwrap();
        let mut command = fhirgen(cache.path());
        command
            .args(["validate", "--offline", "--package", package])
            .arg("--packages")
            .arg(shared_packages())
            .arg(dir.path().join(file));
        if lenient {
            command.arg("--lenient");
        }
        let output = run(&mut command);
        let line: Value = serde_json::from_str(output.stdout.trim()).unwrap();
        assert_eq!(line["valid"], valid, "{}", output.stdout);
        let issue = line["outcome"]["issue"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["expression"][0] == "Patient.gender")
            .unwrap_or_else(|| panic!("no issue at Patient.gender: {}", output.stdout))
            .clone();
        assert_eq!(issue["severity"], severity);
        assert!(
            issue["diagnostics"]
                .as_str()
                .unwrap()
                .contains("is not in the required value set http://hl7.org/fhir/ValueSet/administrative-gender"),
            "{issue}"
        );
    }
}

/// A Bundle is checked itself (here against IPS's Bundle profile, whose
/// entries are sliced by the type and profile of their resource), then each
/// entry's resource on its own line; an empty Bundle is a resource too.
#[test]
fn validate_checks_a_bundle_itself_then_its_entries() {
    let dir = tempfile::tempdir().unwrap();
    let files =
        fhirgen::package::read_archive_file(&shared_packages().join("hl7.fhir.uv.ips-1.1.0.tgz"))
            .unwrap();
    let bundle: Value =
        serde_json::from_slice(&files["example/Bundle-IPS-examples-Bundle-01.json"]).unwrap();
    let entries = bundle["entry"].as_array().unwrap().len();
    let mut no_patient = bundle.clone();
    no_patient["entry"]
        .as_array_mut()
        .unwrap()
        .retain(|e| e["resource"]["resourceType"] != "Patient");
    no_patient["entry"][0]["resource"]["meta"] =
        serde_json::json!({"profile": ["https://example.org/StructureDefinition/unknown"]});
    std::fs::write(dir.path().join("ips.json"), bundle.to_string()).unwrap();
    std::fs::write(dir.path().join("no-patient.json"), no_patient.to_string()).unwrap();
    std::fs::write(
        dir.path().join("empty.json"),
        r#"{"resourceType":"Bundle"}"#,
    )
    .unwrap();
    let validate = |file: &str| {
        let cache = tempfile::tempdir().unwrap();
        let mut command = fhirgen(cache.path());
        command
            .args([
                "validate",
                "--offline",
                "--package",
                "hl7.fhir.uv.ips@1.1.0",
                "--profile",
                "http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips",
                "--packages",
            ])
            .arg(shared_packages())
            .arg(dir.path().join(file));
        let output = run(&mut command);
        let lines: Vec<Value> = output
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (output, lines)
    };
    let (output, lines) = validate("ips.json");
    assert_eq!(output.code, 0, "{}", output.stdout);
    assert_eq!(lines.len(), 1 + entries);
    assert_eq!(lines[0]["resourceType"], "Bundle");
    assert!(lines[0].get("entry").is_none());
    assert_eq!(
        lines[0]["profiles"][0],
        "http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips"
    );
    // `--profile` is for the Bundle: its entries are checked as their type.
    assert_eq!(
        lines[1]["profiles"][0],
        "http://hl7.org/fhir/StructureDefinition/Composition"
    );

    let (output, lines) = validate("no-patient.json");
    assert_eq!(output.code, 1);
    let issues = lines[0]["outcome"]["issue"].as_array().unwrap();
    assert!(
        issues
            .iter()
            .any(|i| i["expression"][0] == "Bundle.entry:patient"
                && i["code"] == "required"
                && i["severity"] == "error"),
        "{issues:?}"
    );
    let claimed = lines[1]["outcome"]["issue"].as_array().unwrap();
    assert!(
        claimed.iter().any(|i| i["severity"] == "information"
            && i["code"] == "not-supported"
            && i["diagnostics"]
                .as_str()
                .unwrap()
                .contains("https://example.org/StructureDefinition/unknown")),
        "{claimed:?}"
    );
    assert_eq!(lines[1]["valid"], true);

    let (output, lines) = validate("empty.json");
    assert_eq!(output.code, 1);
    assert_eq!(lines.len(), 1);
    assert!(
        output.stderr.contains("1 resources checked"),
        "{}",
        output.stderr
    );
}

/// A canonical with `|version` in `meta.profile` names that version's
/// profile: checked against the package that has it, and reported (not
/// checked, never silently passed) by one that has another version.
#[test]
fn validate_reads_versioned_canonicals_in_meta_profile() {
    let dir = tempfile::tempdir().unwrap();
    let files =
        fhirgen::package::read_archive_file(&shared_packages().join("hl7.fhir.us.core-6.1.0.tgz"))
            .unwrap();
    let mut patient: Value =
        serde_json::from_slice(&files["example/Patient-example.json"]).unwrap();
    patient["meta"] = serde_json::json!({"profile": [
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient|6.1.0"
    ]});
    patient.as_object_mut().unwrap().remove("identifier");
    std::fs::write(dir.path().join("patient.json"), patient.to_string()).unwrap();
    for (version, valid, code) in [
        ("6.1.0", false, "required"),
        ("7.0.0", true, "not-supported"),
    ] {
        let cache = tempfile::tempdir().unwrap();
        let mut command = fhirgen(cache.path());
        command
            .args([
                "validate",
                "--offline",
                "--package",
                &format!("hl7.fhir.us.core@{version}"),
                "--packages",
            ])
            .arg(shared_packages())
            .arg(dir.path().join("patient.json"));
        let output = run(&mut command);
        let line: Value = serde_json::from_str(output.stdout.trim()).unwrap();
        assert_eq!(line["valid"], valid, "{version}: {}", output.stdout);
        let issues = line["outcome"]["issue"].as_array().unwrap();
        assert!(
            issues.iter().any(|i| i["code"] == code),
            "{version}: {issues:?}"
        );
    }
}

/// A leading byte-order mark is accepted (as the HL7 validator does), in a
/// file and on the first line of NDJSON.
#[test]
fn validate_accepts_a_byte_order_mark() {
    let dir = tempfile::tempdir().unwrap();
    let patient = br#"{"resourceType":"Patient","gender":"male"}"#;
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(patient);
    std::fs::write(dir.path().join("bom.json"), &with_bom).unwrap();
    with_bom.push(b'\n');
    with_bom.extend_from_slice(patient);
    std::fs::write(dir.path().join("bom.ndjson"), &with_bom).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut command = fhirgen(cache.path());
    command
        .args([
            "validate",
            "--offline",
            "--package",
            "hl7.fhir.r4.core@4.0.1",
        ])
        .arg("--packages")
        .arg(shared_packages())
        .arg(dir.path());
    let output = run(&mut command);
    assert_eq!(output.code, 0, "{}{}", output.stdout, output.stderr);
    let lines: Vec<Value> = output
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines.iter().all(|l| l["valid"] == true),
        "{}",
        output.stdout
    );
}

/// `fhirgen fhirpath` on the FHIRPath suite's own inputs (XML and JSON), an
/// NDJSON file, a misspelt element and an expression that does not parse.
#[test]
fn fhirpath_prints_one_line_per_resource() {
    let cache = tempfile::tempdir().unwrap();
    let suite = shared_packages().parent().unwrap().join("fhirpath-tests");
    let folder = tempfile::tempdir().unwrap();
    let ndjson = folder.path().join("two.ndjson");
    std::fs::write(
        &ndjson,
        "{\"resourceType\":\"Patient\",\"id\":\"a\",\"birthDate\":\"1970\"}\n\n{\"resourceType\":\"Observation\",\"id\":\"b\",\"status\":\"final\",\"code\":{\"text\":\"x\"},\"valueQuantity\":{\"value\":1.50,\"unit\":\"mg\"}}\n",
    )
    .unwrap();
    let evaluate = |expression: &str, files: &[&std::path::Path]| {
        let mut command = offline(cache.path(), "fhirpath");
        command
            .arg("--packages")
            .arg(shared_packages())
            .arg(expression)
            .args(files);
        run(&mut command)
    };
    let lines = |output: &common::Output| -> Vec<Value> {
        output
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };

    let output = evaluate(
        "name.where(use = 'official').given | birthDate | (1.0 'mg' + 500 'ug')",
        &[
            &suite.join("patient-example.xml"),
            &suite.join("patient-container-example.json"),
        ],
    );
    assert_eq!(output.code, 0, "{}", output.stderr);
    let results = lines(&output);
    assert_eq!(results[0]["resourceType"], "Patient");
    assert_eq!(results[0]["id"], "example");
    assert_eq!(
        results[0]["result"],
        serde_json::json!(["Peter", "James", "1974-12-25", {"value": 1.500, "unit": "mg"}])
    );
    assert_eq!(results[1]["id"], "example-container");
    assert_eq!(
        results[1]["result"],
        serde_json::json!([{"value": 1.500, "unit": "mg"}])
    );

    // NDJSON: each line, numbered; elements come back as their FHIR JSON.
    let output = evaluate("children().where($this is Quantity) | id", &[&ndjson]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let results = lines(&output);
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["line"], 1);
    assert_eq!(results[0]["result"], serde_json::json!(["a"]));
    assert_eq!(results[1]["line"], 3);
    assert_eq!(results[1]["result"][0]["unit"], "mg");
    assert_eq!(results[1]["result"][1], "b");
    assert!(
        output.stdout.contains("\"value\":1.50"),
        "decimals keep their digits: {}",
        output.stdout
    );

    // An element the type does not have: an error on that resource, exit 1.
    let output = evaluate("name.given1", &[&suite.join("patient-example.xml")]);
    assert_eq!(output.code, 1);
    assert!(
        lines(&output)[0]["error"]
            .as_str()
            .unwrap()
            .contains("HumanName has no element `given1`")
    );

    // `repeat()`: a name only a later round's items have is no error (SDC's
    // sdcqr-2, which US Core's QuestionnaireResponse has); one that no
    // round's items have is.
    let responses = folder.path().join("responses.ndjson");
    let answered = |link_id: &str| {
        format!(
            "{{\"linkId\":\"{link_id}\",\"answer\":[{{\"valueString\":\"x\",\"item\":[{{\"linkId\":\"inner\",\"answer\":[{{\"valueBoolean\":true}}]}}]}}]}}"
        )
    };
    std::fs::write(
        &responses,
        format!(
            "{{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"distinct\",\"status\":\"completed\",\"item\":[{},{}]}}\n{{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"repeated\",\"status\":\"completed\",\"item\":[{},{}]}}\n",
            answered("a"),
            answered("b"),
            answered("a"),
            answered("a")
        ),
    )
    .unwrap();
    let sdcqr_2 = "(QuestionnaireResponse|repeat(answer|item)).select(item.where(answer.value.exists()).linkId.isDistinct()).allTrue()";
    let output = evaluate(sdcqr_2, &[&responses]);
    assert_eq!(output.code, 0, "{}{}", output.stdout, output.stderr);
    let results = lines(&output);
    assert_eq!(results[0]["result"], serde_json::json!([true]));
    assert_eq!(results[1]["result"], serde_json::json!([false]));
    // The two inner items are equal: repeat() keeps one.
    let output = evaluate("repeat(answer|item).linkId", &[&responses]);
    assert_eq!(
        lines(&output)[0]["result"],
        serde_json::json!(["a", "b", "inner"]),
        "{}",
        output.stderr
    );
    let output = evaluate("repeat(item|answerr)", &[&responses]);
    assert_eq!(output.code, 1);
    assert!(
        lines(&output)[0]["error"]
            .as_str()
            .unwrap()
            .contains("has no element `answerr`"),
        "{}",
        output.stdout
    );

    // An expression that does not parse: exit 2, the reason on standard error.
    let output = evaluate("name.where(", &[&suite.join("patient-example.xml")]);
    assert_eq!(output.code, 2);
    assert!(output.stdout.is_empty());
    assert!(
        output.stderr.contains("does not parse"),
        "{}",
        output.stderr
    );
}

/// `fhirgen validate --package hl7.fhir.r4.core@4.0.1` over `json` written
/// to a file called `name`: its output and its lines.
fn validate_r4(name: &str, json: &str) -> (common::Output, Vec<Value>) {
    let cache = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join(name);
    std::fs::write(&path, json).unwrap();
    let mut command = offline(cache.path(), "validate");
    command
        .arg("--packages")
        .arg(shared_packages())
        .args(["--package", "hl7.fhir.r4.core@4.0.1"])
        .arg(&path);
    let output = run(&mut command);
    let lines = output
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (output, lines)
}

/// The issues of severity error of a `fhirgen validate` line.
fn error_issues(line: &Value) -> Vec<&Value> {
    line["outcome"]["issue"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["severity"] == "error")
        .collect()
}

/// A Bundle itself: an unknown property, no `type`, an entry's fullUrl that
/// disagrees with its resource, and R4's Bundle constraints.
#[test]
fn validate_checks_a_broken_bundle_at_its_paths() {
    let (output, lines) = validate_r4(
        "bundle.json",
        r#"{"resourceType":"Bundle","type":"collection","total":2,"entry":[
            {"fullUrl":"http://example.org/fhir/Patient/b","resource":{"resourceType":"Patient","id":"c"}},
            {"fullUrl":"Patient/d","resource":{"resourceType":"Patient","id":"d"}}]}"#,
    );
    assert_eq!(output.code, 1, "{}", output.stderr);
    let bundle = &lines[0];
    assert_eq!(bundle["valid"], false);
    let errors: Vec<(String, String)> = bundle["outcome"]["issue"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["severity"] == "error")
        .map(|i| {
            (
                i["expression"][0].as_str().unwrap().to_owned(),
                i["diagnostics"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let has = |path: &str, text: &str| errors.iter().any(|(p, d)| p == path && d.contains(text));
    assert!(
        has("Bundle.entry[0].fullUrl", "resource's id is `c`"),
        "{errors:?}"
    );
    assert!(has("Bundle.entry[1].fullUrl", "not absolute"), "{errors:?}");
    assert!(
        has("Bundle", "bdl-1"),
        "a total outside a search set or history: {errors:?}"
    );
}

/// An error in an entry's resource is that entry's line's: the Bundle's own
/// elements after it are still read (before, the Bundle's read ended at the
/// entry's error, which its line then left to the entry, and the Bundle
/// passed with an unknown property of its own).
#[test]
fn validate_reads_a_bundle_past_an_error_in_an_entry() {
    let (output, lines) = validate_r4(
        "bundle.json",
        r#"{"resourceType":"Bundle","type":"collection","entry":[
            {"fullUrl":"http://example.org/fhir/Patient/p","resource":{"resourceType":"Patient","id":"p","bogus":1}},
            {"fullUrl":"http://example.org/fhir/Patient/q","resource":{"resourceType":"Patient","id":"q"},"request2":{}}]}"#,
    );
    assert_eq!(output.code, 1, "{}", output.stderr);
    let errors = |line: &Value| -> Vec<String> {
        error_issues(line)
            .iter()
            .map(|i| i["expression"][0].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(lines.len(), 3, "{}", output.stdout);
    assert_eq!(lines[0]["valid"], false);
    assert_eq!(errors(&lines[0]), ["Bundle.entry[1].request2"]);
    assert_eq!(errors(&lines[1]), ["Patient.bogus"]);
    assert_eq!(lines[2]["valid"], true);

    // An entry whose resource is not one: the Bundle's bdl-5, and the
    // entry's own line, whose issue names no place (an empty expression is
    // no FHIRPath, nor a FHIR string).
    let (output, lines) = validate_r4(
        "bundle.json",
        r#"{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"http://example.org/fhir/Patient/p","resource":5}]}"#,
    );
    assert_eq!(output.code, 1, "{}", output.stderr);
    assert!(
        lines[0]["outcome"]["issue"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["expression"][0] == "Bundle.entry[0]"
                && i["diagnostics"].as_str().unwrap().starts_with("bdl-5")),
        "{}",
        lines[0]
    );
    let issue = &lines[1]["outcome"]["issue"][0];
    assert_eq!(issue["severity"], "error");
    assert!(
        issue["diagnostics"]
            .as_str()
            .unwrap()
            .contains("expected a resource")
    );
    assert!(issue.get("expression").is_none(), "{issue}");
}

/// A Bundle inside a Bundle (a message's or a batch's, a collection of
/// documents): every resource at every depth has its line, told by the
/// outer entry's index and its path, and is checked as any entry is (its
/// claimed profiles, its constraints; the inner Bundle's fullUrls on the
/// inner Bundle's line).
#[test]
fn validate_checks_the_entries_of_nested_bundles() {
    let (output, lines) = validate_r4(
        "nested.json",
        r#"{"resourceType":"Bundle","type":"collection","entry":[
            {"fullUrl":"http://example.org/fhir/Patient/a","resource":{"resourceType":"Patient","id":"a"}},
            {"fullUrl":"urn:uuid:0f3a5b3c-6d1e-4a43-9c59-6f2f6a6d2f11","resource":{"resourceType":"Bundle","type":"collection","entry":[
                {"fullUrl":"Patient/b","resource":{"resourceType":"Patient","id":"b","contact":[{"gender":"male"}]}},
                {"resource":{"resourceType":"Observation","id":"c","meta":{"profile":["http://hl7.org/fhir/StructureDefinition/vitalsigns"]},
                  "status":"final","code":{"text":"weight"}}}]}}]}"#,
    );
    assert_eq!(output.code, 1, "{}", output.stderr);
    let told: Vec<(Value, Value, Value)> = lines
        .iter()
        .map(|l| {
            (
                l["resourceType"].clone(),
                l.get("entry").cloned().unwrap_or(Value::Null),
                l.get("path").cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
    assert_eq!(
        told,
        [
            (serde_json::json!("Bundle"), Value::Null, Value::Null),
            (
                serde_json::json!("Patient"),
                serde_json::json!(0),
                Value::Null
            ),
            (
                serde_json::json!("Bundle"),
                serde_json::json!(1),
                Value::Null
            ),
            (
                serde_json::json!("Patient"),
                serde_json::json!(1),
                serde_json::json!("Bundle.entry[1].resource.entry[0].resource")
            ),
            (
                serde_json::json!("Observation"),
                serde_json::json!(1),
                serde_json::json!("Bundle.entry[1].resource.entry[1].resource")
            ),
        ],
        "{}",
        output.stdout
    );
    let errors = |line: &Value| -> Vec<String> {
        error_issues(line)
            .iter()
            .map(|i| format!("{} {}", i["expression"][0], i["diagnostics"]))
            .collect()
    };
    // What is wrong inside the inner Bundle's entries is theirs to report.
    assert_eq!(lines[0]["valid"], true, "{:?}", errors(&lines[0]));
    assert_eq!(lines[1]["valid"], true, "{:?}", errors(&lines[1]));
    let inner = errors(&lines[2]);
    assert!(
        inner.len() == 1 && inner[0].starts_with("\"Bundle.entry[0].fullUrl\""),
        "{inner:?}"
    );
    let patient = errors(&lines[3]);
    assert!(
        patient.len() == 1
            && patient[0].contains("pat-1")
            && patient[0].starts_with("\"Patient.contact[0]\""),
        "{patient:?}"
    );
    assert_eq!(
        lines[4]["profiles"],
        serde_json::json!(["http://hl7.org/fhir/StructureDefinition/vitalsigns"])
    );
    assert!(
        errors(&lines[4])
            .iter()
            .any(|e| e.starts_with("\"Observation.category") || e.contains("category")),
        "{:?}",
        errors(&lines[4])
    );
}

/// `fhirgen search`: one line per match (Bundle entries with their index),
/// `--scope` keeps what the scopes permit, a bad query exits 2 with its
/// OperationOutcome on standard error.
#[test]
fn search_prints_one_line_per_match_and_refuses_bad_queries() {
    let cache = tempfile::tempdir().unwrap();
    let (dir, _) = us_core_examples("6.1.0");
    let search = |args: &[&str]| {
        let mut command = offline(cache.path(), "search");
        command
            .arg("--packages")
            .arg(shared_packages())
            .args(["--package", "hl7.fhir.us.core@6.1.0"])
            .args(args)
            .arg(dir.path());
        run(&mut command)
    };
    let lines = |output: &common::Output| -> Vec<Value> {
        output
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };

    let output = search(&["Patient?name=shaw&birthdate=1987"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let found = lines(&output);
    let ids: Vec<&str> = found.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["example-targeted-provenance", "example"]);
    assert_eq!(found[1]["resourceType"], "Patient");
    assert!(
        found[1]["file"]
            .as_str()
            .unwrap()
            .ends_with("Patient-example.json")
    );
    assert!(found[1].get("entry").is_none());

    // Bundle entries carry their index.
    let output = search(&["Medication?code=http://www.nlm.nih.gov/research/umls/rxnorm|"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let found = lines(&output);
    assert!(
        found.iter().all(|l| l["resourceType"] == "Medication"),
        "{found:?}"
    );

    // Scopes: a granular patient scope keeps the laboratory results.
    let all = lines(&search(&["Observation?patient=Patient/example"]));
    let output = search(&[
        "Observation?patient=Patient/example",
        "--scope",
        "launch/patient patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory",
        "--patient",
        "example",
    ]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let labs = lines(&output);
    assert!(
        !labs.is_empty() && labs.len() < all.len(),
        "{} of {}",
        labs.len(),
        all.len()
    );
    let output = search(&[
        "Observation?patient=Patient/example",
        "--scope",
        "patient/Observation.rs",
        "--patient",
        "someone-else",
    ]);
    assert_eq!((output.code, output.stdout.as_str()), (0, ""));

    // :in and :not-in with the value sets that expand offline; one that
    // does not (LOINC) is not supported, never guessed.
    let output =
        search(&["Condition?clinical-status:in=http://hl7.org/fhir/ValueSet/condition-clinical"]);
    assert_eq!(
        (output.code, lines(&output).len()),
        (0, 5),
        "{}",
        output.stderr
    );
    let output =
        search(&["Observation?status:not-in=http://hl7.org/fhir/ValueSet/observation-status"]);
    assert_eq!(
        (output.code, output.stdout.as_str()),
        (0, ""),
        "{}",
        output.stderr
    );
    let output = search(&[
        "Observation?code:in=http://hl7.org/fhir/us/core/ValueSet/us-core-laboratory-test-codes",
    ]);
    assert_eq!(output.code, 2);
    assert!(
        output.stderr.contains("cannot be expanded here"),
        "{}",
        output.stderr
    );

    // A bad query: exit 2, the OperationOutcome on standard error.
    let output = search(&["Observation?date=2020-13"]);
    assert_eq!(output.code, 2);
    assert_eq!(output.stdout, "");
    let outcome: Value = serde_json::from_str(output.stderr.lines().last().unwrap()).unwrap();
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    assert_eq!(outcome["issue"][0]["code"], "value");
    assert_eq!(outcome["issue"][0]["location"][0], "date");
    let output = search(&["Observation?foo=1"]);
    assert_eq!(output.code, 2);
    assert!(output.stderr.contains("not-supported"), "{}", output.stderr);
    // handling=lenient: passed over, with a warning.
    let output = search(&["Patient?foo=1&name=shaw", "--lenient"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("`foo` is not supported here: ignored")
    );
    assert_eq!(lines(&output).len(), 3);
    // A malformed scope: exit 2, naming it.
    let output = search(&["Patient?name=shaw", "--scope", "patient/Patient.sr"]);
    assert_eq!(output.code, 2);
    assert!(
        output.stderr.contains("patient/Patient.sr"),
        "{}",
        output.stderr
    );
}
