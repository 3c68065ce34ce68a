// The blood pressure profile fixes Observation.code (LOINC 85354-9): the
// builder fills it in and has no setter for it.
use us_core_6_1_0::UsCoreBloodPressureProfile;

fn main() {
    let code: us_core_6_1_0::r4::CodeableConcept = fhirgen_runtime::Empty::empty();
    let _builder = UsCoreBloodPressureProfile::builder().code(code);
}
