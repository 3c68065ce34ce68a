//! Doc comments from FHIR definitions: short, and safe for rustdoc (no
//! accidental links, HTML or doctests).

use proc_macro2::TokenStream;
use quote::quote;

use crate::conformance::Max;
use crate::ir::Field;

/// `#[doc = "..."]` attributes, one per line.
pub fn doc_attrs(lines: &[String]) -> TokenStream {
    let lines = lines.iter().map(|line| {
        let text = if line.is_empty() {
            String::new()
        } else {
            format!(" {}", sanitize(line))
        };
        quote!(#[doc = #text])
    });
    quote!(#(#lines)*)
}

/// Brackets would be read as intra-doc links, `<` as HTML, and code fences as
/// doctests.
pub fn sanitize(text: &str) -> String {
    // A bare carriage return (some definitions use them as line breaks) is
    // not allowed in a doc comment.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let joined = text
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join(" ");
    let joined = joined.replace("```", "'''");
    // Only outside `code spans`: inside them nothing is interpreted.
    joined
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                part.to_owned()
            } else {
                code_urls(
                    &part
                        .replace('\\', "\\\\")
                        .replace('[', "\\[")
                        .replace(']', "\\]")
                        .replace('<', "&lt;")
                        .replace('>', "&gt;"),
                )
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

/// Bare URLs as code spans (rustdoc warns about bare URLs, and a canonical
/// URL is an identifier more than a link).
fn code_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let next = |text: &str| {
        [text.find("http://"), text.find("https://")]
            .into_iter()
            .flatten()
            .min()
    };
    while let Some(start) = next(rest) {
        out.push_str(&rest[..start]);
        let url = &rest[start..];
        let mut end = url
            .find(|c: char| c.is_whitespace() || c == '`' || c == '"' || c == '\\')
            .unwrap_or(url.len());
        // Trailing punctuation belongs to the sentence.
        while end > 0 && url[..end].ends_with(['.', ',', ';', ':', ')', '\'']) {
            end -= 1;
        }
        out.push('`');
        out.push_str(&url[..end]);
        out.push('`');
        rest = &url[end..];
    }
    out.push_str(rest);
    out
}

/// A field's doc attributes: [`field_doc`], whose notes are the generator's
/// own Markdown (links to the code enums) and are kept as they are.
pub fn field_doc_attrs(f: &Field) -> TokenStream {
    let lines = field_doc(f);
    let definition = lines.len() - 2 * f.notes.len();
    let notes = lines[definition..].iter().map(|line| {
        let text = if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        quote!(#[doc = #text])
    });
    let definition = doc_attrs(&lines[..definition]);
    quote!(#definition #(#notes)*)
}

/// A field's doc: its short text, then path, cardinality, binding, modifier.
pub fn field_doc(f: &Field) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(short) = &f.short {
        lines.push(short.clone());
        lines.push(String::new());
    }
    let max = match f.max {
        Max::Count(n) => n.to_string(),
        Max::Unbounded => "*".to_owned(),
    };
    let mut facts = format!("`{}` {}..{}", f.path, f.min, max);
    if let Some((strength, value_set)) = &f.binding {
        facts.push_str(&format!(", {strength} binding to `{value_set}`"));
    }
    if f.is_modifier {
        facts.push_str(", modifier");
    }
    if f.must_support {
        facts.push_str(", Must Support");
    }
    if let Some(pattern) = &f.pattern {
        let what = if pattern.exact { "fixed" } else { "pattern" };
        facts.push_str(&format!(", {what} `{}`", pattern.json));
    }
    lines.push(facts);
    for note in &f.notes {
        lines.push(String::new());
        lines.push(note.clone());
    }
    lines
}
