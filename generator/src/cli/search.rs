//! `fhirgen search`: the resources of some files that a FHIR search
//! matches (and, with `--scope`, that SMART scopes permit), one JSON line each.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use fhirgen_runtime::fhirpath::FhirJson;
use fhirgen_runtime::shape::Shapes;
use fhirgen_runtime::tree::{Json, write_string};
use fhirgen_search::{
    Authorizer, Compartment, Handling, Interaction, Matcher, Request, Scopes, Search, SearchError,
};

use super::sources::Sources;
use super::{CommandResult, input_files, print_warnings};

pub struct Options<'a> {
    pub package: &'a str,
    pub query: &'a str,
    pub scope: Option<&'a str>,
    pub patient: Option<&'a str>,
    pub lenient: bool,
    pub files: &'a [PathBuf],
}

/// Exit code for a query (or scope) that is refused.
const BAD_QUERY: u8 = 2;

pub fn search(sources: &Sources, options: &Options<'_>) -> CommandResult {
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
    let registry = fhirgen::search::registry(&set, fhirgen::search::resource_types(shapes))?;
    let handling = if options.lenient {
        Handling::Lenient
    } else {
        Handling::Strict
    };
    let search = match Search::parse(&registry, options.query, handling) {
        Ok(search) => search,
        Err(e) => return Ok(refuse(&e)),
    };
    for ignored in &search.ignored {
        eprintln!("warning: search parameter `{ignored}` is not supported here: ignored");
    }
    let matcher = Matcher::new(&registry);
    let scopes = match options.scope {
        Some(text) => match Scopes::parse(text, &matcher) {
            Ok(scopes) => Some(scopes),
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(ExitCode::from(BAD_QUERY));
            }
        },
        None => None,
    };
    let compartment = if scopes.is_some() {
        fhirgen::search::patient_compartment(&set)?
    } else {
        Compartment::default()
    };
    let authorizer = Authorizer::new(&matcher, &compartment);
    let access = scopes.as_ref().map(|s| (s, options.patient));
    // `:in` and `:not-in` look codes up in the value sets that expand.
    let value_sets = fhirgen::terminology::ValueSetCodes::new(&set);

    let files = input_files(options.files)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    for file in &files {
        let label = file.display().to_string();
        let text = match std::fs::read(file) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("error: {label}: {e}");
                failed = true;
                continue;
            }
        };
        let documents: Vec<(Option<usize>, Result<Json, String>)> =
            if file.extension().is_some_and(|e| e == "ndjson") {
                text.split(|&b| b == b'\n')
                    .enumerate()
                    .filter(|(_, l)| !l.trim_ascii().is_empty())
                    .map(|(n, l)| (Some(n + 1), Json::parse(l)))
                    .collect()
            } else {
                vec![(None, Json::parse(&text))]
            };
        for (line, document) in documents {
            let place = match line {
                Some(n) => format!("{label}:{n}"),
                None => label.clone(),
            };
            let json = match document {
                Ok(json) => json,
                Err(e) => {
                    eprintln!("error: {place}: {e}");
                    failed = true;
                    continue;
                }
            };
            let context = Context {
                shapes,
                value_sets: &value_sets,
                matcher: &matcher,
                authorizer: &authorizer,
                access,
            };
            let found = match matches(&context, &search, &json) {
                Ok(found) => found,
                Err(Failure::Query(e)) => return Ok(refuse(&e)),
                Err(Failure::Input(e)) => {
                    eprintln!("error: {place}: {e}");
                    failed = true;
                    continue;
                }
            };
            for (entry, resource) in found {
                writeln!(out, "{}", result_line(&label, line, entry, resource))?;
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

enum Failure {
    /// The search cannot be evaluated (a modifier that needs a terminology server).
    Query(SearchError),
    /// The file is not a resource the package knows.
    Input(String),
}

/// What matching a document needs.
struct Context<'c> {
    shapes: &'c Shapes,
    value_sets: &'c fhirgen::terminology::ValueSetCodes<'c>,
    matcher: &'c Matcher<'c>,
    authorizer: &'c Authorizer<'c, 'c>,
    access: Option<(&'c Scopes, Option<&'c str>)>,
}

/// The resources of a document the search matches: the root, or a Bundle's
/// entries (with their index).
fn matches<'j>(
    context: &Context<'_>,
    search: &Search,
    json: &'j Json,
) -> Result<Vec<(Option<usize>, &'j Json)>, Failure> {
    let Context {
        matcher,
        authorizer,
        access,
        ..
    } = *context;
    let model = FhirJson::within(context.shapes, json).with_terminology(context.value_sets);
    let mut candidates = vec![(None, json)];
    let is_bundle = json.get("resourceType").and_then(Json::as_str) == Some("Bundle");
    if is_bundle && search.resource_type != "Bundle" {
        candidates.clear();
        if let Some(Json::Array(entries)) = json.get("entry") {
            for (i, entry) in entries.iter().enumerate() {
                if let Some(resource) = entry.get("resource") {
                    candidates.push((Some(i), resource));
                }
            }
        }
    }
    let mut found = Vec::new();
    for (entry, resource) in candidates {
        let Some(element) = model.element(resource) else {
            let what = match resource.get("resourceType").and_then(Json::as_str) {
                Some(t) => format!("`{t}` is not a resource type of the package"),
                None => "not a resource: no resourceType".to_owned(),
            };
            return Err(Failure::Input(match entry {
                Some(i) => format!("entry[{i}]: {what}"),
                None => what,
            }));
        };
        if !matcher
            .matches(search, &model, &element)
            .map_err(Failure::Query)?
        {
            continue;
        }
        if let Some((scopes, patient)) = access {
            let request = Request {
                interaction: Interaction::SearchType,
                resource_type: &search.resource_type,
                resource: Some((&model, &element)),
            };
            if !authorizer
                .permits(scopes, patient, &request)
                .map_err(Failure::Query)?
            {
                continue;
            }
        }
        found.push((entry, resource));
    }
    Ok(found)
}

fn result_line(file: &str, line: Option<usize>, entry: Option<usize>, resource: &Json) -> String {
    let mut text = String::from("{\"file\":");
    write_string(file, &mut text);
    if let Some(line) = line {
        text.push_str(&format!(",\"line\":{line}"));
    }
    if let Some(entry) = entry {
        text.push_str(&format!(",\"entry\":{entry}"));
    }
    text.push_str(",\"resourceType\":");
    write_string(
        resource
            .get("resourceType")
            .and_then(Json::as_str)
            .unwrap_or_default(),
        &mut text,
    );
    if let Some(id) = resource.get("id").and_then(Json::as_str) {
        text.push_str(",\"id\":");
        write_string(id, &mut text);
    }
    text.push('}');
    text
}

/// A refused query: its OperationOutcome on standard error, exit code 2.
fn refuse(error: &SearchError) -> ExitCode {
    eprintln!("{}", error.operation_outcome());
    ExitCode::from(BAD_QUERY)
}
