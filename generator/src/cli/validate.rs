//! `fhirgen validate`: check resources against the profiles of a package.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use fhirgen::conformance::StructureDefinition;
use fhirgen::constraints::Note;
use fhirgen::inspect::find_profile;
use fhirgen::package::PackageSet;
use fhirgen::rules::RulesBuilder;
use fhirgen::terminology::ValueSetCodes;
use fhirgen_runtime::check::{Severity, check, check_in_bundle};
use fhirgen_runtime::invariants::{self, Invariants};
use fhirgen_runtime::shape::Shapes;
use fhirgen_runtime::tree::Json;
use jiter::JsonValue;
use serde_json::{Value, json};

use super::sources::Sources;
use super::{CommandResult, print_warnings};

pub struct Options<'a> {
    pub package: &'a str,
    pub profile: Option<&'a str>,
    pub lenient: bool,
    pub files: &'a [PathBuf],
    /// Threads that check NDJSON lines; all cores when `None`.
    pub jobs: Option<usize>,
}

#[derive(Default)]
struct Tally {
    resources: usize,
    invalid: usize,
    input_errors: usize,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.resources += other.resources;
        self.invalid += other.invalid;
        self.input_errors += other.input_errors;
    }
}

/// NDJSON lines each thread takes at a time, and held in memory per thread
/// at most (a wave): memory stays bounded by the longest lines, whatever
/// the input's length.
const LINES_PER_TAKE: usize = 16;
const LINES_PER_THREAD: usize = 256;

/// The stack of each checking thread: what the deepest input the nesting
/// limit lets through needs in an unoptimised build, with room to spare.
const THREAD_STACK: usize = 16 << 20;

/// What checking one NDJSON line gives: its output line, its error message,
/// its counts; written in input order.
#[derive(Default)]
struct Checked {
    out: Vec<u8>,
    err: String,
    tally: Tally,
}

/// One issue of the outcome.
struct Issue {
    severity: &'static str,
    code: &'static str,
    path: String,
    message: String,
}

struct Validator<'s> {
    set: &'s PackageSet,
    /// The FHIR JSON rules of the core package's types, as data.
    shapes: &'static Shapes,
    /// The constraints of the core types, and of each profile used so far
    /// (by URL as the resource names it).
    invariants: Invariants,
    /// The value sets `memberOf()` in a constraint looks codes up in.
    value_sets: ValueSetCodes<'s>,
    /// The package named on the command line.
    package: &'s str,
    builder: RulesBuilder<'s>,
    /// `--profile`: its URL and the type it constrains.
    profile: Option<(String, String)>,
    lenient: bool,
    /// The profiles whose unchecked constraints were said (threads share it:
    /// each is said once).
    noted: &'s Mutex<HashSet<String>>,
}

pub fn validate_files(sources: &Sources, options: &Options<'_>) -> CommandResult {
    let set = sources.load_set(options.package)?;
    print_warnings(set.warnings());
    let profile = match options.profile {
        Some(wanted) => {
            let found = find_profile(&set, wanted)?;
            let url = set.entry(found).url.clone().unwrap_or_default();
            let definition = set.parse::<StructureDefinition>(found)?;
            Some((url, definition.type_.clone()))
        }
        None => None,
    };
    let core = set.core_package().ok_or_else(|| {
        format!(
            "{} depends on no {}: resources are checked against R4",
            options.package,
            fhirgen::generate::CORE_PACKAGE
        )
    })?;
    let shapes = fhirgen::shapes::base_shapes(&set, &core)?;
    let (invariants, notes) = fhirgen::constraints::base_invariants(&set, &core, shapes)?;
    print_notes(&core.to_string(), &notes);
    let noted = Mutex::new(HashSet::new());
    let validator = |invariants: Invariants| Validator {
        set: &set,
        shapes,
        invariants,
        value_sets: ValueSetCodes::new(&set),
        package: options.package,
        builder: RulesBuilder::new(&set),
        profile: profile.clone(),
        lenient: options.lenient,
        noted: &noted,
    };
    let jobs = options
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let mut validators: Vec<Validator<'_>> =
        (1..jobs).map(|_| validator(invariants.clone())).collect();
    validators.insert(0, validator(invariants));
    let mut tally = Tally::default();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for file in &super::input_files(options.files)? {
        let label = file.display().to_string();
        if file.extension().is_some_and(|e| e == "ndjson") {
            match std::fs::File::open(file) {
                Ok(handle) => validate_lines(
                    &mut validators,
                    &label,
                    BufReader::new(handle),
                    &mut tally,
                    &mut out,
                )?,
                Err(e) => {
                    eprintln!("error: {label}: {e}");
                    tally.input_errors += 1;
                }
            }
        } else {
            let bytes = match std::fs::read(file) {
                Ok(bytes) => bytes,
                Err(e) => {
                    eprintln!("error: {label}: {e}");
                    tally.input_errors += 1;
                    continue;
                }
            };
            let bytes = fhirgen_runtime::strip_bom(&bytes);
            validators[0].file(&label, bytes, &mut tally, &mut out)?;
        }
    }
    eprintln!(
        "{} resources checked against {}: {} valid, {} not valid{}",
        tally.resources,
        options.package,
        tally.resources - tally.invalid,
        tally.invalid,
        if tally.input_errors > 0 {
            format!(", {} input errors", tally.input_errors)
        } else {
            String::new()
        }
    );
    Ok(if tally.input_errors > 0 {
        ExitCode::from(2)
    } else if tally.invalid > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The lines of an NDJSON file, each a resource, checked by every validator
/// (one thread each) and written in input order. Lines are read a wave at a
/// time (`LINES_PER_THREAD` per thread), so memory stays bounded.
fn validate_lines(
    validators: &mut [Validator<'_>],
    label: &str,
    mut input: impl BufRead,
    tally: &mut Tally,
    out: &mut impl Write,
) -> Result<(), Box<dyn std::error::Error>> {
    let wave_size = validators.len() * LINES_PER_THREAD;
    let mut number = 0;
    loop {
        let mut wave: Vec<(usize, Vec<u8>)> = Vec::with_capacity(wave_size);
        let mut wave_bytes = 0;
        let mut read_error = None;
        let mut too_long = None;
        let mut more = true;
        while wave.len() < wave_size && wave_bytes < WAVE_BYTES {
            number += 1;
            let mut line = Vec::new();
            match next_line(&mut input, &mut line, MAX_LINE_BYTES) {
                Ok(Line::End) => {
                    more = false;
                    break;
                }
                Ok(Line::TooLong) => {
                    // Said in its place, after the wave before it.
                    too_long = Some(Checked {
                        err: format!(
                            "error: {label} (entry {number}): a line longer than {MAX_LINE_BYTES} bytes is not read\n"
                        ),
                        tally: Tally {
                            input_errors: 1,
                            ..Tally::default()
                        },
                        ..Checked::default()
                    });
                    break;
                }
                Ok(Line::Read) if line.trim_ascii().is_empty() => {}
                Ok(Line::Read) => {
                    wave_bytes += line.len();
                    wave.push((number, line));
                }
                Err(e) => {
                    read_error = Some(format!("error: {label}: line {number}: {e}"));
                    break;
                }
            }
        }
        let checked = check_wave(validators, label, &wave);
        flush(&checked, tally, out)?;
        flush(too_long.as_slice(), tally, out)?;
        if let Some(error) = read_error {
            eprintln!("{error}");
            tally.input_errors += 1;
            return Ok(());
        }
        if !more {
            return Ok(());
        }
    }
}

/// Writes what lines gave, in order, and counts it.
fn flush(checked: &[Checked], tally: &mut Tally, out: &mut impl Write) -> std::io::Result<()> {
    for checked in checked {
        out.write_all(&checked.out)?;
        eprint!("{}", checked.err);
        tally.add(&checked.tally);
    }
    Ok(())
}

/// The longest NDJSON line read (a resource); a longer one is reported and
/// skipped, never held.
const MAX_LINE_BYTES: u64 = 256 << 20;

/// The bytes of lines a wave holds at most (it takes at least one line).
const WAVE_BYTES: usize = 64 << 20;

enum Line {
    Read,
    TooLong,
    End,
}

/// Reads the next line into `line`, without its line break; one longer than
/// `max` bytes is skipped.
fn next_line(input: &mut impl BufRead, line: &mut Vec<u8>, max: u64) -> std::io::Result<Line> {
    let mut limited = std::io::Read::take(&mut *input, max + 1);
    let read = limited.read_until(b'\n', line)?;
    if read == 0 {
        return Ok(Line::End);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        return Ok(Line::Read);
    }
    if read as u64 <= max {
        return Ok(Line::Read); // the last line, without a line break
    }
    // Too long: the rest of it is skipped, a buffer at a time.
    line.clear();
    loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            return Ok(Line::TooLong);
        }
        match buffer.iter().position(|&b| b == b'\n') {
            Some(at) => {
                input.consume(at + 1);
                return Ok(Line::TooLong);
            }
            None => {
                let all = buffer.len();
                input.consume(all);
            }
        }
    }
}

/// Checks a wave of lines on one thread per validator, each taking
/// `LINES_PER_TAKE` lines at a time; the results in the wave's order.
fn check_wave(
    validators: &mut [Validator<'_>],
    label: &str,
    wave: &[(usize, Vec<u8>)],
) -> Vec<Checked> {
    if validators.len() == 1 || wave.len() <= LINES_PER_TAKE {
        return wave
            .iter()
            .map(|(number, line)| validators[0].line(label, *number, line))
            .collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, Checked)> = std::thread::scope(|scope| {
        let workers: Vec<_> = validators
            .iter_mut()
            .map(|validator| {
                let next = &next;
                std::thread::Builder::new()
                    .stack_size(THREAD_STACK)
                    .spawn_scoped(scope, move || {
                        let mut mine = Vec::new();
                        loop {
                            let start = next.fetch_add(LINES_PER_TAKE, Ordering::Relaxed);
                            if start >= wave.len() {
                                return mine;
                            }
                            for (index, (number, line)) in
                                wave.iter().enumerate().skip(start).take(LINES_PER_TAKE)
                            {
                                mine.push((index, validator.line(label, *number, line)));
                            }
                        }
                    })
                    .expect("a thread to check lines")
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    done.sort_unstable_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, checked)| checked).collect()
}

impl Validator<'_> {
    /// One NDJSON line (line `number` of `label`): its output lines (one
    /// per resource: a Bundle's entries have theirs) or its error.
    fn line(&mut self, label: &str, number: usize, line: &[u8]) -> Checked {
        let mut checked = Checked::default();
        let bytes = fhirgen_runtime::strip_bom(line);
        let written = match Json::parse(bytes) {
            Ok(tree) => {
                let place = Place::top(label, Some(number), &tree);
                self.with_entries(
                    &place,
                    bytes,
                    (&tree.to_value(), &tree),
                    None,
                    &mut checked.tally,
                    &mut checked.out,
                )
            }
            Err(e) => Err(e.into()),
        };
        if let Err(e) = written {
            checked.err = format!("error: {label} (entry {number}): {e}\n");
            checked.tally.input_errors += 1;
        }
        checked
    }

    /// The profiles to check a resource against: those of its `meta.profile`
    /// that the package set defines (`|version` included), else `--profile`,
    /// else the base type; and those it names that the set does not define.
    fn profiles_for(&self, resource: &JsonValue<'_>) -> (Vec<String>, Vec<String>) {
        let (named, unknown): (Vec<&str>, Vec<&str>) =
            field(field(Some(resource), "meta"), "profile")
                .and_then(|p| match p {
                    JsonValue::Array(items) => Some(items.iter()),
                    _ => None,
                })
                .into_iter()
                .flatten()
                .filter_map(text)
                .partition(|p| {
                    self.set
                        .resolve(p)
                        .is_some_and(|r| self.set.entry(r).resource_type == "StructureDefinition")
                });
        let unknown = unknown.into_iter().map(str::to_owned).collect();
        if !named.is_empty() {
            return (named.into_iter().map(str::to_owned).collect(), unknown);
        }
        (self.default_profiles(resource), unknown)
    }

    /// Makes sure a profile's constraints are loaded; false for the base
    /// type's own definition (its table is the type's) and for a profile
    /// the set does not define.
    fn profile_invariants(&mut self, profile: &str) -> bool {
        if profile.starts_with("http://hl7.org/fhir/StructureDefinition/") && !profile.contains('|')
        {
            let name = &profile["http://hl7.org/fhir/StructureDefinition/".len()..];
            if self.invariants.has(name) {
                return false;
            }
        }
        if self.invariants.has(profile) {
            return true;
        }
        let Some(found) = self.set.resolve(profile) else {
            return false;
        };
        let Ok(definition) = self.set.parse::<StructureDefinition>(found) else {
            return false;
        };
        let (table, notes) = fhirgen::constraints::table_of(&definition, self.shapes);
        let first = self
            .noted
            .lock()
            .map(|mut noted| noted.insert(definition.url.clone()))
            .unwrap_or(true);
        if first {
            print_notes(&definition.url, &notes);
        }
        self.invariants.insert(profile, table);
        true
    }

    /// `--profile` for a resource of its type, else the base type.
    fn default_profiles(&self, resource: &JsonValue<'_>) -> Vec<String> {
        // `--profile` is for the resources of its type (a Bundle profile is
        // not for the Bundle's entries).
        if let Some((profile, type_)) = &self.profile
            && text_at(resource, "resourceType") == Some(type_.as_str())
        {
            return vec![profile.clone()];
        }
        text_at(resource, "resourceType")
            .map(|t| vec![format!("http://hl7.org/fhir/StructureDefinition/{t}")])
            .unwrap_or_default()
    }

    /// A file: its resource, and for a Bundle its entries' resources.
    fn file(
        &mut self,
        file: &str,
        bytes: &[u8],
        tally: &mut Tally,
        out: &mut impl Write,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let tree = match Json::parse(bytes) {
            Ok(tree) => tree,
            Err(e) => {
                eprintln!("error: {file}: {e}");
                tally.input_errors += 1;
                return Ok(());
            }
        };
        let place = Place::top(file, None, &tree);
        self.with_entries(&place, bytes, (&tree.to_value(), &tree), None, tally, out)
    }

    /// Checks a resource (an entry's of the Bundle `within`, value and
    /// tree, when it is one) and writes its line; a Bundle is checked
    /// itself (its entries' resources left to their own lines), then each
    /// entry's resource, at any depth, with the Bundle it is in as the
    /// document references resolve in.
    fn with_entries(
        &mut self,
        place: &Place<'_>,
        bytes: &[u8],
        (resource, tree): (&JsonValue<'_>, &Json),
        within: Option<(&JsonValue<'_>, &Json)>,
        tally: &mut Tally,
        out: &mut impl Write,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let is_bundle = text_at(resource, "resourceType") == Some("Bundle");
        let (bundle, root) = match within {
            _ if is_bundle => (Some(resource), tree),
            Some((bundle, root)) => (Some(bundle), root),
            None => (None, tree),
        };
        let subject = Subject {
            place,
            bytes,
            resource,
            bundle,
            is_bundle,
            root,
            tree,
        };
        self.one(subject, tally, out)?;
        if !is_bundle {
            return Ok(());
        }
        let tree_entries = match tree.get("entry") {
            Some(Json::Array(entries)) => entries.as_slice(),
            _ => &[],
        };
        let entries = match field(Some(resource), "entry") {
            Some(JsonValue::Array(entries)) => entries.as_slice(),
            _ => &[],
        };
        for (index, entry) in entries.iter().enumerate() {
            if let (Some(inner), Some(inner_tree)) = (
                field(Some(entry), "resource"),
                tree_entries.get(index).and_then(|e| e.get("resource")),
            ) {
                // The entry's resource as text, for the R4 read.
                let mut text = String::new();
                inner_tree.write(&mut text);
                self.with_entries(
                    &place.entry(index),
                    text.as_bytes(),
                    (inner, inner_tree),
                    Some((resource, tree)),
                    tally,
                    out,
                )?;
            }
        }
        Ok(())
    }

    /// Checks one resource (see [`Subject`]) and writes its line.
    fn one(
        &mut self,
        subject: Subject<'_, '_>,
        tally: &mut Tally,
        out: &mut impl Write,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let Subject {
            place,
            bytes,
            resource,
            bundle,
            is_bundle: is_bundle_itself,
            root,
            tree,
        } = subject;
        tally.resources += 1;
        let mut issues = Vec::new();
        // The FHIR R4 JSON rules, as the R4 types read them. A Bundle's
        // entries' resources are read on their own lines: not here, where
        // an error in one would end the read before the Bundle's own
        // elements after it.
        let read = if is_bundle_itself {
            self.shapes.read_bundle(bytes, self.lenient)
        } else {
            self.shapes.read(bytes, self.lenient)
        };
        match read {
            Ok(skipped) => issues.extend(skipped.into_iter().map(|e| Issue {
                severity: "warning",
                code: e.code.as_str(),
                path: e.path,
                message: e.message,
            })),
            Err(e) => issues.push(Issue {
                severity: "error",
                code: e.code.as_str(),
                path: e.path,
                message: e.message,
            }),
        }
        let (profiles, unknown) = self.profiles_for(resource);
        // A claimed profile this package set does not define is not checked,
        // and the outcome says so.
        for profile in unknown {
            issues.push(Issue {
                severity: "information",
                code: "not-supported",
                path: text_at(resource, "resourceType")
                    .unwrap_or_default()
                    .to_owned(),
                message: format!(
                    "profile {profile} (meta.profile) is not defined in {} or its dependencies: not checked",
                    self.package
                ),
            });
        }
        // The profiles' rules, by the runtime's checker (the one the
        // generated types' checks share their rules with).
        for profile in &profiles {
            match self.builder.rules_for(profile) {
                Ok(rules) => {
                    // What the base read reported already is not repeated.
                    let known: Vec<String> = issues.iter().map(|i| i.path.clone()).collect();
                    let findings = match bundle {
                        Some(bundle) => check_in_bundle(&rules, resource, bundle),
                        None => check(&rules, resource),
                    };
                    for finding in findings {
                        if known.contains(&finding.path)
                            || (is_bundle_itself && in_entry_resource(&finding.path))
                        {
                            continue;
                        }
                        let severity = match finding.severity {
                            Severity::Error if finding.lenient && self.lenient => "warning",
                            other => other.as_str(),
                        };
                        issues.push(Issue {
                            severity,
                            code: finding.code.as_str(),
                            path: finding.path,
                            message: finding.message,
                        });
                    }
                }
                Err(e) => issues.push(Issue {
                    severity: "error",
                    code: "not-supported",
                    path: text_at(resource, "resourceType")
                        .unwrap_or_default()
                        .to_owned(),
                    message: format!("profile {profile} cannot be used: {e}"),
                }),
            }
        }
        // The constraints of the type, its datatypes and its profiles.
        let tables: Vec<&str> = profiles
            .iter()
            .filter(|p| self.profile_invariants(p))
            .map(String::as_str)
            .collect();
        let reported: Vec<String> = issues.iter().map(|i| i.path.clone()).collect();
        let findings =
            self.invariants
                .check(self.shapes, root, tree, &tables, Some(&self.value_sets));
        for finding in findings {
            if reported.contains(&finding.path) {
                continue;
            }
            issues.push(Issue {
                severity: match finding.severity {
                    Some(invariants::Severity::Error) => "error",
                    Some(invariants::Severity::Warning) => "warning",
                    None => "information",
                },
                code: match finding.severity {
                    Some(_) if finding.is_constraint() => "invariant",
                    // A Bundle entry's fullUrl (bundle.html).
                    Some(_) => "invalid",
                    None => "not-supported",
                },
                path: finding.path,
                message: finding.message,
            });
        }
        let valid = !issues.iter().any(|i| i.severity == "error");
        if !valid {
            tally.invalid += 1;
        }
        let mut line = json!({"file": place.file});
        if let Some(entry) = place.entry {
            line["entry"] = json!(entry);
        }
        if let Some(path) = &place.path {
            line["path"] = json!(path);
        }
        line["resourceType"] = json!(text_at(resource, "resourceType"));
        line["id"] = json!(text_at(resource, "id"));
        line["profiles"] = json!(profiles);
        line["valid"] = json!(valid);
        line["outcome"] = outcome(&issues);
        writeln!(out, "{line}")?;
        Ok(())
    }
}

/// Constraints that cannot be checked (they do not parse, or name an
/// element their context lacks): said once, on standard error.
fn print_notes(source: &str, notes: &[Note]) {
    for note in notes {
        eprintln!(
            "warning: {source}: constraint {} on {} is not checked: {}",
            note.key, note.path, note.message
        );
    }
}

/// Where a resource `validate` checks is: its file, the entry of the
/// file's Bundle or the NDJSON line it is (or is in), and below that, for
/// a resource of a Bundle inside those, its FHIRPath.
struct Place<'a> {
    file: &'a str,
    /// The index of its entry in the file's Bundle, or its line's number.
    entry: Option<usize>,
    /// Inside the file's entry or the line: `Bundle.entry[2].resource`.
    path: Option<String>,
    /// Its FHIRPath from the file's (or line's) resource.
    from_top: String,
}

impl<'a> Place<'a> {
    /// The resource of a file (no `entry`) or of an NDJSON line.
    fn top(file: &'a str, line: Option<usize>, tree: &Json) -> Self {
        Place {
            file,
            entry: line,
            path: None,
            from_top: tree
                .get("resourceType")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned(),
        }
    }

    /// The place of the resource of this Bundle's entry `index`: a file's
    /// Bundle's entries are told by their index; deeper ones (and a line's
    /// Bundle's) by their path as well.
    fn entry(&self, index: usize) -> Place<'a> {
        let from_top = format!("{}.entry[{index}].resource", self.from_top);
        Place {
            file: self.file,
            entry: self.entry.or(Some(index)),
            path: self.entry.is_some().then(|| from_top.clone()),
            from_top,
        }
    }
}

/// One resource `validate` checks: a file's, a line's of an NDJSON file,
/// a Bundle's entry's, or a Bundle itself.
struct Subject<'a, 'j> {
    place: &'a Place<'a>,
    /// Its JSON, as the R4 types read it.
    bytes: &'a [u8],
    resource: &'a JsonValue<'j>,
    /// The Bundle it is in, or is.
    bundle: Option<&'a JsonValue<'j>>,
    /// It is a Bundle: what is inside its entries' resources is theirs to report.
    is_bundle: bool,
    /// The document (`%rootResource`'s Bundle or itself) and the resource,
    /// as the constraint checks read them.
    root: &'a Json,
    tree: &'a Json,
}

/// Whether a FHIRPath is inside an entry's resource of a Bundle
/// (`Bundle.entry[2].resource.name`, `Bundle.entry:patient.resource`).
fn in_entry_resource(path: &str) -> bool {
    path.strip_prefix("Bundle.entry")
        .and_then(|rest| rest.split_once(".resource"))
        .is_some_and(|(index, after)| {
            !index.contains('.') && (after.is_empty() || after.starts_with('.'))
        })
}

fn field<'a, 'j>(value: Option<&'a JsonValue<'j>>, key: &str) -> Option<&'a JsonValue<'j>> {
    match value? {
        JsonValue::Object(object) => object.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

fn text<'a>(value: &'a JsonValue<'_>) -> Option<&'a str> {
    match value {
        JsonValue::Str(s) => Some(s.as_ref()),
        _ => None,
    }
}

fn text_at<'a>(value: &'a JsonValue<'_>, key: &str) -> Option<&'a str> {
    field(Some(value), key).and_then(text)
}

/// An R4 OperationOutcome for the issues (one informational issue when there
/// are none: an OperationOutcome needs at least one).
fn outcome(issues: &[Issue]) -> Value {
    let mut list: Vec<Value> = issues
        .iter()
        .map(|i| {
            let mut issue = json!({
                "severity": i.severity,
                "code": i.code,
                "diagnostics": i.message,
            });
            // Input that is not a resource has no place to name (and FHIR
            // allows no empty string).
            if !i.path.is_empty() {
                issue["expression"] = json!([i.path]);
            }
            issue
        })
        .collect();
    if list.is_empty() {
        list.push(
            json!({"severity": "information", "code": "informational", "diagnostics": "no issues"}),
        );
    }
    json!({"resourceType": "OperationOutcome", "issue": list})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_over_the_limit_are_skipped_not_held() {
        let text = b"short\r\n0123456789abcdef-too-long\nok\nlast";
        let mut input = std::io::BufReader::with_capacity(4, &text[..]);
        let mut seen = Vec::new();
        loop {
            let mut line = Vec::new();
            match next_line(&mut input, &mut line, 8).unwrap() {
                Line::End => break,
                Line::TooLong => seen.push("(too long)".to_owned()),
                Line::Read => seen.push(String::from_utf8(line).unwrap()),
            }
        }
        assert_eq!(seen, ["short", "(too long)", "ok", "last"]);
    }
}
