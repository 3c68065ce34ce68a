//! Reading and writing FHIR JSON.

use jiter::{Jiter, JiterError, Peek};

use crate::error::{Error, Issue, IssueCode, Problem};
use crate::object::{Choice, Empty, Object, ResourceType, Seen, required_missing};
use crate::primitive::{Kind, Primitive, PrimitiveElement, PrimitiveValue};
use crate::typed::{Elements, Node};

/// What is wrong with JSON text, where, in words that say it: nesting
/// beyond the parser's limit and `\u` escapes of half a surrogate pair named as
/// such rather than as a parser's internal state.
pub fn describe_json_error(json: &[u8], error: &jiter::JsonErrorType, index: usize) -> String {
    use jiter::JsonErrorType as E;
    let position = jiter::LinePosition::find(json, index);
    let before = &json[index.saturating_sub(12).min(json.len())..index.min(json.len())];
    let lone_surrogate = before.windows(4).any(|w| {
        (w[0] == b'u' || w[0] == b'U')
            && matches!(w[1], b'd' | b'D')
            && matches!(w[2], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
    });
    let what = match error {
        E::RecursionLimitExceeded => crate::limits::too_deep_message(crate::limits::max_depth()),
        E::LoneLeadingSurrogateInHexEscape | E::InvalidUnicodeCodePoint => {
            "a `\\u` escape of half a UTF-16 surrogate pair (a lone surrogate) is not a character"
                .to_owned()
        }
        E::UnexpectedEndOfHexEscape if lone_surrogate => {
            "a `\\u` escape of half a UTF-16 surrogate pair (a lone surrogate) is not a character"
                .to_owned()
        }
        E::UnexpectedEndOfHexEscape => "a `\\u` escape needs four hexadecimal digits".to_owned(),
        other => format!("not JSON: {other}"),
    };
    format!(
        "{what} at line {} column {}",
        position.line, position.column
    )
}

/// Reads FHIR JSON, keeping the FHIRPath-like location of what it reads for
/// error messages (`Patient.name[0].given[1]`).
pub struct Reader<'j> {
    json: &'j [u8],
    jiter: Jiter<'j>,
    path: String,
    pub(crate) lenient: bool,
    pub(crate) issues: Vec<Issue>,
    /// How many objects and arrays enclose the value being read, and how many
    /// may ([`crate::limits`]).
    depth: usize,
    max_depth: usize,
    /// The codes the next primitive value must be one of, for a type known
    /// only from its shape (`crate::shape`); generated code enums carry them.
    pub(crate) bound_codes: Option<&'static crate::shape::BoundCodes>,
    /// Whether an object read so far has an `extension` or
    /// `modifierExtension` property: every extension of FHIR JSON is held
    /// in one (see [`Reader::saw_extensions`]).
    extensions: bool,
    /// How many `meta.profile` values [`Reader::peek_profiles_with`] found
    /// on the resource at the top, when it looked (see
    /// [`Reader::top_claims`]).
    top_claims: Option<usize>,
}

/// Property names are copied out of the parser before the value is read; this
/// keeps the usual short ones off the heap.
enum KeyBuf {
    Inline(arrayvec::ArrayString<64>),
    Heap(String),
}

impl KeyBuf {
    fn new(key: &str) -> Self {
        match arrayvec::ArrayString::from(key) {
            Ok(inline) => KeyBuf::Inline(inline),
            Err(_) => KeyBuf::Heap(key.to_owned()),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            KeyBuf::Inline(key) => key,
            KeyBuf::Heap(key) => key,
        }
    }
}

/// `json` without a leading UTF-8 byte-order mark, which FHIR JSON may
/// carry (the HL7 validator accepts it; JSON parsers do not).
pub fn strip_bom(json: &[u8]) -> &[u8] {
    json.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(json)
}

impl<'j> Reader<'j> {
    /// A reader of `json` (a leading byte-order mark is skipped).
    pub fn new(json: &'j [u8]) -> Self {
        let json = strip_bom(json);
        Self {
            json,
            jiter: Jiter::new(json),
            path: String::new(),
            lenient: false,
            issues: Vec::new(),
            depth: 0,
            max_depth: crate::limits::max_depth(),
            bound_codes: None,
            extensions: false,
            top_claims: None,
        }
    }

    /// Sets how deep objects and arrays may nest for this reader (the
    /// process-wide [`crate::limits::max_depth`] otherwise), at most
    /// [`crate::limits::MAX_DEPTH_CEILING`].
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth.clamp(2, crate::limits::MAX_DEPTH_CEILING);
        self
    }

    /// Enters an object or array: an error at its location when that nests
    /// beyond the limit.
    fn enter(&mut self) -> Result<(), Error> {
        if self.depth >= self.max_depth {
            return Err(self
                .error(crate::limits::too_deep_message(self.max_depth))
                .with_code(IssueCode::Structure));
        }
        self.depth += 1;
        Ok(())
    }

    /// Skips the next value (an unknown property in a lenient read), its
    /// nesting counted against the limit like any other.
    pub(crate) fn skip_value(&mut self) -> Result<(), Error> {
        let peek = self.jiter.peek();
        let peek = self.at(peek)?;
        if peek != Peek::Array && peek != Peek::Object {
            let skipped = self.jiter.next_skip();
            return self.at(skipped);
        }
        self.enter()?;
        let skipped = self.skip_items(peek);
        self.depth -= 1;
        skipped
    }

    fn skip_items(&mut self, peek: Peek) -> Result<(), Error> {
        if peek == Peek::Array {
            let first = self.jiter.known_array();
            let mut more = self.at(first)?.is_some();
            while more {
                self.skip_value()?;
                let step = self.jiter.array_step();
                more = self.at(step)?.is_some();
            }
        } else {
            let first = self.jiter.known_object().map(|k| k.is_some());
            let mut more = self.at(first)?;
            while more {
                self.skip_value()?;
                let next = self.jiter.next_key().map(|k| k.is_some());
                more = self.at(next)?;
            }
        }
        Ok(())
    }

    /// Unknown properties are skipped and reported as issues instead of
    /// failing the read.
    pub fn lenient(mut self) -> Self {
        self.lenient = true;
        self
    }

    /// What a lenient read let through.
    pub fn issues(&self) -> &[Issue] {
        &self.issues
    }

    pub fn take_issues(&mut self) -> Vec<Issue> {
        std::mem::take(&mut self.issues)
    }

    /// The location being read.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// An error at the current location.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::new(self.path.clone(), message)
    }

    /// A primitive value that could not be read: malformed, or (a code
    /// enum's) not in the required value set.
    fn value_error(&self, problem: Problem) -> Error {
        self.error(problem.message).with_code(problem.code)
    }

    fn json_error(&self, error: JiterError) -> Error {
        let message = match &error.error_type {
            jiter::JiterErrorType::JsonError(e) => describe_json_error(self.json, e, error.index),
            other => {
                let position = self.jiter.error_position(error.index);
                format!(
                    "invalid JSON at line {} column {}: {other}",
                    position.line, position.column
                )
            }
        };
        self.error(message).with_code(IssueCode::Structure)
    }

    fn at<T>(&self, result: Result<T, JiterError>) -> Result<T, Error> {
        result.map_err(|e| self.json_error(e))
    }

    /// Checks that nothing but white space follows the value read.
    pub fn finish(&mut self) -> Result<(), Error> {
        let done = self.jiter.finish();
        self.at(done)
    }

    /// Whether what was read may hold an extension: an object had an
    /// `extension` or `modifierExtension` property (a property skipped by
    /// a lenient read counts too). When not, the constraint walk passes
    /// over the elements below which only an extension could bring a
    /// constraint ([`crate::invariants::check_read`]).
    pub fn saw_extensions(&self) -> bool {
        self.extensions
    }

    /// How many profiles the resource at the top claims (`meta.profile`),
    /// when [`Reader::peek_profiles_with`] looked before it was read; `None`
    /// when it did not (a read as a given profile).
    pub fn top_claims(&self) -> Option<usize> {
        self.top_claims
    }

    fn push_key(&mut self, key: &str) -> usize {
        let mark = self.path.len();
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(key);
        mark
    }

    pub(crate) fn push_index(&mut self, index: usize) -> usize {
        let mark = self.path.len();
        // Written digit by digit in place: no formatting machinery per item.
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        let mut rest = index;
        loop {
            start -= 1;
            digits[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        self.path.push('[');
        for &digit in &digits[start..] {
            self.path.push(char::from(digit));
        }
        self.path.push(']');
        mark
    }

    fn pop(&mut self, mark: usize) {
        self.path.truncate(mark);
    }

    /// A reader of `json` that reports locations from `path` on.
    pub(crate) fn at_path(json: &'j [u8], path: &str) -> Self {
        let mut reader = Self::new(json);
        reader.path.push_str(path);
        reader
    }

    /// A parser of the input from the next value on, to look ahead at it
    /// without consuming it.
    pub(crate) fn lookahead(&mut self) -> Result<Jiter<'j>, Error> {
        let peek = self.jiter.peek();
        self.at(peek)?;
        Ok(Jiter::new(&self.json[self.jiter.current_index()..]))
    }

    /// Parses and consumes the next value.
    pub(crate) fn next_json(&mut self) -> Result<jiter::JsonValue<'j>, Error> {
        let value = self.jiter.next_value();
        self.at(value)
    }

    /// Appends `text` to the location as it is (`:systolic`, `[2]`).
    pub(crate) fn push_text(&mut self, text: &str) -> usize {
        let mark = self.path.len();
        self.path.push_str(text);
        mark
    }

    pub(crate) fn pop_to(&mut self, mark: usize) {
        self.pop(mark);
    }

    /// Calls `item` with the index of each item of a JSON array (which must
    /// not be empty), leaving the location to `item`.
    pub(crate) fn each_item(
        &mut self,
        mut item: impl FnMut(&mut Self, usize) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let peek = self.jiter.peek();
        if self.at(peek)? != Peek::Array {
            return Err(self
                .error("expected an array")
                .with_code(IssueCode::Structure));
        }
        let first = self.jiter.known_array();
        let mut more = self.at(first)?.is_some();
        if !more {
            return Err(self
                .error("an array must not be empty")
                .with_code(IssueCode::Structure));
        }
        self.enter()?;
        let mut index = 0;
        let mut read = Ok(());
        while more && read.is_ok() {
            read = item(self, index).and_then(|()| {
                let step = self.jiter.array_step();
                more = self.at(step)?.is_some();
                Ok(())
            });
            index += 1;
        }
        self.depth -= 1;
        read
    }

    /// Reads a non-empty JSON array, calling `item` for each item.
    pub(crate) fn read_array(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.array(|r, _| item(r))
    }

    /// Whether the next value is `null`, which is then consumed.
    pub(crate) fn null_next(&mut self) -> Result<bool, Error> {
        if self.is_null()? {
            self.skip_null()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Reads a JSON object into `object`; for a resource, `resource_type` is
    /// what `resourceType` must say.
    pub(crate) fn read_object(
        &mut self,
        object: &mut dyn Object,
        resource_type: Option<&str>,
    ) -> Result<(), Error> {
        self.object(object, resource_type)
    }

    /// Reads a JSON object into `object` where it stands.
    pub(crate) fn object_in_place(&mut self, object: &mut dyn Object) -> Result<(), Error> {
        self.object(object, None)
    }

    pub(crate) fn next_bool(&mut self) -> Result<bool, String> {
        match self.jiter.peek() {
            Ok(Peek::True | Peek::False) => self.jiter.next_bool().map_err(|e| e.to_string()),
            _ => Err("expected true or false".to_owned()),
        }
    }

    /// Hands the exact text of the next number to `convert`, without copying it.
    pub(crate) fn next_number<T>(
        &mut self,
        convert: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, String> {
        match self.jiter.peek() {
            Ok(peek) if peek.is_num() => {
                let bytes = self
                    .jiter
                    .known_number_bytes(peek)
                    .map_err(|e| e.to_string())?;
                // JSON number text is ASCII.
                convert(std::str::from_utf8(bytes).map_err(|e| e.to_string())?)
            }
            _ => Err("expected a number".to_owned()),
        }
    }

    /// Hands the next string to `f` without copying it.
    pub(crate) fn with_next_str<T>(&mut self, f: impl FnOnce(&str) -> T) -> Result<T, String> {
        match self.jiter.peek() {
            Ok(Peek::String) => self.jiter.known_str().map(f).map_err(|e| e.to_string()),
            _ => Err("expected a string".to_owned()),
        }
    }

    pub(crate) fn next_string(&mut self) -> Result<String, String> {
        match self.jiter.peek() {
            Ok(Peek::String) => self
                .jiter
                .known_str()
                .map(str::to_owned)
                .map_err(|e| e.to_string()),
            _ => Err("expected a string".to_owned()),
        }
    }

    fn is_null(&mut self) -> Result<bool, Error> {
        let peek = self.jiter.peek();
        Ok(self.at(peek)? == Peek::Null)
    }

    fn skip_null(&mut self) -> Result<(), Error> {
        let done = self.jiter.known_null();
        self.at(done)
    }

    /// Reads a JSON array, calling `item` with each index; FHIR forbids empty arrays.
    fn array(
        &mut self,
        mut item: impl FnMut(&mut Self, usize) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.each_item(|r, index| {
            let mark = r.push_index(index);
            item(r, index)?;
            r.pop(mark);
            Ok(())
        })
    }

    /// Reads a JSON object into `object`. For a resource, `resource_type` is
    /// what `resourceType` must say.
    fn object(
        &mut self,
        object: &mut dyn Object,
        resource_type: Option<&str>,
    ) -> Result<(), Error> {
        self.enter()?;
        let read = self.object_body(object, resource_type);
        self.depth -= 1;
        read
    }

    fn object_body(
        &mut self,
        object: &mut dyn Object,
        resource_type: Option<&str>,
    ) -> Result<(), Error> {
        let peek = self.jiter.peek();
        if self.at(peek)? != Peek::Object {
            return Err(self
                .error("expected an object")
                .with_code(IssueCode::Structure));
        }
        let first = self.jiter.known_object().map(|k| k.map(KeyBuf::new));
        let mut key = self.at(first)?;
        if key.is_none() {
            return Err(self
                .error("an object must not be empty")
                .with_code(IssueCode::Structure));
        }
        let mut seen = Seen::default();
        let (mut skipped, mut typed) = (false, false);
        while let Some(name) = key.take() {
            let name = name.as_str();
            self.extensions |= matches!(name, "extension" | "modifierExtension");
            let mark = self.push_key(name.strip_prefix('_').unwrap_or(name));
            if name == "resourceType" && resource_type.is_some() {
                typed = true;
                let found = self.next_string().map_err(|m| self.error(m))?;
                if Some(found.as_str()) != resource_type {
                    return Err(self.error(format!(
                        "resourceType is `{found}`, expected `{}`",
                        resource_type.unwrap_or_default()
                    )));
                }
            } else {
                match object.read_field(name, self, &seen)? {
                    Some(number) => {
                        if !seen.insert(number) {
                            return Err(self
                                .error(format!("property `{name}` appears twice"))
                                .with_code(IssueCode::Structure));
                        }
                    }
                    None if self.lenient => {
                        skipped = true;
                        self.issues.push(
                            self.error(format!("unknown property `{name}` skipped"))
                                .with_code(IssueCode::Structure),
                        );
                        self.skip_value()?;
                    }
                    None => {
                        return Err(self
                            .error(format!("unknown property `{name}`"))
                            .with_code(IssueCode::Structure));
                    }
                }
            }
            self.pop(mark);
            let next = self.jiter.next_key().map(|k| k.map(KeyBuf::new));
            key = self.at(next)?;
        }
        // What a lenient read skipped leaves nothing: the object would be
        // written as `{}`, which FHIR JSON forbids as it forbids reading it.
        if skipped && !typed && seen.is_empty() {
            return Err(self
                .error("an object must not be empty: its only properties were unknown (skipped)")
                .with_code(IssueCode::Structure));
        }
        if let Some(missing) = required_missing(object, &seen) {
            self.push_key(missing);
            return Err(self
                .error(crate::error::REQUIRED_MISSING)
                .with_code(IssueCode::Required));
        }
        object.finish().map_err(|problem| {
            if problem.at.is_empty() {
                return self.error(problem.message).with_code(problem.code);
            }
            let mark = self.push_key(&problem.at);
            let error = self.error(problem.message).with_code(problem.code);
            self.pop(mark);
            error
        })
    }

    /// Reads the body of a resource of type `T` (the caller has looked at
    /// `resourceType` with [`Self::peek_resource_type`] where it did not know
    /// the type). At the top of the input the location starts at the type name;
    /// a resource inside another keeps its place (`Bundle.entry[0].resource`).
    pub fn resource_body<T: ResourceType + Empty>(&mut self) -> Result<T, Error> {
        let mut resource = T::empty();
        if self.path.is_empty() {
            self.path.push_str(T::RESOURCE_TYPE);
        }
        self.object(&mut resource, Some(T::RESOURCE_TYPE))?;
        Ok(resource)
    }

    /// Like [`Self::resource_body`], built in a box: what the enum of all
    /// resources holds, and it keeps large resources off the stack.
    pub fn resource_boxed<T: ResourceType + Empty>(&mut self) -> Result<Box<T>, Error> {
        let mut resource = Box::new(T::empty());
        if self.path.is_empty() {
            self.path.push_str(T::RESOURCE_TYPE);
        }
        self.object(resource.as_mut(), Some(T::RESOURCE_TYPE))?;
        Ok(resource)
    }

    /// The `resourceType` of the object about to be read, without consuming it.
    pub fn peek_resource_type(&mut self) -> Result<String, Error> {
        let not_resource = |r: &Self| r.error("expected a resource: an object with a resourceType");
        let mut probe = self.jiter.clone();
        if probe.peek().ok() != Some(Peek::Object) {
            return Err(not_resource(self));
        }
        let mut key = probe
            .known_object()
            .map_err(|e| self.json_error(e))?
            .map(str::to_owned);
        while let Some(name) = key {
            if name == "resourceType" {
                return probe
                    .next_str()
                    .map(str::to_owned)
                    .map_err(|_| self.error("resourceType must be a string"));
            }
            probe.next_skip().map_err(|e| self.json_error(e))?;
            key = probe
                .next_key()
                .map_err(|e| self.json_error(e))?
                .map(str::to_owned);
        }
        Err(not_resource(self))
    }

    /// Hands each profile in `meta.profile` of the resource about to be read
    /// to `found`, without consuming it or copying the URLs; for the
    /// resource at the top, notes how many there are
    /// ([`Reader::top_claims`]).
    pub fn peek_profiles_with(&mut self, mut found: impl FnMut(&str)) -> Result<(), Error> {
        let mut count = 0;
        let result = self.peek_profiles_counted(&mut |url| {
            count += 1;
            found(url);
        });
        if self.depth == 0 && result.is_ok() {
            self.top_claims = Some(count);
        }
        result
    }

    fn peek_profiles_counted(&mut self, found: &mut dyn FnMut(&str)) -> Result<(), Error> {
        let mut probe = self.jiter.clone();
        let fail = |r: &Self, e: JiterError| r.json_error(e);
        if probe.peek().ok() != Some(Peek::Object) {
            return Ok(());
        }
        let mut is_meta = probe
            .known_object()
            .map_err(|e| fail(self, e))?
            .map(|k| k == "meta");
        while let Some(meta) = is_meta {
            if meta && probe.peek().ok() == Some(Peek::Object) {
                let mut is_profile = probe
                    .known_object()
                    .map_err(|e| fail(self, e))?
                    .map(|k| k == "profile");
                while let Some(profile) = is_profile {
                    if profile && probe.peek().ok() == Some(Peek::Array) {
                        let mut more = probe.known_array().map_err(|e| fail(self, e))?.is_some();
                        while more {
                            if probe.peek().ok() == Some(Peek::String) {
                                found(probe.known_str().map_err(|e| fail(self, e))?);
                            } else {
                                probe.next_skip().map_err(|e| fail(self, e))?;
                            }
                            more = probe.array_step().map_err(|e| fail(self, e))?.is_some();
                        }
                        return Ok(());
                    }
                    probe.next_skip().map_err(|e| fail(self, e))?;
                    is_profile = probe
                        .next_key()
                        .map_err(|e| fail(self, e))?
                        .map(|k| k == "profile");
                }
                return Ok(());
            }
            probe.next_skip().map_err(|e| fail(self, e))?;
            is_meta = probe
                .next_key()
                .map_err(|e| fail(self, e))?
                .map(|k| k == "meta");
        }
        Ok(())
    }

    // The field readers below are what every generated `read_field` calls,
    // once per field: out of line, each type's reader holds a call per
    // field rather than a copy of them (`read_field` code 2.1 MB -> 1.0 MB
    // in the US Core example binary).

    /// Reads a field holding resources of any type (`contained`, `entry.resource`).
    #[inline(never)]
    pub fn resource_field<S: ResourceSlot>(&mut self, slot: &mut S) -> Result<(), Error> {
        slot.read_resources(self)
    }

    /// Reads a field holding objects (`T`, `Option<T>`, `Box<T>`, `Vec<T>`).
    #[inline(never)]
    pub fn object_field<S: ReadSlot>(&mut self, slot: &mut S) -> Result<(), Error> {
        slot.read_objects(self)
    }

    /// Reads the value property of a primitive field (`birthDate`).
    #[inline(never)]
    pub fn value_field<S: ReadSlot>(&mut self, slot: &mut S, kind: Kind) -> Result<(), Error> {
        slot.read_values(self, kind)
    }

    /// Reads the `_name` property of a primitive field (`_birthDate`).
    #[inline(never)]
    pub fn element_field<S: ReadSlot>(&mut self, slot: &mut S) -> Result<(), Error> {
        slot.read_elements(self)
    }

    /// Reads a property of a choice element (`valueQuantity`, `_valueString`).
    #[inline(never)]
    pub fn choice_field<C: Choice>(
        &mut self,
        slot: &mut Option<C>,
        key: &str,
    ) -> Result<(), Error> {
        if C::read_choice(slot, key, self)? {
            Ok(())
        } else {
            Err(self
                .error(format!("unknown property `{key}`"))
                .with_code(IssueCode::Structure))
        }
    }

    /// Reads a property of a required choice element; `fresh` says whether an
    /// earlier property of the choice was read already.
    #[inline(never)]
    pub fn required_choice_field<C: Choice + Empty>(
        &mut self,
        slot: &mut C,
        key: &str,
        fresh: bool,
    ) -> Result<(), Error> {
        let mut current = if fresh {
            None
        } else {
            Some(std::mem::replace(slot, C::empty()))
        };
        let result = self.choice_field(&mut current, key);
        if let Some(value) = current {
            *slot = value;
        }
        result
    }

    /// Reads a plain value with no `_name` part (`Element.id`, `Extension.url`).
    #[inline(never)]
    pub fn plain_field<V: PrimitiveValue>(
        &mut self,
        slot: &mut Option<V>,
        kind: Kind,
    ) -> Result<(), Error> {
        *slot = Some(V::read(self, kind).map_err(|m| self.value_error(m))?);
        Ok(())
    }

    /// Reads a required plain value.
    #[inline(never)]
    pub fn required_plain_field<V: PrimitiveValue>(
        &mut self,
        slot: &mut V,
        kind: Kind,
    ) -> Result<(), Error> {
        *slot = V::read(self, kind).map_err(|m| self.value_error(m))?;
        Ok(())
    }

    /// Reads the `value` side of one primitive.
    fn primitive_value<V: PrimitiveValue, X>(
        &mut self,
        primitive: &mut Primitive<V, X>,
        kind: Kind,
    ) -> Result<(), Error> {
        primitive.value = Some(V::read(self, kind).map_err(|m| self.value_error(m))?);
        Ok(())
    }

    /// Reads the `_name` side of one primitive: `{"id", "extension"}`.
    fn primitive_element<V, X: Object + Empty>(
        &mut self,
        primitive: &mut Primitive<V, X>,
    ) -> Result<(), Error> {
        let mut element = PrimitiveElement::<X> {
            id: None,
            extension: Vec::new(),
        };
        self.object(&mut element, None)?;
        primitive.set_element(element);
        Ok(())
    }
}

impl<X: Object + Empty> Object for PrimitiveElement<X> {
    fn read_field(
        &mut self,
        key: &str,
        r: &mut Reader<'_>,
        _: &Seen,
    ) -> Result<Option<u16>, Error> {
        match key {
            "id" => r.plain_field(&mut self.id, Kind::String).map(|()| Some(0)),
            "extension" => r.object_field(&mut self.extension).map(|()| Some(1)),
            _ => Ok(None),
        }
    }

    fn required(&self) -> &'static [(&'static str, &'static [u16])] {
        &[]
    }

    fn write_fields(&self, w: &mut Writer) {
        w.plain_field("id", &self.id);
        w.object_field("extension", &self.extension);
    }

    fn elements<'a>(&'a self, e: &mut Elements<'a, '_>) {
        e.plain("id", &self.id, Kind::String);
        e.object("extension", &self.extension);
    }
}

/// Where a field's JSON goes: implemented for the field shapes generated code
/// uses, so one call reads `T`, `Option<T>`, `Box<T>` or `Vec<T>`.
pub trait ReadSlot {
    fn read_objects(&mut self, _: &mut Reader<'_>) -> Result<(), Error> {
        unreachable!("not an object field")
    }
    fn read_values(&mut self, _: &mut Reader<'_>, _: Kind) -> Result<(), Error> {
        unreachable!("not a primitive field")
    }
    fn read_elements(&mut self, _: &mut Reader<'_>) -> Result<(), Error> {
        unreachable!("not a primitive field")
    }
}

// Objects are read in place (into the placeholder the slot already holds, or
// one pushed for them): large structs are not moved after reading.

impl<T: Object + Empty> ReadSlot for T {
    fn read_objects(&mut self, r: &mut Reader<'_>) -> Result<(), Error> {
        r.object(self, None)
    }
}

impl<T: Object + Empty> ReadSlot for Option<T> {
    fn read_objects(&mut self, r: &mut Reader<'_>) -> Result<(), Error> {
        r.object(self.insert(T::empty()), None)
    }
}

impl<T: Object + Empty> ReadSlot for Vec<T> {
    fn read_objects(&mut self, r: &mut Reader<'_>) -> Result<(), Error> {
        r.array(|r, _| {
            self.push(T::empty());
            let last = self.len() - 1;
            r.object(&mut self[last], None)
        })
    }
}

impl<V: PrimitiveValue, X: Object + Empty> ReadSlot for Primitive<V, X> {
    fn read_values(&mut self, r: &mut Reader<'_>, kind: Kind) -> Result<(), Error> {
        r.primitive_value(self, kind)
    }
    fn read_elements(&mut self, r: &mut Reader<'_>) -> Result<(), Error> {
        r.primitive_element(self)
    }
}

impl<V: PrimitiveValue, X: Object + Empty> ReadSlot for Option<Primitive<V, X>> {
    fn read_values(&mut self, r: &mut Reader<'_>, kind: Kind) -> Result<(), Error> {
        r.primitive_value(self.get_or_insert_with(Primitive::blank), kind)
    }
    fn read_elements(&mut self, r: &mut Reader<'_>) -> Result<(), Error> {
        r.primitive_element(self.get_or_insert_with(Primitive::blank))
    }
}

impl<V: PrimitiveValue, X: Object + Empty> ReadSlot for Vec<Primitive<V, X>> {
    /// `"given": ["Ann", null]`: a null stands for an element whose `_given`
    /// entry has its extensions.
    fn read_values(&mut self, r: &mut Reader<'_>, kind: Kind) -> Result<(), Error> {
        r.array(|r, index| {
            if self.len() <= index {
                self.push(Primitive::blank());
            }
            if r.is_null()? {
                r.skip_null()
            } else {
                r.primitive_value(&mut self[index], kind)
            }
        })
    }

    fn read_elements(&mut self, r: &mut Reader<'_>) -> Result<(), Error> {
        r.array(|r, index| {
            if self.len() <= index {
                self.push(Primitive::blank());
            }
            if r.is_null()? {
                r.skip_null()
            } else {
                r.primitive_element(&mut self[index])
            }
        })
    }
}

/// Writes compact FHIR JSON.
#[derive(Default)]
pub struct Writer {
    out: Vec<u8>,
    /// Whether the object or array being written needs a comma before the next item.
    comma: bool,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    pub(crate) fn raw(&mut self, text: &str) {
        self.out.extend_from_slice(text.as_bytes());
    }

    pub(crate) fn string(&mut self, text: &str) {
        self.out.push(b'"');
        let mut start = 0;
        let bytes = text.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            let escape: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                0..=0x1f => b"",
                _ => continue,
            };
            self.out.extend_from_slice(&bytes[start..i]);
            if escape.is_empty() {
                self.out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
            } else {
                self.out.extend_from_slice(escape);
            }
            start = i + 1;
        }
        self.out.extend_from_slice(&bytes[start..]);
        self.out.push(b'"');
    }

    fn separator(&mut self) {
        if self.comma {
            self.out.push(b',');
        }
        self.comma = true;
    }

    pub(crate) fn key(&mut self, name: &str) {
        self.separator();
        self.string(name);
        self.out.push(b':');
    }

    /// Writes `name: [...]`, one item each; nothing for an empty list (FHIR
    /// JSON has no empty arrays).
    pub(crate) fn array<I>(
        &mut self,
        name: &str,
        items: &[I],
        mut write: impl FnMut(&mut Self, &I),
    ) {
        if items.is_empty() {
            return;
        }
        self.key(name);
        self.begin(b'[');
        for item in items {
            self.separator();
            write(self, item);
        }
        self.end(b']');
    }

    /// The key of a primitive's `_name` part.
    fn element_key(&mut self, name: &str) {
        self.separator();
        self.out.extend_from_slice(b"\"_");
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    fn begin(&mut self, bracket: u8) {
        self.out.push(bracket);
        self.comma = false;
    }

    fn end(&mut self, bracket: u8) {
        self.out.push(bracket);
        self.comma = true;
    }

    /// Writes `object` as a JSON object; with `resource_type`, that comes first.
    pub fn object(&mut self, object: &dyn Object, resource_type: Option<&str>) {
        self.begin(b'{');
        if let Some(resource_type) = resource_type {
            self.key("resourceType");
            self.string(resource_type);
        }
        object.write_fields(self);
        self.end(b'}');
    }

    /// Writes a resource as a whole document.
    pub fn resource<T: ResourceType>(&mut self, resource: &T) {
        self.object(resource, Some(T::RESOURCE_TYPE));
    }

    pub fn object_field<S: WriteSlot + ?Sized>(&mut self, name: &str, slot: &S) {
        slot.write_objects(name, self);
    }

    pub fn primitive_field<S: WriteSlot + ?Sized>(&mut self, name: &str, slot: &S) {
        slot.write_primitives(name, self);
    }

    pub fn choice_field<C: Choice>(&mut self, slot: &Option<C>) {
        if let Some(choice) = slot {
            choice.write_choice(self);
        }
    }

    pub fn required_choice_field<C: Choice>(&mut self, slot: &C) {
        slot.write_choice(self);
    }

    pub fn plain_field<V: PrimitiveValue>(&mut self, name: &str, slot: &Option<V>) {
        if let Some(value) = slot {
            self.key(name);
            value.write(self);
        }
    }

    pub fn required_plain_field<V: PrimitiveValue>(&mut self, name: &str, value: &V) {
        self.key(name);
        value.write(self);
    }

    /// Writes one primitive as `name` and, if it has an id or extensions, `_name`.
    pub fn primitive<V: PrimitiveValue, X: Object>(
        &mut self,
        name: &str,
        primitive: &Primitive<V, X>,
    ) {
        if let Some(value) = &primitive.value {
            self.key(name);
            value.write(self);
        }
        if primitive.has_element_part() {
            self.element_key(name);
            self.primitive_element(primitive);
        }
    }

    fn primitive_element<V, X: Object>(&mut self, primitive: &Primitive<V, X>) {
        self.begin(b'{');
        if let Some(id) = primitive.id() {
            self.key("id");
            self.string(id);
        }
        let extension = primitive.extension();
        self.array("extension", extension, |w, item| w.object(item, None));
        self.end(b'}');
    }

    /// Writes a field holding resources of any type.
    pub fn resource_field<S: ResourceSlot>(&mut self, name: &str, slot: &S) {
        slot.write_resources(name, self);
    }
}

/// What the enum of all resources implements, to be read and written where any
/// resource may stand.
pub trait AnyResource: Sized {
    fn read_any(r: &mut Reader<'_>) -> Result<Self, Error>;
    fn write_any(&self, w: &mut Writer);
    /// The resource held.
    fn as_object(&self) -> &dyn Object;
}

/// A resource of one type (a profile's, as `Bundle.entry:patient.resource`
/// holds it): read as that type, written with its `resourceType`.
impl<T: ResourceType + Empty + crate::DropOutOfLine> AnyResource for crate::Owned<T> {
    fn read_any(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(crate::Owned::from_box(r.resource_boxed()?))
    }

    fn write_any(&self, w: &mut Writer) {
        w.resource(&**self);
    }

    fn as_object(&self) -> &dyn Object {
        &**self
    }
}

/// The field shapes that hold resources of any type.
pub trait ResourceSlot {
    fn read_resources(&mut self, r: &mut Reader<'_>) -> Result<(), Error>;
    fn write_resources(&self, name: &str, w: &mut Writer);
    fn resource_nodes<'a>(&'a self, name: &'static str, e: &mut Elements<'a, '_>);
}

impl<R: AnyResource> ResourceSlot for Option<R> {
    fn read_resources(&mut self, r: &mut Reader<'_>) -> Result<(), Error> {
        *self = Some(R::read_any(r)?);
        Ok(())
    }

    fn write_resources(&self, name: &str, w: &mut Writer) {
        if let Some(resource) = self {
            w.key(name);
            resource.write_any(w);
        }
    }

    fn resource_nodes<'a>(&'a self, name: &'static str, e: &mut Elements<'a, '_>) {
        if let Some(resource) = self {
            e.push(name, Node::Resource(resource.as_object()), false);
        }
    }
}

impl<R: AnyResource> ResourceSlot for Vec<R> {
    fn read_resources(&mut self, r: &mut Reader<'_>) -> Result<(), Error> {
        r.array(|r, _| {
            self.push(R::read_any(r)?);
            Ok(())
        })
    }

    fn write_resources(&self, name: &str, w: &mut Writer) {
        w.array(name, self, |w, resource| resource.write_any(w));
    }

    fn resource_nodes<'a>(&'a self, name: &'static str, e: &mut Elements<'a, '_>) {
        for resource in self {
            e.push(name, Node::Resource(resource.as_object()), true);
        }
    }
}

/// The field shapes generated code writes.
pub trait WriteSlot {
    fn write_objects(&self, _: &str, _: &mut Writer) {
        unreachable!("not an object field")
    }
    fn write_primitives(&self, _: &str, _: &mut Writer) {
        unreachable!("not a primitive field")
    }
    /// Gives the objects held to `e` (for FHIRPath).
    fn object_nodes<'a>(&'a self, _: &'static str, _: &mut Elements<'a, '_>) {
        unreachable!("not an object field")
    }
    /// Gives the primitives held to `e`, typed by `kind`.
    fn primitive_nodes<'a>(&'a self, _: &'static str, _: Kind, _: &mut Elements<'a, '_>) {
        unreachable!("not a primitive field")
    }
}

impl<T: Object> WriteSlot for T {
    fn write_objects(&self, name: &str, w: &mut Writer) {
        w.key(name);
        w.object(self, None);
    }

    fn object_nodes<'a>(&'a self, name: &'static str, e: &mut Elements<'a, '_>) {
        e.push(name, Node::Object(self), false);
    }
}

impl<T: Object> WriteSlot for Option<T> {
    fn write_objects(&self, name: &str, w: &mut Writer) {
        if let Some(value) = self {
            w.key(name);
            w.object(value, None);
        }
    }

    fn object_nodes<'a>(&'a self, name: &'static str, e: &mut Elements<'a, '_>) {
        if let Some(value) = self {
            e.push(name, Node::Object(value), false);
        }
    }
}

impl<T: Object> WriteSlot for Vec<T> {
    fn write_objects(&self, name: &str, w: &mut Writer) {
        w.array(name, self, |w, item| w.object(item, None));
    }

    fn object_nodes<'a>(&'a self, name: &'static str, e: &mut Elements<'a, '_>) {
        for item in self {
            e.push(name, Node::Object(item), true);
        }
    }
}

impl<V: PrimitiveValue, X: Object> WriteSlot for Primitive<V, X> {
    fn write_primitives(&self, name: &str, w: &mut Writer) {
        w.primitive(name, self);
    }

    fn primitive_nodes<'a>(&'a self, name: &'static str, kind: Kind, e: &mut Elements<'a, '_>) {
        e.push(name, Node::Primitive(self, kind), false);
    }
}

impl<V: PrimitiveValue, X: Object> WriteSlot for Option<Primitive<V, X>> {
    fn write_primitives(&self, name: &str, w: &mut Writer) {
        if let Some(primitive) = self {
            w.primitive(name, primitive);
        }
    }

    fn primitive_nodes<'a>(&'a self, name: &'static str, kind: Kind, e: &mut Elements<'a, '_>) {
        if let Some(primitive) = self {
            e.push(name, Node::Primitive(primitive, kind), false);
        }
    }
}

impl<V: PrimitiveValue, X: Object> WriteSlot for Vec<Primitive<V, X>> {
    fn write_primitives(&self, name: &str, w: &mut Writer) {
        w.primitive_list(name, self);
    }

    fn primitive_nodes<'a>(&'a self, name: &'static str, kind: Kind, e: &mut Elements<'a, '_>) {
        for primitive in self {
            e.push(name, Node::Primitive(primitive, kind), true);
        }
    }
}

impl Writer {
    /// Writes a repeating primitive: `name` with the values (`null` where an
    /// item has none) and, if any item has an id or extensions, `_name`.
    pub(crate) fn primitive_list<V: PrimitiveValue, X: Object>(
        &mut self,
        name: &str,
        items: &[Primitive<V, X>],
    ) {
        if items.iter().any(|p| p.value.is_some()) {
            self.array(name, items, |w, primitive| match &primitive.value {
                Some(value) => value.write(w),
                None => w.raw("null"),
            });
        }
        if items.iter().any(Primitive::has_element_part) {
            self.element_key(name);
            self.begin(b'[');
            for primitive in items {
                self.separator();
                if primitive.has_element_part() {
                    self.primitive_element(primitive);
                } else {
                    self.raw("null");
                }
            }
            self.end(b']');
        }
    }
}
