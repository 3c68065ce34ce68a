//! FHIR packages: reading them from archives, folders and the package cache,
//! installing them from a registry, and resolving canonical URLs across a
//! package and its dependencies.

mod archive;
mod catalog;
mod id;
mod manifest;
mod registry;
mod set;
mod sources;

use std::any::Any;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use serde::de::DeserializeOwned;

pub use archive::{
    ArchiveLimits, FileMap, read_archive, read_archive_file, read_archive_file_within,
    read_archive_from,
};
pub use catalog::{Catalog, PACKAGES_ENV, PackageSource, packages_folder};
pub use id::{PackageId, ParsePackageIdError, compare_versions, version_matches};
pub use manifest::{Index, IndexEntry, Manifest, ResourceCounts};
pub use registry::{DEFAULT_REGISTRY, Registry, default_cache_dir};
pub use set::{Dependency, DependencyStatus, LoadOptions, Loader, PackageSet, ResourceRef};
pub use sources::PackageSources;

/// Bytes as lowercase hex, as checksums are written.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The sha256 of a package archive, in hex: what `definitions/packages.toml`
/// pins.
pub fn archive_sha256(path: &Path) -> Result<String> {
    use sha2::Digest;
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    Ok(hex(&sha2::Sha256::digest(&bytes)))
}

use crate::error::{Error, Result};

/// A conformance resource type that the library parses into a typed model.
pub trait ConformanceResource: DeserializeOwned + Send + Sync + 'static {
    const RESOURCE_TYPE: &'static str;
    /// The `resourceType` the JSON carried.
    fn resource_type(&self) -> &str;

    /// Checks what the types cannot express; on failure names the element
    /// (id or path) and the problem.
    fn check(&self) -> Result<(), (String, String)> {
        Ok(())
    }
}

/// One FHIR package, loaded: its manifest, the list of its resources and
/// examples, and their bytes. Resources are parsed only when asked for, once.
pub struct Package {
    id: PackageId,
    manifest: Manifest,
    origin: PathBuf,
    contents: Contents,
    resources: Vec<IndexEntry>,
    examples: Vec<IndexEntry>,
    /// Where each file's parsed form is kept in `parsed`, by file name.
    positions: HashMap<String, usize>,
    parsed: Vec<OnceLock<Arc<dyn Any + Send + Sync>>>,
}

enum Contents {
    Memory(FileMap),
    /// The `package/` folder of an unpacked package; files are read on demand.
    Folder(PathBuf),
}

/// Where an example lives inside the package.
const EXAMPLE_FOLDER: &str = "example/";

impl Package {
    /// Loads a package from a `.tgz` file.
    pub fn from_archive(path: &Path) -> Result<Self> {
        Self::from_archive_within(path, &ArchiveLimits::default())
    }

    /// Loads a package from a `.tgz` file that may unpack to no more than `limits`.
    pub fn from_archive_within(path: &Path, limits: &ArchiveLimits) -> Result<Self> {
        let files = read_archive_file_within(path, limits)?;
        Self::from_files(files, path)
    }

    /// Builds a package from the files of an archive already read into memory.
    pub fn from_files(files: FileMap, origin: &Path) -> Result<Self> {
        Self::build(Contents::Memory(files), origin)
    }

    /// Loads an unpacked package: `folder` is the `package/` folder, or the
    /// folder that holds it.
    pub fn from_folder(folder: &Path) -> Result<Self> {
        let inner = folder.join("package");
        let root = if inner.join("package.json").is_file() {
            inner
        } else {
            folder.to_owned()
        };
        Self::build(Contents::Folder(root), folder)
    }

    fn build(contents: Contents, origin: &Path) -> Result<Self> {
        let origin_label = origin.display().to_string();
        let manifest_bytes =
            contents
                .read_optional("package.json")?
                .ok_or_else(|| Error::MissingManifest {
                    location: origin.to_owned(),
                })?;
        let manifest: Manifest =
            parse_json(&manifest_bytes, &origin_label, "package/package.json")?;
        let id = PackageId::new(&manifest.name, &manifest.version);
        let label = id.to_string();
        let resources = contents.list_resources("", &label)?;
        let examples = contents.list_resources(EXAMPLE_FOLDER, &label)?;
        let positions: HashMap<String, usize> = resources
            .iter()
            .chain(&examples)
            .enumerate()
            .map(|(position, entry)| (entry.filename.clone(), position))
            .collect();
        let parsed = (0..positions.len()).map(|_| OnceLock::new()).collect();
        Ok(Self {
            id,
            manifest,
            origin: origin.to_owned(),
            contents,
            resources,
            examples,
            positions,
            parsed,
        })
    }

    pub fn id(&self) -> &PackageId {
        &self.id
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The archive or folder the package was loaded from.
    pub fn origin(&self) -> &Path {
        &self.origin
    }

    /// The resources at the top of the package (conformance resources for an IG,
    /// instances for an examples package).
    pub fn resources(&self) -> &[IndexEntry] {
        &self.resources
    }

    /// The instances under `package/example/`; their `filename` includes `example/`.
    pub fn examples(&self) -> &[IndexEntry] {
        &self.examples
    }

    /// Counts the package's top-level resources by type.
    pub fn resource_counts(&self) -> ResourceCounts {
        let mut counts = ResourceCounts::new();
        for entry in &self.resources {
            *counts.entry(entry.resource_type.clone()).or_default() += 1;
        }
        counts
    }

    /// The bytes of a file, by its path below `package/`.
    pub fn read(&self, file: &str) -> Result<Cow<'_, [u8]>> {
        self.contents
            .read(file)?
            .ok_or_else(|| self.invalid(file, "the file is listed in .index.json but missing"))
    }

    /// Parses a file as untyped JSON.
    pub fn json(&self, file: &str) -> Result<serde_json::Value> {
        let bytes = self.read(file)?;
        parse_json(&bytes, &self.id.to_string(), &package_path(file))
    }

    /// Parses the resource `entry` (one of [`Self::resources`] or
    /// [`Self::examples`]) into its typed model, once; later calls share it.
    pub fn parse<T: ConformanceResource>(&self, entry: &IndexEntry) -> Result<Arc<T>> {
        let slot = self.slot(entry);
        if let Some(cached) = slot.and_then(|slot| slot.get())
            && let Ok(typed) = Arc::clone(cached).downcast::<T>()
        {
            return Ok(typed);
        }
        let typed = Arc::new(self.parse_uncached::<T>(&entry.filename)?);
        if let Some(slot) = slot {
            let _ = slot.set(typed.clone() as Arc<dyn Any + Send + Sync>);
        }
        Ok(typed)
    }

    fn parse_uncached<T: ConformanceResource>(&self, file: &str) -> Result<T> {
        let bytes = self.read(file)?;
        let label = self.id.to_string();
        let wrong_type = |found: Option<String>| Error::WrongResourceType {
            package: self.id.clone(),
            file: package_path(file),
            expected: T::RESOURCE_TYPE,
            found: found.unwrap_or_else(|| "no resourceType".to_owned()),
        };
        match parse_json::<T>(&bytes, &label, &package_path(file)) {
            Ok(typed) if typed.resource_type() == T::RESOURCE_TYPE => {
                typed
                    .check()
                    .map_err(|(element, message)| Error::InvalidElement {
                        package: self.id.clone(),
                        file: package_path(file),
                        element,
                        message,
                    })?;
                Ok(typed)
            }
            Ok(typed) => Err(wrong_type(Some(typed.resource_type().to_owned()))),
            // A file that is some other resource fails the typed parse; say what
            // it is rather than which field the other resource lacks.
            Err(error) => match parse_json::<ResourceHeader>(&bytes, &label, &package_path(file)) {
                Ok(header) if header.resource_type.as_deref() != Some(T::RESOURCE_TYPE) => {
                    Err(wrong_type(header.resource_type))
                }
                _ => Err(error),
            },
        }
    }

    fn slot(&self, entry: &IndexEntry) -> Option<&OnceLock<Arc<dyn Any + Send + Sync>>> {
        let position = *self.positions.get(&entry.filename)?;
        self.parsed.get(position)
    }

    pub(crate) fn invalid(&self, file: &str, message: impl Into<String>) -> Error {
        Error::InvalidFile {
            package: self.id.to_string(),
            file: package_path(file),
            message: message.into(),
        }
    }
}

impl std::fmt::Debug for Package {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Package")
            .field("id", &self.id)
            .field("origin", &self.origin)
            .field("resources", &self.resources.len())
            .field("examples", &self.examples.len())
            .finish()
    }
}

/// The path of a package file as it appears in the archive, for messages.
fn package_path(file: &str) -> String {
    format!("package/{file}")
}

/// The first properties of any resource, enough to index it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceHeader {
    resource_type: Option<String>,
    id: Option<String>,
    url: Option<String>,
    version: Option<String>,
    kind: Option<String>,
    #[serde(rename = "type")]
    type_: Option<serde_json::Value>,
}

/// Parses JSON into `T`, with the JSON path of the first problem in the error.
pub(crate) fn parse_json<T: DeserializeOwned>(
    bytes: &[u8],
    package: &str,
    file: &str,
) -> Result<T> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    let value = parsed.map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = if inner.is_syntax() || inner.is_eof() {
            format!("not valid JSON: {inner}")
        } else if path == "." {
            inner.to_string()
        } else {
            format!("at `{path}`: {inner}")
        };
        Error::InvalidFile {
            package: package.to_owned(),
            file: file.to_owned(),
            message,
        }
    })?;
    deserializer.end().map_err(|inner| Error::InvalidFile {
        package: package.to_owned(),
        file: file.to_owned(),
        message: format!("not valid JSON: {inner}"),
    })?;
    Ok(value)
}

impl Contents {
    fn read(&self, file: &str) -> Result<Option<Cow<'_, [u8]>>> {
        match self {
            Contents::Memory(files) => Ok(files.get(file).map(|b| Cow::Borrowed(b.as_slice()))),
            Contents::Folder(root) => {
                let path = root.join(file);
                match std::fs::read(&path) {
                    Ok(bytes) => Ok(Some(Cow::Owned(bytes))),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(Error::io(path, e)),
                }
            }
        }
    }

    fn read_optional(&self, file: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.read(file)?.map(Cow::into_owned))
    }

    /// The `.json` files directly inside `folder` (`""` for the top).
    fn json_files(&self, folder: &str) -> Result<Vec<String>> {
        let is_resource_file = |name: &str| {
            name.ends_with(".json") && name != "package.json" && !name.starts_with('.')
        };
        match self {
            Contents::Memory(files) => Ok(files
                .keys()
                .filter_map(|path| path.strip_prefix(folder))
                .filter(|name| !name.contains('/') && is_resource_file(name))
                .map(|name| format!("{folder}{name}"))
                .collect()),
            Contents::Folder(root) => {
                let dir = root.join(folder);
                let listing = match std::fs::read_dir(&dir) {
                    Ok(listing) => listing,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                    Err(e) => return Err(Error::io(dir, e)),
                };
                let mut names = Vec::new();
                for item in listing {
                    let item = item.map_err(|e| Error::io(&dir, e))?;
                    let name = item.file_name().to_string_lossy().into_owned();
                    if item.path().is_file() && is_resource_file(&name) {
                        names.push(format!("{folder}{name}"));
                    }
                }
                names.sort();
                Ok(names)
            }
        }
    }

    /// The resources of a folder of the package: from its `.index.json` when
    /// there is one, else by reading the first properties of every JSON file.
    fn list_resources(&self, folder: &str, package: &str) -> Result<Vec<IndexEntry>> {
        let index_file = format!("{folder}.index.json");
        if let Some(bytes) = self.read(&index_file)? {
            let index: Index = parse_json(&bytes, package, &package_path(&index_file))?;
            return index
                .files
                .into_iter()
                .map(|mut entry| {
                    archive::checked_relative_path(&entry.filename)
                        .ok()
                        .filter(|name| !name.contains('/'))
                        .ok_or_else(|| Error::InvalidFile {
                            package: package.to_owned(),
                            file: package_path(&index_file),
                            message: format!("bad file name `{}` in the index", entry.filename),
                        })?;
                    entry.filename = format!("{folder}{}", entry.filename);
                    Ok(entry)
                })
                .collect();
        }
        let mut entries = Vec::new();
        for file in self.json_files(folder)? {
            let bytes = self.read(&file)?.unwrap_or_default();
            let header: ResourceHeader = parse_json(&bytes, package, &package_path(&file))?;
            // A JSON file without a resourceType is not a resource (some packages
            // keep other JSON there); it is not listed.
            let Some(resource_type) = header.resource_type else {
                continue;
            };
            entries.push(IndexEntry {
                filename: file,
                resource_type,
                id: header.id,
                url: header.url,
                version: header.version,
                kind: header.kind,
                type_: header.type_.and_then(|t| t.as_str().map(str::to_owned)),
            });
        }
        Ok(entries)
    }
}

/// Packages built in memory for unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::sync::Arc;

    use serde_json::{Value, json};

    use super::*;

    /// The files of a package `name@version` holding `resources` (no index, so
    /// the loader scans them).
    pub fn files(
        name: &str,
        version: &str,
        dependencies: &[(&str, &str)],
        resources: &[Value],
    ) -> FileMap {
        let mut files = FileMap::new();
        let deps: serde_json::Map<String, Value> = dependencies
            .iter()
            .map(|(n, v)| (n.to_string(), json!(v)))
            .collect();
        let manifest = json!({"name": name, "version": version, "fhirVersions": ["4.0.1"], "dependencies": deps});
        files.insert("package.json".into(), manifest.to_string().into_bytes());
        for resource in resources {
            let file = format!(
                "{}-{}.json",
                resource["resourceType"].as_str().unwrap(),
                resource["id"].as_str().unwrap()
            );
            files.insert(file, resource.to_string().into_bytes());
        }
        files
    }

    /// A catalog holding the given packages.
    pub fn catalog(packages: Vec<FileMap>) -> Catalog {
        let mut catalog = Catalog::new();
        for (i, files) in packages.into_iter().enumerate() {
            let origin = PathBuf::from(format!("memory-{i}"));
            let package = Package::from_files(files, &origin).unwrap();
            catalog.add_loaded(PackageSource::Folder(origin), Arc::new(package));
        }
        catalog
    }

    /// Loads `root` offline from the given packages.
    pub fn set(root: &str, packages: Vec<FileMap>) -> Result<PackageSet> {
        Loader::new(catalog(packages), LoadOptions::default()).load(&root.parse().unwrap())
    }
}
