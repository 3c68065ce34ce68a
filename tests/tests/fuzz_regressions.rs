//! What the fuzz targets (`fuzz/`) found, each input cut down to what makes
//! it fail, and checked the way the target checks it: every crash found is
//! a test here.

/// The `profile_read` target's check: what a lenient read of a US Core
/// 7.0.0 resource takes, it writes as JSON that reads back the same.
fn lenient_read_writes_back(json: &str) -> Result<(), fhirgen_runtime::Error> {
    let (resource, _) = us_core_7_0_0::ProfiledResource::from_json_lenient(json.as_bytes())?;
    let written = resource.to_json();
    let (again, _) = us_core_7_0_0::ProfiledResource::from_json_lenient(&written)
        .unwrap_or_else(|e| panic!("what was written does not read back: {e}"));
    assert_eq!(again.to_json(), written);
    Ok(())
}

/// profile_read, 2026-12-01: a lenient read skipped the only property of
/// `jurisdiction[0]` (misspelt `coding`) and kept an empty CodeableConcept,
/// which it wrote as `{}`, which no read takes. Now the read refuses it
/// (strict refuses the unknown property; an empty object is refused alike).
#[test]
fn an_object_left_empty_by_skipped_properties_is_refused() {
    let json = r#"{"resourceType":"ValueSet","status":"active","jurisdiction":[{"codijg":[{"code":"US"}]}]}"#;
    let error = lenient_read_writes_back(json).unwrap_err();
    assert_eq!(error.path, "ValueSet.jurisdiction[0]");
    assert!(
        error.message.starts_with("an object must not be empty"),
        "{error}"
    );
    // The same for the `_name` part of a primitive and for the base types.
    let json = r#"{"resourceType":"Patient","birthDate":"1974","_birthDate":{"idd":"x"}}"#;
    let error = lenient_read_writes_back(json).unwrap_err();
    assert_eq!(error.path, "Patient.birthDate");
    let error = fhir_r4::Resource::from_json_lenient(json.as_bytes()).unwrap_err();
    assert_eq!(error.path, "Patient.birthDate");
    // What is left once the unknown properties go stays readable.
    let json = r#"{"resourceType":"ValueSet","status":"active","jurisdiction":[{"codijg":[{"code":"US"}],"text":"US"}]}"#;
    lenient_read_writes_back(json).unwrap();
}
