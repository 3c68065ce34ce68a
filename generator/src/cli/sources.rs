//! The options that say where packages come from, shared by every command.

use std::path::{Path, PathBuf};

use clap::Args;
use fhirgen::package::{
    Catalog, DEFAULT_REGISTRY, LoadOptions, Loader, PACKAGES_ENV, PackageId, PackageSet,
    PackageSource, Registry, default_cache_dir, packages_folder,
};

#[derive(Args)]
pub struct Sources {
    /// A folder of package archives (.tgz) and unpacked packages, a .tgz, or a
    /// package folder; may be repeated [default: $FHIR_PACKAGES, else
    /// ../shared/fhir-packages when it exists]
    #[arg(long, value_name = "DIR")]
    packages: Vec<PathBuf>,
    /// The FHIR package cache [default: ~/.fhir/packages]
    #[arg(
        long,
        value_name = "DIR",
        env = "FHIR_PACKAGE_CACHE",
        hide_env_values = true
    )]
    cache: Option<PathBuf>,
    /// The FHIR package registry to install missing packages from
    #[arg(long, value_name = "URL", env = "FHIR_REGISTRY", hide_env_values = true, default_value = DEFAULT_REGISTRY)]
    registry: String,
    /// Never download: use only packages already on disk
    #[arg(long)]
    offline: bool,
}

impl Sources {
    fn package_folders(&self) -> Vec<PathBuf> {
        if !self.packages.is_empty() {
            return self.packages.clone();
        }
        // Relative to the folder the command runs in (this repository's root).
        let folder = packages_folder(Path::new(""));
        if std::env::var_os(PACKAGES_ENV).is_some() || folder.is_dir() {
            vec![folder]
        } else {
            Vec::new()
        }
    }

    pub fn cache(&self) -> Option<PathBuf> {
        self.cache.clone().or_else(default_cache_dir)
    }

    pub fn registry(&self) -> Registry {
        Registry::new(&self.registry)
    }

    /// Every place packages are looked for: the package folders, then the cache.
    pub fn catalog(&self) -> fhirgen::Result<Catalog> {
        let mut catalog = Catalog::new();
        for folder in self.package_folders() {
            catalog.add_path(&folder)?;
        }
        if let Some(cache) = self.cache() {
            catalog.add_path(&cache)?;
        }
        Ok(catalog)
    }

    pub fn loader(&self, catalog: Catalog) -> Loader {
        let options = if self.offline {
            LoadOptions::default()
        } else {
            LoadOptions {
                registry: Some(self.registry()),
                cache: self.cache(),
            }
        };
        Loader::new(catalog, options)
    }

    /// Loads the package named by `--package` (an id, or the path of an archive
    /// or folder) with its dependencies.
    pub fn load_set(&self, package: &str) -> Result<PackageSet, Box<dyn std::error::Error>> {
        let mut catalog = self.catalog()?;
        let path = Path::new(package);
        let id = if path.exists() {
            let source = if path.is_dir() {
                PackageSource::Folder(path.to_owned())
            } else {
                PackageSource::Archive(path.to_owned())
            };
            let loaded = std::sync::Arc::new(source.load()?);
            let id = loaded.id().clone();
            catalog.add_loaded(source, loaded);
            id
        } else {
            package.parse::<PackageId>()?
        };
        Ok(self.loader(catalog).load(&id)?)
    }
}
