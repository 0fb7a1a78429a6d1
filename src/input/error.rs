//! Why a CA bundle file could not be read at all. A file that was read but holds odd
//! content is not an error: that becomes [`BundleDefect`]s for the analysis to report.
//!
//! [`BundleDefect`]: crate::model::BundleDefect

use std::io;
use std::path::PathBuf;

/// The bundle file could not be read; each variant names the file and what to do.
#[derive(Debug)]
pub enum InputError {
    /// Opening or reading the file failed (missing, permission denied, I/O error).
    Unreadable { path: PathBuf, source: io::Error },
    /// The path names a directory.
    IsDirectory { path: PathBuf },
    /// The path names something that is neither a file nor a directory (a FIFO, a socket,
    /// a device); reading it could block forever or never end. `what` says which.
    NotAFile { path: PathBuf, what: &'static str },
    /// The file is larger than any CA bundle should be.
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    /// The file is age-encrypted; decryption is not supported yet.
    AgeEncrypted { path: PathBuf },
}

impl InputError {
    /// The file the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            InputError::Unreadable { path, .. }
            | InputError::IsDirectory { path }
            | InputError::NotAFile { path, .. }
            | InputError::TooLarge { path, .. }
            | InputError::AgeEncrypted { path } => path,
        }
    }
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.path().display();
        match self {
            InputError::Unreadable { source, .. } => {
                let advice = match source.kind() {
                    io::ErrorKind::NotFound => "check the path or set --ca",
                    io::ErrorKind::PermissionDenied => {
                        "give the user running ise-doctor read access to it, or copy it \
                         somewhere readable"
                    }
                    _ => "check that the file is readable",
                };
                write!(f, "cannot read CA bundle `{path}`: {source}; {advice}")
            }
            InputError::IsDirectory { .. } => write!(
                f,
                "cannot read CA bundle `{path}`: it is a directory; name the PEM file \
                 inside it with --ca"
            ),
            InputError::NotAFile { what, .. } => write!(
                f,
                "cannot read CA bundle `{path}`: it is {what}, not a file; point at the \
                 bundle file itself (save it to a file first if it comes from a pipe)"
            ),
            InputError::TooLarge { size, limit, .. } => write!(
                f,
                "cannot read CA bundle `{path}`: it is {size} bytes, more than the \
                 {} MiB limit for a CA bundle; check that --ca names the right file",
                limit / (1024 * 1024)
            ),
            InputError::AgeEncrypted { .. } => write!(
                f,
                "cannot read CA bundle `{path}`: age-encrypted bundles are not supported \
                 yet; decrypt it first (`age --decrypt -o ca.pem {path}`) and pass the PEM \
                 file with --ca"
            ),
        }
    }
}

impl std::error::Error for InputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InputError::Unreadable { source, .. } => Some(source),
            _ => None,
        }
    }
}
