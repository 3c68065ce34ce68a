//! FHIR's rules for narrative XHTML (`xhtml`, R4 narrative.html#xhtml and
//! the invariants `txt-1`, `txt-2`): well-formed XML whose root is a `div`
//! in the XHTML namespace, only HTML 4's basic formatting elements and
//! attributes, links and images, no active content (scripts, forms, frames,
//! objects, event attributes, `javascript:` URLs), no DOCTYPE or entities
//! beyond XML's own, and some content. A client that shows `text.div` runs
//! whatever it holds: these are security rules as much as format rules.

use quick_xml::events::{BytesStart, Event};

use crate::object::Seen;

/// The XHTML namespace the root `div` must declare.
const XHTML: &str = "http://www.w3.org/1999/xhtml";

/// HTML 4's basic formatting elements (chapters 7-11 and 15, less what is
/// deprecated), links and images: what the HL7 validator allows.
fn allowed_element(name: &[u8]) -> bool {
    matches!(
        name,
        b"a" | b"abbr"
            | b"acronym"
            | b"address"
            | b"area"
            | b"b"
            | b"bdo"
            | b"big"
            | b"blockquote"
            | b"br"
            | b"caption"
            | b"cite"
            | b"code"
            | b"col"
            | b"colgroup"
            | b"dd"
            | b"dfn"
            | b"div"
            | b"dl"
            | b"dt"
            | b"em"
            | b"h1"
            | b"h2"
            | b"h3"
            | b"h4"
            | b"h5"
            | b"h6"
            | b"hr"
            | b"i"
            | b"img"
            | b"kbd"
            | b"li"
            | b"map"
            | b"ol"
            | b"p"
            | b"pre"
            | b"q"
            | b"samp"
            | b"small"
            | b"span"
            | b"strong"
            | b"sub"
            | b"sup"
            | b"table"
            | b"tbody"
            | b"td"
            | b"tfoot"
            | b"th"
            | b"thead"
            | b"tr"
            | b"tt"
            | b"ul"
            | b"var"
    )
}

/// The attributes narrative XHTML allows (HTML 4's basic set; no event
/// handlers), in the order [`attribute_number`] numbers them: the
/// namespace, the style, the URLs, then those whose values cannot carry
/// script. For the test that holds the two to each other.
#[cfg(test)]
const ATTRIBUTES: [&str; 48] = [
    "xmlns",
    "style",
    "href",
    "src",
    "longdesc",
    "cite",
    "usemap",
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
    "class",
    "colspan",
    "coords",
    "datetime",
    "dir",
    "frame",
    "headers",
    "height",
    "hreflang",
    "id",
    "ismap",
    "lang",
    "name",
    "nohref",
    "rel",
    "rev",
    "rowspan",
    "rules",
    "scope",
    "shape",
    "span",
    "start",
    "summary",
    "tabindex",
    "title",
    "type",
    "valign",
    "value",
    "width",
    "xml:lang",
];

/// An attribute's number (an element's are noted in a [`Seen`], as an
/// object's JSON properties are, or in the plain scan's bit set: XML
/// forbids an attribute twice),
/// if narrative may use it; `None` for one not allowed.
fn attribute_number(key: &[u8]) -> Option<u8> {
    Some(match key {
        b"xmlns" => 0,
        b"style" => 1,
        b"href" => 2,
        b"src" => 3,
        b"longdesc" => 4,
        b"cite" => 5,
        b"usemap" => 6,
        b"abbr" => 7,
        b"accesskey" => 8,
        b"align" => 9,
        b"alt" => 10,
        b"axis" => 11,
        b"border" => 12,
        b"cellpadding" => 13,
        b"cellspacing" => 14,
        b"char" => 15,
        b"charoff" => 16,
        b"charset" => 17,
        b"class" => 18,
        b"colspan" => 19,
        b"coords" => 20,
        b"datetime" => 21,
        b"dir" => 22,
        b"frame" => 23,
        b"headers" => 24,
        b"height" => 25,
        b"hreflang" => 26,
        b"id" => 27,
        b"ismap" => 28,
        b"lang" => 29,
        b"name" => 30,
        b"nohref" => 31,
        b"rel" => 32,
        b"rev" => 33,
        b"rowspan" => 34,
        b"rules" => 35,
        b"scope" => 36,
        b"shape" => 37,
        b"span" => 38,
        b"start" => 39,
        b"summary" => 40,
        b"tabindex" => 41,
        b"title" => 42,
        b"type" => 43,
        b"valign" => 44,
        b"value" => 45,
        b"width" => 46,
        b"xml:lang" => 47,
        _ => return None,
    })
}

/// What the attribute numbered `number` can hold.
fn attribute_kind(number: u8) -> Attribute {
    match number {
        0 => Attribute::Namespace,
        1 => Attribute::Style,
        2..=6 => Attribute::Url,
        _ => Attribute::Plain,
    }
}

/// The attributes narrative XHTML allows, by what their value can hold.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Attribute {
    /// `xmlns`: the root's must be XHTML's.
    Namespace,
    /// A URL (`href`, `src`, ...): no script scheme.
    Url,
    /// `style`: no `expression(` or `javascript:`.
    Style,
    /// Any other allowed attribute: its value cannot carry script.
    Plain,
}

/// Checks narrative XHTML; the problem found first.
///
/// Narratives as systems write them (elements, quoted attributes, text and
/// XML's character references) are recognized by one scan that accepts
/// only what the full check accepts; anything else (comments, CDATA, other
/// spellings, and every problem) goes to the full check, which has the
/// words for what is wrong.
pub(crate) fn check(text: &str) -> Result<(), String> {
    if plain::accepts(text.as_bytes()) {
        debug_assert_eq!(
            check_fully(text),
            Ok(()),
            "the narrative scan accepted what the full check refuses: {text:?}"
        );
        return Ok(());
    }
    check_fully(text)
}

/// Whether the plain scan accepts `text`, and the full check's verdict.
pub(crate) fn both(text: &str) -> (bool, Result<(), String>) {
    (plain::accepts(text.as_bytes()), check_fully(text))
}

/// The full check, on every XML event.
///
/// Most of a narrative's bytes are text and attribute values: those are
/// looked at byte by byte only where a rule needs them (the first text with
/// content, URLs, styles), without copies.
fn check_fully(text: &str) -> Result<(), String> {
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
            // Inside the `div`, text matters only until some is found.
            Event::Text(_) if depth > 0 && content => {}
            Event::Text(text) => {
                if has_content(text.as_ref()) {
                    if depth == 0 {
                        return Err("the narrative has text outside its <div>".to_owned());
                    }
                    content = true;
                }
            }
            Event::CData(_) => content = true,
            Event::GeneralRef(reference) => {
                let name = reference.as_ref();
                let known = matches!(name, b"lt" | b"gt" | b"amp" | b"quot" | b"apos")
                    || name.starts_with(b"#");
                if !known {
                    return Err(format!(
                        "the narrative uses the entity `&{};`: only XML's own and numeric character references are allowed",
                        String::from_utf8_lossy(name)
                    ));
                }
                if depth == 0 {
                    return Err("the narrative has text outside its <div>".to_owned());
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

/// Whether text holds something other than white space (Unicode's, as
/// `str::trim` sees it). Byte by byte first: no UTF-8 sequence holds an
/// ASCII byte, so any ASCII byte that is not white space decides it.
fn has_content(text: &[u8]) -> bool {
    if text
        .iter()
        .any(|b| b.is_ascii() && !b.is_ascii_whitespace())
    {
        return true;
    }
    text.iter().any(|b| !b.is_ascii()) && !String::from_utf8_lossy(text).trim().is_empty()
}

/// Whether each attribute value in a start tag's attributes (`raw`, what
/// follows the name) is followed by white space or the tag's end: XML's
/// rule, which `quick-xml` does not hold attributes to (`id="a"title="b"`).
fn attributes_separated(raw: &[u8]) -> bool {
    let mut quote = None;
    let mut after_value = false;
    for &b in raw {
        match quote {
            Some(q) if b == q => {
                quote = None;
                after_value = true;
            }
            Some(_) => {}
            None => {
                if after_value && !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'/') {
                    return false;
                }
                after_value = false;
                if b == b'"' || b == b'\'' {
                    quote = Some(b);
                }
            }
        }
    }
    true
}

/// An element begins at `depth`: one `div` at the top, and what it may be.
fn open(
    element: &BytesStart<'_>,
    depth: usize,
    roots: &mut usize,
    content: &mut bool,
) -> Result<(), String> {
    let name = element.name().into_inner();
    let spelled = || String::from_utf8_lossy(name);
    if depth == 0 {
        *roots += 1;
        if *roots > 1 || name != b"div" {
            return Err(format!(
                "the narrative must be one <div> element; found <{}> at its top",
                spelled()
            ));
        }
    }
    if !allowed_element(name) {
        return Err(format!(
            "the narrative may not contain <{}> (only HTML's basic formatting elements, links and images; no active content)",
            spelled()
        ));
    }
    if !attributes_separated(element.attributes_raw()) {
        return Err(format!(
            "the narrative is not well-formed XHTML: the attributes of <{}> must be separated by white space",
            spelled()
        ));
    }
    let mut namespace = false;
    let mut seen = Seen::default();
    for attribute in element.attributes().with_checks(false) {
        let attribute =
            attribute.map_err(|e| format!("the narrative is not well-formed XHTML: {e}"))?;
        let key = attribute.key.into_inner();
        let Some(number) = attribute_number(key) else {
            return Err(format!(
                "the narrative may not use the attribute `{}` on <{}> (no event handlers or other active content)",
                String::from_utf8_lossy(key),
                spelled()
            ));
        };
        if !seen.insert(number.into()) {
            return Err(format!(
                "the narrative is not well-formed XHTML: the attribute `{}` appears twice on <{}>",
                String::from_utf8_lossy(key),
                spelled()
            ));
        }
        let kind = attribute_kind(number);
        // Only a URL or a style can carry script; other values are not looked at.
        if kind == Attribute::Plain {
            continue;
        }
        // As a browser reads it: `javascript&#58;` is `javascript:`.
        let value = if attribute.value.contains(&b'&') {
            let value = attribute
                .unescape_value()
                .map_err(|e| format!("the narrative is not well-formed XHTML: {e}"))?;
            std::borrow::Cow::Owned(value.into_owned().into_bytes())
        } else {
            attribute.value
        };
        match kind {
            Attribute::Namespace => namespace = *value == *XHTML.as_bytes(),
            Attribute::Url => {
                if let Some(scheme) = script_scheme(&value) {
                    return Err(format!(
                        "the narrative may not link to script: `{}` on <{}> is a {scheme} URL",
                        String::from_utf8_lossy(key),
                        spelled()
                    ));
                }
            }
            Attribute::Style => {
                if runs_script(&value) {
                    return Err(format!(
                        "the narrative may not run script from a style attribute on <{}>",
                        spelled()
                    ));
                }
            }
            Attribute::Plain => {}
        }
    }
    if depth == 0 && !namespace {
        return Err(format!(
            "the narrative's <div> must declare the XHTML namespace (xmlns=\"{XHTML}\")"
        ));
    }
    *content |= name == b"img";
    Ok(())
}

/// One pass over a narrative in the plain form systems write: it says yes
/// only to what [`check_fully`] accepts, and no (leaving the full check to
/// decide and explain) to anything else.
mod plain {
    use super::{Attribute, XHTML, allowed_element, attribute_kind, attribute_number};
    use super::{has_content, runs_script, script_scheme};

    /// XML's white space.
    fn space(b: u8) -> bool {
        matches!(b, b' ' | b'\t' | b'\n' | b'\r')
    }

    /// Whether `text` is well-formed narrative in the plain form: one
    /// XHTML `div` of allowed elements with double- or single-quoted
    /// attributes (no white space around `=`, no `&` or `<` in a value),
    /// text whose references are XML's five or numeric ones, and
    /// some content; no comment, CDATA, DOCTYPE or processing instruction.
    pub(super) fn accepts(text: &[u8]) -> bool {
        let mut at = 0;
        let mut open: Vec<&[u8]> = Vec::with_capacity(16);
        let mut roots = 0;
        let mut content = false;
        loop {
            // Text, up to the next markup or reference: often none, one
            // tag following another.
            let end = match text.get(at) {
                Some(b'<') => at,
                _ => memchr::memchr2(b'<', b'&', &text[at..]).map_or(text.len(), |i| at + i),
            };
            if end > at && (!content || open.is_empty()) {
                let found = has_content(&text[at..end]);
                if found && open.is_empty() {
                    return false;
                }
                content |= found;
            }
            at = end;
            match text.get(at) {
                None => break,
                Some(b'&') => match reference(&text[at + 1..]) {
                    Some(length) if !open.is_empty() => {
                        at += 1 + length;
                        content = true;
                    }
                    _ => return false,
                },
                Some(_) if text.get(at + 1) == Some(&b'/') => {
                    // The end tag of the element open last: its name, then `>`.
                    let Some(name) = open.pop() else {
                        return false;
                    };
                    let after = at + 2 + name.len();
                    if !text.get(at + 2..after).is_some_and(|n| same(n, name))
                        || text.get(after) != Some(&b'>')
                    {
                        return false;
                    }
                    at = after + 1;
                }
                Some(_) => {
                    let name = name(&text[at + 1..]);
                    if name.is_empty() || !allowed_element(name) {
                        return false;
                    }
                    if open.is_empty() {
                        roots += 1;
                        if roots > 1 || name != b"div" {
                            return false;
                        }
                    }
                    let after = at + 1 + name.len();
                    // Most start tags have no attributes (`<p>`, `<td>`).
                    let (length, empty) = match text.get(after) {
                        Some(b'>') if !open.is_empty() => (1, false),
                        _ => match attributes(&text[after..], open.is_empty()) {
                            Some(end) => end,
                            None => return false,
                        },
                    };
                    at = after + length;
                    content |= name == b"img";
                    if !empty {
                        open.push(name);
                    }
                }
            }
        }
        open.is_empty() && roots == 1 && content
    }

    /// Whether two short names are the same (a byte loop: names are a few
    /// letters, shorter than a call to `memcmp` costs).
    fn same(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
    }

    /// The name at the start of `text`: ASCII letters and digits (every
    /// allowed element name is), `:` too for an attribute (`xml:lang`).
    fn name(text: &[u8]) -> &[u8] {
        let length = text
            .iter()
            .position(|&b| !NAME[usize::from(b)])
            .unwrap_or(text.len());
        &text[..length]
    }

    /// The bytes of a [`name`]: one lookup each.
    const NAME: [bool; 256] = {
        let mut table = [false; 256];
        let mut b = 0;
        while b < 256 {
            table[b] = (b as u8).is_ascii_alphanumeric() || b == b':' as usize;
            b += 1;
        }
        table
    };

    /// The length of a reference after its `&` (`amp;`, `#160;`, `#xA0;`),
    /// if it is one XML defines.
    fn reference(text: &[u8]) -> Option<usize> {
        let end = text.iter().take(12).position(|&b| b == b';')?;
        let name = &text[..end];
        let known = match name {
            b"lt" | b"gt" | b"amp" | b"quot" | b"apos" => true,
            [b'#', b'x', hex @ ..] => !hex.is_empty() && hex.iter().all(u8::is_ascii_hexdigit),
            [b'#', digits @ ..] => !digits.is_empty() && digits.iter().all(u8::is_ascii_digit),
            _ => false,
        };
        known.then_some(end + 1)
    }

    /// A start tag's attributes and its end (`>`, or `/>` for an empty
    /// element): how long it is, and whether it is empty. `root`: the
    /// XHTML namespace must be declared.
    fn attributes(text: &[u8], root: bool) -> Option<(usize, bool)> {
        let mut at = 0;
        let mut namespace = false;
        // The attributes given so far, by number (fewer than 64).
        let mut seen = 0u64;
        loop {
            let before = at;
            while text.get(at).copied().is_some_and(space) {
                at += 1;
            }
            match text.get(at)? {
                b'>' => return (!root || namespace).then_some((at + 1, false)),
                b'/' if text.get(at + 1) == Some(&b'>') => {
                    return (!root || namespace).then_some((at + 2, true));
                }
                // Attributes are separated by white space.
                _ if at == before => return None,
                _ => {}
            }
            // A name allowed once, `=`, a quoted value.
            let key = name(&text[at..]);
            let number = attribute_number(key)?;
            at += key.len();
            let bit = 1u64 << number;
            if text.get(at) != Some(&b'=') || seen & bit != 0 {
                return None;
            }
            seen |= bit;
            let quote = *text.get(at + 1).filter(|&&q| q == b'"' || q == b'\'')?;
            let start = at + 2;
            // The value ends at its quote; a `<` (never allowed) or `&` (a
            // reference) before it is left to the full check.
            let end = start + memchr::memchr3(quote, b'&', b'<', &text[start..])?;
            if text[end] != quote {
                return None;
            }
            let value = &text[start..end];
            match attribute_kind(number) {
                Attribute::Namespace => namespace = value == XHTML.as_bytes(),
                Attribute::Url if script_scheme(value).is_some() => return None,
                Attribute::Style if runs_script(value) => return None,
                _ => {}
            }
            at = end + 1;
        }
    }
}

/// What a browser skips inside a URL scheme or a CSS keyword: ASCII white
/// space and control characters.
fn ignored(b: u8) -> bool {
    b.is_ascii_whitespace() || b.is_ascii_control()
}

/// The script scheme (`javascript`, `vbscript`) a URL begins with, ignoring
/// case, white space and control characters; a URL's scheme is in its
/// first letters (a `data:` URL can be long).
fn script_scheme(url: &[u8]) -> Option<&'static str> {
    // Most URLs begin with another letter.
    if !url
        .iter()
        .find(|&&b| !ignored(b))
        .is_some_and(|b| matches!(b.to_ascii_lowercase(), b'j' | b'v'))
    {
        return None;
    }
    let mut first = [0u8; 11];
    let mut len = 0;
    for &b in url.iter().filter(|&&b| !ignored(b)) {
        first[len] = b.to_ascii_lowercase();
        len += 1;
        if len == first.len() {
            break;
        }
    }
    let first = &first[..len];
    if first.starts_with(b"javascript:") {
        Some("javascript")
    } else if first.starts_with(b"vbscript:") {
        Some("vbscript")
    } else {
        None
    }
}

/// Whether a style holds `expression(` or `javascript:` (ignoring case,
/// white space and control characters): at each `(` and `:`, the letters
/// before it. Byte by byte: no UTF-8 sequence holds an ASCII byte.
fn runs_script(style: &[u8]) -> bool {
    let ends_with = |before: &[u8], word: &[u8]| {
        let mut letters = before.iter().rev().filter(|&&b| !ignored(b));
        word.iter()
            .rev()
            .all(|w| letters.next().is_some_and(|b| b.to_ascii_lowercase() == *w))
    };
    // Neither word can be there without a `j` or a `(` (most styles have
    // neither).
    if memchr::memchr3(b'j', b'J', b'(', style).is_none() {
        return false;
    }
    memchr::memchr2_iter(b'(', b':', style).any(|at| {
        let word: &[u8] = if style[at] == b'(' {
            b"expression"
        } else {
            b"javascript"
        };
        ends_with(&style[..at], word)
    })
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
            "\tVBScript:msgbox",
        ] {
            let message = super::check(&div(hidden)).unwrap_err();
            assert!(
                message.contains("may not link to script"),
                "{hidden}: {message}"
            );
        }
    }

    #[test]
    fn script_in_styles_is_found_through_case_and_white_space() {
        let div = |style: &str| {
            format!("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p style=\"{style}\">x</p></div>")
        };
        for fine in [
            "color: red; width: calc(1px + 2em)",
            "font-family: 'expressions'",
            "background: url(https://example.org/a.png)",
            "x: expressio(n)",
        ] {
            assert!(super::check(&div(fine)).is_ok(), "{fine}");
        }
        for hidden in [
            "width: expression(alert(1))",
            "width: EXPRESSION (alert(1))",
            "width: exp\tression(alert(1))",
            "width: exprexpression(1)",
            "background: url(java script:alert(1))",
            "background: url(JavaScript&#58;alert(1))",
            "behavior: JAVASCRIPT:x",
        ] {
            let message = super::check(&div(hidden)).unwrap_err();
            assert!(message.contains("style attribute"), "{hidden}: {message}");
        }
    }

    #[test]
    fn content_is_text_other_than_white_space() {
        let div =
            |inner: &str| format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">{inner}</div>");
        assert!(super::check(&div("\u{a0} \u{2003}")).is_err());
        assert!(super::check(&div(" <b> </b> ")).is_err());
        assert!(super::check(&div(" <b> </b> é")).is_ok());
        assert!(super::check(&div("<br/>")).is_err());
        assert!(super::check(&div("<img src=\"a.png\"/>")).is_ok());
        assert!(super::check(&div("&#160;")).is_ok());
        let outside = super::check("x<div xmlns=\"http://www.w3.org/1999/xhtml\">y</div>");
        assert!(outside.unwrap_err().contains("outside"));
    }

    /// The plain scan accepts the usual forms itself, and nothing the full
    /// check refuses: other spellings are left to the full check, which
    /// accepts or refuses them as before.
    #[test]
    fn the_plain_scan_accepts_only_what_the_full_check_accepts() {
        let div =
            |inner: &str| format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">{inner}</div>");
        let plain = [
            div("<p>Hello &amp; good&#160;bye &#xA0;</p>"),
            div("<table border='1'><tr><td colspan=\"2\">x</td></tr></table><br/><br />"),
            div("<a href=\"https://example.org/a?b=1\" style=\"color: red\">x</a>"),
            "\n <div xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\">é</div>\n".to_owned(),
            div("<img src=\"a.png\" alt=\"\"/>"),
            // XML allows `>` in an attribute's value.
            div("<p title=\"a > b\">x</p>"),
            // Many attributes, each once.
            div(concat!(
                "<p id=\"1\" class=\"2\" title=\"3\" lang=\"4\" dir=\"5\" style=\"6\"",
                " align=\"7\" width=\"8\" height=\"9\" xml:lang=\"en\">x</p>"
            )),
        ];
        for text in &plain {
            assert!(super::plain::accepts(text.as_bytes()), "{text}");
            assert_eq!(super::check_fully(text), Ok(()), "{text}");
        }
        // Well-formed but not plain: the full check decides.
        let left = [
            div("<!-- a comment -->x"),
            div("<![CDATA[x]]>"),
            div("<p class = \"a\">x</p>"),
            div("<p class=\"a&amp;b\">x</p>"),
            div("x</div >"),
        ];
        for text in &left {
            assert!(!super::plain::accepts(text.as_bytes()), "{text}");
        }
        // Refused by the full check: never accepted by the scan.
        let wrong = [
            div("<script>alert(1)</script>"),
            div("<p onclick=\"x()\">x</p>"),
            div("<a href=\"javascript:alert(1)\">x</a>"),
            div("<p style=\"width: expression(1)\">x</p>"),
            div("<p>x</b>"),
            div("<p>x"),
            div("&nbsp;"),
            div("<p id=\"a\" id=\"b\">x</p>"),
            // XML wants white space between attributes.
            div("<p id=\"a\"title=\"b\">x</p>"),
            div("<p id='a'title=\"b\">x</p>"),
            div("<img src=\"a.png\"alt=\"\"/>"),
            div("   "),
            div("") + &div("x"),
            "&amp;".to_owned() + &div("x"),
            "<div>x</div>".to_owned(),
            "<p xmlns=\"http://www.w3.org/1999/xhtml\">x</p>".to_owned(),
            "<!DOCTYPE div><div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>".to_owned(),
            "<?xml version=\"1.0\"?><div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>".to_owned(),
        ];
        for text in &wrong {
            assert!(!super::plain::accepts(text.as_bytes()), "{text}");
            assert!(super::check(text).is_err(), "{text}");
        }
    }

    /// The lookup and the table agree: each allowed name has its own
    /// number (a repeat is found by number), and no other name has one.
    #[test]
    fn every_allowed_attribute_has_its_own_number() {
        // The plain scan notes a start tag's attributes by number in a u64.
        assert!(super::ATTRIBUTES.len() <= 64);
        for (number, name) in super::ATTRIBUTES.iter().enumerate() {
            assert_eq!(
                super::attribute_number(name.as_bytes()),
                Some(number as u8),
                "{name}"
            );
        }
        for name in ["onclick", "xmlns:x", "srcset", "formaction", "HREF", ""] {
            assert_eq!(super::attribute_number(name.as_bytes()), None, "{name}");
        }
        let kind =
            |name: &str| super::attribute_kind(super::attribute_number(name.as_bytes()).unwrap());
        assert!(kind("xmlns") == super::Attribute::Namespace);
        assert!(kind("style") == super::Attribute::Style);
        for name in super::ATTRIBUTES {
            let url = ["href", "src", "longdesc", "cite", "usemap"].contains(&name);
            assert_eq!(kind(name) == super::Attribute::Url, url, "{name}");
        }
    }

    #[test]
    fn active_content_and_unknown_markup_are_refused() {
        let div =
            |inner: &str| format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">{inner}</div>");
        assert!(
            super::check(&div(
                "<table border=\"1\"><tr><td colspan=\"2\">x</td></tr></table>"
            ))
            .is_ok()
        );
        for (inner, words) in [
            ("<script>alert(1)</script>", "may not contain <script>"),
            ("<iframe src=\"a\"/>x", "may not contain <iframe>"),
            (
                "<p onclick=\"alert(1)\">x</p>",
                "attribute `onclick` on <p>",
            ),
            ("<p xmlns:x=\"urn:x\">x</p>", "attribute `xmlns:x`"),
        ] {
            let message = super::check(&div(inner)).unwrap_err();
            assert!(message.contains(words), "{inner}: {message}");
        }
        let message = super::check("<div>x</div>").unwrap_err();
        assert!(message.contains("XHTML namespace"), "{message}");
        let message = super::check(&div("<p id=\"a\"title=\"b\">x</p>")).unwrap_err();
        assert!(
            message.contains("attributes of <p> must be separated by white space"),
            "{message}"
        );
        assert!(super::check(&div("<p id=\"a\"\n\ttitle='b' >x</p>")).is_ok());
        let message =
            super::check(&div("<p class=\"a\" title=\"b\" class=\"c\">x</p>")).unwrap_err();
        assert!(
            message.contains("`class` appears twice on <p>"),
            "{message}"
        );
        let message = super::check("<div xmlns=\"http://www.w3.org/1999/xhtm&#108;\">x</div>");
        assert!(message.is_ok(), "{message:?}");
    }
}
