//! Every constraint of every StructureDefinition in the shared packages
//! parses and type-checks against the R4 element model, except the ones
//! listed here: each names an element its context does not have (a defect
//! of the package, checked against its definitions), so it can only fail
//! or find nothing; generation reports each as a note.

mod common;

use fhirgen::constraints::invariants_of;

/// `(package, profile id, element path, key)`: the constraints that are
/// wrong for the element model, and why.
const BROKEN: &[(&str, &str, &str, &str, &str)] = &[
    (
        "hl7.fhir.r4.core@4.0.1",
        "ChargeItemDefinition",
        "ChargeItemDefinition",
        "cid-0",
        "R4's ChargeItemDefinition has no `name`",
    ),
    (
        "hl7.fhir.r4.core@4.0.1",
        "allergyintolerance-substanceExposureRisk",
        "Extension",
        "inv-1",
        "names `substanceExposureRisk`, a sub-extension's url, as an element",
    ),
    (
        "hl7.fhir.us.core@3.1.1",
        "us-core-provenance",
        "Provenance.agent.onBehalfOf",
        "provenance-1",
        "sits on onBehalfOf (a Reference) but starts from `$this.agent`",
    ),
    (
        "hl7.fhir.us.core@3.1.1",
        "us-core-observation-lab",
        "Observation.value[x]",
        "us-core-3",
        "sits on value[x] but names `valueQuantity` (FHIRPath names choices `value`)",
    ),
    (
        "hl7.fhir.us.core@3.1.1",
        "us-core-observation-lab",
        "Observation.value[x]",
        "us-core-4",
        "sits on value[x] but names `valueCodeableConcept`",
    ),
    (
        "hl7.fhir.uv.ips@1.1.0",
        "Observation-results-radiology-uv-ips",
        "Observation",
        "hasComponentifValueStringEmpty",
        "names `valueString` (FHIRPath names choices `value`)",
    ),
    (
        "hl7.fhir.us.carin-bb@1.1.0",
        "C4BB-ExplanationOfBenefit-Inpatient-Institutional",
        "ExplanationOfBenefit.careTeam",
        "EOB-inst-careTeam-practitioner",
        "`exists().provider`: `provider` of a Boolean",
    ),
    (
        "hl7.fhir.us.carin-bb@1.1.0",
        "C4BB-ExplanationOfBenefit-Inpatient-Institutional",
        "ExplanationOfBenefit.careTeam",
        "EOB-inst-careTeam-organization",
        "`exists().provider`: `provider` of a Boolean",
    ),
    (
        "hl7.fhir.us.carin-bb@1.1.0",
        "C4BB-ExplanationOfBenefit-Inpatient-Institutional",
        "ExplanationOfBenefit.insurance",
        "EOB-insurance-focal",
        "sits on insurance but starts from `insurance`",
    ),
    (
        "hl7.fhir.us.carin-bb@1.1.0",
        "C4BB-ExplanationOfBenefit-Outpatient-Institutional",
        "ExplanationOfBenefit.careTeam",
        "EOB-inst-careTeam-practitioner",
        "`exists().provider`: `provider` of a Boolean",
    ),
    (
        "hl7.fhir.us.carin-bb@1.1.0",
        "C4BB-ExplanationOfBenefit-Outpatient-Institutional",
        "ExplanationOfBenefit.careTeam",
        "EOB-inst-careTeam-organization",
        "`exists().provider`: `provider` of a Boolean",
    ),
    (
        "hl7.fhir.us.carin-bb@1.1.0",
        "C4BB-ExplanationOfBenefit-Outpatient-Institutional",
        "ExplanationOfBenefit.careTeam",
        "EOB-careteam-qualification",
        "`exists().qualification`: `qualification` of a Boolean",
    ),
    (
        "hl7.fhir.us.carin-bb@1.1.0",
        "C4BB-ExplanationOfBenefit-Outpatient-Institutional",
        "ExplanationOfBenefit.insurance",
        "EOB-insurance-focal",
        "sits on insurance but starts from `insurance`",
    ),
    (
        "hl7.fhir.us.carin-bb@1.1.0",
        "C4BB-ExplanationOfBenefit-Pharmacy",
        "ExplanationOfBenefit.careTeam",
        "EOB-pharm-careTeam-practitioner",
        "`exists().provider`: `provider` of a Boolean",
    ),
    (
        "hl7.fhir.us.carin-bb@1.1.0",
        "C4BB-ExplanationOfBenefit-Pharmacy",
        "ExplanationOfBenefit.careTeam",
        "EOB-pharm-careTeam-organization",
        "`exists().provider`: `provider` of a Boolean",
    ),
    (
        "hl7.fhir.us.carin-bb@1.1.0",
        "C4BB-ExplanationOfBenefit-Pharmacy",
        "ExplanationOfBenefit.insurance",
        "EOB-insurance-focal",
        "sits on insurance but starts from `insurance`",
    ),
    (
        "hl7.fhir.us.carin-bb@1.1.0",
        "C4BB-ExplanationOfBenefit-Professional-NonClinician",
        "ExplanationOfBenefit.careTeam",
        "EOB-prof-careTeam-practitioner",
        "`exists().provider`: `provider` of a Boolean",
    ),
    (
        "hl7.fhir.us.carin-bb@1.1.0",
        "C4BB-ExplanationOfBenefit-Professional-NonClinician",
        "ExplanationOfBenefit.careTeam",
        "EOB-prof-careTeam-organization",
        "`exists().provider`: `provider` of a Boolean",
    ),
    (
        "hl7.fhir.us.carin-bb@1.1.0",
        "C4BB-ExplanationOfBenefit-Professional-NonClinician",
        "ExplanationOfBenefit.insurance",
        "EOB-insurance-focal",
        "sits on insurance but starts from `insurance`",
    ),
    (
        "hl7.fhir.us.davinci-hrex@1.0.0",
        "hrex-patient-demographics",
        "Patient",
        "hrex-pat-1",
        "names `birthSex`, an extension, as an element",
    ),
    (
        "hl7.fhir.us.davinci-hrex@1.0.0",
        "hrex-provenance",
        "Provenance.agent.onBehalfOf",
        "provenance-1",
        "inherited from US Core 3.1.1's provenance-1",
    ),
];

#[test]
fn every_constraint_parses_and_checks() {
    let packages = [
        "hl7.fhir.r4.core@4.0.1",
        "hl7.fhir.us.core@3.1.1",
        "hl7.fhir.us.core@6.1.0",
        "hl7.fhir.us.core@7.0.0",
        "hl7.fhir.uv.ips@1.1.0",
        "hl7.fhir.us.qicore@6.0.0",
        "hl7.fhir.us.carin-bb@1.1.0",
        "hl7.fhir.us.davinci-pas@2.0.1",
        "hl7.fhir.us.davinci-hrex@1.0.0",
        "hl7.fhir.uv.extensions.r4@5.2.0",
    ];
    let core = common::load("hl7.fhir.r4.core@4.0.1");
    let shapes =
        fhirgen::shapes::base_shapes(&core, &"hl7.fhir.r4.core@4.0.1".parse().unwrap()).unwrap();
    let mut total = 0;
    let mut broken = 0;
    let mut found = Vec::new();
    let mut all_notes = Vec::new();
    for id in packages {
        for definition in common::own_definitions(id) {
            // Abstract types' constraints reach every concrete type's snapshot.
            if definition.is_abstract {
                continue;
            }
            let (invariants, notes) = invariants_of(&definition, shapes);
            total += invariants.len() + notes.len();
            let profile = definition.id.as_deref().unwrap_or_default();
            for note in notes {
                let known = BROKEN.iter().any(|(p, p_id, path, key, _)| {
                    *p == id && *p_id == profile && *path == note.path && *key == note.key
                });
                if !known {
                    all_notes.push(format!(
                        "{id} {profile} {} {}: {}",
                        note.path, note.key, note.message
                    ));
                }
                broken += 1;
                found.push((id, profile.to_owned(), note.path.clone(), note.key.clone()));
            }
        }
    }
    for note in &all_notes {
        println!("{note}");
    }
    println!("{total} constraints (one per element and key), {broken} broken");
    assert!(
        all_notes.is_empty(),
        "constraints that do not check, not in BROKEN: {all_notes:#?}"
    );
    let stale: Vec<_> = BROKEN
        .iter()
        .filter(|(p, profile, path, key, _)| {
            !found.iter().any(|(fp, fprofile, fpath, fkey)| {
                fp == p && fprofile == profile && fpath == path && fkey == key
            })
        })
        .collect();
    assert!(
        stale.is_empty(),
        "entries of BROKEN no longer broken: {stale:?}"
    );
    assert_eq!(broken, BROKEN.len());
}
