//! Every R4 example instance and every conformance resource of R4 core reads
//! into the generated `fhir_r4::Resource` and writes back to the same JSON
//! (key order and white space aside, numbers by their exact text).

mod common;

use fhir_r4::Resource;

/// Instances that are not valid R4: file, the error our reader must give, and
/// the rule of the R4 spec they break. Each must fail with exactly that error.
const NOT_VALID_R4: &[(&str, &str, &str)] = &[
    (
        "Questionnaire-qs1.json",
        "Questionnaire.item[0].item[0].linkId: required element is missing",
        "Questionnaire.item.linkId is 1..1",
    ),
    (
        "ig-r4.json",
        "ImplementationGuide.name: required element is missing",
        "ImplementationGuide.name is 1..1",
    ),
    // Narratives with no content: R4's invariant txt-2 (error): "The
    // narrative SHALL have some non-whitespace content".
    (
        "ActivityDefinition-blood-tubes-supply.json",
        "ActivityDefinition.text.div: the narrative must have some non-whitespace content (txt-2)",
        "txt-2: the div is empty",
    ),
    (
        "ActivityDefinition-heart-valve-replacement.json",
        "ActivityDefinition.text.div: the narrative must have some non-whitespace content (txt-2)",
        "txt-2: the div is empty",
    ),
    (
        "EventDefinition-example.json",
        "EventDefinition.text.div: the narrative must have some non-whitespace content (txt-2)",
        "txt-2: the div is empty",
    ),
    (
        "Questionnaire-zika-virus-exposure-assessment.json",
        "Questionnaire.text.div: the narrative must have some non-whitespace content (txt-2)",
        "txt-2: the div holds an empty <pre> only",
    ),
    (
        "SearchParameter-questionnaireresponse-extensions-QuestionnaireResponse-item-subject.json",
        "SearchParameter.id: `questionnaireresponse-extensions-QuestionnaireResponse-item-subject` is not a valid FHIR id",
        "an id is at most 64 characters; this one has 66",
    ),
    // Bundles whose entry's RESTful fullUrl names another id than its
    // resource's (bundle.html, "fullUrl": it "SHALL NOT disagree with the id
    // in the resource"); `fhirgen validate` refuses them too.
    (
        "Bundle-10bb101f-a121-4264-a920-67be9cb82c74.json",
        "Bundle.entry[2].fullUrl: fullUrl `http://acme.com/ehr/fhir/Patient/pat12` ends with the id `pat12`, but the resource's id is `pat2`",
        "bundle.html: the fullUrl of the Patient pat2 ends with pat12",
    ),
    (
        "Bundle-3a0707d3-549e-4467-b8b8-5a2ab3800efe.json",
        "Bundle.entry[3].fullUrl: fullUrl `http://acme.com/ehr/fhir/Patient/pat12` ends with the id `pat12`, but the resource's id is `pat2`",
        "bundle.html: the fullUrl of the Patient pat2 ends with pat12",
    ),
    (
        "Bundle-lri-example.json",
        "Bundle.entry[1].fullUrl: fullUrl `http://test.fhir.org/r4/Observation/lri-gramstain1` ends with the id `lri-gramstain1`, but the resource's id is `gramstain1`",
        "bundle.html: each entry's fullUrl adds `lri-` to its resource's id",
    ),
    // Constraints (invariants) of StructureDefinition that R4 core's own
    // definitions break.
    (
        "StructureDefinition-Definition.json",
        "StructureDefinition: sdf-4: If the structure is not abstract, then there SHALL be a baseDefinition",
        "sdf-4: a logical model, not abstract, with no baseDefinition",
    ),
    (
        "StructureDefinition-Event.json",
        "StructureDefinition: sdf-4: If the structure is not abstract, then there SHALL be a baseDefinition",
        "sdf-4: a logical model, not abstract, with no baseDefinition",
    ),
    (
        "StructureDefinition-FiveWs.json",
        "StructureDefinition: sdf-4: If the structure is not abstract, then there SHALL be a baseDefinition",
        "sdf-4: a logical model, not abstract, with no baseDefinition",
    ),
    (
        "StructureDefinition-Request.json",
        "StructureDefinition: sdf-4: If the structure is not abstract, then there SHALL be a baseDefinition",
        "sdf-4: a logical model, not abstract, with no baseDefinition",
    ),
    (
        "StructureDefinition-structuredefinition-json-type.json",
        "StructureDefinition: sdf-19: FHIR Specification models only use FHIR defined types",
        "sdf-19: `type.code.all(matches(..))` is false: the types of Extension.id and .url have no code, only a `_code` extension",
    ),
    (
        "StructureDefinition-structuredefinition-rdf-type.json",
        "StructureDefinition: sdf-19: FHIR Specification models only use FHIR defined types",
        "sdf-19: `type.code.all(matches(..))` is false: the types of Extension.id and .url have no code, only a `_code` extension",
    ),
    (
        "StructureDefinition-structuredefinition-xml-type.json",
        "StructureDefinition: sdf-19: FHIR Specification models only use FHIR defined types",
        "sdf-19: `type.code.all(matches(..))` is false: the types of Extension.id and .url have no code, only a `_code` extension",
    ),
    // SearchParameter.base is 1..*; these ten R4 core extension search parameters have none.
    (
        "SearchParameter-codesystem-extensions-CodeSystem-author.json",
        "SearchParameter.base: required element is missing",
        "SearchParameter.base is 1..*",
    ),
    (
        "SearchParameter-codesystem-extensions-CodeSystem-effective.json",
        "SearchParameter.base: required element is missing",
        "SearchParameter.base is 1..*",
    ),
    (
        "SearchParameter-codesystem-extensions-CodeSystem-end.json",
        "SearchParameter.base: required element is missing",
        "SearchParameter.base is 1..*",
    ),
    (
        "SearchParameter-codesystem-extensions-CodeSystem-keyword.json",
        "SearchParameter.base: required element is missing",
        "SearchParameter.base is 1..*",
    ),
    (
        "SearchParameter-codesystem-extensions-CodeSystem-workflow.json",
        "SearchParameter.base: required element is missing",
        "SearchParameter.base is 1..*",
    ),
    (
        "SearchParameter-valueset-extensions-ValueSet-author.json",
        "SearchParameter.base: required element is missing",
        "SearchParameter.base is 1..*",
    ),
    (
        "SearchParameter-valueset-extensions-ValueSet-effective.json",
        "SearchParameter.base: required element is missing",
        "SearchParameter.base is 1..*",
    ),
    (
        "SearchParameter-valueset-extensions-ValueSet-end.json",
        "SearchParameter.base: required element is missing",
        "SearchParameter.base is 1..*",
    ),
    (
        "SearchParameter-valueset-extensions-ValueSet-keyword.json",
        "SearchParameter.base: required element is missing",
        "SearchParameter.base is 1..*",
    ),
    (
        "SearchParameter-valueset-extensions-ValueSet-workflow.json",
        "SearchParameter.base: required element is missing",
        "SearchParameter.base is 1..*",
    ),
];

/// Reads and writes every resource of `package`: how many were read, how many
/// were excluded as invalid R4, and what went wrong with the others.
fn round_trip(package: &str) -> (usize, usize, Vec<String>) {
    let set = common::load(package);
    let package = set.root();
    let mut failures = Vec::new();
    let (mut count, mut excluded_count) = (0, 0);
    for entry in package.resources() {
        count += 1;
        let bytes = package.read(&entry.filename).unwrap();
        let excluded = NOT_VALID_R4
            .iter()
            .find(|(file, ..)| *file == entry.filename);
        let outcome = match Resource::from_json(&bytes) {
            Ok(resource) => {
                let written = resource.to_json();
                match fhirgen_runtime::first_difference(&bytes, &written, &entry.resource_type) {
                    Ok(None) => None,
                    Ok(Some(path)) => Some(format!("differs at {path}")),
                    Err(e) => Some(format!("output is not JSON: {e}")),
                }
            }
            Err(error) => Some(format!("does not read: {error}")),
        };
        match (outcome, excluded) {
            (None, None) => {}
            (None, Some((file, ..))) => {
                failures.push(format!("{file}: listed as invalid, yet it round-trips"))
            }
            (Some(problem), Some((file, expected, _))) => {
                if problem == format!("does not read: {expected}") {
                    excluded_count += 1;
                } else {
                    failures.push(format!(
                        "{file}: listed as invalid for `{expected}`, but: {problem}"
                    ));
                }
            }
            (Some(problem), None) => failures.push(format!("{}: {problem}", entry.filename)),
        }
    }
    (count, excluded_count, failures)
}

#[test]
fn r4_examples_round_trip() {
    let (count, excluded, failures) = round_trip("hl7.fhir.r4.examples@4.0.1");
    println!(
        "R4 examples: {count} read, {} survive the round trip, {excluded} rejected as invalid R4 (listed)",
        count - excluded - failures.len()
    );
    assert_eq!((count, excluded), (718, 9));
    assert!(
        failures.is_empty(),
        "{} of {count} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn r4_core_conformance_resources_round_trip() {
    let (count, excluded, failures) = round_trip("hl7.fhir.r4.core@4.0.1");
    println!(
        "R4 core: {count} read, {} survive the round trip, {excluded} rejected as invalid R4 (listed)",
        count - excluded - failures.len()
    );
    assert_eq!((count, excluded), (4581, 18));
    assert!(
        failures.is_empty(),
        "{} of {count} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
