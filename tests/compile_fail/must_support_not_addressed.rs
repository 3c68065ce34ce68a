// The server code of tests/tests/us_core_builders.rs, written for US Core
// 6.1.0 Immunization, compiled against 7.0.0: 7.0.0 made `encounter` (and
// `location`) Must Support, and the build says so.
use us_core_7_0_0::r4;

fn main() {
    let vaccine: r4::CodeableConcept = fhirgen_runtime::Empty::empty();
    let patient: r4::Reference = fhirgen_runtime::Empty::empty();
    let occurrence: r4::ImmunizationOccurrence = fhirgen_runtime::Empty::empty();
    let _immunization = us_core_7_0_0::UsCoreImmunizationProfile::must_support_builder()
        .status(us_core_7_0_0::r4::ImmunizationStatusCodes::Completed)
        .vaccine_code(vaccine)
        .patient(patient)
        .occurrence(occurrence)
        .primary_source(true)
        .no_status_reason()
        .build();
}
