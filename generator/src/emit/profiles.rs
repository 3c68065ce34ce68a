//! The crate of a profile package: a module per profile and per extension
//! definition, the conversions between each profile and its base, and the
//! dispatcher that reads any resource into the type of its `meta.profile`.

use std::collections::{BTreeMap, HashMap};

use heck::ToShoutySnakeCase;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::builders::{Builders, Mode};
use super::docs::doc_attrs;
use super::{CrateFiles, CrateOptions, choice_tokens, ident, internal, render, struct_tokens};
use crate::error::Result;
use crate::ir::{ChoiceDef, FieldType, ProfileKind, ProfileSpace, ProfileType, StructDef};
use crate::rules::EmbeddedTables;

/// Emits every file of the crate for a profile package.
pub fn emit_profile_crate(
    space: &ProfileSpace,
    tables: &EmbeddedTables,
    constraints: &crate::constraints::CrateConstraints,
    searches: &crate::ir::SearchSpace,
    options: &CrateOptions,
) -> Result<CrateFiles> {
    let mut files = CrateFiles::new();
    let has_search = !searches.resources.is_empty();
    if has_search {
        files.insert(
            "src/search.rs".to_owned(),
            render(
                super::search::search_rs(searches, &space.package.to_string()),
                options,
            )?,
        );
    }
    files.insert(
        "src/constraints.rs".to_owned(),
        render(
            super::constraints::constraints_rs(
                constraints,
                Some(quote!(::fhir_r4::constraints::CATALOG)),
            ),
            options,
        )?,
    );
    files.insert(
        "Cargo.toml".to_owned(),
        cargo_toml(space, options, has_search)?,
    );
    files.insert(
        "README.md".to_owned(),
        readme(space, options) + &super::constraints::readme_section(constraints),
    );
    files.insert("src/lib.rs".to_owned(), lib_rs(space, options, has_search));
    files.insert("src/rules.rs".to_owned(), rules_rs(tables, options));
    files.insert(
        "src/resource.rs".to_owned(),
        render(dispatcher(space), options)?,
    );
    if !space.code_enums.is_empty() {
        files.insert(
            "src/codes.rs".to_owned(),
            render(
                super::codes::code_enums(&space.code_enums, &quote!(::fhir_r4::Extension)),
                options,
            )?,
        );
    }
    let mut choice_index: HashMap<&str, &ChoiceDef> =
        space.choices.iter().map(|c| (c.name.as_str(), c)).collect();
    choice_index.extend(space.base_choices.iter().map(|c| (c.name.as_str(), c)));

    let mut by_owner: BTreeMap<&str, (Vec<&StructDef>, Vec<&ChoiceDef>)> = BTreeMap::new();
    for s in &space.structs {
        by_owner.entry(&s.owner).or_default().0.push(s);
    }
    for c in &space.choices {
        by_owner.entry(&c.owner).or_default().1.push(c);
    }
    let builders = Builders::for_profiles(&space.structs, &space.base_without_required);
    // A profile's own structs for a `Reference` whose targets it restricts.
    let reference_parts: std::collections::HashSet<&str> = space
        .structs
        .iter()
        .flat_map(|s| &s.fields)
        .filter(|f| !f.reference_targets.is_empty())
        .filter_map(|f| match &f.ty {
            FieldType::Object { type_name, .. } if !type_name.starts_with("::") => {
                Some(type_name.as_str())
            }
            _ => None,
        })
        .collect();
    // A folder exists when something is in it (`lib.rs` declares those).
    let mut modules: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for profile in &space.profiles {
        let folder = folder(profile);
        let (structs, choices) = by_owner
            .get(profile.module.as_str())
            .ok_or_else(|| internal(format!("{}: no types", profile.url)))?;
        let mut tokens = TokenStream::new();
        // The profile's own struct first, then its parts.
        let mut structs = structs.clone();
        structs.sort_by_key(|s| s.profile.is_none());
        let label = profile.title.as_deref().unwrap_or(&profile.name);
        for s in structs {
            tokens.extend(struct_tokens(s, &choice_index, options)?);
            if reference_parts.contains(s.name.as_str()) {
                tokens.extend(super::literal_reference(s));
            }
            tokens.extend(builders.tokens(s, label, Mode::Required));
            if s.profile.is_some() {
                tokens.extend(builders.tokens(s, label, Mode::MustSupport));
            }
        }
        for c in choices {
            tokens.extend(choice_tokens(c));
        }
        files.insert(
            format!("src/{folder}/{}.rs", profile.module),
            render(tokens, options)?,
        );
        modules.entry(folder).or_default().push(&profile.module);
    }
    for (folder, names) in modules {
        let names: Vec<Ident> = names.iter().map(|n| ident(n)).collect();
        let tokens = quote! {
            #( #[rustfmt::skip] mod #names; pub use #names::*; )*
        };
        files.insert(format!("src/{folder}/mod.rs"), render(tokens, options)?);
    }
    Ok(files)
}

fn folder(profile: &ProfileType) -> &'static str {
    match profile.kind {
        ProfileKind::Resource => "profiles",
        ProfileKind::Extension => "extensions",
    }
}

/// The canonical URL with its version, as docs and errors show it.
fn canonical(profile: &ProfileType) -> String {
    match &profile.version {
        Some(version) => format!("{}|{version}", profile.url),
        None => profile.url.clone(),
    }
}

/// What a profile's struct has beyond any struct: its identity, Must Support
/// list, JSON entry points and conversions.
pub(super) fn profile_impl(s: &StructDef, profile: &ProfileType) -> TokenStream {
    let name = ident(&s.name);
    let url = &profile.url;
    let version = profile.version.as_deref().unwrap_or("");
    let must_support = &profile.must_support;
    let base = ident(&profile.type_);
    let expect = format!(
        "the JSON of a {} is valid for what it derives from",
        profile.name
    );
    let identity = quote! {
        /// The profile's canonical URL.
        pub const URL: &'static str = #url;
        /// The version of the profile.
        pub const VERSION: &'static str = #version;
        /// The ids of the elements the profile flags Must Support.
        pub const MUST_SUPPORT: &'static [&'static str] = &[#(#must_support),*];
    };
    let parent = profile.parent.as_ref().map(|parent| {
        // A crate type, or a reused crate's (`::us_core_6_1_0::UsCorePatientProfile`).
        let parent = super::type_path(parent);
        let conversion = match profile.kind {
            ProfileKind::Resource => quote!(::fhirgen_runtime::convert_resource(&value)),
            ProfileKind::Extension => {
                quote!(::fhirgen_runtime::convert_object(&value, "Extension"))
            }
        };
        quote! {
            impl ::std::convert::From<#name> for #parent {
                fn from(value: #name) -> Self {
                    #conversion.expect(#expect)
                }
            }
        }
    });
    match profile.kind {
        ProfileKind::Resource => {
            let type_ = &profile.type_;
            quote! {
                impl ::fhirgen_runtime::ResourceType for #name {
                    const RESOURCE_TYPE: &'static str = #type_;
                }

                impl ::fhirgen_runtime::DropOutOfLine for #name {
                    #[inline(never)]
                    fn drop_boxed(boxed: ::std::boxed::Box<Self>) {
                        ::std::mem::drop(boxed);
                    }
                }

                impl #name {
                    #identity

                    /// Reads a resource that must conform to this profile: its
                    /// elements, and every constraint of severity error.
                    #[inline(never)]
                    pub fn from_json(json: &[u8]) -> ::std::result::Result<Self, ::fhirgen_runtime::Error> {
                        let mut reader = ::fhirgen_runtime::Reader::new(json);
                        let resource: Self = reader.resource_body()?;
                        reader.finish()?;
                        ::fhirgen_runtime::invariants::strict(::fhirgen_runtime::invariants::check_read(&crate::constraints::CATALOG, &resource, &[#url], &reader, ::fhirgen_runtime::invariants::Wanted::Errors))?;
                        ::std::result::Result::Ok(resource)
                    }

                    /// Like [`Self::from_json`], skipping unknown properties and
                    /// returning each as an issue, with the constraints of
                    /// severity warning that fail.
                    #[inline(never)]
                    pub fn from_json_lenient(
                        json: &[u8],
                    ) -> ::std::result::Result<(Self, ::std::vec::Vec<::fhirgen_runtime::Issue>), ::fhirgen_runtime::Error> {
                        let mut reader = ::fhirgen_runtime::Reader::new(json).lenient();
                        let resource: Self = reader.resource_body()?;
                        reader.finish()?;
                        let mut issues = reader.take_issues();
                        ::fhirgen_runtime::invariants::lenient(::fhirgen_runtime::invariants::check_read(&crate::constraints::CATALOG, &resource, &[#url], &reader, ::fhirgen_runtime::invariants::Wanted::All), &mut issues)?;
                        ::std::result::Result::Ok((resource, issues))
                    }

                    /// Evaluates every constraint (invariant) of the profile and of
                    /// its type, its elements' types and its contained resources:
                    /// each finding names the constraint and the element.
                    pub fn check_constraints(&self) -> ::std::vec::Vec<::fhirgen_runtime::invariants::Finding> {
                        ::fhirgen_runtime::invariants::check_typed(&crate::constraints::CATALOG, self, &[#url])
                    }

                    /// Writes the resource as FHIR JSON.
                    #[inline(never)]
                    pub fn to_json(&self) -> ::std::vec::Vec<u8> {
                        let mut writer = ::fhirgen_runtime::Writer::new();
                        writer.resource(self);
                        writer.into_bytes()
                    }

                    /// Checks a value built or changed in code against every rule
                    /// of the profile, as a strict read does (the error names the
                    /// element; `r4::OperationOutcome::from(&error)` reports it).
                    pub fn validate(&self) -> ::std::result::Result<(), ::fhirgen_runtime::Error> {
                        Self::from_json(&self.to_json()).map(|_| ())
                    }
                }

                impl ::std::convert::From<#name> for ::fhir_r4::#base {
                    fn from(value: #name) -> Self {
                        ::fhirgen_runtime::convert_resource(&value).expect(#expect)
                    }
                }

                /// Checks the resource against the profile; the error names the
                /// first element that does not conform.
                impl ::std::convert::TryFrom<::fhir_r4::#base> for #name {
                    type Error = ::fhirgen_runtime::Error;

                    fn try_from(value: ::fhir_r4::#base) -> ::std::result::Result<Self, Self::Error> {
                        ::fhirgen_runtime::convert_resource(&value)
                    }
                }

                #parent
            }
        }
        ProfileKind::Extension => quote! {
            impl #name {
                #identity
            }

            impl ::std::convert::From<#name> for ::fhir_r4::Extension {
                fn from(value: #name) -> Self {
                    ::fhirgen_runtime::convert_object(&value, "Extension").expect(#expect)
                }
            }

            /// Checks the extension against its definition.
            impl ::std::convert::TryFrom<::fhir_r4::Extension> for #name {
                type Error = ::fhirgen_runtime::Error;

                fn try_from(value: ::fhir_r4::Extension) -> ::std::result::Result<Self, Self::Error> {
                    ::fhirgen_runtime::convert_object(&value, "Extension")
                }
            }

            #parent
        },
    }
}

/// `ProfiledResource`: any resource, read into the type of the most specific
/// profile of this crate that its `meta.profile` names.
fn dispatcher(space: &ProfileSpace) -> TokenStream {
    let profiles: Vec<&ProfileType> = space
        .profiles
        .iter()
        .filter(|p| p.kind == ProfileKind::Resource)
        .collect();
    let names: Vec<Ident> = profiles.iter().map(|p| ident(&p.rust_name)).collect();
    let urls: Vec<&str> = profiles.iter().map(|p| p.url.as_str()).collect();
    let depths: Vec<usize> = profiles.iter().map(|p| p.depth).collect();
    let docs = profiles.iter().map(|p| {
        doc_attrs(&[format!(
            "{} (`{}`)",
            p.title.as_deref().unwrap_or(&p.name),
            canonical(p)
        )])
    });
    quote! {
        /// Any resource, read into the type of the profile its `meta.profile`
        /// names (the most specific one of this crate when it names several),
        /// or into the base resource type when it names none of them. Each
        /// variant holds an `Owned<T>`: a box that derefs to `T`, whose drop
        /// code is compiled in this crate, not in yours.
        #[derive(Debug, Clone, PartialEq)]
        pub enum ProfiledResource {
            #( #docs #names(::fhirgen_runtime::Owned<crate::#names>), )*
            /// A resource that claims none of this crate's profiles.
            Other(::fhir_r4::Resource),
        }

        impl ProfiledResource {
            /// Reads a resource; it must conform to the profile it is read as.
            #[inline(never)]
            pub fn from_json(json: &[u8]) -> ::std::result::Result<Self, ::fhirgen_runtime::Error> {
                let mut reader = ::fhirgen_runtime::Reader::new(json);
                let resource = Self::read(&mut reader)?;
                reader.finish()?;
                ::fhirgen_runtime::invariants::strict(resource.check_read(&reader, ::fhirgen_runtime::invariants::Wanted::Errors))?;
                ::std::result::Result::Ok(resource)
            }

            /// Like [`Self::from_json`], skipping unknown properties and
            /// returning each as an issue, with the constraints of severity
            /// warning that fail.
            #[inline(never)]
            pub fn from_json_lenient(
                json: &[u8],
            ) -> ::std::result::Result<(Self, ::std::vec::Vec<::fhirgen_runtime::Issue>), ::fhirgen_runtime::Error> {
                let mut reader = ::fhirgen_runtime::Reader::new(json).lenient();
                let resource = Self::read(&mut reader)?;
                reader.finish()?;
                let mut issues = reader.take_issues();
                ::fhirgen_runtime::invariants::lenient(resource.check_read(&reader, ::fhirgen_runtime::invariants::Wanted::All), &mut issues)?;
                ::std::result::Result::Ok((resource, issues))
            }

            /// Reads the resource's structure and its profile's rules (as
            /// [`Self::from_json`]) without evaluating its constraints: for a
            /// validator that reports every failed constraint
            /// ([`Self::check_constraints`]), not only the first.
            #[inline(never)]
            pub fn from_json_unchecked(json: &[u8]) -> ::std::result::Result<Self, ::fhirgen_runtime::Error> {
                let mut reader = ::fhirgen_runtime::Reader::new(json);
                let resource = Self::read(&mut reader)?;
                reader.finish()?;
                ::std::result::Result::Ok(resource)
            }

            /// Evaluates every constraint (invariant) of the resource's type, of
            /// the profile it was read as and of the other profiles of this
            /// crate its `meta.profile` claims (with its elements' types and
            /// contained resources; a Bundle's entries each as a resource,
            /// against the profiles of this crate they claim): each finding
            /// names the constraint and the element.
            pub fn check_constraints(&self) -> ::std::vec::Vec<::fhirgen_runtime::invariants::Finding> {
                let (resource, profile) = self.constrained();
                ::fhirgen_runtime::invariants::check_typed(&crate::constraints::CATALOG, resource, profile.as_slice())
            }

            /// [`Self::check_constraints`] right after `read` made it, of
            /// the constraints `wanted`.
            fn check_read(
                &self,
                read: &::fhirgen_runtime::Reader<'_>,
                wanted: ::fhirgen_runtime::invariants::Wanted,
            ) -> ::std::vec::Vec<::fhirgen_runtime::invariants::Finding> {
                let (resource, profile) = self.constrained();
                ::fhirgen_runtime::invariants::check_read(&crate::constraints::CATALOG, resource, profile.as_slice(), read, wanted)
            }

            /// The resource held, and the profile it was read as.
            fn constrained(&self) -> (&dyn ::fhirgen_runtime::Object, ::std::option::Option<&'static str>) {
                match self {
                    #( Self::#names(resource) => (&**resource, ::std::option::Option::Some(#urls)), )*
                    Self::Other(resource) => (::fhirgen_runtime::AnyResource::as_object(resource), ::std::option::Option::None),
                }
            }

            /// Reads a resource as the profile at `profile` (a canonical URL
            /// of this crate's, `|version` allowed) whatever its `meta.profile`
            /// says: a server that knows what an endpoint takes, or an IG's
            /// example listed for a profile. A profile this crate does not
            /// have (see [`Self::has_profile`]) reads as [`Self::from_json`] does.
            #[inline(never)]
            pub fn from_json_as(profile: &str, json: &[u8]) -> ::std::result::Result<Self, ::fhirgen_runtime::Error> {
                let mut reader = ::fhirgen_runtime::Reader::new(json);
                let resource = match Self::known(profile) {
                    ::std::option::Option::Some((_, url)) => Self::read_as(&mut reader, ::std::option::Option::Some(url))?,
                    ::std::option::Option::None => Self::read(&mut reader)?,
                };
                reader.finish()?;
                ::fhirgen_runtime::invariants::strict(resource.check_read(&reader, ::fhirgen_runtime::invariants::Wanted::Errors))?;
                ::std::result::Result::Ok(resource)
            }

            /// Whether the profile at `url` (`|version` allowed) is one of this crate's.
            pub fn has_profile(url: &str) -> bool {
                Self::known(url).is_some()
            }

            fn read(reader: &mut ::fhirgen_runtime::Reader<'_>) -> ::std::result::Result<Self, ::fhirgen_runtime::Error> {
                // The deepest of the claimed profiles this crate has (the
                // last of them on a tie).
                let mut chosen: ::std::option::Option<(usize, &'static str)> = ::std::option::Option::None;
                reader.peek_profiles_with(|url| {
                    if let ::std::option::Option::Some((depth, known)) = Self::known(url)
                        && chosen.is_none_or(|(deepest, _)| depth >= deepest)
                    {
                        chosen = ::std::option::Option::Some((depth, known));
                    }
                })?;
                Self::read_as(reader, chosen.map(|(_, url)| url))
            }

            /// Reads the resource as the profile at `url`, or as its base type.
            fn read_as(reader: &mut ::fhirgen_runtime::Reader<'_>, url: ::std::option::Option<&'static str>) -> ::std::result::Result<Self, ::fhirgen_runtime::Error> {
                ::std::result::Result::Ok(match url {
                    #( ::std::option::Option::Some(#urls) => Self::#names(::fhirgen_runtime::Owned::from_box(reader.resource_boxed()?)), )*
                    _ => Self::Other(<::fhir_r4::Resource as ::fhirgen_runtime::AnyResource>::read_any(reader)?),
                })
            }

            /// For a profile of this crate: how many of its profiles the
            /// profile at `url` (`|version` allowed) derives from, and the URL.
            fn known(url: &str) -> ::std::option::Option<(usize, &'static str)> {
                match ::fhirgen_runtime::canonical_url(url) {
                    #( #urls => ::std::option::Option::Some((#depths, #urls)), )*
                    _ => ::std::option::Option::None,
                }
            }

            /// The canonical URL of the profile the resource was read as.
            pub fn profile(&self) -> ::std::option::Option<&'static str> {
                match self {
                    #( Self::#names(_) => ::std::option::Option::Some(#urls), )*
                    Self::Other(_) => ::std::option::Option::None,
                }
            }

            /// The `resourceType`.
            pub fn resource_type(&self) -> &'static str {
                match self {
                    #( Self::#names(_) => <crate::#names as ::fhirgen_runtime::ResourceType>::RESOURCE_TYPE, )*
                    Self::Other(resource) => resource.resource_type(),
                }
            }

            /// Writes the resource as FHIR JSON.
            #[inline(never)]
            pub fn to_json(&self) -> ::std::vec::Vec<u8> {
                let mut writer = ::fhirgen_runtime::Writer::new();
                match self {
                    #( Self::#names(resource) => writer.resource(&**resource), )*
                    Self::Other(resource) => ::fhirgen_runtime::AnyResource::write_any(resource, &mut writer),
                }
                writer.into_bytes()
            }
        }
    }
}

fn cargo_toml(space: &ProfileSpace, options: &CrateOptions, has_search: bool) -> Result<String> {
    let base = options.base_dependency.as_deref().ok_or_else(|| {
        internal(format!(
            "{}: a profile crate needs the crate of {} as a dependency",
            options.name, space.base_package
        ))
    })?;
    // The IG's own keyword, from its package name (`hl7.fhir.us.core` ->
    // `us-core`), when crates.io would take it.
    let ig = space
        .package
        .name
        .trim_start_matches("hl7.fhir.")
        .replace('.', "-");
    let ig_keyword = if ig.len() <= 20 && ig.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        format!("\"{ig}\", ")
    } else {
        String::new()
    };
    Ok(format!(
        r#"# @generated by `{command}`: do not edit

[package]
name = "{name}"
version = "{version}+{package_version}"
description = "{description}"
edition = "2024"
rust-version = "1.88"
license = "MIT OR Apache-2.0"
readme = "README.md"
{repository}keywords = ["fhir", "hl7", {ig_keyword}"healthcare"]
categories = ["encoding", "science"]

[package.metadata.fhirgen]
package = "{package}"
base = "{base_package}"

[dependencies]
fhir-r4 = {base}
fhirgen-runtime = {runtime}
{search}{reused}{macros}"#,
        command = options.command,
        name = options.name,
        version = options.version,
        package_version = space.package.version,
        description = options.description,
        package = space.package,
        base_package = space.base_package,
        runtime = options.runtime_dependency,
        search = if has_search {
            format!("fhirgen-search = {}\n", options.search_dependency)
        } else {
            String::new()
        },
        repository = super::repository_line(options),
        reused = reused_dependencies(space, options)?,
        macros = options
            .macros_dependency
            .as_ref()
            .map(|m| format!("fhirgen-macros = {m}\n"))
            .unwrap_or_default(),
    ))
}

/// The `[dependencies]` lines of the reused crates.
fn reused_dependencies(space: &ProfileSpace, options: &CrateOptions) -> Result<String> {
    let mut lines = String::new();
    for name in &space.reused {
        let dependency = options
            .reuse
            .iter()
            .find(|r| &r.name == name)
            .map(|r| &r.dependency)
            .ok_or_else(|| {
                internal(format!(
                    "{}: the types of `{name}` are reused, but its dependency line is not given",
                    options.name
                ))
            })?;
        lines.push_str(&format!("{name} = {dependency}\n"));
    }
    Ok(lines)
}

fn readme(space: &ProfileSpace, options: &CrateOptions) -> String {
    let crate_name = options.name.replace('-', "_");
    // The example reads a patient when the crate has a patient profile.
    let example = space
        .profiles
        .iter()
        .filter(|p| p.own && p.kind == ProfileKind::Resource)
        .min_by_key(|p| p.type_ != "Patient");
    let (example_name, example_var, example_field) = match example {
        Some(p) => {
            let has_race = space.structs.iter().any(|s| {
                s.name == p.rust_name
                    && s.fields.iter().any(|f| match &f.ty {
                        FieldType::Sliced(sliced) => {
                            sliced.slices.iter().any(|slice| slice.rust_name == "race")
                        }
                        _ => false,
                    })
            });
            (
                p.rust_name.as_str(),
                crate::naming::field_name(&p.type_),
                if has_race { "race" } else { "meta" },
            )
        }
        None => ("UsCorePatientProfile", "patient".to_owned(), "race"),
    };
    let reused = if space.reused.is_empty() {
        String::new()
    } else {
        let crates: Vec<String> = space.reused.iter().map(|c| format!("`{c}`")).collect();
        format!(
            "\nThe profiles, extensions and code enums this IG takes unchanged from\nthe IGs it builds on are not generated again: fields and conversions\nuse the types of {} (a dependency, re-exported).\n",
            crates.join(", ")
        )
    };
    let count = |kind: ProfileKind| space.profiles.iter().filter(|p| p.kind == kind).count();
    let mut listing = String::new();
    for profile in &space.profiles {
        listing.push_str(&format!(
            "- `{}`: {} (`{}`){}\n",
            profile.rust_name,
            profile.title.as_deref().unwrap_or(&profile.name),
            canonical(profile),
            if profile.own {
                ""
            } else {
                ", from a dependency"
            }
        ));
    }
    let mut warnings = String::new();
    for warning in &space.warnings {
        warnings.push_str(&format!("- {warning}\n"));
    }
    if warnings.is_empty() {
        warnings.push_str("None.\n");
    }
    format!(
        r#"<!-- @generated by `{command}`: do not edit -->

# {name}

{description}.

The profiles of {package} as Rust types over the FHIR R4 types of
`fhir-r4`: {resources} resource profiles and {extensions} extension
definitions. Each struct has the elements its profile's snapshot allows, with
the profile's cardinality (`1..1` a value, `0..1` an `Option`, `0..*` a
`Vec`, `1..*` a `NonEmpty`), choice types narrowed to what the profile
allows, values the profile fixes written for you and checked on read, and
slices as named fields (items in no slice stay in the element's own field,
in their order).
{reused}
```rust,ignore
use {crate_name}::ProfiledResource;

let resource = ProfiledResource::from_json(json_bytes)?;
if let ProfiledResource::{example_name}({example_var}) = &resource {{
    println!("{{:?}}", {example_var}.{example_field});
}}
let json: Vec<u8> = resource.to_json();
```

## Types

{listing}
## What the types do not express

{warnings}
Regenerate with `{command}`.
"#,
        command = options.command,
        name = options.name,
        description = options.description,
        package = space.package,
        resources = count(ProfileKind::Resource),
        extensions = count(ProfileKind::Extension),
    )
}

fn lib_rs(space: &ProfileSpace, options: &CrateOptions, has_search: bool) -> String {
    let codes = if space.code_enums.is_empty() {
        ""
    } else {
        "#[rustfmt::skip]\nmod codes;\n"
    };
    let codes_use = if space.code_enums.is_empty() {
        ""
    } else {
        "pub use codes::*;\n"
    };
    let has = |wanted: &str| space.profiles.iter().any(|p| folder(p) == wanted);
    let (extensions, extensions_use) = if has("extensions") {
        (
            "#[rustfmt::skip]\nmod extensions;\n",
            "pub use extensions::*;\n",
        )
    } else {
        ("", "")
    };
    let (profiles, profiles_use) = if has("profiles") {
        (
            "#[rustfmt::skip]\nmod profiles;\n",
            "pub use profiles::*;\n",
        )
    } else {
        ("", "")
    };
    let reused: String = space
        .reused
        .iter()
        .map(|c| format!("pub use ::{};\n", c.replace('-', "_")))
        .collect();
    format!(
        r#"// @generated by `{command}`: do not edit

//! FHIR profile types generated from {package} by fhirgen, over the R4 types
//! of `fhir_r4` (re-exported as [`r4`]).
//!
//! Each profile and extension definition is a struct shaped by its snapshot;
//! [`ProfiledResource`] reads any resource into the type of the profile its
//! `meta.profile` names.

// Builders carry one type parameter per required or Must Support element,
// and their setters are named after FHIR elements (`Narrative.div`).
#![allow(
    clippy::large_enum_variant,
    clippy::should_implement_trait,
    clippy::type_complexity
)]

{codes}#[rustfmt::skip]
pub mod constraints;
{extensions}{profiles}#[rustfmt::skip]
mod resource;
#[rustfmt::skip]
pub mod rules;
{search}
pub use ::fhir_r4 as r4;
pub use ::fhir_r4::Resource;
pub use ::fhirgen_runtime::{{CodeEnum, Error, Issue, NonEmpty}};
{reused}{codes_use}{extensions_use}{profiles_use}pub use resource::ProfiledResource;
"#,
        command = options.command,
        package = space.package,
        search = if has_search {
            "#[rustfmt::skip]\npub mod search;\n"
        } else {
            ""
        },
    )
}

/// `src/rules.rs`: each embedded rule table as its JSON text, and the
/// lookup by URL that asks the crates it builds on for theirs.
fn rules_rs(tables: &EmbeddedTables, options: &CrateOptions) -> String {
    let mut names: Vec<String> = Vec::new();
    for table in &tables.tables {
        let tail = table.url.rsplit('/').next().unwrap_or(&table.url);
        let wanted = format!("{}_RULES", tail.to_shouty_snake_case());
        let mut name = wanted.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{wanted}_{n}");
            n += 1;
        }
        names.push(name);
    }
    let arms: String = tables
        .tables
        .iter()
        .zip(&names)
        .map(|(t, name)| {
            format!(
                "        {:?} => &{name},
",
                t.url
            )
        })
        .collect();
    let fallback = if tables.delegates.is_empty() {
        "None".to_owned()
    } else {
        tables
            .delegates
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let call = format!("::{}::rules::rules_for(url)", c.replace('-', "_"));
                if i == 0 {
                    call
                } else {
                    format!(".or_else(|| {call})")
                }
            })
            .collect()
    };
    // A crate with no resource profile (an extensions pack) only asks.
    let lookup = if tables.tables.is_empty() {
        if tables.delegates.is_empty() {
            "    let _ = url;\n    None\n".to_owned()
        } else {
            format!("    {fallback}\n")
        }
    } else {
        format!(
            "    let table: &EmbeddedRules = match ::fhirgen_runtime::canonical_url(url) {{\n{arms}        _ => return {fallback},\n    }};\n    Some(table.get().clone())\n"
        )
    };
    let imports = if tables.tables.is_empty() {
        "Finding, ProfileRules"
    } else {
        "EmbeddedRules, Finding, ProfileRules"
    };
    let statics: String = tables
        .tables
        .iter()
        .zip(&names)
        .map(|(t, name)| {
            let json = pretty_table(&t.to_json());
            let hashes = raw_string_hashes(&json);
            format!(
                "\n/// The rules of `{url}`.\nstatic {name}: EmbeddedRules = EmbeddedRules::new(\n    r{hashes}\"{json}\"{hashes},\n    rules_for,\n);\n",
                url = t.url,
            )
        })
        .collect();
    format!(
        r#"// @generated by `{command}`: do not edit

//! The rule table of each profile, as data: what [`fhirgen_runtime::check`]
//! runs over FHIR JSON (cardinality, fixed values and patterns, required
//! bindings, reference targets, slicing with every discriminator). The same
//! tables `fhirgen validate` builds from the package, read on first use.
//!
//! ```ignore
//! let rules = rules::rules_for("http://example.org/StructureDefinition/x").unwrap();
//! let findings = fhirgen_runtime::check::check_json(&rules, json);
//! ```

use ::fhirgen_runtime::check::{{{imports}}};
use ::std::sync::Arc;

/// The rule table of the profile at `url` (`|version` allowed): this
/// crate's, or one of the crates it builds on.
pub fn rules_for(url: &str) -> ::std::option::Option<Arc<ProfileRules>> {{
{lookup}}}

/// Checks FHIR JSON against each profile its `meta.profile` names that
/// [`rules_for`] knows: the findings, and the profiles checked.
pub fn check_claimed(json: &[u8]) -> (::std::vec::Vec<Finding>, ::std::vec::Vec<::std::string::String>) {{
    ::fhirgen_runtime::check::check_claimed(json, &rules_for)
}}
{statics}"#,
        command = options.command,
    )
}

/// A table's JSON with one element rule or slice per line (readable diffs):
/// a line break before each object that starts one (inside a JSON string
/// the quotes are escaped, so only those match).
fn pretty_table(json: &str) -> String {
    json.replace("{\"id\":", "\n{\"id\":")
        .replace("{\"name\":", "\n{\"name\":")
}

/// The `#`s a raw string literal of `text` needs.
fn raw_string_hashes(text: &str) -> String {
    let mut hashes = String::from("#");
    while text.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    hashes
}
