//! Why an input file (CA bundle, pinned certificate, client certificate or key) could not
//! be read at all. A bundle that was read but holds odd content is not an error: that
//! becomes [`BundleDefect`]s for the analysis to report.
//!
//! Every variant names the file and what it was for (`what`: "CA bundle", "client key",
//! …). None carries file content, a passphrase or an identity: the messages are safe to
//! print and to log.
//!
//! [`BundleDefect`]: crate::model::BundleDefect

use std::io;
use std::path::{Path, PathBuf};

/// How an age file is locked, as its header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgeLock {
    /// Encrypted to one or more recipients (X25519 public keys): an identity opens it.
    Recipients,
    /// Encrypted with a passphrase (scrypt).
    Passphrase,
}

/// The file could not be read; each variant names the file and what to do.
#[derive(Debug)]
pub enum InputError {
    /// Opening or reading the file failed (missing, permission denied, I/O error).
    Unreadable {
        path: PathBuf,
        what: String,
        source: io::Error,
    },
    /// The path names a directory.
    IsDirectory { path: PathBuf, what: String },
    /// The path names something that is neither a file nor a directory (a FIFO, a socket,
    /// a device); reading it could block forever or never end. `kind` says which.
    NotAFile {
        path: PathBuf,
        what: String,
        kind: &'static str,
    },
    /// The file is larger than any input file should be.
    TooLarge {
        path: PathBuf,
        what: String,
        size: u64,
        limit: u64,
    },
    /// The file is age-encrypted and neither an identity nor a passphrase was given.
    AgeNoSecret {
        path: PathBuf,
        what: String,
        lock: AgeLock,
    },
    /// The identities or the passphrase given do not open the file.
    AgeWrongSecret {
        path: PathBuf,
        what: String,
        lock: AgeLock,
        /// The identity files that were tried (paths only).
        identity_files: Vec<PathBuf>,
        /// Whether a passphrase was given.
        passphrase: bool,
    },
    /// The file is not a valid age file, or its encrypted data is damaged or truncated.
    AgeCorrupt {
        path: PathBuf,
        what: String,
        reason: String,
    },
    /// An identity file needed to decrypt the file could not be read.
    AgeIdentityUnreadable {
        path: PathBuf,
        what: String,
        /// Why the identity file could not be read (it names the identity file).
        source: Box<InputError>,
    },
    /// An identity file holds no usable age identity.
    AgeIdentityInvalid {
        path: PathBuf,
        what: String,
        identity: PathBuf,
        reason: String,
    },
    /// The file holds no certificate.
    NoCertificate { path: PathBuf, what: String },
    /// The file should hold one certificate and holds several.
    SeveralCertificates {
        path: PathBuf,
        what: String,
        count: usize,
    },
    /// A certificate in the file could not be decoded.
    BadCertificate {
        path: PathBuf,
        what: String,
        reason: String,
    },
    /// The file holds no private key.
    NoPrivateKey { path: PathBuf, what: String },
    /// The file holds more than one private key.
    SeveralPrivateKeys {
        path: PathBuf,
        what: String,
        count: usize,
    },
    /// The private key is password-protected (PKCS#8 `ENCRYPTED PRIVATE KEY` or a legacy
    /// encrypted PEM).
    EncryptedPrivateKey { path: PathBuf, what: String },
    /// The private key is in a form that is not read (an OpenSSH key, malformed DER).
    BadPrivateKey {
        path: PathBuf,
        what: String,
        reason: String,
    },
}

impl InputError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        let (path, _) = self.subject();
        path
    }

    /// What the file was for: "CA bundle", "client key", …
    pub fn what(&self) -> &str {
        let (_, what) = self.subject();
        what
    }

    fn subject(&self) -> (&Path, &str) {
        match self {
            InputError::Unreadable { path, what, .. }
            | InputError::IsDirectory { path, what }
            | InputError::NotAFile { path, what, .. }
            | InputError::TooLarge { path, what, .. }
            | InputError::AgeNoSecret { path, what, .. }
            | InputError::AgeWrongSecret { path, what, .. }
            | InputError::AgeCorrupt { path, what, .. }
            | InputError::AgeIdentityUnreadable { path, what, .. }
            | InputError::AgeIdentityInvalid { path, what, .. }
            | InputError::NoCertificate { path, what }
            | InputError::SeveralCertificates { path, what, .. }
            | InputError::BadCertificate { path, what, .. }
            | InputError::NoPrivateKey { path, what }
            | InputError::SeveralPrivateKeys { path, what, .. }
            | InputError::EncryptedPrivateKey { path, what }
            | InputError::BadPrivateKey { path, what, .. } => (path, what),
        }
    }
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (path, what) = self.subject();
        let path = path.display();
        write!(f, "cannot read {what} `{path}`: ")?;
        match self {
            InputError::Unreadable { source, .. } => {
                let advice = match source.kind() {
                    io::ErrorKind::NotFound => not_found_advice(what),
                    io::ErrorKind::PermissionDenied => {
                        "give the user running ise-doctor read access to it, or copy it \
                         somewhere readable"
                    }
                    _ => "check that the file is readable",
                };
                write!(f, "{source}; {advice}")
            }
            InputError::IsDirectory { .. } => write!(
                f,
                "it is a directory; name the file inside it{}",
                flag_hint(what)
            ),
            InputError::NotAFile { kind, .. } => write!(
                f,
                "it is {kind}, not a file; point at the file itself (save it to a file \
                 first if it comes from a pipe)"
            ),
            InputError::TooLarge { size, limit, .. } => write!(
                f,
                "it is {size} bytes, more than the {} MiB limit for an input file; check \
                 that the right file is named",
                limit / (1024 * 1024)
            ),
            InputError::AgeNoSecret { lock, .. } => {
                write!(
                    f,
                    "it is age-encrypted; give --identity FILE, set AGE_IDENTITY or \
                     AGE_PASSPHRASE"
                )?;
                match lock {
                    AgeLock::Passphrase => write!(f, " (it was encrypted with a passphrase)"),
                    AgeLock::Recipients => write!(f, " (it was encrypted to age identities)"),
                }
            }
            InputError::AgeWrongSecret {
                lock,
                identity_files,
                passphrase,
                ..
            } => wrong_secret(f, *lock, identity_files, *passphrase),
            InputError::AgeCorrupt { reason, .. } => write!(f, "{reason}"),
            InputError::AgeIdentityUnreadable { source, .. } => {
                write!(
                    f,
                    "it is age-encrypted and its identity file is unusable: {source}"
                )
            }
            InputError::AgeIdentityInvalid {
                identity, reason, ..
            } => write!(
                f,
                "it is age-encrypted and the age identity file `{}` {reason}",
                identity.display()
            ),
            InputError::NoCertificate { .. } => write!(
                f,
                "it holds no certificate; it should hold a PEM `CERTIFICATE` block or a DER \
                 certificate"
            ),
            InputError::SeveralCertificates { count, .. } => write!(
                f,
                "it holds {count} certificates where one is expected; keep only the \
                 certificate to pin"
            ),
            InputError::BadCertificate { reason, .. } => write!(f, "{reason}"),
            InputError::NoPrivateKey { .. } => write!(
                f,
                "it holds no private key; it should hold a PEM `PRIVATE KEY`, `RSA PRIVATE \
                 KEY` or `EC PRIVATE KEY` block, or a DER key"
            ),
            InputError::SeveralPrivateKeys { count, .. } => write!(
                f,
                "it holds {count} private keys; keep only the key of the client certificate"
            ),
            InputError::EncryptedPrivateKey { .. } => write!(
                f,
                "password-protected keys are not supported; decrypt it with `openssl pkey` \
                 into an age-encrypted file (`openssl pkey -in {path} | age -p -o \
                 client.key.age`)"
            ),
            InputError::BadPrivateKey { reason, .. } => write!(f, "{reason}"),
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

/// The second half of an [`InputError::AgeWrongSecret`] message.
fn wrong_secret(
    f: &mut std::fmt::Formatter<'_>,
    lock: AgeLock,
    identity_files: &[PathBuf],
    passphrase: bool,
) -> std::fmt::Result {
    match lock {
        AgeLock::Passphrase if passphrase => write!(
            f,
            "the passphrase given (AGE_PASSPHRASE) does not decrypt it; check the passphrase"
        ),
        AgeLock::Passphrase => write!(
            f,
            "it was encrypted with a passphrase and identities cannot open it; set \
             AGE_PASSPHRASE"
        ),
        AgeLock::Recipients if identity_files.is_empty() => write!(
            f,
            "it was encrypted to age identities, not a passphrase; give --identity FILE or \
             set AGE_IDENTITY"
        ),
        AgeLock::Recipients => {
            write!(f, "none of the given identities can decrypt it (tried ")?;
            for (n, file) in identity_files.iter().enumerate() {
                let separator = match n {
                    0 => "",
                    _ if n + 1 == identity_files.len() => " and ",
                    _ => ", ",
                };
                write!(f, "{separator}`{}`", file.display())?;
            }
            write!(
                f,
                "); check that it was encrypted to one of them (`age-keygen -y FILE` prints \
                 the recipient of an identity file)"
            )
        }
    }
}

/// What to do when the file does not exist.
fn not_found_advice(what: &str) -> &'static str {
    match what {
        "CA bundle" => "check the path or set --ca",
        "age identity file" => "check --identity or AGE_IDENTITY",
        _ => "check the path",
    }
}

/// The flag that names the file, where there is one.
fn flag_hint(what: &str) -> &'static str {
    match what {
        "CA bundle" => " with --ca",
        "age identity file" => " with --identity",
        "client certificate" => " with --client-cert",
        "client key" => " with --client-key",
        _ => "",
    }
}
