//! The options that say where packages come from, shared by every command.

use std::path::{Path, PathBuf};

use clap::Args;
use fhirgen::package::{
    Catalog, DEFAULT_REGISTRY, Loader, PACKAGES_ENV, PackageSet, PackageSources, default_cache_dir,
    packages_folder,
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

    /// The options as the library takes them.
    pub fn resolved(&self) -> PackageSources {
        PackageSources {
            folders: self.package_folders(),
            cache: self.cache(),
            registry: (!self.offline).then(|| self.registry.clone()),
        }
    }

    /// Every place packages are looked for: the package folders, then the cache.
    pub fn catalog(&self) -> fhirgen::Result<Catalog> {
        self.resolved().catalog()
    }

    pub fn loader(&self, catalog: Catalog) -> Loader {
        self.resolved().loader(catalog)
    }

    /// Loads the package named by `--package` (an id, or the path of an archive
    /// or folder) with its dependencies.
    pub fn load_set(&self, package: &str) -> fhirgen::Result<PackageSet> {
        self.resolved().load(package)
    }
}
