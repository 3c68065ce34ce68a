//! Where packages come from, as the CLI's options and the build-script API
//! both say it: folders and archives, the package cache, and the registry
//! that missing packages may be installed from.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Catalog, LoadOptions, Loader, PackageId, PackageSet, PackageSource, Registry};
use crate::error::{Error, Result};

/// The places to look for packages, and whether to download.
#[derive(Debug, Clone, Default)]
pub struct PackageSources {
    /// Folders of archives and unpacked packages, archives, package folders.
    pub folders: Vec<PathBuf>,
    /// The FHIR package cache: searched, and where installs go.
    pub cache: Option<PathBuf>,
    /// The registry to install missing packages from; `None`: offline.
    pub registry: Option<String>,
}

impl PackageSources {
    /// Every place packages are looked for: the folders, then the cache.
    pub fn catalog(&self) -> Result<Catalog> {
        let mut catalog = Catalog::new();
        for folder in &self.folders {
            catalog.add_path(folder)?;
        }
        if let Some(cache) = &self.cache {
            catalog.add_path(cache)?;
        }
        Ok(catalog)
    }

    /// A loader over `catalog` that installs into the cache from the
    /// registry, when there is one.
    pub fn loader(&self, catalog: Catalog) -> Loader {
        let options = match &self.registry {
            Some(url) => LoadOptions {
                registry: Some(Registry::new(url)),
                cache: self.cache.clone(),
            },
            None => LoadOptions::default(),
        };
        Loader::new(catalog, options)
    }

    /// Loads `package`, a package id (`hl7.fhir.us.core@6.1.0`) or the path
    /// of an archive or package folder, with its dependencies.
    pub fn load(&self, package: &str) -> Result<PackageSet> {
        let mut catalog = self.catalog()?;
        let path = Path::new(package);
        let id = if path.exists() {
            let source = if path.is_dir() {
                PackageSource::Folder(path.to_owned())
            } else {
                PackageSource::Archive(path.to_owned())
            };
            let loaded = Arc::new(source.load()?);
            let id = loaded.id().clone();
            catalog.add_loaded(source, loaded);
            id
        } else {
            package
                .parse::<PackageId>()
                .map_err(|e| Error::Usage(e.to_string()))?
        };
        self.loader(catalog).load(&id)
    }
}
