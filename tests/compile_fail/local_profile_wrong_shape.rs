// A hand-written profile whose field type contradicts the cardinality it
// declares: telecom is 1..* but the field is a `Vec` (which may be empty).
use fhirgen_runtime::NonEmpty;
use us_core_6_1_0::{UsCorePatientProfile, UsCorePatientProfileTelecom};

#[derive(Debug, Clone, fhirgen_macros::Profile)]
#[fhir(url = "https://clinic.example.org/fhir/StructureDefinition/clinic-patient")]
pub struct ClinicPatient {
    #[fhir(element = "Patient.telecom", card = "1..*", must_support)]
    pub telecom: Vec<UsCorePatientProfileTelecom>,
    #[fhir(element = "Patient.birthDate", card = "1..1")]
    pub birth_date: Option<us_core_6_1_0::r4::Date>,
    #[fhir(base)]
    pub base: UsCorePatientProfile,
}

fn main() {
    let _ = NonEmpty::new(1);
}
