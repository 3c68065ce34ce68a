//! FHIR JSON as a tree, for code that walks a resource without its
//! generated type (FHIRPath over any resource, FHIR XML read into JSON).
//! Numbers keep their text, so a decimal keeps its digits.

use std::fmt::Write as _;

use jiter::{Jiter, Peek};

/// A JSON value; objects keep their properties in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// A number as written (`1.50`).
    Number(Box<str>),
    String(Box<str>),
    Array(Vec<Json>),
    Object(Vec<(Box<str>, Json)>),
}

impl Json {
    /// Parses JSON text (a leading byte-order mark is skipped), nesting no
    /// deeper than the reader's limit. The error names the line and column.
    pub fn parse(json: &[u8]) -> Result<Json, String> {
        let json = crate::json::strip_bom(json);
        let mut jiter = Jiter::new(json);
        let describe = |jiter: &Jiter<'_>, e: jiter::JiterError| match &e.error_type {
            jiter::JiterErrorType::JsonError(kind) => {
                crate::json::describe_json_error(json, kind, e.index)
            }
            other => {
                let at = jiter.error_position(e.index);
                format!("not JSON: {other} at line {} column {}", at.line, at.column)
            }
        };
        let peek = jiter.peek().map_err(|e| describe(&jiter, e))?;
        let value = read(&mut jiter, peek, 0).map_err(|e| match e {
            TreeError::Json(e) => describe(&jiter, e),
            TreeError::Deep(steps) => format!(
                "{} at {}",
                crate::limits::too_deep_message(crate::limits::max_depth()),
                location(&steps)
            ),
        })?;
        jiter.finish().map_err(|e| describe(&jiter, e))?;
        Ok(value)
    }

    /// The property `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(properties) => {
                properties.iter().find(|(k, _)| &**k == key).map(|(_, v)| v)
            }
            _ => None,
        }
    }

    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as the profile checker ([`crate::check`]) reads it, strings
    /// borrowed: integers that fit `i64` as `Int`, other numbers as `Float`
    /// (their exact text stays here, for the reads that need it). Made from
    /// the tree, so that it takes what the tree takes (any number, the same
    /// nesting limit) and every command gives one verdict.
    pub fn to_value(&self) -> jiter::JsonValue<'_> {
        use jiter::JsonValue;
        use std::borrow::Cow;
        use std::sync::Arc;
        match self {
            Json::Null => JsonValue::Null,
            Json::Bool(b) => JsonValue::Bool(*b),
            Json::Number(n) => match n.parse::<i64>() {
                Ok(int) => JsonValue::Int(int),
                Err(_) => JsonValue::Float(n.parse::<f64>().unwrap_or(f64::NAN)),
            },
            Json::String(s) => JsonValue::Str(Cow::Borrowed(s)),
            Json::Array(items) => {
                JsonValue::Array(Arc::new(items.iter().map(Json::to_value).collect()))
            }
            Json::Object(properties) => JsonValue::Object(Arc::new(
                properties
                    .iter()
                    .map(|(k, v)| (Cow::Borrowed(&**k), v.to_value()))
                    .collect(),
            )),
        }
    }

    /// Writes the value as compact JSON.
    pub fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::String(s) => write_string(s, out),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(properties) => {
                out.push('{');
                for (i, (key, value)) in properties.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(key, out);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

pub use fhirgen_fhirpath::write_json_string as write_string;

enum TreeError {
    Json(jiter::JiterError),
    /// Nesting beyond the limit, with the steps from the top to where it
    /// happened, innermost first.
    Deep(Vec<Step>),
}

enum Step {
    Key(Box<str>),
    Index(usize),
}

impl TreeError {
    fn inside(self, step: Step) -> Self {
        match self {
            TreeError::Deep(mut steps) => {
                steps.push(step);
                TreeError::Deep(steps)
            }
            other => other,
        }
    }
}

/// The FHIRPath-like location of `steps` (outermost last), from the
/// resource type when the top object names one: `Patient.extension[0].url`.
fn location(steps: &[Step]) -> String {
    let mut path = String::new();
    for step in steps.iter().rev() {
        match step {
            Step::Key(key) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key.strip_prefix('_').unwrap_or(key));
            }
            Step::Index(index) => {
                let _ = write!(path, "[{index}]");
            }
        }
    }
    path
}

impl From<jiter::JiterError> for TreeError {
    fn from(e: jiter::JiterError) -> Self {
        TreeError::Json(e)
    }
}

/// Reads the value `peek` starts; `depth` objects and arrays enclose it.
fn read(jiter: &mut Jiter<'_>, peek: Peek, depth: usize) -> Result<Json, TreeError> {
    Ok(match peek {
        Peek::Null => {
            jiter.known_null()?;
            Json::Null
        }
        Peek::True | Peek::False => Json::Bool(jiter.known_bool(peek)?),
        Peek::String => Json::String(jiter.known_str()?.into()),
        Peek::Array | Peek::Object if depth >= crate::limits::max_depth() => {
            return Err(TreeError::Deep(Vec::new()));
        }
        Peek::Array => {
            let mut items = Vec::new();
            let mut next = jiter.known_array()?;
            while let Some(peek) = next {
                let item =
                    read(jiter, peek, depth + 1).map_err(|e| e.inside(Step::Index(items.len())))?;
                items.push(item);
                next = jiter.array_step()?;
            }
            Json::Array(items)
        }
        Peek::Object => {
            let mut properties: Vec<(Box<str>, Json)> = Vec::new();
            let mut key = jiter.known_object()?.map(Box::<str>::from);
            while let Some(k) = key {
                let peek = jiter.peek()?;
                let value = match read(jiter, peek, depth + 1) {
                    Ok(value) => value,
                    Err(e) => {
                        let e = e.inside(Step::Key(k));
                        let named = properties.iter().find(|(k, _)| &**k == "resourceType");
                        return Err(match (depth, named) {
                            (0, Some((_, Json::String(name)))) => e.inside(Step::Key(name.clone())),
                            _ => e,
                        });
                    }
                };
                properties.push((k, value));
                key = jiter.next_key()?.map(Box::<str>::from);
            }
            Json::Object(properties)
        }
        _ => {
            let bytes = jiter.known_number_bytes(peek)?;
            Json::Number(String::from_utf8_lossy(bytes).into())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::Json;

    #[test]
    fn numbers_keep_their_digits() {
        let json = Json::parse(br#"{"a":[1.50,true,null,"x"]}"#).unwrap();
        let mut out = String::new();
        json.write(&mut out);
        assert_eq!(out, r#"{"a":[1.50,true,null,"x"]}"#);
    }

    #[test]
    fn errors_say_what_is_wrong_and_where() {
        let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
        let message = Json::parse(deep.as_bytes()).unwrap_err();
        assert!(
            message.starts_with("objects and arrays nested deeper than 200 levels"),
            "{message}"
        );
        let message = Json::parse(br#"{"a":"\ud800x"}"#).unwrap_err();
        assert!(
            message.contains("lone surrogate") && message.ends_with("line 1 column 13"),
            "{message}"
        );
        let message = Json::parse(br#"{"a":"\udc00"}"#).unwrap_err();
        assert!(message.contains("lone surrogate"), "{message}");
        let message = Json::parse(b"{\"a\":\n  tru}").unwrap_err();
        assert!(
            message.starts_with("not JSON:") && message.contains("line 2"),
            "{message}"
        );
        // A byte-order mark is not an error.
        assert!(Json::parse(b"\xEF\xBB\xBF{}").is_ok());
    }
}
