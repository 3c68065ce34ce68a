use std::fmt;

/// What kind of problem an [`Error`] is: the FHIR issue type
/// (`OperationOutcome.issue.code`, value set `issue-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueCode {
    /// Not FHIR JSON of the expected shape: unknown property, wrong JSON
    /// type, empty array, duplicate property, syntax.
    Structure,
    /// A required element (or slice) is missing.
    Required,
    /// A value is invalid: a malformed primitive, a fixed value or pattern
    /// not met.
    Value,
    /// A code is not in the value set a required binding names.
    CodeInvalid,
    /// Otherwise invalid against the specification or a profile (the parent
    /// of the codes above): too many items, a wrong reference target.
    Invalid,
    /// A constraint (invariant) of the type or profile does not hold.
    Invariant,
    /// Not a problem of the resource: something that could not be checked
    /// (a slice told by a value set that does not expand offline).
    Informational,
}

impl IssueCode {
    /// The code, as `OperationOutcome.issue.code` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueCode::Structure => "structure",
            IssueCode::Required => "required",
            IssueCode::Value => "value",
            IssueCode::CodeInvalid => "code-invalid",
            IssueCode::Invalid => "invalid",
            IssueCode::Invariant => "invariant",
            IssueCode::Informational => "informational",
        }
    }
}

/// Why FHIR JSON could not be read (or, in a lenient read, what was let
/// through): the FHIRPath-like location (`Patient.name[0].given[1]`), the
/// kind of problem and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub path: String,
    pub message: String,
    pub code: IssueCode,
}

impl Error {
    /// An error of kind [`IssueCode::Invalid`]; see [`Self::with_code`].
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
            code: IssueCode::Invalid,
        }
    }

    pub fn with_code(mut self, code: IssueCode) -> Self {
        self.code = code;
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for Error {}

/// The message of a required element (or required property) that is absent.
pub(crate) const REQUIRED_MISSING: &str = "required element is missing";

/// Something a lenient read let through, with where it was.
pub type Issue = Error;

/// What is wrong with a value, or found by an object's checks once it is
/// read, before the reader adds where: the issue type, the property below
/// the object it concerns (`component:diastolic`; empty for a value) and
/// the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: IssueCode,
    pub at: String,
    pub message: String,
}

impl Problem {
    pub fn new(code: IssueCode, at: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            at: at.into(),
            message: message.into(),
        }
    }

    /// A value that is not valid ([`IssueCode::Value`]).
    pub fn value(message: impl Into<String>) -> Self {
        Self::new(IssueCode::Value, "", message)
    }

    /// A code outside the required value set ([`IssueCode::CodeInvalid`]).
    pub fn code_invalid(message: impl Into<String>) -> Self {
        Self::new(IssueCode::CodeInvalid, "", message)
    }
}

/// A malformed value: the messages of the primitive parsers.
impl From<String> for Problem {
    fn from(message: String) -> Self {
        Self::value(message)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.at, self.message)
        }
    }
}
