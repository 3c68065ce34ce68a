//! The one error type of the library. Every variant names the input it is about:
//! the package, the file inside it and, where it applies, the element id.

use std::path::PathBuf;

use crate::package::PackageId;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{}: not a valid FHIR package archive (gzip-compressed tar): {detail}", archive.display())]
    CorruptArchive { archive: PathBuf, detail: String },

    #[error("{}: archive too large: {detail}", archive.display())]
    ArchiveTooLarge { archive: PathBuf, detail: String },

    #[error("{}: refusing archive entry `{entry}`: {reason}", archive.display())]
    UnsafeArchiveEntry {
        archive: PathBuf,
        entry: String,
        reason: &'static str,
    },

    #[error("{}: no package/package.json: this is not a FHIR package", location.display())]
    MissingManifest { location: PathBuf },

    #[error("{package}, file {file}: {message}")]
    InvalidFile {
        /// The package, or the archive or folder when the package's id is not known yet.
        package: String,
        file: String,
        message: String,
    },

    #[error("{package}, file {file}: expected a {expected} resource, found {found}")]
    WrongResourceType {
        package: PackageId,
        file: String,
        expected: &'static str,
        found: String,
    },

    #[error("{package}, file {file}: StructureDefinition `{profile}` has no snapshot")]
    NoSnapshot {
        package: PackageId,
        file: String,
        profile: String,
    },

    #[error("{package}, file {file}, element `{element}`: {message}")]
    InvalidElement {
        package: PackageId,
        file: String,
        element: String,
        message: String,
    },

    #[error("package {id} was not found in {looked_in}{hint}")]
    PackageNotFound {
        id: PackageId,
        looked_in: String,
        hint: String,
    },

    #[error("dependency cycle: {}", .chain.iter().map(ToString::to_string).collect::<Vec<_>>().join(" -> "))]
    DependencyCycle { chain: Vec<PackageId> },

    #[error("{kind} `{wanted}` was not found in {package} or its dependencies{missing}")]
    NotFound {
        kind: &'static str,
        wanted: String,
        package: PackageId,
        /// Names the dependencies that could not be loaded and might define it.
        missing: String,
    },

    /// A request that cannot be carried out as given (a build script's
    /// settings, a profile that is not in the package).
    #[error("{0}")]
    Usage(String),

    #[error("registry {url}: {detail}")]
    Registry { url: String, detail: String },

    #[error(
        "{url}: checksum mismatch: the registry says sha1 {expected}, the download has {actual}"
    )]
    ChecksumMismatch {
        url: String,
        expected: String,
        actual: String,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
