fn main() {
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
