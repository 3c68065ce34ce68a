//! Reading US Core resources into the profile types: what the README shows.
//!
//! `cargo run -p fhirgen-e2e --example us_core_patient -- FILE.json`

use us_core_6_1_0::r4::AdministrativeGender; // R4's value sets: enums of fhir-r4
use us_core_6_1_0::{ProfiledResource, UsCorePatientProfile};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("give a US Core 6.1.0 JSON file")?;
    let json = std::fs::read(path)?;

    // Any resource: into the type of the profile its meta.profile names.
    let resource = ProfiledResource::from_json(&json)?;
    println!(
        "{} read as {}",
        resource.resource_type(),
        resource.profile().unwrap_or("its base resource type")
    );
    match &resource {
        ProfiledResource::UsCorePatientProfile(patient) => {
            let first = patient.identifier.first(); // 1..*: never empty
            let system = first.system.value.as_deref().unwrap_or(""); // 1..1 in US Core
            println!("identifier system {system}");
            if let Some(race) = &patient.race {
                println!("race: {} OMB categories", race.omb_category.len());
            }
            if patient.gender.value == Some(AdministrativeGender::Female) {
                println!("gender: female");
            }
        }
        ProfiledResource::UsCoreBloodPressureProfile(bp) => {
            println!("systolic component: {:?}", bp.component_systolic.value);
        }
        _ => {}
    }
    let written = resource.to_json();
    println!("{} bytes written back", written.len());

    if let ProfiledResource::UsCorePatientProfile(_) = &resource {
        let (patient, issues) = UsCorePatientProfile::from_json_lenient(&json)?;
        println!("{} issues in a lenient read", issues.len());
        let base: us_core_6_1_0::r4::Patient = patient.into();
        let again = UsCorePatientProfile::try_from(base)?;
        assert!(UsCorePatientProfile::MUST_SUPPORT.contains(&"Patient.identifier.system"));
        println!(
            "{} Must Support elements; back: {}",
            UsCorePatientProfile::MUST_SUPPORT.len(),
            again.id.is_some()
        );
    }
    Ok(())
}
