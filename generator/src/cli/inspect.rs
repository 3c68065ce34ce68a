//! `fhirgen inspect` and `fhirgen expand`.

use std::process::ExitCode;

use fhirgen::inspect::{ProfileView, find_profile};
use fhirgen::terminology::{Expander, Expansion};
use serde_json::json;

use super::sources::Sources;
use super::{CommandResult, print_warnings};

pub fn inspect(sources: &Sources, package: &str, profile: &str, json: bool) -> CommandResult {
    let set = sources.load_set(package)?;
    print_warnings(set.warnings());
    let expander = Expander::new(&set);
    let found = find_profile(&set, profile)?;
    let view = ProfileView::build(&set, &expander, found)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        print!("{}", view.to_text());
    }
    Ok(ExitCode::SUCCESS)
}

pub fn expand(sources: &Sources, package: &str, value_set: &str, json: bool) -> CommandResult {
    let set = sources.load_set(package)?;
    print_warnings(set.warnings());
    let expansion = Expander::new(&set).expand(value_set)?;
    match (&expansion, json) {
        (Expansion::Enumerated(codes), true) => {
            let codes: Vec<serde_json::Value> = codes
                .iter()
                .map(|c| {
                    let mut code = json!({"system": c.system, "code": c.code});
                    if let Some(display) = &c.display {
                        code["display"] = json!(display);
                    }
                    if let Some(version) = &c.version {
                        code["version"] = json!(version);
                    }
                    if c.is_abstract {
                        code["abstract"] = json!(true);
                    }
                    if c.inactive {
                        code["inactive"] = json!(true);
                    }
                    code
                })
                .collect();
            let out = json!({"url": value_set, "expansion": "enumerated", "total": codes.len(), "codes": codes});
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        (Expansion::NotExpandable(reason), true) => {
            let out = json!({"url": value_set, "expansion": "not-expandable", "reason": reason});
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        (Expansion::Enumerated(codes), false) => {
            println!("{value_set}: {} codes", codes.len());
            for code in codes {
                let mut flags = String::new();
                if code.is_abstract {
                    flags.push_str(" (abstract)");
                }
                if code.inactive {
                    flags.push_str(" (inactive)");
                }
                let display = code.display.as_deref().unwrap_or("");
                println!("  {}|{}  {display}{flags}", code.system, code.code);
            }
        }
        (Expansion::NotExpandable(reason), false) => {
            println!("{value_set}: not expandable: {reason}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
