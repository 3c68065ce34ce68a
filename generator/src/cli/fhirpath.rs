//! `fhirgen fhirpath`: evaluate an expression on resources, one JSON line
//! per resource (to debug invariants and search parameters).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use fhirgen_fhirpath::{CheckOptions, Environment, Expression, Item, Value, check, parse};
use fhirgen_runtime::fhirpath::{Element, FhirJson};
use fhirgen_runtime::shape::Shapes;
use fhirgen_runtime::tree::{Json, write_string};

use super::sources::Sources;
use super::{CommandResult, print_warnings};

pub struct Options<'a> {
    pub package: &'a str,
    pub expression: &'a str,
    pub files: &'a [PathBuf],
}

/// Exit code for an expression that does not parse.
const BAD_EXPRESSION: u8 = 2;

pub fn fhirpath(sources: &Sources, options: &Options<'_>) -> CommandResult {
    let expression = match parse(options.expression) {
        Ok(expression) => expression,
        Err(e) => {
            eprintln!("error: the expression does not parse: {e}");
            return Ok(ExitCode::from(BAD_EXPRESSION));
        }
    };
    let set = sources.load_set(options.package)?;
    print_warnings(set.warnings());
    let core = set.core_package().ok_or_else(|| {
        format!(
            "{} depends on no {}",
            options.package,
            fhirgen::generate::CORE_PACKAGE
        )
    })?;
    let shapes = fhirgen::shapes::base_shapes(&set, &core)?;
    let mut failed = false;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for file in options.files {
        let label = file.display().to_string();
        let text = match std::fs::read(file) {
            Ok(text) => text,
            Err(e) => {
                line(&mut out, &label, None, Err(e.to_string()))?;
                failed = true;
                continue;
            }
        };
        let documents: Vec<(Option<usize>, Result<Json, String>)> =
            if file.extension().is_some_and(|e| e == "ndjson") {
                String::from_utf8_lossy(&text)
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| !l.trim().is_empty())
                    .map(|(n, l)| (Some(n + 1), Json::parse(l.as_bytes())))
                    .collect()
            } else if file.extension().is_some_and(|e| e == "xml") {
                vec![(
                    None,
                    fhirgen_runtime::xml::xml_to_json(&String::from_utf8_lossy(&text), shapes),
                )]
            } else {
                vec![(None, Json::parse(&text))]
            };
        for (number, document) in documents {
            let result = document.and_then(|json| evaluate(shapes, &expression, &json));
            failed |= result.is_err();
            line(&mut out, &label, number, result)?;
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The result on one resource: `resourceType`, `id` and the result items as JSON.
fn evaluate(shapes: &Shapes, expression: &Expression<'_>, json: &Json) -> Result<String, String> {
    let (model, root) = FhirJson::new(shapes, json)?;
    let resource_type = json
        .get("resourceType")
        .and_then(Json::as_str)
        .unwrap_or_default();
    check(
        expression,
        shapes,
        &[resource_type],
        CheckOptions::default(),
    )
    .map_err(|e| format!("the expression does not fit a {resource_type}: {e}"))?;
    let environment = Environment::new(&model).with_resource(root.clone());
    let result = environment
        .evaluate(expression, vec![Item::Node(root)])
        .map_err(|e| format!("evaluation failed: {e}"))?;
    let mut text = String::from("\"resourceType\":");
    write_string(resource_type, &mut text);
    if let Some(id) = json.get("id").and_then(Json::as_str) {
        text.push_str(",\"id\":");
        write_string(id, &mut text);
    }
    text.push_str(",\"result\":[");
    for (i, item) in result.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        item_json(item, &mut text);
    }
    text.push(']');
    Ok(text)
}

/// An item as JSON: an element as its FHIR JSON, a System value as a JSON
/// value (a quantity as `{"value","unit"}`, dates as FHIR writes them).
fn item_json(item: &Item<Element<'_>>, out: &mut String) {
    match item {
        Item::Node(element) => match (element.json(), element.extension_part()) {
            (Some(json), _) => json.write(out),
            (None, Some(extra)) => extra.write(out),
            (None, None) => out.push_str("null"),
        },
        Item::Value(value) => match value {
            Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Integer(i) => out.push_str(&i.to_string()),
            Value::Decimal(d) => out.push_str(&d.to_string()),
            Value::Quantity(q) => {
                out.push_str("{\"value\":");
                out.push_str(&q.value.to_string());
                out.push_str(",\"unit\":");
                write_string(&q.unit, out);
                out.push('}');
            }
            other => write_string(&other.to_string(), out),
        },
        Item::Type { namespace, name } => {
            out.push_str("{\"namespace\":");
            write_string(namespace, out);
            out.push_str(",\"name\":");
            write_string(name, out);
            out.push('}');
        }
    }
}

fn line(
    out: &mut impl Write,
    file: &str,
    number: Option<usize>,
    result: Result<String, String>,
) -> std::io::Result<()> {
    let mut text = String::from("{\"file\":");
    write_string(file, &mut text);
    if let Some(number) = number {
        text.push_str(&format!(",\"line\":{number}"));
    }
    match result {
        Ok(body) => {
            text.push(',');
            text.push_str(&body);
        }
        Err(message) => {
            text.push_str(",\"error\":");
            write_string(&message, &mut text);
        }
    }
    text.push('}');
    writeln!(out, "{text}")
}
