//! A CA bundle as loaded: its certificates, where it came from, and what was wrong with
//! the file itself (found while reading it, before any analysis).

use serde::Serialize;

use super::Certificate;

/// Where the bundle's certificates came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "path", rename_all = "kebab-case")]
pub enum BundleSource {
    /// A file the user named (or the environment named).
    File(String),
    /// The operating system's trust store, at this path.
    SystemStore(String),
    /// No bundle at all (`chain` without `--ca`).
    None,
}

impl BundleSource {
    /// The path as it should appear in fix steps.
    pub fn path(&self) -> Option<&str> {
        match self {
            BundleSource::File(path) | BundleSource::SystemStore(path) => Some(path),
            BundleSource::None => None,
        }
    }
}

/// How the bundle file was encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BundleFormat {
    Pem,
    Der,
    Empty,
    Unknown,
}

/// A defect in the file itself, found while reading it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum BundleDefect {
    /// A PEM block that could not be decoded into a certificate.
    MalformedBlock {
        index: usize,
        line: usize,
        reason: String,
    },
    /// A private key block sitting in the CA bundle.
    PrivateKey { line: usize, label: String },
    /// The file is binary DER, not PEM.
    Der,
    /// The certificates sit in a PKCS#7 (`.p7b`) container, PEM-armoured (`pem`) or DER;
    /// OpenSSL-based clients read no certificate from it in a CA file.
    Pkcs7 { pem: bool },
    /// Nothing usable in the file.
    Empty { bytes: usize },
    /// Byte-level oddities worth mentioning (BOM, CRLF, text between blocks).
    Cosmetic { note: String },
}

/// The certificates of a CA bundle, in file order, plus the defects of the file.
#[derive(Clone, Debug)]
pub struct Bundle {
    pub source: BundleSource,
    pub format: BundleFormat,
    pub certs: Vec<Certificate>,
    pub defects: Vec<BundleDefect>,
}

impl Bundle {
    /// A bundle with no certificates and no file, for `chain` without `--ca`.
    pub fn none() -> Bundle {
        Bundle {
            source: BundleSource::None,
            format: BundleFormat::Empty,
            certs: Vec::new(),
            defects: Vec::new(),
        }
    }

    /// True when the bundle holds the exact same certificate (same DER).
    pub fn contains(&self, cert: &Certificate) -> bool {
        self.certs.iter().any(|c| c == cert)
    }

    /// The path to print in fix steps, or a placeholder when there is no file.
    pub fn display_path(&self) -> &str {
        self.source.path().unwrap_or("ca-bundle.pem")
    }
}
