//! FHIR JSON rules through the generated R4 types: primitives, `_name`
//! elements, exact decimals, and errors at the right path.

use fhir_r4::{AdministrativeGender, BundleType, Observation, Patient, Resource};

fn error_of(json: &str) -> String {
    Resource::from_json(json.as_bytes())
        .unwrap_err()
        .to_string()
}

fn round_trips(json: &str) {
    let resource = Resource::from_json(json.as_bytes()).unwrap();
    let written = resource.to_json();
    let difference =
        fhirgen_runtime::first_difference(json.as_bytes(), &written, resource.resource_type())
            .unwrap();
    assert_eq!(
        difference,
        None,
        "wrote {}",
        String::from_utf8_lossy(&written)
    );
}

#[test]
fn primitive_arrays_with_nulls_and_extensions() {
    let json = r#"{"resourceType":"Patient","name":[{"given":["Ann",null],
        "_given":[null,{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"unknown"}]}]}]}"#;
    let patient = Patient::from_json(json.as_bytes()).unwrap();
    let given = &patient.name[0].given;
    assert_eq!(given.len(), 2);
    assert_eq!(given[0].value.as_deref(), Some("Ann"));
    assert_eq!(given[1].value, None);
    assert_eq!(
        given[1].extension()[0].url,
        "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
    );
    round_trips(json);
}

#[test]
fn a_primitive_may_have_only_extensions() {
    let json = r#"{"resourceType":"Patient","_birthDate":{"id":"b1","extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"asked-unknown"}]}}"#;
    let patient = Patient::from_json(json.as_bytes()).unwrap();
    let birth_date = patient.birth_date.as_ref().unwrap();
    assert_eq!(birth_date.value, None);
    assert_eq!(birth_date.id(), Some("b1"));
    round_trips(json);
}

#[test]
fn decimals_keep_their_exact_text() {
    let json = r#"{"resourceType":"Observation","status":"final","code":{"text":"x"},
        "valueQuantity":{"value":26.0,"unit":"kg"},"referenceRange":[{"low":{"value":1.50},"high":{"value":1e3}}]}"#;
    let observation = Observation::from_json(json.as_bytes()).unwrap();
    let Some(fhir_r4::ObservationValue::Quantity(quantity)) = &observation.value else {
        panic!("valueQuantity not read as Quantity");
    };
    assert_eq!(
        quantity
            .value
            .as_ref()
            .unwrap()
            .value
            .as_ref()
            .unwrap()
            .as_str(),
        "26.0"
    );
    let written = String::from_utf8(observation.to_json()).unwrap();
    for text in ["26.0", "1.50", "1e3"] {
        assert!(written.contains(text), "{text} lost in {written}");
    }
    round_trips(json);
}

#[test]
fn dates_keep_their_precision() {
    for date in ["2024", "2024-05", "2024-05-01"] {
        let json = format!(r#"{{"resourceType":"Patient","birthDate":"{date}"}}"#);
        round_trips(&json);
    }
    round_trips(r#"{"resourceType":"Patient","deceasedDateTime":"2024-05-01T10:00:00+02:00"}"#);
}

#[test]
fn invalid_primitives_are_rejected_at_their_path() {
    assert_eq!(
        error_of(r#"{"resourceType":"Patient","birthDate":"2024-13-01"}"#),
        "Patient.birthDate: `2024-13-01` is not a valid FHIR date"
    );
    assert_eq!(
        error_of(r#"{"resourceType":"Patient","name":[{"given":["Ann",7]}]}"#),
        "Patient.name[0].given[1]: expected a string"
    );
    assert_eq!(
        error_of(r#"{"resourceType":"Patient","deceasedDateTime":"2024-05-01T10:00:00"}"#),
        "Patient.deceasedDateTime: `2024-05-01T10:00:00` is not a valid FHIR dateTime"
    );
    assert_eq!(
        error_of(r#"{"resourceType":"Patient","gender":" male"}"#),
        "Patient.gender: ` male` is not a valid FHIR code"
    );
    assert_eq!(
        error_of(r#"{"resourceType":"Patient","multipleBirthInteger":2.5}"#),
        "Patient.multipleBirthInteger: `2.5` is not a valid FHIR integer"
    );
    assert_eq!(
        error_of(r#"{"resourceType":"Patient","id":"has space"}"#),
        "Patient.id: `has space` is not a valid FHIR id"
    );
}

#[test]
fn structure_errors_name_the_path() {
    assert_eq!(
        error_of(r#"{"resourceType":"Patient","name":[{"family":"X","nickname":"Y"}]}"#),
        "Patient.name[0].nickname: unknown property `nickname`"
    );
    assert_eq!(
        error_of(r#"{"resourceType":"Patient","name":[]}"#),
        "Patient.name: an array must not be empty"
    );
    assert_eq!(
        error_of(r#"{"resourceType":"Observation","code":{"text":"x"}}"#),
        "Observation.status: required element is missing"
    );
    assert_eq!(
        error_of(r#"{"resourceType":"Patient","deceasedBoolean":true,"deceasedDateTime":"2024"}"#),
        "Patient.deceasedDateTime: more than one type given for deceased[x]"
    );
    assert_eq!(
        error_of(r#"{"resourceType":"Patient","gender":"male","gender":"female"}"#),
        "Patient.gender: property `gender` appears twice"
    );
    assert_eq!(
        error_of(r#"{"resourceType":"Nonsense"}"#),
        "unknown resourceType `Nonsense`"
    );
    assert!(error_of(r#"{"resourceType":"Patient","#).contains("not JSON: EOF"));
    assert_eq!(
        error_of(
            r#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","gender":1}}]}"#
        ),
        "Bundle.entry[0].resource.gender: expected a string"
    );
}

#[test]
fn keywords_keep_their_json_names() {
    let json = r#"{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/1"}}]}"#;
    let bundle = fhir_r4::Bundle::from_json(json.as_bytes()).unwrap();
    assert_eq!(bundle.type_.value, Some(BundleType::Batch));
    round_trips(json);
}

#[test]
fn lenient_reading_reports_what_it_skips() {
    let json = br#"{"resourceType":"Patient","gender":"male","nickname":"Bob"}"#;
    let (resource, issues) = Resource::from_json_lenient(json).unwrap();
    assert_eq!(resource.resource_type(), "Patient");
    let issues: Vec<String> = issues.iter().map(ToString::to_string).collect();
    // With the constraint of severity warning that fails.
    assert_eq!(
        issues,
        [
            "Patient.nickname: unknown property `nickname` skipped",
            "Patient: dom-6: A resource should have narrative for robust management"
        ]
    );
}

/// A strict read keeps only the constraints of severity error that fail,
/// so it evaluates only those; a lenient read evaluates the warnings too.
#[test]
fn a_strict_read_evaluates_only_the_constraints_it_reports() {
    use fhirgen_runtime::invariants::{Severity, Wanted, check_read};
    // No narrative (dom-6, a warning) and a contained resource with one
    // (dom-4, an error: a contained resource has no meta.versionId).
    let json = br##"{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o","meta":{"versionId":"1"},"name":"x"}],"managingOrganization":{"reference":"#o"}}"##;
    let mut reader = fhirgen_runtime::Reader::new(json);
    let patient: Patient = reader.resource_body().unwrap();
    reader.finish().unwrap();
    let catalog = &fhir_r4::constraints::CATALOG;
    let keys = |wanted| {
        check_read(catalog, &patient, &[], &reader, wanted)
            .into_iter()
            .map(|f| (f.key, f.severity))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        keys(Wanted::All),
        [
            ("dom-4".to_owned(), Some(Severity::Error)),
            ("dom-6".to_owned(), Some(Severity::Warning)),
        ]
    );
    assert_eq!(
        keys(Wanted::Errors),
        [("dom-4".to_owned(), Some(Severity::Error))]
    );
    // What each read makes of them.
    let error = Patient::from_json(json).unwrap_err().to_string();
    assert!(error.contains("dom-4"), "{error}");
    let error = Resource::from_json_lenient(json).unwrap_err().to_string();
    assert!(error.contains("dom-4"), "{error}");
}

#[test]
fn resources_convert_into_and_out_of_the_enum() {
    let patient = Patient::from_json(br#"{"resourceType":"Patient","gender":"female"}"#).unwrap();
    let resource = Resource::from(patient.clone());
    assert_eq!(resource.resource_type(), "Patient");
    let Resource::Patient(owned) = resource else {
        panic!("not a Patient")
    };
    assert_eq!(
        owned.gender.as_ref().and_then(|g| g.value.clone()),
        Some(AdministrativeGender::Female)
    );
    assert_eq!(owned.into_inner(), patient);
}

#[test]
fn r4_required_bindings_hold_without_a_profile() {
    // A `code` element: the value set's enum; another code is rejected by a
    // strict read and kept (and reported) by a lenient one.
    let patient = Patient::from_json(br#"{"resourceType":"Patient","gender":"female"}"#).unwrap();
    assert_eq!(
        patient.gender.and_then(|g| g.value),
        Some(AdministrativeGender::Female)
    );
    let wrong = r#"{"resourceType":"Patient","gender":"xyz"}"#;
    assert_eq!(
        error_of(wrong),
        "Patient.gender: code `xyz` is not in the required value set \
         http://hl7.org/fhir/ValueSet/administrative-gender"
    );
    let (resource, issues) = Resource::from_json_lenient(wrong.as_bytes()).unwrap();
    let Resource::Patient(patient) = resource else {
        panic!("not a Patient")
    };
    assert_eq!(
        patient.gender.as_ref().and_then(|g| g.value.clone()),
        Some(AdministrativeGender::NotInValueSet("xyz".to_owned()))
    );
    assert_eq!(issues.len(), 2, "{issues:?}");
    assert_eq!(issues[0].path, "Patient.gender");
    assert_eq!(
        issues[1].code,
        fhirgen_runtime::IssueCode::Invariant,
        "dom-6"
    );
    assert_eq!(
        patient.to_json(),
        wrong.as_bytes(),
        "the code is kept as read"
    );
    // A data-absent-reason in place of the code is valid R4 (US Core's rule
    // that such an element carries a code is the profile's, not R4's).
    round_trips(
        r#"{"resourceType":"Patient","_gender":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"unknown"}]}}"#,
    );
    // A CodeableConcept with a required binding carries one of its codes.
    let allergy = |code: &str| {
        format!(
            r#"{{"resourceType":"AllergyIntolerance","clinicalStatus":{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"{code}"}}]}},"patient":{{"reference":"Patient/x"}}}}"#
        )
    };
    round_trips(&allergy("active"));
    assert_eq!(
        error_of(&allergy("gone")),
        "AllergyIntolerance.clinicalStatus: has no code from the required value set \
         http://hl7.org/fhir/ValueSet/allergyintolerance-clinical"
    );
}

#[test]
fn code_enums_make_codings_and_test_concepts() {
    use fhir_r4::{CodeEnum, CodeableConcept, Coding, ObservationStatus};
    let coding = Coding::of(&ObservationStatus::Final);
    assert_eq!(
        coding.code.as_ref().and_then(|c| c.value.as_deref()),
        Some("final")
    );
    assert_eq!(
        coding.system.as_ref().and_then(|s| s.value.as_deref()),
        Some("http://hl7.org/fhir/observation-status")
    );
    assert_eq!(ObservationStatus::Final.display(), Some("Final"));
    assert_eq!(
        ObservationStatus::from_code("amended"),
        Some(ObservationStatus::Amended)
    );
    assert_eq!(ObservationStatus::from_code("done"), None);
    let concept = CodeableConcept::of(&AdministrativeGender::Other);
    assert!(concept.has_code_in::<AdministrativeGender>());
    assert!(!concept.has_code_in::<ObservationStatus>());
    assert_eq!(
        AdministrativeGender::VALUE_SET,
        "http://hl7.org/fhir/ValueSet/administrative-gender"
    );
}

#[test]
fn r4_types_have_typestate_builders() {
    use fhir_r4::{Bundle, BundleEntry, BundleEntryRequest, HttpVerb, HumanName, Reference};
    // `method` and `url` are 1..1 in R4: `build()` exists once both are set
    // (tests/compile_fail/r4_required_element_missing.rs).
    let request = BundleEntryRequest::builder()
        .method(HttpVerb::Post)
        .url("Patient")
        .build();
    let patient = Patient::builder()
        .name([HumanName::builder()
            .family("Chalmers")
            .given(["Peter".into()])
            .build()])
        .gender(AdministrativeGender::Male)
        .general_practitioner([Reference::builder().reference("Practitioner/1").build()])
        .build();
    let bundle = Bundle::builder()
        .type_(BundleType::Transaction)
        .entry([BundleEntry::builder()
            .resource(Resource::from(patient))
            .request(request)
            .build()])
        .build();
    let json = String::from_utf8(bundle.to_json()).unwrap();
    assert_eq!(
        json,
        r#"{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","name":[{"family":"Chalmers","given":["Peter"]}],"gender":"male","generalPractitioner":[{"reference":"Practitioner/1"}]},"request":{"method":"POST","url":"Patient"}}]}"#
    );
    round_trips(&json);
}

#[test]
fn a_byte_order_mark_is_accepted_and_strings_have_fhir_s_size_limit() {
    let with_bom = b"\xEF\xBB\xBF{\"resourceType\":\"Patient\",\"gender\":\"male\"}";
    let patient = Patient::from_json(with_bom).unwrap();
    assert_eq!(
        patient.gender.and_then(|g| g.value),
        Some(AdministrativeGender::Male)
    );
    assert_eq!(
        fhirgen_runtime::first_difference(
            with_bom,
            &Resource::from_json(with_bom).unwrap().to_json(),
            "Patient"
        )
        .unwrap(),
        None
    );
    let big = "x".repeat(fhirgen_runtime::MAX_STRING_BYTES + 1);
    let json = format!(r#"{{"resourceType":"Patient","name":[{{"text":"{big}"}}]}}"#);
    assert_eq!(
        error_of(&json),
        format!(
            "Patient.name[0].text: a FHIR string may hold at most 1 MB (1048576 bytes); this one has {}",
            big.len()
        )
    );
    let at_limit = "x".repeat(fhirgen_runtime::MAX_STRING_BYTES);
    round_trips(&format!(
        r#"{{"resourceType":"Patient","name":[{{"text":"{at_limit}"}}]}}"#
    ));
}

#[test]
fn narrative_xhtml_is_checked_for_active_content_and_form() {
    let patient = |div: &str| {
        let div = serde_json::to_string(div).unwrap();
        format!(r#"{{"resourceType":"Patient","text":{{"status":"generated","div":{div}}}}}"#)
    };
    let ns = r#"xmlns="http://www.w3.org/1999/xhtml""#;
    round_trips(&patient(&format!(
        r##"<div {ns}><p>Peter <b>Chalmers</b> &amp; co &#169;</p><br/><img src="#photo" alt="photo"/><a href="https://example.org">x</a></div>"##
    )));
    for (div, wanted) in [
        (
            format!("<div {ns}><script>alert(1)</script></div>"),
            "may not contain <script>",
        ),
        (
            format!(r#"<div {ns}><p onclick="alert(1)">x</p></div>"#),
            "attribute `onclick`",
        ),
        (
            format!(r#"<div {ns}><a href=" JavaScript:alert(1)">x</a></div>"#),
            "javascript URL",
        ),
        (
            format!("<div {ns}><iframe src=\"https://example.org\"/></div>"),
            "may not contain <iframe>",
        ),
        (
            format!("<div {ns}><object data=\"x\"/>x</div>"),
            "may not contain <object>",
        ),
        (
            format!("<div {ns}><form><p>x</p></form></div>"),
            "may not contain <form>",
        ),
        (
            format!(
                r#"<!DOCTYPE div [<!ENTITY x SYSTEM "file:///etc/passwd">]><div {ns}>&x;</div>"#
            ),
            "DOCTYPE",
        ),
        ("<div><p>x</p></div>".to_owned(), "XHTML namespace"),
        (format!("<p {ns}>x</p>"), "must be one <div>"),
        (format!("<div {ns}>   </div>"), "non-whitespace content"),
        (format!("<div {ns}><p>x</div>"), "not well-formed"),
        (format!("<div {ns}>&nbsp;x</div>"), "entity `&nbsp;`"),
        (
            format!(r#"<div {ns}><p style="width: expression(alert(1))">x</p></div>"#),
            "style",
        ),
    ] {
        let error = error_of(&patient(&div));
        assert!(
            error.starts_with("Patient.text.div: ") && error.contains(wanted),
            "{div}: {error}"
        );
    }
}
