// A hand-written profile that holds a required-bound code in a type open to
// any code: the value set's enum is required.
use us_core_6_1_0::UsCoreEncounterProfile;

#[derive(Debug, Clone, fhirgen_macros::Profile)]
#[fhir(url = "https://clinic.example.org/fhir/StructureDefinition/clinic-encounter")]
pub struct ClinicEncounter {
    #[fhir(
        element = "Encounter.class",
        card = "1..1",
        required = "http://terminology.hl7.org/ValueSet/v3-ActEncounterCode"
    )]
    pub class: String,
    #[fhir(base)]
    pub base: UsCoreEncounterProfile,
}

fn main() {}
