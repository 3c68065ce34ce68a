//! A package with its dependencies loaded, and canonical URL resolution across
//! them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::{
    Catalog, ConformanceResource, IndexEntry, Package, PackageId, PackageSource, Registry,
};
use crate::error::{Error, Result};

/// How a [`Loader`] may get packages that are not on disk.
#[derive(Default)]
pub struct LoadOptions {
    /// The registry to install missing packages from; `None` never downloads.
    pub registry: Option<Registry>,
    /// The package cache that installs go into (`~/.fhir/packages` by default).
    pub cache: Option<PathBuf>,
}

/// Loads packages and their dependencies from a [`Catalog`], installing the
/// missing ones from a registry when one is given.
pub struct Loader {
    catalog: Catalog,
    options: LoadOptions,
    warnings: Vec<String>,
}

/// What became of one dependency a package's manifest names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DependencyStatus {
    Loaded(PackageId),
    Missing(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub name: String,
    pub version: String,
    pub status: DependencyStatus,
}

/// A resource of a [`PackageSet`]: which package, which entry of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceRef {
    package: usize,
    entry: usize,
}

/// A package and everything it depends on, loaded; canonical URLs resolve
/// across all of them, the root package first, then its dependencies in the
/// order the manifests list them.
pub struct PackageSet {
    packages: Vec<Arc<Package>>,
    dependencies: Vec<Vec<Dependency>>,
    by_url: HashMap<String, Vec<ResourceRef>>,
    warnings: Vec<String>,
}

impl Loader {
    pub fn new(catalog: Catalog, options: LoadOptions) -> Self {
        Self {
            catalog,
            options,
            warnings: Vec::new(),
        }
    }

    /// Loads `root` and, transitively, its dependencies. A dependency that
    /// cannot be found is a warning (see [`PackageSet::warnings`]); the root not
    /// being found, a dependency cycle or a broken package is an error.
    pub fn load(&mut self, root: &PackageId) -> Result<PackageSet> {
        let root_package =
            self.find(&root.name, &root.version)?
                .map_err(|reason| Error::PackageNotFound {
                    id: root.clone(),
                    looked_in: self.looked_in(),
                    hint: format!(" ({reason})"),
                })?;
        let mut set = PackageSet {
            packages: Vec::new(),
            dependencies: Vec::new(),
            by_url: HashMap::new(),
            warnings: std::mem::take(&mut self.warnings),
        };
        let mut stack = Vec::new();
        self.visit(root_package, &mut set, &mut stack)?;
        set.warnings.append(&mut self.warnings);
        set.index();
        Ok(set)
    }

    fn visit(
        &mut self,
        package: Arc<Package>,
        set: &mut PackageSet,
        stack: &mut Vec<PackageId>,
    ) -> Result<()> {
        stack.push(package.id().clone());
        let position = set.packages.len();
        set.packages.push(package.clone());
        set.dependencies.push(Vec::new());
        for (name, version) in &package.manifest().dependencies {
            if let Some(start) = stack.iter().position(|id| &id.name == name) {
                let mut chain = stack[start..].to_vec();
                chain.push(stack[start].clone());
                return Err(Error::DependencyCycle { chain });
            }
            let status = if let Some(present) = set.packages.iter().find(|p| &p.id().name == name) {
                if !super::version_matches(version, &present.id().version) {
                    set.warnings.push(format!(
                        "{} depends on {name}@{version}, but {} is already loaded and used instead",
                        package.id(),
                        present.id()
                    ));
                }
                DependencyStatus::Loaded(present.id().clone())
            } else {
                match self.find(name, version)? {
                    Ok(found) => {
                        let id = found.id().clone();
                        self.visit(found, set, stack)?;
                        DependencyStatus::Loaded(id)
                    }
                    Err(reason) => {
                        set.warnings.push(format!(
                            "dependency {name}@{version} of {} is missing: {reason}",
                            package.id()
                        ));
                        DependencyStatus::Missing(reason)
                    }
                }
            };
            set.dependencies[position].push(Dependency {
                name: name.clone(),
                version: version.clone(),
                status,
            });
        }
        stack.pop();
        Ok(())
    }

    /// Finds a package on disk, else installs it; the inner error is the reason
    /// it could not be had. Packages that fail to load while searching are
    /// errors: a broken package is never passed over.
    fn find(&mut self, name: &str, version: &str) -> Result<Result<Arc<Package>, String>> {
        let (found, mut broken) = self.catalog.find(name, version);
        if let Some(package) = found {
            self.warnings.extend(broken.iter().map(ToString::to_string));
            return Ok(Ok(package));
        }
        if let Some(error) = broken.pop() {
            return Err(error);
        }
        let (Some(registry), Some(cache)) = (&self.options.registry, &self.options.cache) else {
            return Ok(Err(
                "not on disk, and downloads are off (--offline)".to_owned()
            ));
        };
        match registry.install(name, version, cache) {
            Ok((_, folder)) => {
                self.catalog.add_source(PackageSource::Folder(folder));
                let (found, mut broken) = self.catalog.find(name, version);
                match (found, broken.pop()) {
                    (Some(package), _) => Ok(Ok(package)),
                    (None, Some(error)) => Err(error),
                    (None, None) => Ok(Err(format!(
                        "installed from {}, yet not found",
                        registry.base()
                    ))),
                }
            }
            Err(error) => Ok(Err(format!("not on disk, and the install failed: {error}"))),
        }
    }

    fn looked_in(&self) -> String {
        let places: Vec<String> = self
            .catalog
            .searched()
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        if places.is_empty() {
            "no package folder".to_owned()
        } else {
            places.join(", ")
        }
    }
}

impl PackageSet {
    fn index(&mut self) {
        for (package_index, package) in self.packages.iter().enumerate() {
            for (entry_index, entry) in package.resources().iter().enumerate() {
                if let Some(url) = &entry.url {
                    self.by_url
                        .entry(url.clone())
                        .or_default()
                        .push(ResourceRef {
                            package: package_index,
                            entry: entry_index,
                        });
                }
            }
        }
    }

    /// The set of one of this set's packages and its dependencies, in the
    /// order loading it on its own gives (so canonical URLs resolve as they
    /// do for the crate made from it); `None` when `id` is not in the set.
    pub fn rooted_at(&self, id: &PackageId) -> Option<PackageSet> {
        let start = self.packages.iter().position(|p| p.id() == id)?;
        let mut order = Vec::new();
        let mut pending = vec![start];
        while let Some(i) = pending.pop() {
            if order.contains(&i) {
                continue;
            }
            order.push(i);
            // Depth first, in manifest order, as `Loader::visit` goes.
            let loaded: Vec<usize> = self.dependencies[i]
                .iter()
                .filter_map(|d| match &d.status {
                    DependencyStatus::Loaded(dep) => {
                        self.packages.iter().position(|p| p.id() == dep)
                    }
                    DependencyStatus::Missing(_) => None,
                })
                .collect();
            pending.extend(loaded.into_iter().rev());
        }
        let mut set = PackageSet {
            packages: order.iter().map(|&i| self.packages[i].clone()).collect(),
            dependencies: order
                .iter()
                .map(|&i| self.dependencies[i].clone())
                .collect(),
            by_url: HashMap::new(),
            warnings: self.warnings.clone(),
        };
        set.index();
        Some(set)
    }

    /// The root package.
    pub fn root(&self) -> &Arc<Package> {
        &self.packages[0]
    }

    /// The FHIR core package the set depends on (`hl7.fhir.r4.core@4.0.1`),
    /// whose types every profile builds on.
    pub fn core_package(&self) -> Option<PackageId> {
        self.packages()
            .iter()
            .map(|p| p.id().clone())
            .find(|id| id.name == crate::generate::CORE_PACKAGE)
    }

    /// Every package, the root first.
    pub fn packages(&self) -> &[Arc<Package>] {
        &self.packages
    }

    /// The dependencies of the `i`th package of [`Self::packages`].
    pub fn dependencies_of(&self, i: usize) -> &[Dependency] {
        &self.dependencies[i]
    }

    /// Missing dependencies and other things a user should hear about.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub fn package_of(&self, r: ResourceRef) -> &Arc<Package> {
        &self.packages[r.package]
    }

    pub fn entry(&self, r: ResourceRef) -> &IndexEntry {
        &self.packages[r.package].resources()[r.entry]
    }

    /// Resolves a canonical URL, `url` or `url|version`. Without a version, the
    /// first package that defines it wins (root, then dependencies in manifest
    /// order); with one, the resource must have that version.
    pub fn resolve(&self, canonical: &str) -> Option<ResourceRef> {
        let (url, version) = split_canonical(canonical);
        let candidates = self.by_url.get(url)?;
        match version {
            None => candidates.first().copied(),
            Some(version) => candidates
                .iter()
                .copied()
                .find(|&r| self.entry(r).version.as_deref() == Some(version)),
        }
    }

    /// Resolves a canonical URL to a typed resource.
    pub fn resolve_as<T: ConformanceResource>(&self, canonical: &str) -> Result<Arc<T>> {
        let found = self
            .resolve(canonical)
            .filter(|&r| self.entry(r).resource_type == T::RESOURCE_TYPE);
        match found {
            Some(r) => self.parse(r),
            None => Err(self.not_found(T::RESOURCE_TYPE, canonical)),
        }
    }

    /// Parses the resource `r` into its typed model.
    pub fn parse<T: ConformanceResource>(&self, r: ResourceRef) -> Result<Arc<T>> {
        self.package_of(r).parse(self.entry(r))
    }

    /// The resources of the given type across the set, the root package first.
    pub fn resources_of_type<'a>(
        &'a self,
        resource_type: &'a str,
    ) -> impl Iterator<Item = ResourceRef> + 'a {
        self.packages
            .iter()
            .enumerate()
            .flat_map(move |(p, package)| {
                package
                    .resources()
                    .iter()
                    .enumerate()
                    .filter(move |(_, entry)| entry.resource_type == resource_type)
                    .map(move |(e, _)| ResourceRef {
                        package: p,
                        entry: e,
                    })
            })
    }

    /// The error for a definition that is not in the set; it names the
    /// dependencies that could not be loaded, since the definition may live there.
    pub fn not_found(&self, kind: &'static str, wanted: &str) -> Error {
        let (url, version) = split_canonical(wanted);
        let mut missing = String::new();
        if let (Some(version), Some(candidates)) = (version, self.by_url.get(url)) {
            let versions: Vec<String> = candidates
                .iter()
                .map(|&r| {
                    self.entry(r)
                        .version
                        .clone()
                        .unwrap_or_else(|| "(none)".to_owned())
                })
                .collect();
            missing.push_str(&format!(
                " (version {version} wanted; loaded versions: {})",
                versions.join(", ")
            ));
        }
        let absent: Vec<String> = self
            .dependencies
            .iter()
            .flatten()
            .filter(|d| matches!(d.status, DependencyStatus::Missing(_)))
            .map(|d| format!("{}@{}", d.name, d.version))
            .collect();
        if !absent.is_empty() {
            missing.push_str(&format!(
                "; these dependencies are missing and may define it: {}",
                absent.join(", ")
            ));
        }
        Error::NotFound {
            kind,
            wanted: wanted.to_owned(),
            package: self.root().id().clone(),
            missing,
        }
    }
}

/// Splits `url|version`.
pub fn split_canonical(canonical: &str) -> (&str, Option<&str>) {
    match canonical.split_once('|') {
        Some((url, version)) if !version.is_empty() => (url, Some(version)),
        Some((url, _)) => (url, None),
        None => (canonical, None),
    }
}
