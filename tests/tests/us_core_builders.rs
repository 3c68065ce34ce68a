//! Building US Core resources in code: the typestate builders fill in what
//! the profile fixes, and what they build reads back through the profile.

mod common;

use fhirgen_runtime::NonEmpty;
use us_core_6_1_0::r4;
use us_core_6_1_0::r4::{AdministrativeGender, ObservationStatus};
use us_core_6_1_0::{
    UsCoreBloodPressureProfile, UsCoreBloodPressureProfileComponentDiastolic,
    UsCoreBloodPressureProfileComponentDiastolicValue,
    UsCoreBloodPressureProfileComponentDiastolicValueQuantity,
    UsCoreBloodPressureProfileComponentSystolic, UsCoreBloodPressureProfileComponentSystolicValue,
    UsCoreBloodPressureProfileComponentSystolicValueQuantity, UsCoreBloodPressureProfileEffective,
    UsCorePatientProfile, UsCorePatientProfileIdentifier,
};

fn text(value: &str) -> r4::FhirString {
    value.to_owned().into()
}

fn reference(to: &str) -> r4::Reference {
    r4::Reference::builder().reference(text(to)).build()
}

#[test]
fn a_patient_built_with_its_required_elements_conforms() {
    let name = r4::HumanName::builder().family(text("Shaw")).build();
    let patient = UsCorePatientProfile::builder()
        .identifier(
            UsCorePatientProfileIdentifier::builder()
                .system("http://hospital.example.org".to_owned())
                .value(text("1032702"))
                .build(),
        )
        .name(NonEmpty::new(name))
        .gender(AdministrativeGender::Female)
        .id("example".to_owned())
        .build();
    let json = patient.to_json();
    let again = UsCorePatientProfile::from_json(&json).unwrap();
    assert_eq!(again, patient);
    assert!(
        String::from_utf8(json)
            .unwrap()
            .contains(r#""gender":"female""#)
    );
}

#[test]
fn a_blood_pressure_comes_with_its_fixed_codes_and_units() {
    let quantity = |value: &str| {
        UsCoreBloodPressureProfileComponentSystolicValueQuantity::builder()
            .value(value.parse::<fhirgen_runtime::Decimal>().unwrap())
            .unit(text("mmHg"))
            .build()
    };
    let systolic = UsCoreBloodPressureProfileComponentSystolic::builder()
        .value(UsCoreBloodPressureProfileComponentSystolicValue::Quantity(
            Box::new(quantity("109")),
        ))
        .build();
    let bp = UsCoreBloodPressureProfile::builder()
        .status(ObservationStatus::Final)
        .subject(reference("Patient/example"))
        .effective(UsCoreBloodPressureProfileEffective::DateTime(
            "1999-07-02"
                .parse::<fhirgen_runtime::DateTime>()
                .unwrap()
                .into(),
        ))
        .component_systolic(systolic)
        .build();
    // The diastolic component is there (its code fixed), without a value:
    // the profile's constraint vs-3 asks for a value or a data-absent reason.
    let error = bp.validate().unwrap_err();
    assert_eq!(
        (error.path.as_str(), error.code),
        (
            "Observation.component[1]",
            fhirgen_runtime::IssueCode::Invariant
        )
    );
    assert!(error.message.starts_with("vs-3: "), "{error}");
    let mut bp = bp;
    bp.component_diastolic.value = Some(
        UsCoreBloodPressureProfileComponentDiastolicValue::Quantity(Box::new(
            UsCoreBloodPressureProfileComponentDiastolicValueQuantity::builder()
                .value("44".parse::<fhirgen_runtime::Decimal>().unwrap())
                .unit(text("mmHg"))
                .build(),
        )),
    );
    bp.validate().unwrap();
    // The category, the panel code, both component codes and the UCUM
    // system and code of the quantity are the profile's, not the caller's.
    let json: serde_json::Value = serde_json::from_slice(&bp.to_json()).unwrap();
    assert_eq!(json["code"]["coding"][0]["code"], "85354-9");
    assert_eq!(json["category"][0]["coding"][0]["code"], "vital-signs");
    assert_eq!(json["component"][0]["code"]["coding"][0]["code"], "8480-6");
    assert_eq!(json["component"][1]["code"]["coding"][0]["code"], "8462-4");
    assert_eq!(json["component"][0]["valueQuantity"]["code"], "mm[Hg]");
    assert_eq!(
        json["component"][0]["valueQuantity"]["system"],
        "http://unitsofmeasure.org"
    );
    let again = UsCoreBloodPressureProfile::from_json(&bp.to_json()).unwrap();
    assert_eq!(again.to_json(), bp.to_json());
    let _: UsCoreBloodPressureProfileComponentDiastolic = again.component_diastolic;
}

/// A server's code for US Core 6.1.0 Immunization: every Must Support element
/// is given or declared absent. The same code against US Core 7.0.0 does not
/// compile: 7.0.0 made `encounter` and `location` Must Support
/// (`tests/compile_fail/must_support_not_addressed.rs`).
#[test]
fn a_server_addresses_every_must_support_element() {
    let vaccine = r4::CodeableConcept::builder()
        .text(text("influenza"))
        .build();
    let immunization = us_core_6_1_0::UsCoreImmunizationProfile::must_support_builder()
        .status(r4::ImmunizationStatusCodes::Completed)
        .vaccine_code(vaccine)
        .patient(reference("Patient/example"))
        .occurrence(r4::ImmunizationOccurrence::DateTime(
            "2020-01-30"
                .parse::<fhirgen_runtime::DateTime>()
                .unwrap()
                .into(),
        ))
        .primary_source(true)
        .no_status_reason()
        .build();
    let json = immunization.to_json();
    let again = us_core_6_1_0::UsCoreImmunizationProfile::from_json(&json).unwrap();
    assert_eq!(again, immunization);
}

/// US Core missing data (General Guidance): a mandatory non-coded element may
/// be present with only the data-absent-reason extension, in JSON and through
/// the builders; a coded element with a required binding uses the value set's
/// own "unknown" code instead, and the status elements with no such code
/// (`DocumentReference.status`...) must be populated.
#[test]
fn missing_data() {
    let dar = r#"{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"unknown"}"#;
    let patient_json = |gender: &str| {
        format!(
            r#"{{"resourceType":"Patient","meta":{{"profile":["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]}},
                "identifier":[{{"system":"http://hospital.example.org","value":"1"}}],
                "name":[{{"extension":[{dar}]}}],
                "_birthDate":{{"extension":[{dar}]}},
                {gender}}}"#
        )
    };
    let json = patient_json(r#""gender":"unknown""#);
    let patient = UsCorePatientProfile::from_json(json.as_bytes()).unwrap();
    assert_eq!(patient.gender.value, Some(AdministrativeGender::Unknown));
    assert_eq!(patient.name.first().extension.len(), 1);
    assert_eq!(patient.birth_date.as_ref().unwrap().extension().len(), 1);
    let back: serde_json::Value = serde_json::from_slice(&patient.to_json()).unwrap();
    let original: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(back, original);

    // A required binding's element with only the extension is not allowed.
    let absent_gender = patient_json(&format!(r#""_gender":{{"extension":[{dar}]}}"#));
    let error = UsCorePatientProfile::from_json(absent_gender.as_bytes()).unwrap_err();
    assert_eq!(error.path, "Patient.gender");
    assert!(
        error
            .message
            .starts_with("a code from the required value set is needed here")
    );
    let set = common::load("hl7.fhir.us.core@6.1.0");
    let mut document = set
        .root()
        .json("example/DocumentReference-episode-summary.json")
        .unwrap();
    let object = document.as_object_mut().unwrap();
    object.remove("status");
    object.insert(
        "_status".to_owned(),
        serde_json::from_str(&format!(r#"{{"extension":[{dar}]}}"#)).unwrap(),
    );
    let json = serde_json::to_vec(&document).unwrap();
    let error = us_core_6_1_0::UsCoreDocumentReferenceProfile::from_json(&json).unwrap_err();
    assert_eq!(error.path, "DocumentReference.status");

    // Through the builder: the name absent with a reason, the gender unknown.
    // `Extension.url` is 1..1 in R4: the builder takes it before `build()`.
    let reason = r4::Extension::builder()
        .url("http://hl7.org/fhir/StructureDefinition/data-absent-reason")
        .value(r4::ExtensionValue::Code(r4::Code::new(
            "unknown".to_owned(),
        )))
        .build();
    let name = r4::HumanName::builder().extension([reason]).build();
    let built = UsCorePatientProfile::builder()
        .identifier(
            UsCorePatientProfileIdentifier::builder()
                .system("http://hospital.example.org".to_owned())
                .value(text("1"))
                .build(),
        )
        .name(name)
        .gender(AdministrativeGender::Unknown)
        .build();
    let built: serde_json::Value = serde_json::from_slice(&built.to_json()).unwrap();
    assert_eq!(built["gender"], "unknown");
    assert_eq!(built["name"], original["name"]);
}
