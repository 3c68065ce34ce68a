//! FHIR's rules for narrative XHTML (`xhtml`, R4 narrative.html#xhtml and
//! the invariants `txt-1`, `txt-2`): well-formed XML whose root is a `div`
//! in the XHTML namespace, only HTML 4's basic formatting elements and
//! attributes, links and images, no active content (scripts, forms, frames,
//! objects, event attributes, `javascript:` URLs), no DOCTYPE or entities
//! beyond XML's own, and some content. A client that shows `text.div` runs
//! whatever it holds: these are security rules as much as format rules.

use quick_xml::events::{BytesStart, Event};

/// The XHTML namespace the root `div` must declare.
const XHTML: &str = "http://www.w3.org/1999/xhtml";

/// HTML 4's basic formatting elements (chapters 7-11 and 15, less what is
/// deprecated), links and images: what the HL7 validator allows.
/// Sorted (looked up by binary search).
const ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "address",
    "area",
    "b",
    "bdo",
    "big",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "map",
    "ol",
    "p",
    "pre",
    "q",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "tt",
    "ul",
    "var",
];

/// The attributes those elements may carry (no event handlers).
/// Sorted (looked up by binary search).
const ATTRIBUTES: &[&str] = &[
    "abbr",
    "accesskey",
    "align",
    "alt",
    "axis",
    "border",
    "cellpadding",
    "cellspacing",
    "char",
    "charoff",
    "charset",
    "cite",
    "class",
    "colspan",
    "coords",
    "datetime",
    "dir",
    "frame",
    "headers",
    "height",
    "href",
    "hreflang",
    "id",
    "ismap",
    "lang",
    "longdesc",
    "name",
    "nohref",
    "rel",
    "rev",
    "rowspan",
    "rules",
    "scope",
    "shape",
    "span",
    "src",
    "start",
    "style",
    "summary",
    "tabindex",
    "title",
    "type",
    "usemap",
    "valign",
    "value",
    "width",
    "xml:lang",
];

/// Attributes that hold a URL.
const URL_ATTRIBUTES: &[&str] = &["href", "src", "longdesc", "cite", "usemap"];

/// Checks narrative XHTML; the problem found first.
pub(crate) fn check(text: &str) -> Result<(), String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    let mut roots = 0usize;
    let mut content = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("the narrative is not well-formed XHTML: {e}"))?;
        match event {
            Event::Start(element) => {
                open(&element, depth, &mut roots, &mut content)?;
                depth += 1;
            }
            // Self-closing (`<br/>`): opens nothing.
            Event::Empty(element) => open(&element, depth, &mut roots, &mut content)?,
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Text(text) => {
                let text = String::from_utf8_lossy(text.as_ref());
                if depth == 0 && !text.trim().is_empty() {
                    return Err("the narrative has text outside its <div>".to_owned());
                }
                content |= !text.trim().is_empty();
            }
            Event::CData(_) => content = true,
            Event::GeneralRef(reference) => {
                let name = String::from_utf8_lossy(reference.as_ref());
                let known = matches!(&*name, "lt" | "gt" | "amp" | "quot" | "apos")
                    || name.starts_with('#');
                if !known {
                    return Err(format!(
                        "the narrative uses the entity `&{name};`: only XML's own and numeric character references are allowed"
                    ));
                }
                content = true;
            }
            Event::DocType(_) => {
                return Err(
                    "the narrative must not have a DOCTYPE (nor the entities one declares)"
                        .to_owned(),
                );
            }
            Event::Decl(_) | Event::PI(_) => {
                return Err(
                    "the narrative must not have an XML declaration or processing instruction"
                        .to_owned(),
                );
            }
            Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if depth > 0 {
        return Err("the narrative is not well-formed XHTML: an element is not closed".to_owned());
    }
    if roots == 0 {
        return Err("the narrative must be one <div> element".to_owned());
    }
    if !content {
        return Err("the narrative must have some non-whitespace content (txt-2)".to_owned());
    }
    Ok(())
}

/// An element begins at `depth`: one `div` at the top, and what it may be.
fn open(
    element: &BytesStart<'_>,
    depth: usize,
    roots: &mut usize,
    content: &mut bool,
) -> Result<(), String> {
    let name = std::str::from_utf8(element.name().as_ref())
        .unwrap_or_default()
        .to_owned();
    if depth == 0 {
        *roots += 1;
        if *roots > 1 || name != "div" {
            return Err(format!(
                "the narrative must be one <div> element; found <{name}> at its top"
            ));
        }
    }
    check_element(element, &name, depth == 0)?;
    *content |= name == "img";
    Ok(())
}

fn check_element(element: &BytesStart<'_>, name: &str, root: bool) -> Result<(), String> {
    if ELEMENTS.binary_search(&name).is_err() {
        return Err(format!(
            "the narrative may not contain <{name}> (only HTML's basic formatting elements, links and images; no active content)"
        ));
    }
    let mut namespace = None;
    for attribute in element.attributes() {
        let attribute =
            attribute.map_err(|e| format!("the narrative is not well-formed XHTML: {e}"))?;
        let key = std::str::from_utf8(attribute.key.as_ref()).unwrap_or_default();
        // As a browser reads it: `javascript&#58;` is `javascript:`.
        let value = attribute
            .unescape_value()
            .map_err(|e| format!("the narrative is not well-formed XHTML: {e}"))?;
        if key == "xmlns" {
            namespace = Some(value.into_owned());
            continue;
        }
        if ATTRIBUTES.binary_search(&key).is_err() {
            return Err(format!(
                "the narrative may not use the attribute `{key}` on <{name}> (no event handlers or other active content)"
            ));
        }
        // Only a URL or a style can carry script; other values are not looked at.
        let is_url = URL_ATTRIBUTES.contains(&key);
        if !is_url && key != "style" {
            continue;
        }
        // A URL's scheme is in its first letters (a `data:` URL can be long).
        let scheme: String = value
            .chars()
            .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
            .map(|c| c.to_ascii_lowercase())
            .take(if is_url {
                "javascript:".len()
            } else {
                usize::MAX
            })
            .collect();
        if is_url && (scheme.starts_with("javascript:") || scheme.starts_with("vbscript:")) {
            return Err(format!(
                "the narrative may not link to script: `{key}` on <{name}> is a {} URL",
                scheme.split(':').next().unwrap_or_default()
            ));
        }
        if key == "style" && (scheme.contains("expression(") || scheme.contains("javascript:")) {
            return Err(format!(
                "the narrative may not run script from a style attribute on <{name}>"
            ));
        }
    }
    if root && namespace.as_deref() != Some(XHTML) {
        return Err(format!(
            "the narrative's <div> must declare the XHTML namespace (xmlns=\"{XHTML}\")"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn script_urls_are_found_behind_character_references() {
        let div = |a: &str| {
            format!("<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"{a}\">x</a></div>")
        };
        assert!(super::check(&div("https://example.org")).is_ok());
        for hidden in [
            "javascript&#58;alert(1)",
            "java&#x73;cript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:x",
        ] {
            let message = super::check(&div(hidden)).unwrap_err();
            assert!(
                message.contains("may not link to script"),
                "{hidden}: {message}"
            );
        }
    }

    #[test]
    fn the_lists_are_sorted_for_binary_search() {
        assert!(super::ELEMENTS.is_sorted());
        assert!(super::ATTRIBUTES.is_sorted());
    }
}
