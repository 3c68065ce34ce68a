fn main() {
    profiles();
    use std::mem::size_of;
    println!("Extension {}", size_of::<fhir_r4::Extension>());
    println!("ExtensionValue {}", size_of::<fhir_r4::ExtensionValue>());
    println!(
        "ObservationValue {}",
        size_of::<fhir_r4::ObservationValue>()
    );
    println!("Observation {}", size_of::<fhir_r4::Observation>());
    println!("Patient {}", size_of::<fhir_r4::Patient>());
    println!("CodeableConcept {}", size_of::<fhir_r4::CodeableConcept>());
    println!("Coding {}", size_of::<fhir_r4::Coding>());
    println!("Reference {}", size_of::<fhir_r4::Reference>());
    println!("Identifier {}", size_of::<fhir_r4::Identifier>());
    println!("FhirString {}", size_of::<fhir_r4::FhirString>());
    println!("Meta {}", size_of::<fhir_r4::Meta>());
    println!(
        "ElementDefinition {}",
        size_of::<fhir_r4::ElementDefinition>()
    );
}
#[allow(dead_code)]
fn profiles() {
    use std::mem::size_of;
    println!(
        "UsCorePatientProfile {}",
        size_of::<us_core_6_1_0::UsCorePatientProfile>()
    );
    println!(
        "UsCoreLaboratoryResultObservationProfile {}",
        size_of::<us_core_6_1_0::UsCoreLaboratoryResultObservationProfile>()
    );
    println!(
        "UsCoreBloodPressureProfile {}",
        size_of::<us_core_6_1_0::UsCoreBloodPressureProfile>()
    );
    println!(
        "UsCoreRaceExtension {}",
        size_of::<us_core_6_1_0::UsCoreRaceExtension>()
    );
    println!(
        "ProfiledResource {}",
        size_of::<us_core_6_1_0::ProfiledResource>()
    );
    println!("SliceOrder {}", size_of::<fhirgen_runtime::SliceOrder>());
    println!("Uri {}", size_of::<fhir_r4::Uri>());
    println!("Code {}", size_of::<fhir_r4::Code>());
}
