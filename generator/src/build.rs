//! Profile types generated from a build script, in the spirit of
//! `prost-build`: choose the package, the profiles, where packages come
//! from; the types are written to `OUT_DIR` as one file that the crate
//! `include!`s at its root.
//!
//! ```no_run
//! // in build.rs's `main`:
//! fhirgen::build::Builder::new("hl7.fhir.us.core@6.1.0")
//!     .profiles(["us-core-patient", "us-core-observation-lab"])
//!     .generate_or_exit();
//! ```
//!
//! ```ignore
//! // src/lib.rs (the root of a crate of its own: the types refer to each
//! // other as `crate::...`)
//! include!(concat!(env!("OUT_DIR"), "/fhir_profiles.rs"));
//! ```
//!
//! The crate depends on `fhirgen-runtime` and `fhir-r4` (the base R4 types
//! the profile types reuse); [`Builder::runtime_crate`] and
//! [`Builder::base_types_crate`] name them otherwise.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::emit::{CrateFiles, CrateOptions, CrateToReuse};
use crate::error::{Error, Result};
use crate::generate::{BASE_VERSION, CORE_PACKAGE, RUNTIME_VERSION, reused_crates};
use crate::ir::{build_base_types_of, build_profile_types_selected};
use crate::package::{PACKAGES_ENV, PackageSet, PackageSources, default_cache_dir};

/// What to generate, and from where.
#[derive(Debug, Clone)]
pub struct Builder {
    package: String,
    packages: Vec<PathBuf>,
    cache: Option<PathBuf>,
    registry: Option<String>,
    profiles: Vec<String>,
    out_dir: Option<PathBuf>,
    file_name: String,
    runtime_crate: String,
    base_types_crate: String,
    reuse: Vec<(String, String)>,
    type_attributes: Vec<(String, String)>,
}

impl Builder {
    /// The types of the profiles of `package` (`hl7.fhir.us.core@6.1.0`, or
    /// the path of a package archive or folder, relative to the crate).
    /// Packages are looked for in `$FHIR_PACKAGES` and the FHIR package
    /// cache (`~/.fhir/packages`); nothing is downloaded unless
    /// [`Self::registry`] is given.
    pub fn new(package: impl Into<String>) -> Self {
        Self {
            package: package.into(),
            packages: Vec::new(),
            cache: default_cache_dir(),
            registry: None,
            profiles: Vec::new(),
            out_dir: None,
            file_name: "fhir_profiles.rs".to_owned(),
            runtime_crate: "::fhirgen_runtime".to_owned(),
            base_types_crate: "::fhir_r4".to_owned(),
            reuse: Vec::new(),
            type_attributes: Vec::new(),
        }
    }

    /// A folder of package archives and unpacked packages, one `.tgz`, or one
    /// package folder (repeatable). Replaces the `$FHIR_PACKAGES` default.
    pub fn packages(mut self, path: impl Into<PathBuf>) -> Self {
        self.packages.push(path.into());
        self
    }

    /// The FHIR package cache (default `~/.fhir/packages`).
    pub fn package_cache(mut self, folder: impl Into<PathBuf>) -> Self {
        self.cache = Some(folder.into());
        self
    }

    /// Installs missing packages from this registry
    /// (`https://packages.fhir.org`) into the cache.
    pub fn registry(mut self, url: impl Into<String>) -> Self {
        self.registry = Some(url.into());
        self
    }

    /// Only these profiles (by id, name or canonical URL), with the
    /// profiles and extensions they build on; all of the package's when
    /// none is given.
    pub fn profiles<S: Into<String>>(mut self, profiles: impl IntoIterator<Item = S>) -> Self {
        self.profiles.extend(profiles.into_iter().map(Into::into));
        self
    }

    /// Where to write (default: `$OUT_DIR`).
    pub fn out_dir(mut self, folder: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(folder.into());
        self
    }

    /// The name of the file written (default `fhir_profiles.rs`).
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = name.into();
        self
    }

    /// The path of the runtime crate in the including crate (default
    /// `::fhirgen_runtime`).
    pub fn runtime_crate(mut self, path: impl Into<String>) -> Self {
        self.runtime_crate = path.into();
        self
    }

    /// The path of the base R4 types in the including crate (default
    /// `::fhir_r4`).
    pub fn base_types_crate(mut self, path: impl Into<String>) -> Self {
        self.base_types_crate = path.into();
        self
    }

    /// Takes the profiles, extensions and code enums of `package` (a
    /// dependency, `hl7.fhir.us.core@6.1.0`) from the crate `crate_name`
    /// (`us-core-6-1-0`, a dependency of the including crate) instead of
    /// generating them: a profile of your own on US Core Patient converts
    /// into `us_core_6_1_0::UsCorePatientProfile`.
    pub fn reuse_crate(
        mut self,
        package: impl Into<String>,
        crate_name: impl Into<String>,
    ) -> Self {
        self.reuse.push((package.into(), crate_name.into()));
        self
    }

    /// Adds an attribute (`#[derive(Hash)]`, `#[non_exhaustive]`) to the
    /// generated struct or enum named `type_name`, or to every one for `*`
    /// (as `prost-build`'s `type_attribute`).
    pub fn type_attribute(
        mut self,
        type_name: impl Into<String>,
        attribute: impl Into<String>,
    ) -> Self {
        self.type_attributes
            .push((type_name.into(), attribute.into()));
        self
    }

    /// Writes the file and prints the `cargo:rerun-if-changed` lines of its
    /// inputs; returns the file's path.
    pub fn generate(&self) -> Result<PathBuf> {
        let set = self.load()?;
        let out_dir = match &self.out_dir {
            Some(folder) => folder.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or_else(|| {
                    Error::Usage(
                        "OUT_DIR is not set: call from a build script, or give out_dir".into(),
                    )
                })?,
        };
        let files = self.files(&set)?;
        let paths = CratePaths {
            runtime: crate_path("runtime_crate", &self.runtime_crate)?,
            base: crate_path("base_types_crate", &self.base_types_crate)?,
        };
        let text = single_file(&files, &self.attributes()?, &paths)?;
        std::fs::create_dir_all(&out_dir).map_err(|e| Error::Io {
            path: out_dir.clone(),
            source: e,
        })?;
        let path = out_dir.join(&self.file_name);
        std::fs::write(&path, text).map_err(|e| Error::Io {
            path: path.clone(),
            source: e,
        })?;
        println!("cargo:rerun-if-env-changed={PACKAGES_ENV}");
        for package in set.packages() {
            println!("cargo:rerun-if-changed={}", package.origin().display());
        }
        Ok(path)
    }

    /// [`Self::generate`] for a build script: on error, one `error:` line
    /// and exit code 1.
    pub fn generate_or_exit(&self) {
        if let Err(e) = self.generate() {
            eprintln!("error: generating FHIR types from {}: {e}", self.package);
            std::process::exit(1);
        }
    }

    fn load(&self) -> Result<PackageSet> {
        let folders = if self.packages.is_empty() {
            std::env::var_os(PACKAGES_ENV)
                .map(|f| vec![PathBuf::from(f)])
                .unwrap_or_default()
        } else {
            self.packages.clone()
        };
        let sources = PackageSources {
            folders,
            cache: self
                .cache
                .clone()
                .filter(|c| c.is_dir() || self.registry.is_some()),
            registry: self.registry.clone(),
        };
        sources.load(&self.package)
    }

    fn files(&self, set: &PackageSet) -> Result<CrateFiles> {
        let core = set.core_package().ok_or_else(|| {
            Error::Usage(format!("{} depends on no {CORE_PACKAGE}", self.package))
        })?;
        let base = build_base_types_of(set, &core)?;
        let selection = (!self.profiles.is_empty()).then_some(self.profiles.as_slice());
        let mut reuse = Vec::new();
        for (package, name) in &self.reuse {
            reuse.push(CrateToReuse {
                package: package
                    .parse()
                    .map_err(|e: crate::package::ParsePackageIdError| {
                        Error::Usage(format!("reuse_crate: {e}"))
                    })?,
                name: name.clone(),
                dependency: String::new(),
            });
        }
        let reused = reused_crates(set, &base, &reuse)?;
        let space = build_profile_types_selected(set, &base, selection, &reused)?;
        let options = CrateOptions {
            name: "fhir-profiles".to_owned(),
            version: "0.0.0".to_owned(),
            description: format!("FHIR profile types generated from {}", self.package),
            runtime_dependency: format!("{{ version = \"{RUNTIME_VERSION}\" }}"),
            search_dependency: format!("{{ version = \"{RUNTIME_VERSION}\" }}"),
            base_dependency: Some(format!("{{ version = \"{BASE_VERSION}\" }}")),
            command: "fhirgen::build".to_owned(),
            macros_dependency: None,
            repository: None,
            reuse,
            publish: false,
        };
        let tables = crate::rules::embedded_tables(set, &space, &reused)?;
        let shapes = crate::shapes::shapes_of(&base)?;
        let constraints = crate::constraints::profile_crate_constraints(
            set,
            shapes,
            &crate::generate::resource_profiles(&space),
        )?;
        // Typed searches need `fhirgen-search`, which a build script's crate
        // may not depend on: not generated here.
        let searches = crate::ir::SearchSpace::default();
        crate::emit::emit_profile_crate(&space, &tables, &constraints, &searches, &options)
    }

    /// The parsed [`Self::type_attribute`]s.
    fn attributes(&self) -> Result<Vec<(String, syn::Attribute)>> {
        self.type_attributes
            .iter()
            .map(|(name, text)| {
                let parsed = syn::parse_str::<syn::ItemStruct>(&format!("{text} struct S;"))
                    .map_err(|e| Error::Usage(format!("type_attribute `{text}`: {e}")))?;
                match parsed.attrs.as_slice() {
                    [attribute] => Ok((name.clone(), attribute.clone())),
                    _ => Err(Error::Usage(format!(
                        "type_attribute `{text}`: give one attribute"
                    ))),
                }
            })
            .collect()
    }
}

/// The crate's `src/` files as one file: each `mod name;` replaced by the
/// module's content, the crate-level attributes of `lib.rs` left out (an
/// `include!`d file cannot have them), `attributes` added to the types they
/// name.
fn single_file(
    files: &CrateFiles,
    attributes: &[(String, syn::Attribute)],
    paths: &CratePaths,
) -> Result<String> {
    let sources: BTreeMap<&str, &str> = files
        .iter()
        .filter_map(|(path, text)| Some((path.strip_prefix("src/")?, text.as_str())))
        .collect();
    let parse = |path: &str| -> Result<syn::File> {
        let text = sources
            .get(path)
            .ok_or_else(|| internal(format!("no generated file src/{path}")))?;
        syn::parse_file(text).map_err(|e| internal(format!("src/{path} does not parse: {e}")))
    };
    let add = |name: &syn::Ident, attrs: &mut Vec<syn::Attribute>| {
        for (wanted, attribute) in attributes {
            if wanted == "*" || name == wanted {
                attrs.push(attribute.clone());
            }
        }
    };
    fn inline(
        items: &mut [syn::Item],
        folder: &str,
        parse: &dyn Fn(&str) -> Result<syn::File>,
        add: &dyn Fn(&syn::Ident, &mut Vec<syn::Attribute>),
    ) -> Result<()> {
        for item in items {
            match item {
                syn::Item::Struct(s) => add(&s.ident, &mut s.attrs),
                syn::Item::Enum(e) => add(&e.ident, &mut e.attrs),
                _ => {}
            }
            if let syn::Item::Mod(module) = item
                && module.content.is_none()
            {
                let name = module.ident.to_string();
                let file = format!("{folder}{name}.rs");
                let below = format!("{folder}{name}/");
                let mut inner = parse(&file).or_else(|_| parse(&format!("{below}mod.rs")))?;
                inline(&mut inner.items, &below, parse, add)?;
                module.attrs.push(syn::parse_quote!(
                    #[allow(clippy::large_enum_variant, clippy::should_implement_trait, clippy::type_complexity)]
                ));
                module.content = Some((Default::default(), inner.items));
                module.semi = None;
            }
        }
        Ok(())
    }
    let mut lib = parse("lib.rs")?;
    lib.attrs.clear();
    inline(&mut lib.items, "", &parse, &add)?;
    syn::visit_mut::VisitMut::visit_file_mut(&mut CratePaths::clone(paths), &mut lib);
    Ok(format!(
        "// @generated by fhirgen::build: do not edit\n\n{}",
        prettyplease::unparse(&lib)
    ))
}

/// Where the including crate has the runtime and the base types: the
/// generated `::fhirgen_runtime::...` and `::fhir_r4::...` paths (in types,
/// expressions and `use` items alike) are rewritten to start there.
#[derive(Clone)]
struct CratePaths {
    runtime: syn::Path,
    base: syn::Path,
}

impl CratePaths {
    /// The path a generated path's crate (its first segment) moves to.
    fn target(&self, first: &syn::Ident) -> Option<&syn::Path> {
        if first == "fhirgen_runtime" {
            Some(&self.runtime)
        } else if first == "fhir_r4" {
            Some(&self.base)
        } else {
            None
        }
    }
}

impl syn::visit_mut::VisitMut for CratePaths {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        if path.leading_colon.is_some()
            && let Some(first) = path.segments.first()
            && let Some(target) = self.target(&first.ident)
        {
            let mut moved = target.clone();
            moved.segments.extend(path.segments.iter().skip(1).cloned());
            *path = moved;
        }
        syn::visit_mut::visit_path_mut(self, path);
    }

    fn visit_item_use_mut(&mut self, item: &mut syn::ItemUse) {
        if item.leading_colon.is_none() {
            return;
        }
        let first = match &item.tree {
            syn::UseTree::Path(p) => &p.ident,
            syn::UseTree::Rename(r) => &r.ident,
            syn::UseTree::Name(n) => &n.ident,
            _ => return,
        };
        let Some(target) = self.target(first).cloned() else {
            return;
        };
        // `::fhir_r4::{A, B}` -> `<target>::{A, B}`; `::fhir_r4 as r4` ->
        // `<target> as r4`.
        let mut idents: Vec<syn::Ident> = target.segments.iter().map(|s| s.ident.clone()).collect();
        let last = idents.pop().expect("a crate path has a segment");
        let mut tree = match std::mem::replace(
            &mut item.tree,
            syn::UseTree::Glob(syn::UseGlob {
                star_token: Default::default(),
            }),
        ) {
            syn::UseTree::Path(p) => syn::UseTree::Path(syn::UsePath {
                ident: last,
                colon2_token: p.colon2_token,
                tree: p.tree,
            }),
            syn::UseTree::Rename(r) => syn::UseTree::Rename(syn::UseRename { ident: last, ..r }),
            syn::UseTree::Name(_) => syn::UseTree::Name(syn::UseName { ident: last }),
            other => other,
        };
        for ident in idents.into_iter().rev() {
            tree = syn::UseTree::Path(syn::UsePath {
                ident,
                colon2_token: Default::default(),
                tree: Box::new(tree),
            });
        }
        item.leading_colon = target.leading_colon;
        item.tree = tree;
    }
}

/// A crate path option (`::fhirgen_runtime`, `crate::deps::r4`).
fn crate_path(option: &str, text: &str) -> Result<syn::Path> {
    syn::parse_str::<syn::Path>(text)
        .map_err(|e| Error::Usage(format!("{option} `{text}` is not a path: {e}")))
}

fn internal(message: String) -> Error {
    Error::InvalidFile {
        package: "(generator)".to_owned(),
        file: "(build output)".to_owned(),
        message,
    }
}
