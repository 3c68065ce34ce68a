// US Core Patient requires gender (1..1): without it there is no `build()`,
// and the error names the element.
use us_core_6_1_0::{UsCorePatientProfile, UsCorePatientProfileIdentifier};

fn main() {
    let identifier = UsCorePatientProfileIdentifier::builder()
        .system("http://hospital.example.org".to_owned())
        .value("1032702".to_owned())
        .build();
    let name = us_core_6_1_0::r4::HumanName::builder().build();
    let _patient = UsCorePatientProfile::builder()
        .identifier(identifier)
        .name(name)
        .build();
}
