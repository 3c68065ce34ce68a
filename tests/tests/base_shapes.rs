//! The base types' JSON rules as data (`fhirgen::shapes`, read through the
//! runtime's `shape` module) against the generated `fhir-r4` types: every
//! R4 and US Core example, and mutations of each at many places, get the
//! same verdict from both, the same error (location, message, issue type)
//! in a strict read and the same issues in a lenient one.

mod common;

use fhirgen_runtime::shape::Shapes;
use serde_json::Value;

fn shapes() -> &'static Shapes {
    let set = common::load("hl7.fhir.r4.core@4.0.1");
    fhirgen::shapes::base_shapes(&set, &"hl7.fhir.r4.core@4.0.1".parse().unwrap()).unwrap()
}

/// What each side says about `bytes`, as text to compare.
fn verdicts(shapes: &'static Shapes, bytes: &[u8]) -> [(String, String); 2] {
    let show = |result: Result<Vec<fhirgen_runtime::Issue>, fhirgen_runtime::Error>| match result {
        Ok(issues) => format!(
            "ok {:?}",
            issues
                .iter()
                .map(|i| (&i.path, &i.message, i.code))
                .collect::<Vec<_>>()
        ),
        Err(e) => format!("error {} | {} | {:?}", e.path, e.message, e.code),
    };
    // The types' structural read (what `from_json` does before it evaluates
    // the constraints, which the shapes leave to `fhirgen validate`).
    let typed = |lenient: bool| {
        let mut reader = fhirgen_runtime::Reader::new(bytes);
        if lenient {
            reader = reader.lenient();
        }
        let resource = <fhir_r4::Resource as fhirgen_runtime::AnyResource>::read_any(&mut reader)?;
        reader.finish()?;
        drop(resource);
        Ok(reader.take_issues())
    };
    let typed_strict = show(typed(false).map(|_| Vec::new()));
    let typed_lenient = show(typed(true));
    [
        (typed_strict, show(shapes.read(bytes, false))),
        (typed_lenient, show(shapes.read(bytes, true))),
    ]
}

/// Places in `value` (JSON pointers), up to `limit`, spread over the document.
fn places(value: &Value, limit: usize) -> Vec<String> {
    let mut all = Vec::new();
    fn walk(value: &Value, at: String, all: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, item) in map {
                    let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                    all.push(here.clone());
                    walk(item, here, all);
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    let here = format!("{at}/{index}");
                    all.push(here.clone());
                    walk(item, here, all);
                }
            }
            _ => {}
        }
    }
    walk(value, String::new(), &mut all);
    let step = (all.len() / limit).max(1);
    all.into_iter().step_by(step).take(limit).collect()
}

/// Ways to break the value at a place.
fn mutations(value: &Value) -> Vec<Value> {
    match value {
        Value::Object(map) => {
            let mut with_unknown = map.clone();
            with_unknown.insert("notAnElement".to_owned(), Value::from(1));
            let mut without_first = map.clone();
            if let Some(first) = map.keys().next().cloned() {
                without_first.remove(&first);
            }
            vec![
                Value::Object(with_unknown),
                Value::Object(without_first),
                Value::Object(Default::default()),
                Value::Array(vec![value.clone()]),
            ]
        }
        Value::Array(items) => vec![
            Value::Array(Vec::new()),
            items.first().cloned().unwrap_or(Value::Null),
            Value::Array(vec![Value::Null]),
        ],
        Value::String(text) => vec![
            Value::from(1),
            Value::from(""),
            Value::from(format!(" {text}")),
            Value::from("xyz"),
            Value::Array(vec![value.clone()]),
        ],
        Value::Number(_) => vec![Value::from("1"), Value::from(-1), Value::from(1.5)],
        Value::Bool(_) => vec![Value::from("true"), Value::Null],
        Value::Null => vec![Value::from(0)],
    }
}

/// Compares the two on `bytes`; whether the strict read failed.
fn compare(
    shapes: &'static Shapes,
    label: &str,
    bytes: &[u8],
    differences: &mut Vec<String>,
) -> bool {
    let [strict, lenient] = verdicts(shapes, bytes);
    let rejected = strict.1.starts_with("error");
    for (typed, shaped) in [strict, lenient] {
        if typed != shaped {
            differences.push(format!(
                "{label}:\n  types:  {typed}\n  shapes: {shaped}\n  json: {}",
                String::from_utf8_lossy(bytes)
                    .chars()
                    .take(300)
                    .collect::<String>()
            ));
        }
    }
    rejected
}

fn check_package(id: &str, places_per_resource: usize) {
    let shapes = shapes();
    let set = common::load(id);
    let package = set.root();
    let mut differences = Vec::new();
    let (mut resources, mut mutated, mut rejected) = (0, 0, 0);
    for entry in package.resources() {
        let bytes = package.read(&entry.filename).unwrap();
        resources += 1;
        compare(shapes, &entry.filename, &bytes, &mut differences);
        let Ok(json) = serde_json::from_slice::<Value>(&bytes) else {
            continue;
        };
        for place in places(&json, places_per_resource) {
            let original = json.pointer(&place).unwrap().clone();
            for broken in mutations(&original) {
                let mut copy = json.clone();
                *copy.pointer_mut(&place).unwrap() = broken;
                mutated += 1;
                let bytes = serde_json::to_vec(&copy).unwrap();
                let label = format!("{} at {place}", entry.filename);
                if compare(shapes, &label, &bytes, &mut differences) {
                    rejected += 1;
                }
            }
        }
    }
    println!(
        "{id}: {resources} resources and {mutated} mutations ({rejected} rejected) read alike by the shapes and the types ({} differ)",
        differences.len()
    );
    // Most mutations break a rule: the comparison is not of two yeses.
    assert!(rejected * 2 > mutated, "{rejected} of {mutated} rejected");
    assert!(
        differences.is_empty(),
        "{} differ, the first:\n{}",
        differences.len(),
        differences
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn r4_examples_and_their_mutations_read_alike() {
    check_package("hl7.fhir.r4.examples@4.0.1", 6);
}

#[test]
fn us_core_examples_and_their_mutations_read_alike() {
    check_package("hl7.fhir.us.core@6.1.0", 12);
}

#[test]
fn the_shapes_say_what_the_types_say() {
    let shapes = shapes();
    let error = |json: &str| {
        let e = shapes.read(json.as_bytes(), false).unwrap_err();
        (e.path, e.message)
    };
    assert_eq!(
        error(r#"{"resourceType":"Patient","gender":"xyz"}"#),
        (
            "Patient.gender".to_owned(),
            "code `xyz` is not in the required value set http://hl7.org/fhir/ValueSet/administrative-gender".to_owned()
        )
    );
    assert_eq!(
        error(
            r#"{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","nickname":"x"}}]}"#
        ),
        (
            "Bundle.entry[0].resource.nickname".to_owned(),
            "unknown property `nickname`".to_owned()
        )
    );
    assert_eq!(
        error(
            r#"{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueString":"a","valueBoolean":true}"#
        ),
        (
            "Observation.valueBoolean".to_owned(),
            "more than one type given for value[x]".to_owned()
        )
    );
    assert_eq!(
        error(r#"{"resourceType":"Observation","code":{"text":"x"}}"#).0,
        "Observation.status"
    );
    let issues = shapes
        .read(
            br#"{"resourceType":"Patient","gender":"xyz","nickname":"x"}"#,
            true,
        )
        .unwrap();
    assert_eq!(issues.len(), 2);
}

/// `read_bundle` reads a Bundle's own elements and its entries' resources
/// only as JSON: an error in an entry's resource (which `read` stops at)
/// is not its, one in the Bundle after it is, and an entry's `response`'s
/// `outcome` (a resource too, with no line of its own) is read.
#[test]
fn read_bundle_leaves_the_entries_resources_out() {
    let shapes = shapes();
    let outcome = r#"{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"informational"}]}"#;
    let unknown_in_entry = r#",{"fullUrl":"http://example.org/fhir/Patient/q","request2":{}}"#;
    let bundle = |after: &str, outcome: &str| {
        format!(
            r#"{{"resourceType":"Bundle","type":"batch-response","entry":[{{"resource":{{"resourceType":"Patient","bogus":1}},"response":{{"status":"200","outcome":{outcome}}}}}{after}]}}"#
        )
    };
    let read_bundle = |after: &str, outcome: &str, lenient: bool| {
        shapes.read_bundle(bundle(after, outcome).as_bytes(), lenient)
    };
    let error = shapes
        .read(bundle("", outcome).as_bytes(), false)
        .unwrap_err();
    assert_eq!(error.path, "Bundle.entry[0].resource.bogus");
    assert!(read_bundle("", outcome, false).is_ok());
    let error = read_bundle(unknown_in_entry, outcome, false).unwrap_err();
    assert_eq!(error.path, "Bundle.entry[1].request2");
    let broken_outcome = r#"{"resourceType":"OperationOutcome","bogus":1}"#;
    let error = read_bundle("", broken_outcome, false).unwrap_err();
    assert_eq!(error.path, "Bundle.entry[0].response.outcome.bogus");
    // Lenient: the Bundle's own unknown property is an issue, the entry's
    // resource's is not.
    let issues = read_bundle(unknown_in_entry, outcome, true).unwrap();
    let paths: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(paths, ["Bundle.entry[1].request2"]);
}
