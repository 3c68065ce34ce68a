//! What profile types need beyond the base types: non-empty lists, values a
//! profile fixes, and slices (items of one JSON array routed to named fields
//! by their discriminators, written back in the order they were read).

use std::ops::Deref;
use std::sync::OnceLock;

use jiter::JsonValue;

use crate::error::{Error, IssueCode, Problem};
use crate::json::{ReadSlot, Reader, WriteSlot, Writer};
use crate::object::{Empty, Object, ResourceType};
use crate::primitive::{Kind, Primitive, PrimitiveValue};
use crate::typed::Elements;

/// A list with at least one item: the Rust shape of a `1..*` element.
#[derive(Debug, Clone, PartialEq)]
pub struct NonEmpty<T>(Vec<T>);

impl<T> NonEmpty<T> {
    pub fn new(first: T) -> Self {
        Self(vec![first])
    }

    /// `None` for an empty vector.
    pub fn from_vec(items: Vec<T>) -> Option<Self> {
        (!items.is_empty()).then_some(Self(items))
    }

    pub fn first(&self) -> &T {
        &self.0[0]
    }

    pub fn push(&mut self, item: T) {
        self.0.push(item);
    }

    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.0.iter_mut()
    }

    pub fn into_vec(self) -> Vec<T> {
        self.0
    }

    /// The vector inside, for reading into; parsing checks the item count
    /// once the element is read.
    pub(crate) fn as_vec_mut(&mut self) -> &mut Vec<T> {
        &mut self.0
    }
}

impl<T> Deref for NonEmpty<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> From<NonEmpty<T>> for Vec<T> {
    fn from(items: NonEmpty<T>) -> Self {
        items.0
    }
}

impl<'a, T> IntoIterator for &'a NonEmpty<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T> IntoIterator for NonEmpty<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Placeholder while parsing; a required element left empty is a parse error.
impl<T> Empty for NonEmpty<T> {
    fn empty() -> Self {
        Self(Vec::new())
    }
}

impl<T: Object + Empty> ReadSlot for NonEmpty<T> {
    fn read_objects(&mut self, r: &mut Reader<'_>) -> Result<(), Error> {
        self.0.read_objects(r)
    }
}

impl<V: PrimitiveValue, X: Object + Empty> ReadSlot for NonEmpty<Primitive<V, X>> {
    fn read_values(&mut self, r: &mut Reader<'_>, kind: Kind) -> Result<(), Error> {
        self.0.read_values(r, kind)
    }
    fn read_elements(&mut self, r: &mut Reader<'_>) -> Result<(), Error> {
        self.0.read_elements(r)
    }
}

impl<T: Object> WriteSlot for NonEmpty<T> {
    fn write_objects(&self, name: &str, w: &mut Writer) {
        self.0.write_objects(name, w)
    }

    fn object_nodes<'a>(&'a self, name: &'static str, e: &mut Elements<'a, '_>) {
        self.0.object_nodes(name, e)
    }
}

impl<V: PrimitiveValue, X: Object> WriteSlot for NonEmpty<Primitive<V, X>> {
    fn write_primitives(&self, name: &str, w: &mut Writer) {
        self.0.write_primitives(name, w)
    }

    fn primitive_nodes<'a>(&'a self, name: &'static str, kind: Kind, e: &mut Elements<'a, '_>) {
        self.0.primitive_nodes(name, kind, e)
    }
}

/// A JSON value a profile fixes (`fixed[x]`: equal) or requires
/// (`pattern[x]`: contains), kept as its JSON text and parsed once.
pub struct Pattern {
    text: &'static str,
    exact: bool,
    value: OnceLock<JsonValue<'static>>,
}

impl Pattern {
    /// A `fixed[x]` value: the element must equal it.
    pub const fn fixed(text: &'static str) -> Self {
        Self {
            text,
            exact: true,
            value: OnceLock::new(),
        }
    }

    /// A `pattern[x]` value: the element must contain it.
    pub const fn containing(text: &'static str) -> Self {
        Self {
            text,
            exact: false,
            value: OnceLock::new(),
        }
    }

    /// The JSON text.
    pub fn text(&self) -> &'static str {
        self.text
    }

    /// The parsed value (generated code gives valid JSON; anything else
    /// is `null` and matches nothing but `null`).
    pub fn value(&self) -> &JsonValue<'static> {
        self.value.get_or_init(|| {
            JsonValue::parse(self.text.as_bytes(), false).unwrap_or(JsonValue::Null)
        })
    }

    /// Whether `actual` satisfies this fixed value or pattern.
    pub fn matches(&self, actual: &JsonValue<'_>) -> bool {
        if self.exact {
            equal(actual, self.value())
        } else {
            contains(actual, self.value())
        }
    }

    /// [`Self::matches`] on the value ahead in `probe`, which it consumes.
    fn matches_ahead(&self, probe: &mut jiter::Jiter<'_>) -> Result<bool, jiter::JiterError> {
        matches_ahead(probe, self.value(), self.exact)
    }

    fn describe(&self) -> String {
        pattern_message(self.text, self.exact)
    }
}

/// The message of a value that is not the fixed value (`exact`) or does not
/// contain the pattern whose JSON is `text`.
pub(crate) fn pattern_message(text: &str, exact: bool) -> String {
    if exact {
        format!("must be {text} (fixed by the profile)")
    } else {
        format!("must contain {text} (the profile's pattern)")
    }
}

/// The next value, or of an object only the properties `keys` (parsing
/// stops once they are found; the reader reads the whole value after).
fn partial<'j>(
    mut jiter: jiter::Jiter<'j>,
    keys: &[&'static str],
) -> Result<JsonValue<'j>, jiter::JiterError> {
    if jiter.peek()? != jiter::Peek::Object {
        return jiter.next_value();
    }
    let mut found = Vec::new();
    let position = |name: &str| keys.iter().position(|k| *k == name);
    let mut next = jiter.known_object()?.map(position);
    while let Some(wanted) = next {
        match wanted {
            Some(index) => {
                let value = jiter.next_value()?;
                found.push((std::borrow::Cow::Borrowed(keys[index]), value));
                if found.len() == keys.len() {
                    break;
                }
            }
            None => jiter.next_skip()?,
        }
        next = jiter.next_key()?.map(position);
    }
    Ok(JsonValue::Object(std::sync::Arc::new(found)))
}

/// The property `key` of a JSON object.
pub(crate) fn get<'a, 'j>(value: &'a JsonValue<'j>, key: &str) -> Option<&'a JsonValue<'j>> {
    match value {
        JsonValue::Object(object) => object.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

fn number(value: &JsonValue<'_>) -> Option<f64> {
    match value {
        JsonValue::Int(i) => Some(*i as f64),
        JsonValue::Float(f) => Some(*f),
        _ => None,
    }
}

/// JSON equality: objects whatever their key order, numbers by value.
pub(crate) fn equal(a: &JsonValue<'_>, b: &JsonValue<'_>) -> bool {
    match (a, b) {
        (JsonValue::Object(a), JsonValue::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, x)| b.iter().any(|(k, y)| k == key && equal(x, y)))
        }
        (JsonValue::Array(a), JsonValue::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| equal(x, y))
        }
        (JsonValue::Str(a), JsonValue::Str(b)) => a == b,
        (JsonValue::Bool(a), JsonValue::Bool(b)) => a == b,
        (JsonValue::Null, JsonValue::Null) => true,
        (a, b) => number(a).is_some_and(|x| number(b) == Some(x)),
    }
}

/// [`equal`] (`exact`) or [`contains`] of the value ahead in `probe` and
/// `pattern`, read as it streams by: nothing is built. Consumes the value.
fn matches_ahead(
    probe: &mut jiter::Jiter<'_>,
    pattern: &JsonValue<'_>,
    exact: bool,
) -> Result<bool, jiter::JiterError> {
    use jiter::Peek;
    let peek = probe.peek()?;
    match (pattern, peek) {
        (JsonValue::Object(fields), Peek::Object) => {
            let (mut ok, mut matched) = (true, 0);
            let position = |k: &str| fields.iter().position(|(name, _)| name == k);
            let mut next = probe.known_object()?.map(position);
            while let Some(field) = next {
                match field {
                    Some(index) if ok => {
                        ok = matches_ahead(probe, &fields[index].1, exact)?;
                        matched += 1;
                    }
                    other => {
                        ok &= other.is_some() || !exact;
                        probe.next_skip()?;
                    }
                }
                next = probe.next_key()?.map(position);
            }
            Ok(ok && matched == fields.len())
        }
        (JsonValue::Array(items), Peek::Array) if exact => {
            let (mut ok, mut index) = (true, 0);
            let mut more = probe.known_array()?.is_some();
            while more {
                match items.get(index) {
                    Some(item) if ok => ok = matches_ahead(probe, item, true)?,
                    _ => {
                        ok = false;
                        probe.next_skip()?;
                    }
                }
                index += 1;
                more = probe.array_step()?.is_some();
            }
            Ok(ok && index == items.len())
        }
        (JsonValue::Array(items), Peek::Array) => {
            // Each pattern item must match some item: each item is tried
            // against the pattern items not matched yet, then skipped.
            let mut found = vec![false; items.len()];
            let mut more = probe.known_array()?.is_some();
            while more {
                // The last pattern item tried consumes the item (a copy of
                // the parser is tried on the others): most patterns have one
                // item, and each item is then scanned once.
                let mut left = found.iter().filter(|done| !**done).count();
                let mut consumed = false;
                for (item, done) in items.iter().zip(found.iter_mut()) {
                    if *done {
                        continue;
                    }
                    left -= 1;
                    if left == 0 {
                        *done = matches_ahead(probe, item, false)?;
                        consumed = true;
                    } else {
                        *done = matches_ahead(&mut probe.clone(), item, false)?;
                    }
                }
                if !consumed {
                    probe.next_skip()?;
                }
                more = probe.array_step()?.is_some();
            }
            Ok(found.into_iter().all(|done| done))
        }
        (JsonValue::Str(text), Peek::String) => Ok(probe.known_str()? == text.as_ref()),
        (JsonValue::Bool(value), Peek::True | Peek::False) => Ok(probe.known_bool(peek)? == *value),
        (JsonValue::Null, Peek::Null) => probe.known_null().map(|()| true),
        (JsonValue::Int(_) | JsonValue::Float(_), peek) if peek.is_num() => {
            Ok(Some(probe.known_float(peek)?) == number(pattern))
        }
        _ => probe.known_skip(peek).map(|()| false),
    }
}

/// [`has_code`] on the value ahead in `probe` (a code, Coding or
/// CodeableConcept), which it consumes; at most 64 codes.
fn has_code_ahead(
    probe: &mut jiter::Jiter<'_>,
    codes: &[(&str, &str)],
) -> Result<bool, jiter::JiterError> {
    use jiter::Peek;
    // Which of `codes` the code, and the system, are equal to.
    let hits = |text: &str, of_system: bool| {
        codes
            .iter()
            .enumerate()
            .filter(|(_, (system, code))| text == if of_system { *system } else { *code })
            .fold(0u64, |bits, (i, _)| bits | 1 << i)
    };
    match probe.peek()? {
        Peek::String => {
            let code = probe.known_str()?;
            Ok(hits(code, false) != 0)
        }
        Peek::Object => {
            let (mut code, mut system, mut has_system) = (0u64, 0u64, false);
            let mut in_coding: Option<bool> = None;
            let mut name = probe_key_kind(probe, true)?;
            while let Some(kind) = name {
                match (kind, probe.peek()?) {
                    (KeyKind::Code, Peek::String) => code = hits(probe.known_str()?, false),
                    (KeyKind::System, Peek::String) => {
                        has_system = true;
                        system = hits(probe.known_str()?, true);
                    }
                    (KeyKind::Coding, Peek::Array) => {
                        let mut found = false;
                        let mut more = probe.known_array()?.is_some();
                        while more {
                            found |= has_code_ahead(probe, codes)?;
                            more = probe.array_step()?.is_some();
                        }
                        in_coding = Some(found);
                    }
                    (_, peek) => probe.known_skip(peek)?,
                }
                name = probe_key_kind(probe, false)?;
            }
            Ok(in_coding.unwrap_or(code & if has_system { system } else { u64::MAX } != 0))
        }
        peek => probe.known_skip(peek).map(|()| false),
    }
}

/// The properties [`has_code_ahead`] looks at.
#[derive(Clone, Copy)]
enum KeyKind {
    Code,
    System,
    Coding,
    Other,
}

fn probe_key_kind(
    probe: &mut jiter::Jiter<'_>,
    first: bool,
) -> Result<Option<KeyKind>, jiter::JiterError> {
    let key = if first {
        probe.known_object()?
    } else {
        probe.next_key()?
    };
    Ok(key.map(|k| match k {
        "code" => KeyKind::Code,
        "system" => KeyKind::System,
        "coding" => KeyKind::Coding,
        _ => KeyKind::Other,
    }))
}

/// FHIR pattern matching: every property of `pattern` is in `actual`, and
/// every item of a pattern array matches some item of the actual array.
pub(crate) fn contains(actual: &JsonValue<'_>, pattern: &JsonValue<'_>) -> bool {
    match (actual, pattern) {
        (JsonValue::Object(_), JsonValue::Object(pattern)) => pattern
            .iter()
            .all(|(key, p)| get(actual, key).is_some_and(|a| contains(a, p))),
        (JsonValue::Array(actual), JsonValue::Array(pattern)) => pattern
            .iter()
            .all(|p| actual.iter().any(|a| contains(a, p))),
        (actual, pattern) => equal(actual, pattern),
    }
}

/// Whether some value at the dotted `path` below `item` (`coding.code`,
/// arrays flattened) passes `test`; `$this` is the item.
pub(crate) fn any_at(
    item: &JsonValue<'_>,
    path: &str,
    test: &dyn Fn(&JsonValue<'_>) -> bool,
) -> bool {
    if path == "$this" || path.is_empty() {
        return test(item);
    }
    if !crate::path::is_plain(path) {
        // Functions (`extension('url')`, `ofType(T)`): no reference is
        // resolved here, so a path through `resolve()` finds nothing.
        let Ok(steps) = crate::path::parse(path) else {
            return false;
        };
        let start = crate::path::Node::new(item, None);
        return crate::path::select(start, &steps, &|_| None)
            .is_ok_and(|nodes| nodes.iter().any(|n| test(n.value)));
    }
    let (first, rest) = path.split_once('.').unwrap_or((path, ""));
    match get(item, first) {
        Some(JsonValue::Array(items)) => items.iter().any(|v| any_at(v, rest, test)),
        Some(found) => any_at(found, rest, test),
        None => false,
    }
}

/// The `url` of the object ahead, when it is a string (extensions).
fn url_of<'p>(probe: &'p mut jiter::Jiter<'_>) -> Option<&'p str> {
    if probe.peek().ok()? != jiter::Peek::Object {
        return None;
    }
    let mut is_url = probe.known_object().ok()?.map(|k| k == "url");
    while let Some(url) = is_url {
        if url {
            return probe.next_str().ok();
        }
        probe.next_skip().ok()?;
        is_url = probe.next_key().ok()?.map(|k| k == "url");
    }
    None
}

/// Why a literal reference to a resource type the profile does not allow is
/// wrong; `None` when it names an allowed type or no type can be told.
pub(crate) fn reference_problem<T: AsRef<str>>(reference: &str, targets: &[T]) -> Option<String> {
    let target = reference_segment(reference)?;
    if targets.iter().any(|t| t.as_ref() == target) {
        return None;
    }
    // Only a resource type names one: in `https://example.org/clinic/EndPoint/1`
    // no type can be told (not checkable, so not an error). Looked up only
    // here, off the path of a reference to an allowed type.
    R4_RESOURCE_TYPES.binary_search(&target).ok()?;
    let allowed: Vec<&str> = targets.iter().map(AsRef::as_ref).collect();
    Some(wrong_target(reference, target, &allowed))
}

fn wrong_target(reference: &str, target: &str, targets: &[&str]) -> String {
    format!(
        "`{reference}` refers to a {target}; the profile allows {}",
        targets.join(", ")
    )
}

/// The base `Reference` type: its literal reference, if it has one. The
/// generated R4 crate implements it.
pub trait LiteralReference {
    fn literal_reference(&self) -> Option<&str>;
}

/// A field of references: one, an optional one, or a list.
pub trait ReferenceSlot {
    /// Calls `found` with each literal reference and its index in a list
    /// (`None` for a field that holds one).
    fn each_reference(&self, found: &mut dyn FnMut(Option<usize>, &str));
}

impl<T: LiteralReference> ReferenceSlot for T {
    fn each_reference(&self, found: &mut dyn FnMut(Option<usize>, &str)) {
        if let Some(reference) = self.literal_reference() {
            found(None, reference);
        }
    }
}

impl<T: LiteralReference> ReferenceSlot for Option<T> {
    fn each_reference(&self, found: &mut dyn FnMut(Option<usize>, &str)) {
        if let Some(reference) = self.as_ref().and_then(T::literal_reference) {
            found(None, reference);
        }
    }
}

impl<T: LiteralReference> ReferenceSlot for Vec<T> {
    fn each_reference(&self, found: &mut dyn FnMut(Option<usize>, &str)) {
        for (index, item) in self.iter().enumerate() {
            if let Some(reference) = item.literal_reference() {
                found(Some(index), reference);
            }
        }
    }
}

impl<T: LiteralReference> ReferenceSlot for NonEmpty<T> {
    fn each_reference(&self, found: &mut dyn FnMut(Option<usize>, &str)) {
        self.0.each_reference(found);
    }
}

/// The resource type a literal reference names: `Patient/1`,
/// `Patient/1/_history/2`, `https://example.org/fhir/Patient/1`. `None` for
/// contained (`#p1`) and URN references, for what is not of that form, and
/// for a segment that is no R4 resource type.
#[cfg(test)]
fn reference_type(reference: &str) -> Option<&str> {
    reference_segment(reference).filter(|t| R4_RESOURCE_TYPES.binary_search(t).is_ok())
}

/// The segment of a literal reference where its resource type stands (see
/// [`reference_type`]), if it looks like a type name.
fn reference_segment(reference: &str) -> Option<&str> {
    if reference.starts_with('#') || reference.starts_with("urn:") {
        return None;
    }
    // The segment before the id, the id being the last segment before any
    // `_history/version`. This runs for every reference read: segments are
    // split on the byte `/`, nothing is allocated.
    let segments = reference.as_bytes().rsplit(|&b| b == b'/');
    let from_end = segments
        .clone()
        .position(|s| s == b"_history")
        .map_or(1, |history| history + 2);
    let candidate = segments.clone().nth(from_end)?;
    let is_type = candidate.first().is_some_and(u8::is_ascii_uppercase)
        && candidate.iter().all(u8::is_ascii_alphanumeric);
    // Between two `/` (or an end): char boundaries of `reference`.
    let start = candidate.as_ptr() as usize - reference.as_ptr() as usize;
    is_type.then(|| &reference[start..start + candidate.len()])
}

/// The resource types of FHIR R4 (4.0.1), sorted: a literal reference names
/// one of them or no type. A test checks it against the resource types the
/// generator finds in `hl7.fhir.r4.core` (tests/tests/real_packages.rs).
pub const R4_RESOURCE_TYPES: &[&str] = &[
    "Account",
    "ActivityDefinition",
    "AdverseEvent",
    "AllergyIntolerance",
    "Appointment",
    "AppointmentResponse",
    "AuditEvent",
    "Basic",
    "Binary",
    "BiologicallyDerivedProduct",
    "BodyStructure",
    "Bundle",
    "CapabilityStatement",
    "CarePlan",
    "CareTeam",
    "CatalogEntry",
    "ChargeItem",
    "ChargeItemDefinition",
    "Claim",
    "ClaimResponse",
    "ClinicalImpression",
    "CodeSystem",
    "Communication",
    "CommunicationRequest",
    "CompartmentDefinition",
    "Composition",
    "ConceptMap",
    "Condition",
    "Consent",
    "Contract",
    "Coverage",
    "CoverageEligibilityRequest",
    "CoverageEligibilityResponse",
    "DetectedIssue",
    "Device",
    "DeviceDefinition",
    "DeviceMetric",
    "DeviceRequest",
    "DeviceUseStatement",
    "DiagnosticReport",
    "DocumentManifest",
    "DocumentReference",
    "EffectEvidenceSynthesis",
    "Encounter",
    "Endpoint",
    "EnrollmentRequest",
    "EnrollmentResponse",
    "EpisodeOfCare",
    "EventDefinition",
    "Evidence",
    "EvidenceVariable",
    "ExampleScenario",
    "ExplanationOfBenefit",
    "FamilyMemberHistory",
    "Flag",
    "Goal",
    "GraphDefinition",
    "Group",
    "GuidanceResponse",
    "HealthcareService",
    "ImagingStudy",
    "Immunization",
    "ImmunizationEvaluation",
    "ImmunizationRecommendation",
    "ImplementationGuide",
    "InsurancePlan",
    "Invoice",
    "Library",
    "Linkage",
    "List",
    "Location",
    "Measure",
    "MeasureReport",
    "Media",
    "Medication",
    "MedicationAdministration",
    "MedicationDispense",
    "MedicationKnowledge",
    "MedicationRequest",
    "MedicationStatement",
    "MedicinalProduct",
    "MedicinalProductAuthorization",
    "MedicinalProductContraindication",
    "MedicinalProductIndication",
    "MedicinalProductIngredient",
    "MedicinalProductInteraction",
    "MedicinalProductManufactured",
    "MedicinalProductPackaged",
    "MedicinalProductPharmaceutical",
    "MedicinalProductUndesirableEffect",
    "MessageDefinition",
    "MessageHeader",
    "MolecularSequence",
    "NamingSystem",
    "NutritionOrder",
    "Observation",
    "ObservationDefinition",
    "OperationDefinition",
    "OperationOutcome",
    "Organization",
    "OrganizationAffiliation",
    "Parameters",
    "Patient",
    "PaymentNotice",
    "PaymentReconciliation",
    "Person",
    "PlanDefinition",
    "Practitioner",
    "PractitionerRole",
    "Procedure",
    "Provenance",
    "Questionnaire",
    "QuestionnaireResponse",
    "RelatedPerson",
    "RequestGroup",
    "ResearchDefinition",
    "ResearchElementDefinition",
    "ResearchStudy",
    "ResearchSubject",
    "RiskAssessment",
    "RiskEvidenceSynthesis",
    "Schedule",
    "SearchParameter",
    "ServiceRequest",
    "Slot",
    "Specimen",
    "SpecimenDefinition",
    "StructureDefinition",
    "StructureMap",
    "Subscription",
    "Substance",
    "SubstanceNucleicAcid",
    "SubstancePolymer",
    "SubstanceProtein",
    "SubstanceReferenceInformation",
    "SubstanceSourceMaterial",
    "SubstanceSpecification",
    "SupplyDelivery",
    "SupplyRequest",
    "Task",
    "TerminologyCapabilities",
    "TestReport",
    "TestScript",
    "ValueSet",
    "VerificationResult",
    "VisionPrescription",
];

/// The message of a Coding or CodeableConcept with no code of a required
/// binding's value set.
pub(crate) fn no_code_message(value_set: &str) -> String {
    format!("has no code from the required value set {value_set}")
}

/// The message of a code outside a required binding's value set.
pub(crate) fn code_not_in_message(code: &str, value_set: &str) -> String {
    format!("code `{code}` is not in the required value set {value_set}")
}

/// What one discriminator of a slice asks of an item.
pub enum Test {
    /// The value at the path equals (`fixed`) or contains (`pattern`) this.
    Value(&'static Pattern),
    /// Something is (or is not) at the path.
    Exists(bool),
    /// A code at the path is one of these `(system, code)` pairs: a slice
    /// defined by a required binding.
    Codes(&'static [(&'static str, &'static str)]),
    /// The value at the path has one of these types (a resource's
    /// `resourceType`, a choice's type).
    Type(&'static [&'static str]),
    /// The value at the path meets the rules of one of these profiles, whose
    /// tables the function finds (a generated crate's `rules::rules_for`).
    Profile(
        fn(&str) -> Option<std::sync::Arc<crate::check::ProfileRules>>,
        &'static [&'static str],
    ),
}

/// One discriminator: where to look in the item, and what must be there.
pub struct Matcher {
    pub path: &'static str,
    pub test: Test,
}

impl Matcher {
    fn matches(&self, item: &JsonValue<'_>) -> bool {
        match &self.test {
            Test::Value(pattern) => any_at(item, self.path, &|v| pattern.matches(v)),
            Test::Exists(present) => any_at(item, self.path, &|_| true) == *present,
            Test::Codes(codes) => any_at(item, self.path, &|v| has_code(v, codes)),
            Test::Type(types) => nodes_at(item, self.path).iter().any(|n| {
                n.type_code
                    .is_some_and(|t| types.iter().any(|c| c.eq_ignore_ascii_case(t)))
            }),
            Test::Profile(rules_for, urls) => {
                let tables: Vec<_> = urls.iter().filter_map(|url| rules_for(url)).collect();
                nodes_at(item, self.path).iter().any(|n| {
                    tables
                        .iter()
                        .any(|rules| crate::check::conforms(rules, n.value))
                })
            }
        }
    }
}

/// The values at a discriminator path below `item`, with their types (no
/// reference is resolved).
fn nodes_at<'a, 'j>(item: &'a JsonValue<'j>, path: &str) -> Vec<crate::path::Node<'a, 'j>> {
    let Ok(steps) = crate::path::parse(path) else {
        return Vec::new();
    };
    crate::path::select(crate::path::Node::new(item, None), &steps, &|_| None).unwrap_or_default()
}

/// A canonical reference without its `|version`: the profile a
/// `meta.profile` claim names, the value set a binding names. Every place
/// that asks "is this claim one of these profiles" (the generated crates'
/// choice of type and rule table, the constraints of a Bundle entry's
/// claims, `fhirgen`'s own lookups) drops the version here, so they agree.
pub fn canonical_url(canonical: &str) -> &str {
    canonical.split_once('|').map_or(canonical, |(url, _)| url)
}

/// Whether a Coding with this `system` and `code` is one of `codes`
/// (`(system, code)` pairs): the code matches, and the system when the
/// Coding has one. What membership in a required binding's value set means,
/// for the checks on JSON and for the code enums' `in_codeable_concept`.
pub fn coding_in<S: AsRef<str>>(
    codes: &[(S, S)],
    system: Option<&str>,
    code: Option<&str>,
) -> bool {
    codes
        .iter()
        .any(|(s, c)| code == Some(c.as_ref()) && system.is_none_or(|system| system == s.as_ref()))
}

/// Whether a code, Coding or CodeableConcept carries one of `codes`.
pub(crate) fn has_code<S: AsRef<str>>(value: &JsonValue<'_>, codes: &[(S, S)]) -> bool {
    fn text<'v>(v: Option<&'v JsonValue<'_>>) -> Option<&'v str> {
        match v {
            Some(JsonValue::Str(s)) => Some(s.as_ref()),
            _ => None,
        }
    }
    let coding_in = |coding: &JsonValue<'_>| {
        coding_in(
            codes,
            text(get(coding, "system")),
            text(get(coding, "code")),
        )
    };
    match value {
        JsonValue::Str(code) => codes.iter().any(|(_, c)| c.as_ref() == code.as_ref()),
        JsonValue::Object(_) => match get(value, "coding") {
            Some(JsonValue::Array(codings)) => codings.iter().any(coding_in),
            _ => coding_in(value),
        },
        _ => false,
    }
}

/// A named slice: its cardinality and what routes an item to it.
pub struct SliceRule {
    pub name: &'static str,
    pub min: u32,
    /// `None` for `*`.
    pub max: Option<u32>,
    pub matchers: &'static [Matcher],
}

impl SliceRule {
    fn matches(&self, item: &JsonValue<'_>) -> bool {
        self.matchers.iter().all(|m| m.matches(item))
    }

    /// [`Self::matches`] for rules of `$this` values only, on the item ahead.
    fn matches_ahead(&self, probe: &jiter::Jiter<'_>) -> bool {
        self.matchers.iter().all(|m| match &m.test {
            Test::Value(pattern) => pattern.matches_ahead(&mut probe.clone()).unwrap_or(false),
            Test::Codes(codes) => has_code_ahead(&mut probe.clone(), codes).unwrap_or(false),
            Test::Exists(_) | Test::Type(_) | Test::Profile(..) => false,
        })
    }
}

/// The slicing of one element: its slices, in definition order, and whether
/// items that match none are allowed (open) or errors (closed).
pub struct Slicing {
    pub element: &'static str,
    pub rules: &'static [SliceRule],
    pub closed: bool,
    /// Slices must come in the order of `rules` (`ordered`).
    pub ordered: bool,
    /// Items in no slice may only follow the sliced ones (`openAtEnd`).
    pub open_at_end: bool,
    /// A required binding on the sliced element itself (a `Coding` or
    /// `CodeableConcept`): its codes and value set, checked on every item.
    pub codes: Option<(&'static [(&'static str, &'static str)], &'static str)>,
}

impl Slicing {
    /// What is wrong with item `index` in slice `slot` (`rule`) coming after
    /// the items routed so far (`record`: their slots, the rest as
    /// `rules.len()`), by `openAtEnd` and `ordered`; the messages are the
    /// checker's.
    fn order_problem(
        &self,
        record: &[u8],
        index: usize,
        slot: usize,
        rule: &SliceRule,
    ) -> Option<String> {
        let rest = self.rules.len();
        if self.open_at_end && record.iter().any(|&s| usize::from(s) >= rest) {
            return Some(format!(
                "item {index} is in slice `{}` after an item in no slice; the slicing of `{}` is open at the end only",
                rule.name, self.element
            ));
        }
        let before = record
            .iter()
            .map(|&s| usize::from(s))
            .filter(|&s| s < rest)
            .max()?;
        (self.ordered && before > slot).then(|| {
            format!(
                "item {index} is in slice `{}` after an item in slice `{}`; the slicing of `{}` is ordered",
                rule.name, self.rules[before].name, self.element
            )
        })
    }

    /// The properties the discriminators look at (the first step of their
    /// paths); `None` when one looks at the whole item.
    /// Whether every discriminator compares the whole item with a value or
    /// pattern (`$this`), which can be done as the item streams by.
    fn by_whole_item(&self) -> bool {
        self.rules.iter().all(|rule| {
            rule.matchers.iter().all(|m| {
                m.path == "$this"
                    && match m.test {
                        Test::Value(_) => true,
                        Test::Codes(codes) => codes.len() <= 64,
                        Test::Exists(_) | Test::Type(_) | Test::Profile(..) => false,
                    }
            })
        })
    }

    /// Whether each slice is told by its `url` alone (extensions).
    fn by_url(&self) -> bool {
        self.rules.iter().all(|rule| rule.url().is_some())
    }

    /// The properties the discriminators look at (the first step of their
    /// paths), at most [`Keys::CAPACITY`]; `None` when one looks at the
    /// whole item, or there are more. Built for every sliced element read:
    /// no allocation.
    fn keys(&self) -> Option<Keys> {
        let mut keys = Keys::default();
        for matcher in self.rules.iter().flat_map(|r| r.matchers) {
            // A type is often a choice's (`value` as `valueString`): the
            // property's name is not known before the item is read.
            if matches!(matcher.test, Test::Type(_)) {
                return None;
            }
            let first = crate::path::first_property(matcher.path)?;
            if !keys.as_slice().contains(&first) {
                if keys.len == Keys::CAPACITY {
                    return None;
                }
                keys.names[keys.len] = first;
                keys.len += 1;
            }
        }
        Some(keys)
    }
}

impl SliceRule {
    /// The URL of a slice told by `url` alone (an extension slice).
    fn url(&self) -> Option<&'static str> {
        match self.matchers {
            [
                Matcher {
                    path: "url",
                    test: Test::Value(pattern),
                },
            ] if pattern.exact => match pattern.value() {
                JsonValue::Str(url) => Some(url.as_ref()),
                _ => None,
            },
            _ => None,
        }
    }
}

/// A few property names, without a heap allocation.
#[derive(Default)]
struct Keys {
    names: [&'static str; Keys::CAPACITY],
    len: usize,
}

impl Keys {
    const CAPACITY: usize = 8;

    fn as_slice(&self) -> &[&'static str] {
        &self.names[..self.len]
    }
}

/// Which slice each item of a sliced array came from, per sliced element, so
/// that writing gives back the order that was read. Filled in by parsing;
/// values built in code have none and are written slice by slice, in
/// definition order, then the items that match no slice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SliceOrder(Vec<(&'static str, Vec<u8>)>);

impl SliceOrder {
    fn record(&mut self, element: &'static str) -> &mut Vec<u8> {
        let at = match self.0.iter().position(|(e, _)| *e == element) {
            Some(at) => at,
            None => {
                self.0.push((element, Vec::new()));
                self.0.len() - 1
            }
        };
        &mut self.0[at].1
    }

    fn get(&self, element: &str) -> &[u8] {
        self.0
            .iter()
            .find(|(e, _)| *e == element)
            .map_or(&[], |(_, order)| order)
    }

    /// Checks the number of items each slice got against its cardinality,
    /// after parsing. The problem names the slice (`component:diastolic`).
    pub fn check(&self, slicing: &Slicing) -> Result<(), Problem> {
        let order = self.get(slicing.element);
        for (index, rule) in slicing.rules.iter().enumerate() {
            let count = order
                .iter()
                .filter(|&&slot| usize::from(slot) == index)
                .count() as u32;
            let name = || format!("{}:{}", slicing.element, rule.name);
            if let Some(problem) = slice_count_problem(name, rule.min, rule.max, count) {
                return Err(problem);
            }
        }
        Ok(())
    }
}

/// What is wrong with `count` items in the slice `name` (`component:diastolic`,
/// made only for a problem) of cardinality `min..max`.
pub(crate) fn slice_count_problem(
    name: impl FnOnce() -> String,
    min: u32,
    max: Option<u32>,
    count: u32,
) -> Option<Problem> {
    let (code, message) = if count < min && count == 0 {
        (
            IssueCode::Required,
            format!("required slice is missing (min {min})"),
        )
    } else if count < min {
        (
            IssueCode::Invalid,
            format!("{count} items, the slice needs at least {min}"),
        )
    } else {
        let max = max.filter(|&max| count > max)?;
        (
            IssueCode::Invalid,
            format!("{count} items, the slice allows at most {max}"),
        )
    };
    Some(Problem::new(code, name(), message))
}

/// Where the items of one slice go: `T` (1..1), `Option<T>`, `Vec<T>` or
/// [`NonEmpty<T>`].
pub trait SliceSlot {
    fn read_item(&mut self, r: &mut Reader<'_>) -> Result<(), Error>;
}

impl<T: Object + Empty> SliceSlot for T {
    fn read_item(&mut self, r: &mut Reader<'_>) -> Result<(), Error> {
        r.object_in_place(self)
    }
}

impl<T: Object + Empty> SliceSlot for Option<T> {
    fn read_item(&mut self, r: &mut Reader<'_>) -> Result<(), Error> {
        if self.is_some() {
            return Err(r.error("the slice allows at most 1 item"));
        }
        r.object_in_place(self.insert(T::empty()))
    }
}

impl<T: Object + Empty> SliceSlot for Vec<T> {
    fn read_item(&mut self, r: &mut Reader<'_>) -> Result<(), Error> {
        self.push(T::empty());
        let last = self.len() - 1;
        r.object_in_place(&mut self[last])
    }
}

impl<T: Object + Empty> SliceSlot for NonEmpty<T> {
    fn read_item(&mut self, r: &mut Reader<'_>) -> Result<(), Error> {
        self.as_vec_mut().read_item(r)
    }
}

/// The items of one slice, for writing.
pub trait SliceItems {
    fn count(&self) -> usize;
    fn item(&self, index: usize) -> &dyn Object;
}

impl<T: Object> SliceItems for T {
    fn count(&self) -> usize {
        1
    }
    fn item(&self, _: usize) -> &dyn Object {
        self
    }
}

impl<T: Object> SliceItems for Option<T> {
    fn count(&self) -> usize {
        usize::from(self.is_some())
    }
    fn item(&self, _: usize) -> &dyn Object {
        self.as_ref().expect("count is 1")
    }
}

impl<T: Object> SliceItems for Vec<T> {
    fn count(&self) -> usize {
        self.len()
    }
    fn item(&self, index: usize) -> &dyn Object {
        &self[index]
    }
}

impl<T: Object> SliceItems for NonEmpty<T> {
    fn count(&self) -> usize {
        self.len()
    }
    fn item(&self, index: usize) -> &dyn Object {
        &self[index]
    }
}

/// Where a slice item is, for error locations.
enum Location {
    Slice(&'static str),
    Index(usize),
}

impl Location {
    fn push(&self, r: &mut Reader<'_>) -> usize {
        match self {
            Location::Slice(name) => {
                let mark = r.push_text(":");
                r.push_text(name);
                mark
            }
            Location::Index(index) => r.push_index(*index),
        }
    }
}

impl<'j> Reader<'j> {
    /// Reads a sliced array: each item goes to the first slice whose
    /// discriminators it matches (`read` gets the slice's index), or to the
    /// rest (index = number of slices) when slicing is open.
    pub fn sliced_field(
        &mut self,
        order: &mut SliceOrder,
        slicing: &Slicing,
        mut read: impl FnMut(&mut Reader<'_>, usize) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let record = order.record(slicing.element);
        record.clear();
        let keys = slicing.keys();
        let by_url = slicing.by_url();
        let whole_item = slicing.by_whole_item();
        self.each_item(|r, index| {
            // Malformed JSON matches no slice; the read below reports it.
            let probe = r.lookahead().ok();
            let slot = match probe {
                // Extension slicing: one string compared, nothing built.
                Some(mut probe) if by_url => url_of(&mut probe)
                    .and_then(|url| slicing.rules.iter().position(|rule| rule.url() == Some(url))),
                Some(probe) if whole_item => slicing
                    .rules
                    .iter()
                    .position(|rule| rule.matches_ahead(&probe)),
                Some(mut probe) => match &keys {
                    // Only the properties the discriminators name are parsed.
                    Some(keys) => partial(probe, keys.as_slice()).ok(),
                    None => probe.next_value().ok(),
                }
                .and_then(|value| slicing.rules.iter().position(|rule| rule.matches(&value))),
                None => None,
            }
            .unwrap_or(slicing.rules.len());
            let location = match slicing.rules.get(slot) {
                Some(rule) => Location::Slice(rule.name),
                None if slicing.closed => {
                    let mark = Location::Index(index).push(r);
                    let error = r
                        .error(format!(
                            "item {index} matches none of the slices of `{}`, and the slicing is closed",
                            slicing.element
                        ))
                        .with_code(IssueCode::Invalid);
                    r.pop_to(mark);
                    return Err(error);
                }
                None => Location::Index(index),
            };
            if let Some(rule) = slicing.rules.get(slot)
                && let Some(message) = slicing.order_problem(record, index, slot, rule)
            {
                let mark = Location::Index(index).push(r);
                let error = r.error(message).with_code(IssueCode::Invalid);
                r.pop_to(mark);
                return Err(error);
            }
            if let Some(rule) = slicing.rules.get(slot)
                && let Some(max) = rule.max
            {
                let taken = record.iter().filter(|&&s| usize::from(s) == slot).count();
                if taken >= max as usize {
                    let plural = if max == 1 { "" } else { "s" };
                    let mark = location.push(r);
                    let error = r.error(format!("the slice allows at most {max} item{plural}"));
                    r.pop_to(mark);
                    return Err(error);
                }
            }
            record.push(u8::try_from(slot).unwrap_or(u8::MAX));
            let mark = location.push(r);
            // The sliced element's own required binding, on each item (a
            // malformed item is the read's to report).
            if let Some((codes, value_set)) = slicing.codes
                && let Some(item) = r.lookahead().ok().and_then(|mut p| p.next_value().ok())
                && !has_code(&item, codes)
            {
                let error = r
                    .error(no_code_message(value_set))
                    .with_code(IssueCode::CodeInvalid);
                if !r.lenient {
                    return Err(error);
                }
                r.issues.push(error);
            }
            read(r, slot)?;
            r.pop_to(mark);
            Ok(())
        })
    }

    /// Reads a value the profile fixes completely (and that has no field):
    /// it must be exactly that.
    pub fn constant_field(&mut self, pattern: &Pattern) -> Result<(), Error> {
        let value = self.next_json()?;
        if pattern.matches(&value) {
            Ok(())
        } else {
            Err(self.error(pattern.describe()).with_code(IssueCode::Value))
        }
    }

    /// Reads an object field (or each item of a list) that must match a
    /// fixed value or pattern.
    pub fn pattern_object_field<S: ReadSlot>(
        &mut self,
        slot: &mut S,
        pattern: &Pattern,
    ) -> Result<(), Error> {
        self.check_ahead(pattern)?;
        slot.read_objects(self)
    }

    /// Like [`Self::pattern_object_field`] for an element the base repeats
    /// and the profile allows once (an array of one object).
    pub fn pattern_object_in_array<S: ReadSlot>(
        &mut self,
        slot: &mut S,
        pattern: &Pattern,
    ) -> Result<(), Error> {
        self.check_ahead(pattern)?;
        self.one_item_array(slot, None)
    }

    /// Reads a primitive field's value that must match a fixed value or pattern.
    pub fn pattern_value_field<S: ReadSlot>(
        &mut self,
        slot: &mut S,
        kind: Kind,
        pattern: &Pattern,
    ) -> Result<(), Error> {
        self.check_ahead(pattern)?;
        slot.read_values(self, kind)
    }

    /// Reads a JSON array that the profile allows only one item of (an
    /// element repeating in the base, `0..1` or `1..1` in the profile) into
    /// `slot`: with `kind`, the primitive values, else objects.
    pub fn one_item_array<S: ReadSlot>(
        &mut self,
        slot: &mut S,
        kind: Option<Kind>,
    ) -> Result<(), Error> {
        let mut count = 0;
        self.read_array(|r| {
            count += 1;
            if count > 1 {
                return Err(r.error("the profile allows only one item here"));
            }
            match kind {
                Some(kind) => slot.read_values(r, kind),
                None => slot.read_objects(r),
            }
        })
    }

    /// The `_name` array of such an element: one item, `null` or an element.
    pub fn one_element_array<S: ReadSlot>(&mut self, slot: &mut S) -> Result<(), Error> {
        let mut count = 0;
        self.read_array(|r| {
            count += 1;
            if count > 1 {
                return Err(r.error("the profile allows only one item here"));
            }
            if r.null_next()? {
                Ok(())
            } else {
                slot.read_elements(r)
            }
        })
    }

    /// Reads a `Coding` or `CodeableConcept` (or a list of them) bound to a
    /// value set by a required binding: it must carry one of `codes`. A
    /// lenient read keeps it and reports an issue.
    pub fn bound_object_field<S: ReadSlot>(
        &mut self,
        slot: &mut S,
        codes: &[(&str, &str)],
        value_set: &str,
        in_array: bool,
    ) -> Result<(), Error> {
        self.check_codes_ahead(codes, value_set)?;
        self.read_checked(slot, in_array)
    }

    /// Checks that the Coding or CodeableConcept (or each item of a list of
    /// them) about to be read carries one of `codes`, without consuming it:
    /// the required binding of a coded element.
    pub(crate) fn check_codes_ahead(
        &mut self,
        codes: &[(&str, &str)],
        value_set: &str,
    ) -> Result<(), Error> {
        let value = self.lookahead()?.next_value();
        self.check_items(value, |item| {
            (!has_code(item, codes)).then(|| (String::new(), no_code_message(value_set)))
        })
    }

    /// Reads a `Reference` (or a list of them) whose target the profile
    /// restricts: a literal reference (`Patient/123`, or an absolute URL
    /// ending so) must name one of `targets`. Contained (`#id`) and URN
    /// references are not checked. A lenient read reports it as an issue.
    /// The check looks at the references once read: the JSON is parsed once.
    pub fn reference_field<S: ReadSlot + ReferenceSlot>(
        &mut self,
        slot: &mut S,
        targets: &[&str],
        in_array: bool,
    ) -> Result<(), Error> {
        self.read_checked(slot, in_array)?;
        let mut wrong = Vec::new();
        slot.each_reference(&mut |index, reference| {
            if let Some(problem) = reference_problem(reference, targets) {
                let index = index.or(in_array.then_some(0));
                wrong.push((index, problem));
            }
        });
        self.report_references(wrong)
    }

    /// The references to a type the profile does not allow, by index in
    /// the list (`None` for a single reference): errors, or issues in a
    /// lenient read.
    fn report_references(&mut self, wrong: Vec<(Option<usize>, String)>) -> Result<(), Error> {
        for (index, message) in wrong {
            let at = index.map(|i| format!("[{i}]")).unwrap_or_default();
            let error = Error::new(format!("{}{at}.reference", self.path()), message);
            if !self.lenient {
                return Err(error);
            }
            self.issues.push(error);
        }
        Ok(())
    }

    /// Checks each item of a looked-ahead value (the value itself when it is
    /// not an array): `problem` gives the location below the item and the
    /// message. An error in a strict read, an issue in a lenient one.
    /// Malformed JSON is left to the read that follows to report.
    fn check_items(
        &mut self,
        value: Result<JsonValue<'_>, jiter::JiterError>,
        problem: impl Fn(&JsonValue<'_>) -> Option<(String, String)>,
    ) -> Result<(), Error> {
        let Ok(value) = value else {
            return Ok(());
        };
        let (items, listed): (Vec<&JsonValue<'_>>, bool) = match &value {
            JsonValue::Array(items) => (items.iter().collect(), true),
            other => (vec![other], false),
        };
        for (index, item) in items.into_iter().enumerate() {
            if let Some((below, message)) = problem(item) {
                let at = if listed {
                    format!("[{index}]")
                } else {
                    String::new()
                };
                let error = Error::new(format!("{}{at}{below}", self.path()), message)
                    .with_code(IssueCode::CodeInvalid);
                if !self.lenient {
                    return Err(error);
                }
                self.issues.push(error);
            }
        }
        Ok(())
    }

    /// Reads a checked object field: in place, or as the one item of an
    /// array for an element the base repeats.
    fn read_checked<S: ReadSlot>(&mut self, slot: &mut S, in_array: bool) -> Result<(), Error> {
        if in_array {
            self.one_item_array(slot, None)
        } else {
            slot.read_objects(self)
        }
    }

    /// Reads a `code` whose element has a required binding: the index of
    /// the code in `codes` (`(system, code)`, the first with that code), or
    /// the code itself when the value set does not have it, which only a
    /// lenient read keeps (with an issue). One function for every code enum:
    /// an enum only maps the index to its variant.
    pub fn code_index(
        &mut self,
        kind: Kind,
        value_set: &str,
        codes: &[(&str, &str)],
    ) -> Result<Result<usize, String>, Problem> {
        let read = self.with_next_str(|code| {
            crate::primitive::check_string(code, kind)?;
            Ok::<_, String>(match codes.iter().position(|(_, c)| *c == code) {
                Some(index) => Ok(index),
                None => Err(code.to_owned()),
            })
        })??;
        match read {
            Ok(index) => Ok(Ok(index)),
            Err(code) if self.lenient => {
                let issue = self
                    .error(format!(
                        "code `{code}` is not in the required value set {value_set}; kept"
                    ))
                    .with_code(IssueCode::CodeInvalid);
                self.issues.push(issue);
                Ok(Err(code))
            }
            Err(code) => Err(Problem::code_invalid(code_not_in_message(&code, value_set))),
        }
    }

    /// Checks the value about to be read against a fixed value or pattern
    /// (each item, for a list), without consuming it.
    fn check_ahead(&mut self, pattern: &Pattern) -> Result<(), Error> {
        let mut probe = self.lookahead()?;
        let per_item = !matches!(pattern.value(), JsonValue::Array(_));
        let checked = if per_item && probe.peek().ok() == Some(jiter::Peek::Array) {
            // A list whose every item must match.
            (|| {
                let mut ok = true;
                let mut more = probe.known_array()?.is_some();
                while more {
                    ok &= pattern.matches_ahead(&mut probe)?;
                    more = probe.array_step()?.is_some();
                }
                Ok::<_, jiter::JiterError>(ok)
            })()
        } else {
            pattern.matches_ahead(&mut probe)
        };
        // Malformed JSON is left to the read that follows to report.
        if checked.unwrap_or(true) {
            Ok(())
        } else {
            Err(self.error(pattern.describe()).with_code(IssueCode::Value))
        }
    }
}

impl Writer {
    /// Writes a sliced array from the fields holding its slices and the rest,
    /// in the order `order` recorded when it still fits what the fields hold.
    pub fn sliced_field(
        &mut self,
        name: &str,
        order: &SliceOrder,
        slicing: &Slicing,
        slots: &[&dyn SliceItems],
    ) {
        let counts: Vec<usize> = slots.iter().map(|s| s.count()).collect();
        if counts.iter().all(|&c| c == 0) {
            return;
        }
        let mut sequence = Vec::new();
        slice_sequence(order, slicing, &counts, |slot, index| {
            sequence.push((slot, index))
        });
        self.array(name, &sequence, |w, &(slot, index)| {
            w.object(slots[slot].item(index), None)
        });
    }

    /// Writes an element the base repeats and the profile allows once: as
    /// an array of (at most) one object.
    pub fn object_in_array<T: Object>(&mut self, name: &str, item: Option<&T>) {
        if let Some(item) = item {
            self.array(name, std::slice::from_ref(item), |w, item| {
                w.object(item, None)
            });
        }
    }

    /// Like [`Self::object_in_array`], for a primitive (`name` and `_name`).
    pub fn primitive_in_array<V: PrimitiveValue, X: Object>(
        &mut self,
        name: &str,
        item: Option<&Primitive<V, X>>,
    ) {
        if let Some(item) = item {
            self.primitive_list(name, std::slice::from_ref(item));
        }
    }

    /// Writes a string value (a code).
    pub fn string_value(&mut self, text: &str) {
        self.string(text);
    }

    /// Writes `name` with a JSON value given as text (a fixed value).
    pub fn constant_field(&mut self, name: &str, pattern: &Pattern) {
        self.key(name);
        self.raw(pattern.text());
    }
}

/// The items of a sliced list in document order, each handed to `item` as
/// (slot, index in the slot), from the `counts` of the fields holding its
/// slices and the rest: the order `order` recorded while it still fits what
/// the fields hold, else slice by slice.
pub(crate) fn slice_sequence(
    order: &SliceOrder,
    slicing: &Slicing,
    counts: &[usize],
    mut item: impl FnMut(usize, usize),
) {
    let recorded = order.get(slicing.element);
    let fits = recorded.len() == counts.iter().sum::<usize>()
        && counts.iter().enumerate().all(|(slot, &count)| {
            recorded.iter().filter(|&&s| usize::from(s) == slot).count() == count
        });
    if fits {
        with_zeros(counts.len(), |next| {
            for &slot in recorded {
                let slot = usize::from(slot);
                item(slot, next[slot]);
                next[slot] += 1;
            }
        });
    } else {
        for (slot, &count) in counts.iter().enumerate() {
            for index in 0..count {
                item(slot, index);
            }
        }
    }
}

/// Runs `f` on `length` zeros: on the stack for the few slices a list
/// usually has.
pub(crate) fn with_zeros<R>(length: usize, f: impl FnOnce(&mut [usize]) -> R) -> R {
    const FEW: usize = 16;
    if length <= FEW {
        f(&mut [0; FEW][..length])
    } else {
        f(&mut vec![0; length])
    }
}

/// Converts between two types of the same resource (a profile and its base
/// resource, or two profiles) through their FHIR JSON: what `From` and
/// `TryFrom` between them do.
pub fn convert_resource<A: ResourceType, B: ResourceType + Empty>(from: &A) -> Result<B, Error> {
    let mut writer = Writer::new();
    writer.resource(from);
    let json = writer.into_bytes();
    let mut reader = Reader::new(&json);
    let converted = reader.resource_body()?;
    reader.finish()?;
    Ok(converted)
}

/// Converts between two types of the same datatype (an extension profile and
/// `Extension`) through their FHIR JSON.
pub fn convert_object<A: Object, B: Object + Empty>(from: &A, path: &str) -> Result<B, Error> {
    let mut writer = Writer::new();
    writer.object(from, None);
    let json = writer.into_bytes();
    let mut reader = Reader::at_path(&json, path);
    let mut converted = B::empty();
    reader.object_in_place(&mut converted)?;
    reader.finish()?;
    Ok(converted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_references_name_their_type() {
        assert_eq!(reference_type("Patient/123"), Some("Patient"));
        assert_eq!(reference_type("Patient/123/_history/4"), Some("Patient"));
        assert_eq!(reference_type("Patient/123/_history"), Some("Patient"));
        assert_eq!(reference_type("Patient/123/_historyX/4"), None);
        assert_eq!(
            reference_type("https://example.org/fhir/Observation/o1"),
            Some("Observation")
        );
        assert_eq!(reference_type("#contained"), None);
        assert_eq!(reference_type("urn:uuid:0b7c1c1e-0000"), None);
        assert_eq!(reference_type("123"), None);
        assert_eq!(reference_type("patient/123"), None);
        // Not a resource type (HRex 1.0.0's PractitionerRole-full example):
        // which type it refers to cannot be told.
        assert_eq!(
            reference_type("http://example.org/some-clinic/EndPoint/1"),
            None
        );
        assert_eq!(reference_type("Endpoint/1"), Some("Endpoint"));
        assert!(R4_RESOURCE_TYPES.is_sorted());
        assert_eq!(R4_RESOURCE_TYPES.len(), 146);
    }

    #[test]
    fn a_canonical_url_drops_its_version_only() {
        let url = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient";
        assert_eq!(canonical_url(url), url);
        assert_eq!(canonical_url(&format!("{url}|6.1.0")), url);
        // An empty version is still a version part.
        assert_eq!(canonical_url(&format!("{url}|")), url);
        // Only the first `|` separates: a version never holds one.
        assert_eq!(canonical_url("http://x/a|1|2"), "http://x/a");
        assert_eq!(canonical_url(""), "");
    }

    #[test]
    fn patterns_contain_and_fixed_values_equal() {
        static P: Pattern = Pattern::containing(r#"{"coding":[{"system":"s","code":"c"}]}"#);
        static F: Pattern = Pattern::fixed(r#"{"a":1,"b":"x"}"#);
        let parse = |text: &'static str| JsonValue::parse(text.as_bytes(), false).unwrap();
        assert!(P.matches(&parse(
            r#"{"coding":[{"system":"o","code":"z"},{"code":"c","system":"s","display":"d"}],"text":"t"}"#
        )));
        assert!(!P.matches(&parse(r#"{"coding":[{"system":"s","code":"d"}]}"#)));
        assert!(F.matches(&parse(r#"{"b":"x","a":1.0}"#)));
        assert!(!F.matches(&parse(r#"{"b":"x","a":1,"c":2}"#)));
    }

    /// JSON values of the shapes profiles fix, and near misses.
    const SAMPLES: &[&str] = &[
        r#"{"coding":[{"system":"s","code":"c"}]}"#,
        r#"{"coding":[{"system":"o","code":"z"},{"code":"c","system":"s","display":"d"}],"text":"t"}"#,
        r#"{"coding":[{"system":"s","code":"d"}]}"#,
        r#"{"coding":[{"code":"c"}]}"#,
        r#"{"system":"s","code":"c"}"#,
        r#"{"code":"c"}"#,
        r#"{"a":1,"b":"x"}"#,
        r#"{"b":"x","a":1.0}"#,
        r#"{"b":"x","a":1,"c":2}"#,
        r#"{"a":[1,2],"b":{"c":null,"d":true}}"#,
        r#"{"a":[2,1],"b":{"d":true}}"#,
        r#"[{"a":1},{"b":2}]"#,
        r#"[{"b":2}]"#,
        r#""c""#,
        r#""mm[Hg]""#,
        "1.5",
        "true",
        "null",
    ];

    #[test]
    fn streamed_matching_agrees_with_matching_values() {
        let parse = |text: &'static str| JsonValue::parse(text.as_bytes(), false).unwrap();
        for pattern in SAMPLES {
            for actual in SAMPLES {
                let (p, a) = (parse(pattern), parse(actual));
                for exact in [true, false] {
                    let expected = if exact {
                        equal(&a, &p)
                    } else {
                        contains(&a, &p)
                    };
                    let mut probe = jiter::Jiter::new(actual.as_bytes());
                    let streamed = matches_ahead(&mut probe, &p, exact).unwrap();
                    assert_eq!(
                        streamed, expected,
                        "{actual} against {pattern}, exact {exact}"
                    );
                    probe.finish().unwrap();
                }
            }
        }
    }

    #[test]
    fn streamed_code_test_agrees_with_the_value_test() {
        let parse = |text: &'static str| JsonValue::parse(text.as_bytes(), false).unwrap();
        let code_lists: &[&[(&str, &str)]] =
            &[&[("s", "c")], &[("o", "z"), ("s", "d")], &[("x", "c")]];
        for codes in code_lists {
            for actual in SAMPLES {
                let expected = has_code(&parse(actual), codes);
                let mut probe = jiter::Jiter::new(actual.as_bytes());
                let streamed = has_code_ahead(&mut probe, codes).unwrap();
                assert_eq!(streamed, expected, "{actual} against {codes:?}");
                probe.finish().unwrap();
            }
        }
    }
}
