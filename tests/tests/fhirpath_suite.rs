//! HL7's official FHIRPath test suite for R4 (`../shared/fhirpath-tests`),
//! run on its own input files (FHIR XML read through the R4 shapes, or
//! JSON) with the R4 model. Prints the pass count and every failure; fails
//! below 95%, and when a test outside the known failures (the README's
//! list) fails, so a regression cannot hide in the percentage.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use fhirgen_fhirpath::{CheckOptions, Environment, Item, Value, check, parse};
use fhirgen_runtime::fhirpath::FhirJson;
use fhirgen_runtime::shape::Shapes;
use fhirgen_runtime::tree::Json;
use quick_xml::events::Event;

/// Tests the engine fails, with the reason (also in the README).
const KNOWN_FAILURES: &[(&str, &str)] = &[
    (
        "HighBoundaryDateTimeMillisecond1",
        "the suite expects 08:00:59.999-12:00 as the latest instant of hour 08; it is 08:59:59.999-12:00",
    ),
    (
        "HighBoundaryDateTimeMillisecond3",
        "the same expression and expectation as HighBoundaryDateTimeMillisecond1",
    ),
];

struct Case {
    name: String,
    input: Option<String>,
    expression: String,
    invalid: bool,
    strict: bool,
    ordered_functions: bool,
    predicate: bool,
    outputs: Vec<(Option<String>, String)>,
}

fn suite_dir() -> PathBuf {
    common::shared_packages()
        .parent()
        .unwrap()
        .join("fhirpath-tests")
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(suite_dir().join("tests-fhir-r4.xml")).unwrap();
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut cases = Vec::new();
    let mut current: Option<Case> = None;
    let mut in_expression = false;
    let mut output_type: Option<Option<String>> = None;
    let mut buffer = String::new();
    let attribute = |e: &quick_xml::events::BytesStart<'_>, key: &str| {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == key.as_bytes())
            .map(|a| a.unescape_value().unwrap().into_owned())
    };
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => match e.name().as_ref() {
                b"test" => {
                    current = Some(Case {
                        name: attribute(&e, "name").unwrap_or_default(),
                        input: attribute(&e, "inputfile"),
                        expression: String::new(),
                        invalid: false,
                        strict: attribute(&e, "mode").as_deref() == Some("strict"),
                        ordered_functions: attribute(&e, "checkOrderedFunctions").as_deref()
                            == Some("true"),
                        predicate: attribute(&e, "predicate").as_deref() == Some("true"),
                        outputs: Vec::new(),
                    })
                }
                b"expression" => {
                    in_expression = true;
                    buffer.clear();
                    if let Some(case) = current.as_mut() {
                        case.invalid = attribute(&e, "invalid").is_some();
                        case.strict |= attribute(&e, "mode").as_deref() == Some("strict");
                    }
                }
                b"output" => {
                    output_type = Some(attribute(&e, "type"));
                    buffer.clear();
                }
                _ => {}
            },
            Event::Text(t) => buffer.push_str(&t.decode().unwrap()),
            Event::GeneralRef(r) => {
                let name = r.decode().unwrap();
                buffer.push_str(match &*name {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("entity {other}"),
                });
            }
            Event::End(e) => match e.name().as_ref() {
                b"expression" if in_expression => {
                    in_expression = false;
                    if let Some(case) = current.as_mut() {
                        case.expression = buffer.clone();
                    }
                }
                b"output" => {
                    if let (Some(case), Some(ty)) = (current.as_mut(), output_type.take()) {
                        case.outputs.push((ty, buffer.clone()));
                    }
                }
                b"test" => cases.extend(current.take()),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    cases
}

/// How the suite writes a value: `@` before dates and times, a quantity
/// as `1 'mg'`; with the type name it gives.
fn show(
    model: &FhirJson<'_>,
    item: &Item<fhirgen_runtime::fhirpath::Element<'_>>,
) -> (String, String) {
    use fhirgen_fhirpath::Model;
    let value_text = |v: &Value| match v {
        Value::Date(_) | Value::DateTime(_) | Value::Time(_) => {
            let text = v.to_string();
            if matches!(v, Value::Time(_)) {
                format!("@T{text}")
            } else {
                format!("@{text}")
            }
        }
        other => other.to_string(),
    };
    match item {
        Item::Value(v) => {
            let ty = match v {
                Value::Quantity(_) => "Quantity".to_owned(),
                other => {
                    let name = other.type_name();
                    name[..1].to_lowercase() + &name[1..]
                }
            };
            (ty, value_text(v))
        }
        Item::Node(node) => (
            model.type_name(node).to_owned(),
            model
                .value(node)
                .map(|v| value_text(&v))
                .unwrap_or_default(),
        ),
        Item::Type { namespace, name } => ("TypeInfo".to_owned(), format!("{namespace}.{name}")),
    }
}

fn run(case: &Case, shapes: &Shapes, inputs: &BTreeMap<String, Json>) -> Result<(), String> {
    let expression = match parse(&case.expression) {
        Ok(e) => e,
        Err(_) if case.invalid => return Ok(()),
        Err(e) => return Err(format!("does not parse: {e}")),
    };
    let empty = Json::Object(vec![(
        "resourceType".into(),
        Json::String("Parameters".into()),
    )]);
    let json = match &case.input {
        Some(file) => &inputs[file],
        None => &empty,
    };
    let (model, root) = FhirJson::new(shapes, json).map_err(|e| format!("input: {e}"))?;
    // The checker first, as a generator runs it: every test that must
    // evaluate must also pass it.
    let context = json
        .get("resourceType")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let options = CheckOptions {
        ordered_functions: case.ordered_functions,
    };
    match check(&expression, shapes, &[context], options) {
        Ok(()) => {}
        Err(_) if case.invalid => return Ok(()),
        Err(e) => return Err(format!("the checker rejects it: {e}")),
    }
    let environment = Environment::new(&model).with_resource(root.clone());
    // Strict (the engine's default) for every test: the R4 model is known.
    let _ = case.strict;
    let input = if case.input.is_some() {
        vec![Item::Node(root)]
    } else {
        Vec::new()
    };
    let result = match environment.evaluate(&expression, input) {
        Ok(result) => result,
        Err(_) if case.invalid => return Ok(()),
        Err(e) => return Err(format!("error: {e}")),
    };
    if case.invalid {
        return Err("evaluates, but the suite expects an error".to_owned());
    }
    let got: Vec<(String, String)> = if case.predicate {
        vec![("boolean".to_owned(), (!result.is_empty()).to_string())]
    } else {
        result.iter().map(|item| show(&model, item)).collect()
    };
    let matches = got.len() == case.outputs.len()
        && got
            .iter()
            .zip(&case.outputs)
            .all(|((ty, value), (want_ty, want))| {
                value == want && want_ty.as_ref().is_none_or(|t| t == ty)
            });
    if matches {
        Ok(())
    } else {
        Err(format!("got {got:?}, expected {:?}", case.outputs))
    }
}

#[test]
fn official_fhirpath_suite() {
    let set = common::load("hl7.fhir.r4.core@4.0.1");
    let shapes =
        fhirgen::shapes::base_shapes(&set, &"hl7.fhir.r4.core@4.0.1".parse().unwrap()).unwrap();
    let cases = cases();
    // The README counts 937 `<test` elements; two of them are inside XML comments.
    assert_eq!(cases.len(), 935);
    let mut inputs = BTreeMap::new();
    for case in &cases {
        if let Some(file) = &case.input
            && !inputs.contains_key(file)
        {
            let path = suite_dir().join(file);
            let text = std::fs::read_to_string(&path).unwrap();
            let json = if file.ends_with(".xml") {
                fhirgen_runtime::xml::xml_to_json(&text, shapes)
            } else {
                Json::parse(text.as_bytes())
            }
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            inputs.insert(file.clone(), json);
        }
    }
    let mut passed = 0;
    let mut unexpected = Vec::new();
    for case in &cases {
        match run(case, shapes, &inputs) {
            Ok(()) => passed += 1,
            Err(reason) => {
                let known = KNOWN_FAILURES.iter().any(|(name, _)| *name == case.name);
                println!(
                    "FAIL {}{}: `{}`: {reason}",
                    case.name,
                    if known { " (known)" } else { "" },
                    case.expression.trim()
                );
                if !known {
                    unexpected.push(case.name.clone());
                }
            }
        }
    }
    println!(
        "FHIRPath suite (R4): {passed} of {} tests passed",
        cases.len()
    );
    assert!(
        passed * 100 >= cases.len() * 95,
        "below 95%: {passed} of {}",
        cases.len()
    );
    assert!(
        unexpected.is_empty(),
        "failures not in KNOWN_FAILURES: {unexpected:?}"
    );
}
