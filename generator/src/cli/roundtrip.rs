//! `fhirgen roundtrip`: read resources into the generated types, write them
//! back, and report every one whose JSON changed.

use std::io::{BufRead, BufReader, Write};
use std::process::ExitCode;

use fhir_r4::Resource;
use fhirgen_runtime::tree::Json;
use serde_json::json;

use super::CommandResult;

/// Reads one resource into a package's types and writes it back.
type RoundTrip = fn(&[u8]) -> Result<Vec<u8>, fhirgen_runtime::Error>;

/// The packages whose types are built into this binary: the round trip, and
/// whether it goes through profile types (then each Bundle entry goes
/// through them on its own too).
fn built_in(package: &str) -> Option<(RoundTrip, bool)> {
    let base: RoundTrip = |json| Resource::from_json(json).map(|r| r.to_json());
    match package {
        "hl7.fhir.r4.core@4.0.1" => Some((base, false)),
        #[cfg(feature = "us-core")]
        "hl7.fhir.us.core@3.1.1" => Some((
            |json| us_core_3_1_1::ProfiledResource::from_json(json).map(|r| r.to_json()),
            true,
        )),
        #[cfg(feature = "us-core")]
        "hl7.fhir.us.core@6.1.0" => Some((
            |json| us_core_6_1_0::ProfiledResource::from_json(json).map(|r| r.to_json()),
            true,
        )),
        #[cfg(feature = "us-core")]
        "hl7.fhir.us.core@7.0.0" => Some((
            |json| us_core_7_0_0::ProfiledResource::from_json(json).map(|r| r.to_json()),
            true,
        )),
        _ => None,
    }
}

/// What `built_in` knows, for the error message.
const BUILT_IN: &[&str] = &[
    "hl7.fhir.r4.core@4.0.1",
    #[cfg(feature = "us-core")]
    "hl7.fhir.us.core@3.1.1",
    #[cfg(feature = "us-core")]
    "hl7.fhir.us.core@6.1.0",
    #[cfg(feature = "us-core")]
    "hl7.fhir.us.core@7.0.0",
];

struct Types {
    read: RoundTrip,
    profiles: bool,
}

#[derive(Default)]
struct Tally {
    resources: usize,
    lost: usize,
}

pub fn roundtrip(package: Option<&str>, files: &[std::path::PathBuf]) -> CommandResult {
    let package = package
        .unwrap_or("hl7.fhir.r4.core@4.0.1")
        .replace('#', "@");
    let Some((read, profiles)) = built_in(&package) else {
        eprintln!(
            "error: the types of {package} are not built into fhirgen; built in: {}",
            BUILT_IN.join(", ")
        );
        return Ok(ExitCode::from(2));
    };
    let types = Types { read, profiles };
    let mut tally = Tally::default();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let files = super::input_files(files)?;
    for file in &files {
        let label = file.display().to_string();
        if file.extension().is_some_and(|e| e == "ndjson") {
            let handle = std::fs::File::open(file).map_err(|e| format!("{label}: {e}"))?;
            for (number, line) in BufReader::new(handle).lines().enumerate() {
                let line = line.map_err(|e| format!("{label}: line {}: {e}", number + 1))?;
                if line.trim().is_empty() {
                    continue;
                }
                check(
                    &types,
                    &label,
                    Some(number + 1),
                    line.as_bytes(),
                    &mut tally,
                    &mut out,
                )?;
            }
        } else {
            let bytes = std::fs::read(file).map_err(|e| format!("{label}: {e}"))?;
            check(&types, &label, None, &bytes, &mut tally, &mut out)?;
        }
    }
    eprintln!(
        "{} resources read from {} files: {} survive the round trip, {} do not",
        tally.resources,
        files.len(),
        tally.resources - tally.lost,
        tally.lost
    );
    Ok(if tally.lost == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// What a line says of a resource: its type, id and (a Bundle's) entries'
/// resources, from the tree (which takes what the typed read takes: the
/// same nesting limit, any number).
#[derive(Default)]
struct Header<'t> {
    resource_type: Option<String>,
    id: Option<String>,
    entry: Vec<Option<&'t Json>>,
}

impl<'t> Header<'t> {
    fn of(tree: &'t Json) -> Self {
        let text = |key: &str| tree.get(key).and_then(Json::as_str).map(str::to_owned);
        let entry = match tree.get("entry") {
            Some(Json::Array(entries)) => entries.iter().map(|e| e.get("resource")).collect(),
            _ => Vec::new(),
        };
        Header {
            resource_type: text("resourceType"),
            id: text("id"),
            entry,
        }
    }
}

/// The text of a resource held in a tree.
fn text_of(resource: &Json) -> String {
    let mut text = String::new();
    resource.write(&mut text);
    text
}

/// `Bundle.entry[3].resource.name` -> 3.
fn entry_index(path: &str) -> Option<usize> {
    let rest = path.strip_prefix("Bundle.entry[")?;
    rest[..rest.find(']')?].parse().ok()
}

/// Round-trips one resource (a Bundle as a whole, so nothing of it goes
/// unchecked); prints a line when it does not survive, naming the entry where
/// the first difference lies inside one.
fn check(
    types: &Types,
    file: &str,
    entry: Option<usize>,
    bytes: &[u8],
    tally: &mut Tally,
    out: &mut impl Write,
) -> Result<(), Box<dyn std::error::Error>> {
    tally.resources += 1;
    let tree = Json::parse(bytes).ok();
    let header = tree.as_ref().map(Header::of).unwrap_or_default();
    // Profile types hold one resource each: a Bundle's entries go through
    // them one by one (the Bundle itself through the base types).
    if types.profiles && header.resource_type.as_deref() == Some("Bundle") {
        for (index, item) in header.entry.iter().enumerate() {
            if let Some(resource) = item {
                let text = text_of(resource);
                check(types, file, Some(index), text.as_bytes(), tally, out)?;
            }
        }
    }
    let resource_type = header.resource_type.clone().unwrap_or_default();
    let read = if header.resource_type.as_deref() == Some("Bundle") {
        |json: &[u8]| Resource::from_json(json).map(|r| r.to_json())
    } else {
        types.read
    };
    let (difference, error) = match read(bytes) {
        Ok(written) => match fhirgen_runtime::first_difference(bytes, &written, &resource_type) {
            Ok(None) => return Ok(()),
            Ok(Some(path)) => (Some(path), None),
            Err(e) => (None, Some(e.to_string())),
        },
        Err(e) => (
            e.path
                .is_empty()
                .then(|| resource_type.clone())
                .or(Some(e.path.clone())),
            Some(e.to_string()),
        ),
    };
    tally.lost += 1;
    let mut line = json!({"file": file});
    let mut described = (header.resource_type, header.id);
    let inner = difference.as_deref().and_then(entry_index);
    if let Some(index) = entry.or(inner) {
        line["entry"] = json!(index);
    }
    if let Some(resource) = inner.and_then(|i| *header.entry.get(i)?) {
        let entry_header = Header::of(resource);
        described = (entry_header.resource_type, entry_header.id);
    }
    line["resourceType"] = json!(described.0);
    line["id"] = json!(described.1);
    line["firstDifference"] = json!(difference);
    if let Some(error) = error {
        line["error"] = json!(error);
    }
    writeln!(out, "{line}")?;
    Ok(())
}
