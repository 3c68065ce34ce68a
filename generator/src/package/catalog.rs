//! Finding packages on disk: folders of `.tgz` files (like `FHIR_PACKAGES`),
//! single archives, unpacked package folders and the FHIR package cache
//! (`~/.fhir/packages/<name>#<version>/package/`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{ArchiveLimits, Package, PackageId, compare_versions, version_matches};
use crate::error::{Error, Result};

/// The environment variable that names the folder of package archives.
pub const PACKAGES_ENV: &str = "FHIR_PACKAGES";

/// The folder of package archives: `$FHIR_PACKAGES`, else
/// `../shared/fhir-packages` relative to `root` (the repository root for this
/// project's tests and tools; `""` for the current folder).
pub fn packages_folder(root: &Path) -> PathBuf {
    match std::env::var_os(PACKAGES_ENV) {
        Some(folder) => PathBuf::from(folder),
        None => root.join("../shared/fhir-packages"),
    }
}

/// Where one package lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageSource {
    /// A FHIR NPM package archive (`.tgz`).
    Archive(PathBuf),
    /// An unpacked package: the folder that holds `package/`, or `package/` itself.
    Folder(PathBuf),
}

impl PackageSource {
    pub fn path(&self) -> &Path {
        match self {
            PackageSource::Archive(path) | PackageSource::Folder(path) => path,
        }
    }

    pub fn load(&self) -> Result<Package> {
        self.load_within(&ArchiveLimits::default())
    }

    /// Loads the package, an archive within `limits`.
    pub fn load_within(&self, limits: &ArchiveLimits) -> Result<Package> {
        match self {
            PackageSource::Archive(path) => Package::from_archive_within(path, limits),
            PackageSource::Folder(path) => Package::from_folder(path),
        }
    }

    /// The package this source probably holds, judging by its name alone
    /// (`name-version.tgz`, `name#version`); confirmed when it is loaded.
    fn guess(&self) -> Option<PackageId> {
        let name = self.path().file_name()?.to_str()?;
        match self {
            PackageSource::Archive(_) => {
                let stem = name.strip_suffix(".tgz")?;
                // The version starts at the first `-` followed by a digit:
                // `hl7.fhir.uv.smart-app-launch-2.1.0`.
                let split = stem
                    .char_indices()
                    .find(|&(i, c)| {
                        c == '-' && stem[i + 1..].starts_with(|d: char| d.is_ascii_digit())
                    })?
                    .0;
                Some(PackageId::new(&stem[..split], &stem[split + 1..]))
            }
            PackageSource::Folder(_) => name.parse().ok(),
        }
    }
}

struct Place {
    source: PackageSource,
    guess: Option<PackageId>,
    loaded: Option<Arc<Package>>,
}

/// The packages found in a list of places, each loaded at most once, when
/// first needed.
#[derive(Default)]
pub struct Catalog {
    places: Vec<Place>,
    searched: Vec<PathBuf>,
    archive_limits: ArchiveLimits,
}

impl Catalog {
    pub fn new() -> Self {
        Self::default()
    }

    /// How much each package archive may unpack to (the defaults of
    /// [`ArchiveLimits`] otherwise); an archive over them fails to load,
    /// with an error that names it.
    pub fn set_archive_limits(&mut self, limits: ArchiveLimits) {
        self.archive_limits = limits;
    }

    /// Adds the packages at `path`: an archive, an unpacked package, or a folder
    /// holding archives and unpacked packages (which covers the package cache).
    /// A path that does not exist adds nothing.
    pub fn add_path(&mut self, path: &Path) -> Result<()> {
        self.searched.push(path.to_owned());
        for source in discover(path)? {
            self.add_source(source);
        }
        Ok(())
    }

    pub fn add_source(&mut self, source: PackageSource) {
        if self.places.iter().any(|p| p.source == source) {
            return;
        }
        let guess = source.guess();
        self.places.push(Place {
            source,
            guess,
            loaded: None,
        });
    }

    /// Adds a package already loaded (one named on the command line, a test
    /// fixture); it is preferred to any other copy of the same package.
    pub fn add_loaded(&mut self, source: PackageSource, package: Arc<Package>) {
        self.places.retain(|p| p.source != source);
        self.places.insert(
            0,
            Place {
                guess: Some(package.id().clone()),
                source,
                loaded: Some(package),
            },
        );
    }

    /// The places searched, for messages.
    pub fn searched(&self) -> &[PathBuf] {
        &self.searched
    }

    pub fn sources(&self) -> impl Iterator<Item = &PackageSource> {
        self.places.iter().map(|p| &p.source)
    }

    /// Loads every package (for listing them); each source gives its package or
    /// the error that kept it from loading.
    pub fn load_all(&mut self) -> Vec<(PackageSource, Result<Arc<Package>>)> {
        (0..self.places.len())
            .map(|i| (self.places[i].source.clone(), self.load_place(i)))
            .collect()
    }

    /// Finds the package `name` whose version matches `version` (exact, `1.0.x`,
    /// or a tag such as `current`), loading what it has to. Of several matches the
    /// highest version wins. Sources that fail to load while searching are
    /// returned as warnings, never silently passed over.
    pub fn find(&mut self, name: &str, version: &str) -> (Option<Arc<Package>>, Vec<Error>) {
        let mut warnings = Vec::new();
        // First the places whose names promise the package, then the ones whose
        // contents are unknown until loaded.
        let promising: Vec<usize> = (0..self.places.len())
            .filter(|&i| {
                self.places[i]
                    .guess
                    .as_ref()
                    .is_some_and(|g| g.name == name && version_matches(version, &g.version))
            })
            .collect();
        let unknown: Vec<usize> = (0..self.places.len())
            .filter(|&i| self.places[i].guess.is_none() && self.places[i].loaded.is_none())
            .collect();
        let mut best: Option<Arc<Package>> = None;
        for (round, candidates) in [promising, unknown].into_iter().enumerate() {
            for i in candidates {
                match self.load_place(i) {
                    Ok(package) => {
                        let id = package.id();
                        let better = best
                            .as_ref()
                            .is_none_or(|b| compare_versions(&id.version, &b.id().version).is_gt());
                        if id.name == name && version_matches(version, &id.version) && better {
                            best = Some(package);
                        }
                    }
                    Err(error) => warnings.push(error),
                }
            }
            if best.is_some() && round == 0 {
                break;
            }
        }
        (best, warnings)
    }

    fn load_place(&mut self, i: usize) -> Result<Arc<Package>> {
        if let Some(package) = &self.places[i].loaded {
            return Ok(package.clone());
        }
        let package = Arc::new(self.places[i].source.load_within(&self.archive_limits)?);
        self.places[i].guess = Some(package.id().clone());
        self.places[i].loaded = Some(package.clone());
        Ok(package)
    }
}

/// The package sources at `path`.
fn discover(path: &Path) -> Result<Vec<PackageSource>> {
    if path.is_file() {
        return Ok(vec![PackageSource::Archive(path.to_owned())]);
    }
    if !path.is_dir() {
        return Ok(Vec::new());
    }
    if is_unpacked_package(path) {
        return Ok(vec![PackageSource::Folder(path.to_owned())]);
    }
    let listing = std::fs::read_dir(path).map_err(|e| Error::io(path, e))?;
    let mut children = Vec::new();
    for item in listing {
        children.push(item.map_err(|e| Error::io(path, e))?.path());
    }
    children.sort();
    Ok(children
        .into_iter()
        .filter_map(|child| {
            let is_archive = child.extension().is_some_and(|e| e == "tgz");
            if child.is_file() && is_archive {
                Some(PackageSource::Archive(child))
            } else if child.is_dir() && is_unpacked_package(&child) {
                Some(PackageSource::Folder(child))
            } else {
                None
            }
        })
        .collect())
}

fn is_unpacked_package(folder: &Path) -> bool {
    folder.join("package").join("package.json").is_file() || folder.join("package.json").is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_ids_from_names() {
        let archive = PackageSource::Archive("x/hl7.fhir.uv.smart-app-launch-2.1.0.tgz".into());
        assert_eq!(
            archive.guess(),
            Some(PackageId::new("hl7.fhir.uv.smart-app-launch", "2.1.0"))
        );
        let cached = PackageSource::Folder("cache/hl7.fhir.us.core#6.1.0".into());
        assert_eq!(
            cached.guess(),
            Some(PackageId::new("hl7.fhir.us.core", "6.1.0"))
        );
        assert_eq!(PackageSource::Archive("x/foo.tgz".into()).guess(), None);
    }
}
