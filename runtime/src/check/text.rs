//! The text form of a rule table: what a generated crate embeds for each of
//! its profiles (as prost embeds file descriptors), read back on first use.
//! JSON, one object per element rule, with only what the rule sets:
//!
//! ```json
//! {"url": "...", "type": "Observation", "root": {"id": "Observation", "name": "Observation",
//!   "children": [{"id": "Observation.status", "name": "status", "min": 1, "max": 1,
//!     "codes": {"valueSet": "...", "code": true, "codes": [["system", "final"]]}}]}}
//! ```
//!
//! A `profile` discriminator names its profiles by URL; reading finds their
//! tables through the resolver given.

use std::fmt::Write as _;
use std::sync::Arc;

use jiter::JsonValue;

use super::{
    CodeRule, Discriminator, ElementRule, ProfileRules, SliceRule, SlicingRule, ValueRule,
};

impl ProfileRules {
    /// The table as JSON text.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        out.push_str("{\"url\":");
        string(&mut out, &self.url);
        out.push_str(",\"type\":");
        string(&mut out, &self.resource_type);
        out.push_str(",\"root\":");
        element(&mut out, &self.root);
        out.push('}');
        out
    }

    /// The table of [`Self::to_json`]'s `text`; `profile` gives the table of
    /// each profile a `profile` discriminator names (`None`: that
    /// discriminator cannot be decided).
    pub fn from_json(
        text: &str,
        profile: &dyn Fn(&str) -> Option<Arc<ProfileRules>>,
    ) -> Result<Self, String> {
        let value = JsonValue::parse(text.as_bytes(), false).map_err(|e| e.to_string())?;
        let reader = Read { profile };
        Ok(ProfileRules {
            url: reader.text(&value, "url")?,
            resource_type: reader.text(&value, "type")?,
            root: reader.element(field(&value, "root").ok_or("no root")?)?,
        })
    }
}

fn string(out: &mut String, text: &str) {
    crate::tree::write_string(text, out);
}

fn strings<S: AsRef<str>>(out: &mut String, items: &[S]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, item.as_ref());
    }
    out.push(']');
}

fn pairs(out: &mut String, codes: &[(String, String)]) {
    out.push('[');
    for (i, (system, code)) in codes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        string(out, system);
        out.push(',');
        string(out, code);
        out.push(']');
    }
    out.push(']');
}

fn element(out: &mut String, rule: &ElementRule) {
    out.push_str("{\"id\":");
    string(out, &rule.id);
    out.push_str(",\"name\":");
    string(out, &rule.name);
    if rule.min > 0 {
        let _ = write!(out, ",\"min\":{}", rule.min);
    }
    if let Some(max) = rule.max {
        let _ = write!(out, ",\"max\":{max}");
    }
    if rule.repeats {
        out.push_str(",\"repeats\":true");
    }
    if let Some(choice) = &rule.choice {
        out.push_str(",\"choice\":");
        strings(out, choice);
    }
    if let Some(value) = &rule.value {
        out.push_str(",\"value\":");
        value_rule(out, value);
    }
    if let Some(codes) = &rule.codes {
        out.push_str(",\"codes\":{\"valueSet\":");
        string(out, &codes.value_set);
        let _ = write!(out, ",\"code\":{},\"codes\":", codes.is_code);
        pairs(out, &codes.codes);
        out.push('}');
    }
    if !rule.targets.is_empty() {
        out.push_str(",\"targets\":");
        strings(out, &rule.targets);
    }
    if !rule.children.is_empty() {
        out.push_str(",\"children\":[");
        for (i, child) in rule.children.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            element(out, child);
        }
        out.push(']');
    }
    if let Some(slicing) = &rule.slicing {
        let _ = write!(
            out,
            ",\"slicing\":{{\"closed\":{},\"openAtEnd\":{},\"ordered\":{},\"slices\":[",
            slicing.closed, slicing.open_at_end, slicing.ordered
        );
        for (i, slice) in slicing.slices.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"name\":");
            string(out, &slice.name);
            out.push_str(",\"discriminators\":[");
            for (j, d) in slice.discriminators.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                discriminator(out, d);
            }
            out.push_str("],\"element\":");
            element(out, &slice.element);
            out.push('}');
        }
        out.push_str("]}");
    }
    out.push('}');
}

fn value_rule(out: &mut String, value: &ValueRule) {
    out.push_str("{\"json\":");
    string(out, &value.text);
    let _ = write!(out, ",\"exact\":{}}}", value.exact);
}

fn discriminator(out: &mut String, d: &Discriminator) {
    let (kind, path) = match d {
        Discriminator::Value { path, .. } => ("value", path),
        Discriminator::Type { path, .. } => ("type", path),
        Discriminator::Profile { path, .. } => ("profile", path),
        Discriminator::Exists { path, .. } => ("exists", path),
        Discriminator::Codes { path, .. } => ("codes", path),
        Discriminator::Undecidable { path, .. } => ("undecidable", path),
    };
    let _ = write!(out, "{{\"kind\":\"{kind}\",\"path\":");
    string(out, path);
    match d {
        Discriminator::Value { rule, .. } => {
            out.push_str(",\"value\":");
            value_rule(out, rule);
        }
        Discriminator::Type { codes, .. } => {
            out.push_str(",\"codes\":");
            strings(out, codes);
        }
        Discriminator::Profile { profiles, .. } => {
            let urls: Vec<&str> = profiles.iter().map(|p| p.url.as_str()).collect();
            out.push_str(",\"profiles\":");
            strings(out, &urls);
        }
        Discriminator::Exists { present, .. } => {
            let _ = write!(out, ",\"present\":{present}");
        }
        Discriminator::Codes { codes, .. } => {
            out.push_str(",\"codes\":");
            pairs(out, codes);
        }
        Discriminator::Undecidable { reason, .. } => {
            out.push_str(",\"reason\":");
            string(out, reason);
        }
    }
    out.push('}');
}

fn field<'a, 'j>(value: &'a JsonValue<'j>, key: &str) -> Option<&'a JsonValue<'j>> {
    match value {
        JsonValue::Object(object) => object.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

fn list<'a, 'j>(value: &'a JsonValue<'j>, key: &str) -> &'a [JsonValue<'j>] {
    match field(value, key) {
        Some(JsonValue::Array(items)) => items.as_slice(),
        _ => &[],
    }
}

struct Read<'r> {
    profile: &'r dyn Fn(&str) -> Option<Arc<ProfileRules>>,
}

impl Read<'_> {
    fn text(&self, value: &JsonValue<'_>, key: &str) -> Result<String, String> {
        match field(value, key) {
            Some(JsonValue::Str(s)) => Ok(s.to_string()),
            _ => Err(format!("`{key}` is not a string")),
        }
    }

    fn texts(&self, items: &[JsonValue<'_>]) -> Result<Vec<String>, String> {
        items
            .iter()
            .map(|v| match v {
                JsonValue::Str(s) => Ok(s.to_string()),
                _ => Err("expected a string".to_owned()),
            })
            .collect()
    }

    fn pairs(&self, items: &[JsonValue<'_>]) -> Result<Vec<(String, String)>, String> {
        items
            .iter()
            .map(|pair| match pair {
                JsonValue::Array(p) => match p.as_slice() {
                    [JsonValue::Str(system), JsonValue::Str(code)] => {
                        Ok((system.to_string(), code.to_string()))
                    }
                    _ => Err("expected a [system, code] pair".to_owned()),
                },
                _ => Err("expected a [system, code] pair".to_owned()),
            })
            .collect()
    }

    fn count(&self, value: &JsonValue<'_>, key: &str) -> Result<Option<u32>, String> {
        match field(value, key) {
            None => Ok(None),
            Some(JsonValue::Int(n)) => u32::try_from(*n).map(Some).map_err(|e| e.to_string()),
            Some(_) => Err(format!("`{key}` is not a count")),
        }
    }

    fn flag(&self, value: &JsonValue<'_>, key: &str) -> bool {
        matches!(field(value, key), Some(JsonValue::Bool(true)))
    }

    fn value_rule(&self, value: &JsonValue<'_>) -> Result<ValueRule, String> {
        let text = self.text(value, "json")?;
        ValueRule::new(text, self.flag(value, "exact"))
            .ok_or_else(|| "a value that is not JSON".to_owned())
    }

    fn element(&self, value: &JsonValue<'_>) -> Result<ElementRule, String> {
        let id = self.text(value, "id")?;
        let within = |e: String| format!("{id}: {e}");
        let slicing = match field(value, "slicing") {
            None => None,
            Some(slicing) => Some(SlicingRule {
                closed: self.flag(slicing, "closed"),
                open_at_end: self.flag(slicing, "openAtEnd"),
                ordered: self.flag(slicing, "ordered"),
                slices: list(slicing, "slices")
                    .iter()
                    .map(|slice| self.slice(slice))
                    .collect::<Result<_, _>>()
                    .map_err(within)?,
            }),
        };
        Ok(ElementRule {
            name: self.text(value, "name").map_err(within)?,
            min: self.count(value, "min").map_err(within)?.unwrap_or(0),
            max: self.count(value, "max").map_err(within)?,
            repeats: self.flag(value, "repeats"),
            choice: match field(value, "choice") {
                Some(JsonValue::Array(items)) => Some(self.texts(items).map_err(within)?),
                _ => None,
            },
            value: field(value, "value")
                .map(|v| self.value_rule(v))
                .transpose()
                .map_err(within)?,
            codes: match field(value, "codes") {
                Some(codes) => Some(CodeRule {
                    value_set: self.text(codes, "valueSet").map_err(within)?,
                    codes: self.pairs(list(codes, "codes")).map_err(within)?,
                    is_code: self.flag(codes, "code"),
                }),
                None => None,
            },
            targets: self.texts(list(value, "targets")).map_err(within)?,
            children: list(value, "children")
                .iter()
                .map(|child| self.element(child))
                .collect::<Result<_, _>>()?,
            slicing,
            id,
        })
    }

    fn slice(&self, value: &JsonValue<'_>) -> Result<SliceRule, String> {
        Ok(SliceRule {
            name: self.text(value, "name")?,
            discriminators: list(value, "discriminators")
                .iter()
                .map(|d| self.discriminator(d))
                .collect::<Result<_, _>>()?,
            element: self.element(field(value, "element").ok_or("a slice with no element")?)?,
        })
    }

    fn discriminator(&self, value: &JsonValue<'_>) -> Result<Discriminator, String> {
        let path = self.text(value, "path")?;
        Ok(match self.text(value, "kind")?.as_str() {
            "value" => Discriminator::Value {
                rule: self.value_rule(field(value, "value").ok_or("no value")?)?,
                path,
            },
            "type" => Discriminator::Type {
                codes: self.texts(list(value, "codes"))?,
                path,
            },
            "profile" => {
                let urls = self.texts(list(value, "profiles"))?;
                let found: Option<Vec<_>> = urls.iter().map(|url| (self.profile)(url)).collect();
                match found {
                    Some(profiles) => Discriminator::Profile { path, profiles },
                    None => Discriminator::Undecidable {
                        reason: format!("the rules of {} are not at hand", urls.join(", ")),
                        path,
                    },
                }
            }
            "exists" => Discriminator::Exists {
                present: self.flag(value, "present"),
                path,
            },
            "codes" => Discriminator::Codes {
                codes: self.pairs(list(value, "codes"))?,
                path,
            },
            "undecidable" => Discriminator::Undecidable {
                reason: self.text(value, "reason")?,
                path,
            },
            other => return Err(format!("unknown discriminator kind `{other}`")),
        })
    }
}
