//! Types another generated crate already has. A crate for an IG built on US
//! Core refers to the US Core crate's profile, extension and code types
//! (`::us_core_6_1_0::UsCoreRaceExtension`) instead of generating them again.

use std::collections::HashMap;

use super::{CodeEnum, ProfileSpace};
use crate::package::PackageId;

/// The types of the crate made from one dependency package, by canonical URL.
#[derive(Debug, Clone)]
pub struct ReusedCrate {
    /// The package the crate is made from.
    pub package: PackageId,
    /// The crate's name (`us-core-6-1-0`).
    pub crate_name: String,
    /// Profile and extension URL -> Rust path.
    profiles: HashMap<String, String>,
    /// Value set URL -> its enum, with paths into the crate.
    code_enums: HashMap<String, CodeEnum>,
    /// (profile URL, element id) -> the Rust path of the struct made for
    /// that element of that profile.
    parts: HashMap<(String, String), String>,
}

impl ReusedCrate {
    /// What the crate `crate_name`, generated from `space`, offers. `space`
    /// must be what made the crate (the same packages and selection), so
    /// that the Rust names are the crate's.
    pub fn new(crate_name: &str, space: &ProfileSpace) -> Self {
        let path = format!("::{}", crate_name.replace('-', "_"));
        let url_of_module: HashMap<&str, &str> = space
            .profiles
            .iter()
            .map(|p| (p.module.as_str(), p.url.as_str()))
            .collect();
        let parts = space
            .structs
            .iter()
            .filter(|s| s.profile.is_none())
            .filter_map(|s| {
                let url = url_of_module.get(s.owner.as_str())?;
                Some((
                    ((*url).to_owned(), s.element_id.clone()),
                    format!("{path}::{}", s.name),
                ))
            })
            .collect();
        ReusedCrate {
            package: space.package.clone(),
            crate_name: crate_name.to_owned(),
            profiles: space
                .profiles
                .iter()
                .map(|p| (p.url.clone(), format!("{path}::{}", p.rust_name)))
                .collect(),
            code_enums: space
                .code_enums
                .iter()
                .map(|e| {
                    let mut reused = e.clone();
                    reused.name = format!("{path}::{}", e.name);
                    reused.alias = format!("{path}::{}", e.alias);
                    (e.value_set.clone(), reused)
                })
                .collect(),
            parts,
        }
    }

    /// The Rust path of the profile or extension definition at `url`.
    pub fn profile(&self, url: &str) -> Option<&str> {
        self.profiles.get(url).map(String::as_str)
    }

    /// The enum of the value set at `url` (no version).
    pub fn code_enum(&self, url: &str) -> Option<&CodeEnum> {
        self.code_enums.get(url)
    }

    /// The struct made for the element `id` of the profile at `url`.
    pub fn part(&self, url: &str, id: &str) -> Option<&str> {
        self.parts
            .get(&(url.to_owned(), id.to_owned()))
            .map(String::as_str)
    }
}
