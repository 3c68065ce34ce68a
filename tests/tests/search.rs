//! FHIR search and SMART scopes over the official packages: the searches
//! each US Core server CapabilityStatement lists exist and survive
//! build -> string -> parse; searches with known answers over each
//! package's examples; SMART App Launch's own scope examples.

mod common;

use common::{load, shared_packages};
use fhirgen::package::PackageSet;
use fhirgen_runtime::fhirpath::FhirJson;
use fhirgen_runtime::shape::Shapes;
use fhirgen_runtime::tree::Json;
use fhirgen_search::{
    Authorizer, Compartment, Handling, Interaction, IssueType, Matcher, ParamType, Registry,
    Request, Scopes, Search,
};

struct Definitions {
    set: PackageSet,
    shapes: &'static Shapes,
    registry: Registry,
    compartment: Compartment,
}

fn definitions(package: &str) -> Definitions {
    let set = load(package);
    let core = set.core_package().unwrap();
    let shapes = fhirgen::shapes::base_shapes(&set, &core).unwrap();
    let registry =
        fhirgen::search::registry(&set, fhirgen::search::resource_types(shapes)).unwrap();
    let compartment = fhirgen::search::patient_compartment(&set).unwrap();
    Definitions {
        set,
        shapes,
        registry,
        compartment,
    }
}

/// The example instances of a package archive, parsed.
fn examples(archive: &str, folder: &str) -> Vec<(String, Json)> {
    let files = fhirgen::package::read_archive_file(&shared_packages().join(archive)).unwrap();
    files
        .iter()
        .filter_map(|(name, bytes)| {
            let file = name.strip_prefix(folder)?;
            if !file.ends_with(".json") || file.starts_with('.') || file.contains('/') {
                return None;
            }
            let json = Json::parse(bytes).unwrap();
            // package.json is no resource.
            json.get("resourceType")?;
            Some((file.to_owned(), json))
        })
        .collect()
}

/// The ids of the resources `query` matches among `documents` (Bundle
/// entries each on their own, as `id@entry`), sorted.
fn matching(definitions: &Definitions, documents: &[(String, Json)], query: &str) -> Vec<String> {
    let search = Search::parse(&definitions.registry, query, Handling::Strict)
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    let matcher = Matcher::new(&definitions.registry);
    let mut ids = Vec::new();
    for (_, json) in documents {
        let model = FhirJson::within(definitions.shapes, json);
        let mut candidates = vec![(None, json)];
        if json.get("resourceType").and_then(Json::as_str) == Some("Bundle")
            && search.resource_type != "Bundle"
            && let Some(Json::Array(entries)) = json.get("entry")
        {
            candidates = entries
                .iter()
                .enumerate()
                .filter_map(|(i, e)| Some((Some(i), e.get("resource")?)))
                .collect();
        }
        for (entry, resource) in candidates {
            let element = model.element(resource).unwrap();
            if matcher
                .matches(&search, &model, &element)
                .unwrap_or_else(|e| panic!("{query}: {e}"))
            {
                let id = resource.get("id").and_then(Json::as_str).unwrap_or("");
                ids.push(match entry {
                    Some(i) => format!("{id}@{i}"),
                    None => id.to_owned(),
                });
            }
        }
    }
    ids.sort();
    ids
}

/// Searches over the US Core examples whose answers were read off the
/// examples themselves (the reason, where one is needed, beside each).
const US_CORE_6_AND_7: &[(&str, &[&str])] = &[
    // string: a prefix of any part of the name, case ignored
    (
        "Patient?name=shaw",
        &["deceased-example", "example", "example-targeted-provenance"],
    ),
    (
        "Patient?name=SHA",
        &["deceased-example", "example", "example-targeted-provenance"],
    ),
    (
        "Patient?family:exact=Shaw",
        &["deceased-example", "example", "example-targeted-provenance"],
    ),
    ("Patient?family:exact=shaw", &[]),
    ("Patient?given:contains=nfa", &["infant-example"]),
    (
        "Patient?address-city=mounds",
        &[
            "child-example",
            "deceased-example",
            "example",
            "example-targeted-provenance",
            "infant-example",
        ],
    ),
    // dates at their precision
    (
        "Patient?birthdate=1987-02",
        &["example", "example-targeted-provenance"],
    ),
    ("Patient?birthdate=lt1950", &["deceased-example"]),
    (
        "Patient?birthdate=ge2016&gender=male",
        &["child-example", "infant-example"],
    ),
    (
        "Patient?gender:not=female",
        &["child-example", "infant-example"],
    ),
    (
        "Patient?_id=example,infant-example",
        &["example", "infant-example"],
    ),
    (
        "Condition?onset-date=2016-08-10",
        &["encounter-diagnosis-example2"],
    ),
    // 2016-08-10T07:15:07-08:00 and later
    (
        "Condition?recorded-date=ge2016",
        &[
            "condition-SDOH-example",
            "condition-duodenal-ulcer",
            "encounter-diagnosis-example2",
        ],
    ),
    (
        "Condition?onset-date:missing=true",
        &["condition-SDOH-example", "condition-duodenal-ulcer"],
    ),
    // a Period of one hour on that day
    ("Encounter?date=2015-11-01", &["example-1"]),
    ("Encounter?date=sa2015-10-31", &["example-1"]),
    ("Encounter?date=eb2015-10-31", &[]),
    ("MedicationRequest?intent=plan", &["self-tylenol"]),
    (
        "MedicationRequest?intent=order&authoredon=2008-04-05",
        &[
            "medicationrequest-coded-oral-axid",
            "medicationrequest-contained-oral-axid",
            "medicationrequest-referenced-oral-axid",
        ],
    ),
    // tokens: system|code, system| (any code)
    (
        "MedicationRequest?identifier=http://acme.org/prescriptions|12345689",
        &["self-tylenol"],
    ),
    (
        "Organization?identifier=http://hl7.org/fhir/sid/us-npi|",
        &[
            "acme-lab",
            "example-organization-2",
            "holy-healthcare",
            "saint-luke-w-endpoint",
        ],
    ),
    (
        "Organization?name=acme",
        &["acme-lab", "acme-payer", "example-organization-2"],
    ),
    ("Location?address-state=MA", &["hl7east", "hospital"]),
    (
        "DiagnosticReport?category=http://loinc.org|LP29684-5",
        &["bone-density-report", "chest-xray-report"],
    ),
    // A date without a zone is taken as UTC: 2021-11-10T19:30:46-08:00 is
    // the 11th in UTC, 2021-11-10T21:39:30.000Z the 10th.
    ("DiagnosticReport?date=2021-11-10", &["cardiology-report"]),
    ("DiagnosticReport?date=2021-11-11", &["bone-density-report"]),
    (
        "Procedure?code=http://www.ama-assn.org/go/cpt|33249",
        &["defib-implant"],
    ),
    ("Procedure?date=2002", &["rehab"]),
    // composite: code and value together (heart rate 44 /min)
    (
        "Observation?code-value-quantity=http://loinc.org|8867-4$gt40",
        &["heart-rate"],
    ),
    (
        "Observation?code-value-quantity=http://loinc.org|8867-4$gt44",
        &[],
    ),
    (
        "Observation?value-quantity=lt40||/min",
        &["respiratory-rate"],
    ),
    // a reference by id, with the target type as modifier
    (
        "Goal?patient:Patient=example&lifecycle-status=active",
        &["goal-1", "goal-sdoh-2"],
    ),
    ("Immunization?date=2020-11", &["imm-1"]),
    // AND of two dates on the same parameter: that one day
    (
        "Observation?patient=Patient/example&category=laboratory&date=ge2005-07-05&date=lt2005-07-06",
        &[
            "cbc-erythrocytes",
            "cbc-hematocrit",
            "cbc-hemoglobin",
            "cbc-leukocytes",
            "cbc-mch",
            "cbc-mchc",
            "cbc-mcv",
            "cbc-platelets",
            "serum-bun",
            "serum-calcium",
            "serum-chloride",
            "serum-co2",
            "serum-creatinine",
            "serum-glucose",
            "serum-potassium",
            "serum-sodium",
            "urobilinogen",
        ],
    ),
    (
        "Medication?code=http://www.nlm.nih.gov/research/umls/rxnorm|",
        &["uscore-med1", "uscore-med2"],
    ),
];

const US_CORE_3: &[(&str, &[&str])] = &[
    ("Patient?name=shaw", &["example"]),
    (
        "Patient?address-city=mounds",
        &["child-example", "example", "infant-example"],
    ),
    (
        "Patient?birthdate=ge2016&gender=male",
        &["child-example", "infant-example"],
    ),
    ("Condition?onset-date=2016-08-10", &["example"]),
    ("Encounter?date=2015-11-01", &["example-1"]),
    // One of the three is entry 0 of the Bundle uscore-mo3.
    (
        "MedicationRequest?intent=order&authoredon=2008-04-05",
        &["uscore-mo1", "uscore-mo2", "uscore-mo3@0"],
    ),
    // 3.1.1's examples spell the NPI system `http://hl7.org.fhir/sid/us-npi`.
    (
        "Organization?identifier=http://hl7.org/fhir/sid/us-npi|",
        &[],
    ),
    (
        "Organization?identifier=http://hl7.org.fhir/sid/us-npi|",
        &["acme-lab", "example-organization-2"],
    ),
    (
        "Observation?code-value-quantity=http://loinc.org|8867-4$gt40",
        &["heart-rate"],
    ),
    (
        "Medication?code=http://www.nlm.nih.gov/research/umls/rxnorm|",
        &["uscore-med1", "uscore-med2", "uscore-med2@1"],
    ),
];

#[test]
fn searches_with_known_answers_over_the_us_core_examples() {
    for (version, table) in [
        ("3.1.1", US_CORE_3),
        ("6.1.0", US_CORE_6_AND_7),
        ("7.0.0", US_CORE_6_AND_7),
    ] {
        let definitions = definitions(&format!("hl7.fhir.us.core@{version}"));
        let documents = examples(&format!("hl7.fhir.us.core-{version}.tgz"), "example/");
        for (query, expected) in table {
            assert_eq!(
                matching(&definitions, &documents, query),
                *expected,
                "US Core {version}: {query}"
            );
        }
    }
}

#[test]
fn searches_with_known_answers_over_the_r4_examples() {
    let definitions = definitions("hl7.fhir.r4.core@4.0.1");
    let documents = examples("hl7.fhir.r4.examples-4.0.1.tgz", "");
    let table: &[(&str, &[&str])] = &[
        // number, at the precision written: 0.02 is [0.015, 0.025)
        ("RiskAssessment?probability=0.02", &["cardiac"]),
        ("RiskAssessment?probability=0.020", &["cardiac"]),
        ("RiskAssessment?probability=0.021", &[]),
        (
            "RiskAssessment?probability=gt0.001",
            &["cardiac", "genetic"],
        ),
        // d1 is entry 2 of the Bundle `father` (born 1955)
        (
            "Patient?gender=female&birthdate=lt1970",
            &["d1@2", "proband"],
        ),
        // two Bundles hold the same example as their first entry
        (
            "Patient?name=Peter&_id=example",
            &["example", "example@0", "example@0"],
        ),
        // a chain through a contained resource (`#newborn`, Peter Chalmers)
        (
            "Observation?subject:Patient.name=peter",
            &[
                "10minute-apgar-score",
                "1minute-apgar-score",
                "20minute-apgar-score",
                "2minute-apgar-score",
                "5minute-apgar-score",
            ],
        ),
    ];
    for (query, expected) in table {
        assert_eq!(
            matching(&definitions, &documents, query),
            *expected,
            "{query}"
        );
    }
}

#[test]
fn searches_with_known_answers_over_the_carin_examples() {
    // CARIN Blue Button's own SearchParameters (ExplanationOfBenefit's
    // `service-date` is `billablePeriod | item.serviced`).
    let definitions = definitions("hl7.fhir.us.carin-bb@1.1.0");
    let documents = examples("hl7.fhir.us.carin-bb-1.1.0.tgz", "example/");
    let table: &[(&str, &[&str])] = &[
        ("ExplanationOfBenefit?type=pharmacy", &["EOBPharmacy1"]),
        (
            "ExplanationOfBenefit?patient=Patient/ExamplePatient1&type=institutional",
            &["InpatientEOBExample1", "OutpatientEOBExample1"],
        ),
        // InpatientEOBExample1's items are Periods with a start and no end
        // (ongoing): they reach past 2020.
        (
            "ExplanationOfBenefit?service-date=ge2020",
            &[
                "InpatientEOBExample1",
                "OutpatientEOBExample1",
                "ProfessionalEOBExample1",
            ],
        ),
        // 2019-10-30 to 2019-10-31, within October; the others start in January.
        (
            "ExplanationOfBenefit?service-date=2019-10",
            &["EOBPharmacy1"],
        ),
        ("Coverage?payor=Organization/Payer1", &["Coverage1"]),
        (
            "ExplanationOfBenefit?identifier=AW123412341234123412341234123413",
            &["EOBProfessional1a"],
        ),
    ];
    for (query, expected) in table {
        assert_eq!(
            matching(&definitions, &documents, query),
            *expected,
            "{query}"
        );
    }
}

/// A value of each parameter type, to build a query of any parameter.
fn sample_value(
    registry: &Registry,
    type_code: &str,
    parameter: &fhirgen_search::SearchParameter,
) -> String {
    match ParamType::parse(type_code).unwrap() {
        ParamType::Number => "ge10.5".into(),
        ParamType::Date => "ge2020-03-01T10:00:00+05:00".into(),
        ParamType::String => "Ren\u{e9}e, o'Brien".replace(',', "\\,"),
        ParamType::Token => "http://example.org/codes|a\\|b".into(),
        ParamType::Reference => format!(
            "{}/123",
            parameter.targets.first().map_or("Patient", String::as_str)
        ),
        ParamType::Quantity => "lt5.4|http://unitsofmeasure.org|mg".into(),
        ParamType::Uri => "http://example.org/a?b=c".into(),
        ParamType::Composite => parameter
            .components
            .iter()
            .map(|c| {
                let part = registry.by_url(&c.definition).unwrap();
                sample_value(registry, part.kind.code(), part)
            })
            .collect::<Vec<_>>()
            .join("$"),
        ParamType::Special => panic!("{}: no sample for special parameters", parameter.code),
    }
}

/// build -> string -> parse -> the same search.
fn round_trip(registry: &Registry, query: &str) -> Search {
    let search =
        Search::parse(registry, query, Handling::Strict).unwrap_or_else(|e| panic!("{query}: {e}"));
    let written = search.to_string();
    let again = Search::parse(registry, &written, Handling::Strict)
        .unwrap_or_else(|e| panic!("{query} written as {written}: {e}"));
    assert_eq!(again, search, "{query} written as {written}");
    search
}

fn encoded(value: &str) -> String {
    value
        .replace('%', "%25")
        .replace('+', "%2B")
        .replace(' ', "%20")
        .replace('&', "%26")
        .replace('=', "%3D")
        .replace('?', "%3F")
}

#[test]
fn every_search_of_each_us_core_server_statement_exists_and_round_trips() {
    for version in ["3.1.1", "6.1.0", "7.0.0"] {
        let definitions = definitions(&format!("hl7.fhir.us.core@{version}"));
        let registry = &definitions.registry;
        let statements = fhirgen::search::server_statements(&definitions.set).unwrap();
        assert_eq!(statements.len(), 1, "US Core {version}");
        let (mut parameters, mut combinations, mut includes) = (0, 0, 0);
        for rest in statements[0].rest.iter().filter(|r| r.mode == "server") {
            for resource in &rest.resource {
                let t = &resource.resource_type;
                let mut samples = std::collections::BTreeMap::new();
                for listed in &resource.search_param {
                    let found = registry.get(t, &listed.name).unwrap_or_else(|| {
                        panic!("US Core {version}: {t}?{} is not defined", listed.name)
                    });
                    if let Some(url) = &listed.definition {
                        let defined = registry.by_url(url).unwrap_or_else(|| {
                            panic!(
                                "US Core {version}: {t}?{}: {url} is not in the packages",
                                listed.name
                            )
                        });
                        assert_eq!(
                            defined.url, found.url,
                            "US Core {version}: {t}?{}",
                            listed.name
                        );
                    }
                    assert_eq!(
                        found.kind.code(),
                        listed.kind,
                        "US Core {version}: {t}?{}",
                        listed.name
                    );
                    let value = sample_value(registry, &listed.kind, found);
                    let query = format!("{t}?{}={}", listed.name, encoded(&value));
                    let search = round_trip(registry, &query);
                    // The crate's own definitions read it alike.
                    assert_eq!(
                        round_trip(typed_registry(version), &query),
                        search,
                        "{query}"
                    );
                    assert_eq!(search.criteria.len(), 1);
                    samples.insert(listed.name.clone(), value);
                    parameters += 1;
                }
                for combination in resource.combinations() {
                    let query: Vec<String> = combination
                        .required
                        .iter()
                        .map(|name| {
                            let value = samples.get(name).cloned().unwrap_or_else(|| {
                                let p = registry.get(t, name).unwrap_or_else(|| {
                                    panic!("US Core {version}: combination {name} of {t}")
                                });
                                sample_value(registry, p.kind.code(), p)
                            });
                            format!("{name}={}", encoded(&value))
                        })
                        .collect();
                    let query = format!("{t}?{}", query.join("&"));
                    let search = round_trip(registry, &query);
                    assert_eq!(search.criteria.len(), combination.required.len());
                    assert_eq!(
                        round_trip(typed_registry(version), &query),
                        search,
                        "{query}"
                    );
                    combinations += 1;
                }
                for include in &resource.search_include {
                    round_trip(registry, &format!("{t}?_include={include}"));
                    round_trip(typed_registry(version), &format!("{t}?_include={include}"));
                    includes += 1;
                }
                for include in &resource.search_rev_include {
                    round_trip(registry, &format!("{t}?_revinclude={include}"));
                    includes += 1;
                }
            }
        }
        assert!(
            parameters > 50 && combinations > 20 && includes > 10,
            "US Core {version}: {parameters} {combinations} {includes}"
        );
    }
}

#[test]
fn bad_queries_are_refused_naming_the_parameter() {
    let definitions = definitions("hl7.fhir.us.core@6.1.0");
    let registry = &definitions.registry;
    let refused = |query: &str| Search::parse(registry, query, Handling::Strict).unwrap_err();
    let cases: &[(&str, Option<&str>, IssueType, &str)] = &[
        (
            "Observation?foo=bar",
            Some("foo"),
            IssueType::NotSupported,
            "not a search parameter of Observation",
        ),
        (
            "Observation?date=2020-13",
            Some("date"),
            IssueType::Value,
            "is not a date",
        ),
        (
            "Observation?status:exact=final",
            Some("status:exact"),
            IssueType::NotSupported,
            "not a modifier of a token parameter",
        ),
        (
            "Observation?code-value-quantity=http://loinc.org|8867-4",
            Some("code-value-quantity"),
            IssueType::Value,
            "takes 2 separated by `$`",
        ),
        (
            "Observation?subject:Device.name=x",
            Some("subject:Device.name"),
            IssueType::NotSupported,
            "not a search parameter of Device",
        ),
        (
            "Observation?status.name=x",
            Some("status.name"),
            IssueType::Invalid,
            "only references chain",
        ),
        (
            "Observation?value-quantity=big",
            Some("value-quantity"),
            IssueType::Value,
            "not a quantity",
        ),
        (
            "Observation?_count=many",
            Some("_count"),
            IssueType::Value,
            "not a count",
        ),
        (
            "Observation?_include=Patient:link",
            Some("_include"),
            IssueType::Value,
            "starts with `Observation:`",
        ),
        (
            "Observation?_sort=nope",
            Some("_sort"),
            IssueType::NotSupported,
            "not a search parameter",
        ),
        (
            "Observation?status:missing=maybe",
            Some("status:missing"),
            IssueType::Value,
            "not `true` or `false`",
        ),
        (
            "Observation?_has:Provenance:target:agent=x",
            Some("_has:Provenance:target:agent"),
            IssueType::NotSupported,
            "reverse chaining",
        ),
        (
            "Observatio?status=final",
            None,
            IssueType::Invalid,
            "not a resource type",
        ),
        (
            "Patient?birthdate=",
            Some("birthdate"),
            IssueType::Value,
            "no value",
        ),
    ];
    for (query, parameter, issue, message) in cases {
        let error = refused(query);
        assert_eq!(error.parameter.as_deref(), *parameter, "{query}");
        assert_eq!(error.issue, *issue, "{query}: {error}");
        assert!(error.message.contains(message), "{query}: {error}");
        let outcome: serde_json::Value = serde_json::from_str(&error.operation_outcome()).unwrap();
        assert_eq!(outcome["resourceType"], "OperationOutcome");
        assert_eq!(outcome["issue"][0]["code"], issue.code());
    }
    // Lenient handling passes over unknown parameters, not bad values.
    let search = Search::parse(
        registry,
        "Observation?foo=bar&status=final",
        Handling::Lenient,
    )
    .unwrap();
    assert_eq!(
        (search.ignored.as_slice(), search.criteria.len()),
        (&["foo".to_owned()][..], 1)
    );
    assert!(Search::parse(registry, "Observation?date=2020-13", Handling::Lenient).is_err());
    // FHIR's escapes and URL encoding survive.
    let search = round_trip(
        registry,
        "Patient?name=o%27Brien%5C%2CRen%C3%A9e,x&_count=5&_sort=-birthdate",
    );
    assert_eq!(search.criteria[0].values.len(), 2);
    assert_eq!(search.criteria[0].values[0].to_string(), "o'Brien\\,Renée");
}

#[test]
fn smart_scopes_permit_what_the_specification_says() {
    let definitions = definitions("hl7.fhir.us.core@7.0.0");
    let matcher = Matcher::new(&definitions.registry);
    let authorizer = Authorizer::new(&matcher, &definitions.compartment);
    let documents = examples("hl7.fhir.us.core-7.0.0.tgz", "example/");
    let resource = |id: &str| {
        &documents
            .iter()
            .find(|(file, _)| file == id)
            .unwrap_or_else(|| panic!("{id}"))
            .1
    };
    let lab = resource("Observation-serum-calcium.json");
    let vitals = resource("Observation-heart-rate.json");
    let patient = resource("Patient-example.json");
    let other_patient = resource("Patient-infant-example.json");
    let practitioner = resource("Practitioner-practitioner-1.json");
    const LAB: &str = "http://terminology.hl7.org/CodeSystem/observation-category|laboratory";
    let granular = format!("patient/Observation.rs?category={LAB}");
    use Interaction::*;
    // scopes, launch patient, interaction, resource, permitted: the
    // examples of SMART App Launch 2.x, "Scopes and Launch Context".
    let table: &[(&str, Option<&str>, Interaction, &Json, bool)] = &[
        // patient/Observation.rs: read and search the patient's observations
        ("patient/Observation.rs", Some("example"), Read, lab, true),
        (
            "patient/Observation.rs",
            Some("example"),
            SearchType,
            vitals,
            true,
        ),
        (
            "patient/Observation.rs",
            Some("example"),
            Update,
            lab,
            false,
        ),
        (
            "patient/Observation.rs",
            Some("example"),
            Create,
            lab,
            false,
        ),
        // another patient in context: not theirs
        (
            "patient/Observation.rs",
            Some("infant-example"),
            Read,
            lab,
            false,
        ),
        // patient scopes need a patient in the launch context
        ("patient/Observation.rs", None, Read, lab, false),
        (
            "patient/Observation.r",
            Some("example"),
            SearchType,
            lab,
            false,
        ),
        ("patient/Observation.s", Some("example"), Read, lab, false),
        // granular: only laboratory observations
        (granular.as_str(), Some("example"), SearchType, lab, true),
        (
            granular.as_str(),
            Some("example"),
            SearchType,
            vitals,
            false,
        ),
        // patient/*.rs: any resource of the patient
        ("patient/*.rs", Some("example"), Read, patient, true),
        ("patient/*.rs", Some("example"), Read, other_patient, false),
        ("patient/*.rs", Some("example"), Read, practitioner, false),
        // user/*.cruds: all the user can access
        ("user/*.cruds", None, Delete, practitioner, true),
        ("user/Observation.cruds", None, Update, lab, true),
        ("user/Observation.cruds", None, Update, patient, false),
        // v1 scopes: read = rs, write = cud
        ("patient/*.read", Some("example"), SearchType, vitals, true),
        ("patient/*.read", Some("example"), Update, vitals, false),
        ("user/Patient.write", None, Update, patient, true),
        ("user/Patient.write", None, Read, patient, false),
        ("system/Patient.*", None, HistoryInstance, patient, true),
        // identity and launch scopes grant no data
        (
            "openid fhirUser launch/patient offline_access",
            Some("example"),
            Read,
            patient,
            false,
        ),
        // unknown scopes are ignored
        (
            "foo bar/baz patient/Patient.rs",
            Some("example"),
            Read,
            patient,
            true,
        ),
    ];
    for (scope, launch_patient, interaction, json, permitted) in table {
        let scopes = Scopes::parse(scope, &matcher).unwrap_or_else(|e| panic!("{e}"));
        let model = FhirJson::within(definitions.shapes, json);
        let element = model.root_element().unwrap();
        let resource_type = json.get("resourceType").and_then(Json::as_str).unwrap();
        let request = Request {
            interaction: *interaction,
            resource_type,
            resource: Some((&model, &element)),
        };
        assert_eq!(
            authorizer
                .permits(&scopes, *launch_patient, &request)
                .unwrap(),
            *permitted,
            "{scope} ({launch_patient:?}) {interaction:?} {resource_type}/{}",
            json.get("id").and_then(Json::as_str).unwrap()
        );
    }
    // Malformed scopes are errors, naming the scope.
    for (scope, message) in [
        ("patient/Observation.sr", "letters of `cruds` in that order"),
        ("patient/Observation.rr", "letters of `cruds` in that order"),
        ("patient/Observation", "no permissions"),
        ("patient/Observatoin.rs", "not a resource type"),
        ("patient/*.rs?category=x", "needs a resource type"),
        ("patient/Observation.rs?categry=x", "not a search parameter"),
    ] {
        let error = Scopes::parse(scope, &matcher).unwrap_err();
        assert_eq!(error.scope, scope);
        assert!(error.message.contains(message), "{scope}: {error}");
    }
    let scopes =
        Scopes::parse("launch/patient openid fhirUser offline_access x", &matcher).unwrap();
    assert_eq!(scopes.granted.len(), 4);
    assert_eq!(scopes.ignored, ["x"]);
}

/// Each US Core crate's typed searches, as its `search::SEARCHES` lists them.
fn typed_searches(version: &str) -> &'static [fhirgen_search::SearchIndex] {
    match version {
        "3.1.1" => us_core_3_1_1::search::SEARCHES,
        "6.1.0" => us_core_6_1_0::search::SEARCHES,
        "7.0.0" => us_core_7_0_0::search::SEARCHES,
        _ => unreachable!(),
    }
}

fn typed_registry(version: &str) -> &'static Registry {
    match version {
        "3.1.1" => us_core_3_1_1::search::registry(),
        "6.1.0" => us_core_6_1_0::search::registry(),
        "7.0.0" => us_core_7_0_0::search::registry(),
        _ => unreachable!(),
    }
}

fn type_bases(version: &str) -> &'static fhirgen_runtime::typed::TypeIndex {
    match version {
        "3.1.1" => us_core_3_1_1::constraints::CATALOG.bases(),
        "6.1.0" => us_core_6_1_0::constraints::CATALOG.bases(),
        "7.0.0" => us_core_7_0_0::constraints::CATALOG.bases(),
        _ => unreachable!(),
    }
}

#[test]
fn every_search_of_each_us_core_server_statement_is_in_the_typed_api() {
    for version in ["3.1.1", "6.1.0", "7.0.0"] {
        let set = load(&format!("hl7.fhir.us.core@{version}"));
        let statements = fhirgen::search::server_statements(&set).unwrap();
        let searches = typed_searches(version);
        let mut checked = 0;
        for rest in statements
            .iter()
            .flat_map(|s| &s.rest)
            .filter(|r| r.mode == "server")
        {
            for resource in &rest.resource {
                let t = &resource.resource_type;
                let typed = searches
                    .iter()
                    .find(|s| s.resource_type == t)
                    .unwrap_or_else(|| panic!("US Core {version}: no typed search for {t}"));
                for listed in &resource.search_param {
                    assert!(
                        typed
                            .parameters
                            .iter()
                            .any(|(code, _)| *code == listed.name),
                        "US Core {version}: {t}Search has no `{}`",
                        listed.name
                    );
                    checked += 1;
                }
                for combination in resource.combinations() {
                    assert!(
                        typed
                            .combinations
                            .iter()
                            .any(|(_, codes)| *codes == combination.required),
                        "US Core {version}: {t}Search has no constructor for {:?}",
                        combination.required
                    );
                    checked += 1;
                }
                assert_eq!(
                    typed.includes, resource.search_include,
                    "US Core {version}: {t}"
                );
                assert_eq!(
                    typed.revincludes, resource.search_rev_include,
                    "US Core {version}: {t}"
                );
            }
        }
        assert!(checked > 80, "US Core {version}: {checked}");
    }
}

#[test]
fn typed_searches_write_queries_that_parse_back_the_same() {
    use fhirgen_search::TypedSearch;
    use fhirgen_search::{Date, Prefix};
    use us_core_6_1_0::search::{
        ObservationReferenceParam, ObservationSearch, ObservationSearchParam,
        ObservationTokenParam, PatientSearch, PatientSearchParam, PatientStringParam,
    };
    const LAB: (&str, &str) = (
        "http://terminology.hl7.org/CodeSystem/observation-category",
        "laboratory",
    );
    let date = |text| Date::parse(text).unwrap();
    let cases = [
        (
            ObservationSearch::by_patient_and_category("Patient/example", LAB).into_search(),
            "Observation?patient=Patient/example&category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory",
        ),
        (
            ObservationSearch::by_patient_and_category_and_date(
                "Patient/example",
                LAB,
                Prefix::Ge,
                date("2020-03-01T10:00:00+05:00"),
            )
            .date(Prefix::Lt, date("2021"))
            .sort(ObservationSearchParam::Date, true)
            .count(20)
            .into_search(),
            "Observation?patient=Patient/example&category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory&date=ge2020-03-01T10:00:00%2B05:00&date=lt2021&_sort=-date&_count=20",
        ),
        (
            ObservationSearch::new()
                .code_any(["8867-4".into(), ("http://loinc.org", "9279-1").into()])
                .not(ObservationTokenParam::Status, "cancelled")
                .missing(ObservationSearchParam::Date, false)
                .into_search(),
            "Observation?code=8867-4,http://loinc.org|9279-1&status:not=cancelled&date:missing=false",
        ),
        (
            PatientSearch::new()
                .contains(PatientStringParam::Name, "Ren\u{e9}e, O'Brien")
                .exact(PatientStringParam::Family, "Shaw")
                .birthdate(Prefix::Le, date("1987-02"))
                .missing(PatientSearchParam::Gender, true)
                .into_search(),
            "Patient?name:contains=Ren%C3%A9e%5C,%20O'Brien&family:exact=Shaw&birthdate=le1987-02&gender:missing=true",
        ),
    ];
    for (search, query) in cases {
        let written = search.to_string();
        assert_eq!(written, query);
        let resource_type = query.split('?').next().unwrap();
        let parsed = Search::parse(
            us_core_6_1_0::search::registry(),
            &written,
            Handling::Strict,
        )
        .unwrap_or_else(|e| panic!("{written}: {e}"));
        assert_eq!(parsed, search, "{written}");
        assert_eq!(parsed.resource_type, resource_type);
    }
    // Chains, and the modifiers of each type.
    use us_core_6_1_0::search::{ConditionSearch, ConditionTokenParam};
    let chained = ObservationSearch::new()
        .chain(
            ObservationReferenceParam::Patient,
            PatientSearch::new()
                .name("peter")
                .birthdate(Prefix::Lt, date("2000")),
        )
        .in_value_set(
            ObservationTokenParam::Code,
            "http://hl7.org/fhir/ValueSet/observation-vitalsignresult",
        )
        .below(ObservationTokenParam::Code, ("http://loinc.org", "85353-1"))
        .reference_identifier(
            ObservationReferenceParam::Patient,
            ("http://hospital.smarthealthit.org", "1032702"),
        )
        .into_search();
    let written = chained.to_string();
    assert_eq!(
        written,
        "Observation?patient:Patient.name=peter&patient:Patient.birthdate=lt2000&code:in=http://hl7.org/fhir/ValueSet/observation-vitalsignresult&code:below=http://loinc.org|85353-1&patient:identifier=http://hospital.smarthealthit.org|1032702"
    );
    let registry = us_core_6_1_0::search::registry();
    assert_eq!(
        Search::parse(registry, &written, Handling::Strict).unwrap(),
        chained
    );
    let search = ConditionSearch::new().of_type(
        ConditionTokenParam::Code,
        "http://terminology.hl7.org/CodeSystem/v2-0203",
        "MR",
        "12345",
    );
    assert_eq!(
        search.to_string(),
        "Condition?code:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|12345"
    );

    // The server's side: the typed parse refuses what the IG does not define.
    let parsed = ObservationSearch::parse("patient=Patient/example&category=laboratory").unwrap();
    assert_eq!(
        parsed,
        ObservationSearch::by_patient_and_category("Patient/example", "laboratory")
    );
    let error = ObservationSearch::parse("Observation?value-concept=x").unwrap_err();
    assert_eq!(error.parameter.as_deref(), Some("value-concept"));
    assert!(ObservationSearch::parse("Patient?name=x").is_err());
    let lenient = ObservationSearch::parse_lenient("value-concept=x&status=final").unwrap();
    assert_eq!(lenient.search().ignored, ["value-concept"]);
}

/// The typed values of the generated crates match as the JSON does: one
/// matcher, two models.
#[test]
fn typed_matching_agrees_with_matching_the_json() {
    use fhirgen_runtime::AnyResource;
    for (version, table) in [
        ("3.1.1", US_CORE_3),
        ("6.1.0", US_CORE_6_AND_7),
        ("7.0.0", US_CORE_6_AND_7),
    ] {
        let definitions = definitions(&format!("hl7.fhir.us.core@{version}"));
        let mut documents = examples(&format!("hl7.fhir.us.core-{version}.tgz"), "example/");
        // The one example the types refuse (a `.` in a base64 hash; see
        // cli_real_packages' INVALID_US_CORE_EXAMPLES) is left out of both.
        let mut typed_resources = Vec::new();
        documents.retain(|(file, json)| {
            match fhir_r4::Resource::from_json_unchecked(written(json).as_bytes()) {
                Ok(resource) => {
                    typed_resources.push(resource);
                    true
                }
                Err(e) => {
                    assert_eq!(
                        (version, file.as_str()),
                        ("3.1.1", "DiagnosticReport-cardiology-report.json"),
                        "{e}"
                    );
                    false
                }
            }
        });
        let registry = typed_registry(version);
        let matcher = Matcher::new(registry);
        let mut compared = 0;
        for (query, _) in table {
            // Only what the crate's searches define (its CapabilityStatement's).
            let Ok(search) = Search::parse(registry, query, Handling::Strict) else {
                continue;
            };
            let from_json: Vec<String> = matching(&definitions, &documents, query)
                .into_iter()
                .filter(|id| !id.contains('@'))
                .collect();
            let mut typed = Vec::new();
            for ((_, json), resource) in documents.iter().zip(&typed_resources) {
                let object = resource.as_object();
                let root = fhirgen_runtime::typed::Node::Resource(object);
                let model = fhirgen_runtime::typed::Typed::new(type_bases(version), root);
                if matcher.matches(&search, &model, &root).unwrap() {
                    typed.push(json.get("id").and_then(Json::as_str).unwrap().to_owned());
                }
            }
            typed.sort();
            assert_eq!(typed, from_json, "US Core {version}: {query}");
            compared += 1;
        }
        assert!(compared >= table.len() / 2, "US Core {version}: {compared}");
    }
    // A profile's own type matches as its base type does.
    let json = examples("hl7.fhir.us.core-6.1.0.tgz", "example/")
        .into_iter()
        .find(|(file, _)| file == "Patient-example.json")
        .unwrap()
        .1;
    let json = written(&json);
    let patient = us_core_6_1_0::UsCorePatientProfile::from_json(json.as_bytes()).unwrap();
    use fhirgen_search::TypedSearch;
    use us_core_6_1_0::search::{PatientSearch, PatientStringParam};
    assert!(PatientSearch::new().name("shaw").matches(&patient).unwrap());
    assert!(
        !PatientSearch::new()
            .exact(PatientStringParam::Family, "shaw")
            .matches(&patient)
            .unwrap()
    );
    assert!(
        PatientSearch::new()
            .birthdate(
                fhirgen_search::Prefix::Eq,
                fhirgen_search::Date::parse("1987-02").unwrap()
            )
            .matches(&patient)
            .unwrap()
    );
}

fn written(json: &Json) -> String {
    let mut text = String::new();
    json.write(&mut text);
    text
}
