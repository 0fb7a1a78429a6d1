//! Reading input files: CA bundles, pinned certificates and client identities, plain or
//! age-encrypted.
//!
//! [`read_file`] is the one reader of every input file: it checks the path, caps the size
//! and, when the file is age-encrypted, decrypts it in memory ([`age`]) with the
//! [`SecretSources`] the cli layer gathered. [`load_bundle_with`] hands its bytes to
//! [`parse_bundle`], which is pure. Accepted bundles: PEM (LF, CRLF or CR endings, a UTF-8
//! BOM, text around the blocks, `CERTIFICATE`, `X509 CERTIFICATE`, `TRUSTED CERTIFICATE`
//! and `PKCS7` blocks), one or several DER certificates, and DER PKCS#7 (`.p7b`). The
//! reader is lenient — it reads every certificate it can — and each defect says what
//! OpenSSL-based clients would not see (see [`pem`] for what was measured). A defect's
//! `index` is the 1-based block number in the file and its `line` the line at fault (the
//! BEGIN line unless a later line is). [`load_certificate`] reads the one certificate of a
//! pin and [`load_client_identity`] a client certificate with its key ([`identity`]).
//!
//! Private keys found in a bundle are reported, never decoded or kept; every buffer that
//! held a file, encrypted or not, is zeroed once parsed.

mod age;
mod der;
mod error;
mod identity;
mod pem;
mod seal;
mod secrets;

#[cfg(test)]
mod secret_tests;
#[cfg(test)]
mod tests;

use std::fs;
use std::io::Read as _;
use std::path::Path;

use zeroize::Zeroizing;

use crate::model::{Bundle, BundleDefect, BundleFormat, BundleSource, Certificate};

pub use error::{AgeLock, InputError};
pub use identity::{ClientIdentity, key_matches, load_client_identity};
pub use pem::MAX_BLOCKS;
pub use seal::{Seal, parse_recipient, recipients_of, seal, seal_like, unseal};
pub use secrets::SecretSources;

/// Files larger than this are refused: no real CA bundle comes close (the Mozilla store
/// is about 220 KiB as PEM), and certificates, keys and identity files are far smaller.
pub const MAX_BUNDLE_BYTES: u64 = 16 * 1024 * 1024;

const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// What CA bundle files are called in messages.
const CA_BUNDLE: &str = "CA bundle";

/// What pinned certificate files are called in messages.
const PINNED_CERT: &str = "pinned certificate";

/// Reads the bundle file at `path`, with no identity or passphrase for age files.
pub fn load_bundle(path: &Path) -> Result<Bundle, InputError> {
    load_bundle_with(path, &SecretSources::default())
}

/// Reads the bundle file at `path`, decrypting it first when it is age-encrypted.
pub fn load_bundle_with(path: &Path, secrets: &SecretSources) -> Result<Bundle, InputError> {
    let bytes = read_file(path, CA_BUNDLE, secrets)?;
    let source = BundleSource::File(path.display().to_string());
    Ok(parse_bundle(&bytes, source))
}

/// Reads the one certificate of `path` (PEM or DER, age-encrypted or not): a pinned
/// certificate. None or several is an error naming the file.
pub fn load_certificate(path: &Path, secrets: &SecretSources) -> Result<Certificate, InputError> {
    let mut certs = load_certificates(path, PINNED_CERT, secrets)?;
    if certs.len() > 1 {
        return Err(InputError::SeveralCertificates {
            path: path.to_path_buf(),
            what: PINNED_CERT.to_string(),
            count: certs.len(),
        });
    }
    certs.pop().ok_or_else(|| InputError::NoCertificate {
        path: path.to_path_buf(),
        what: PINNED_CERT.to_string(),
    })
}

/// Reads the input file at `path` and returns its content, decrypted when it is
/// age-encrypted (its name ends in `.age` or it starts with an age header). `what` names
/// the file in errors: "CA bundle", "client key", …
pub fn read_file(
    path: &Path,
    what: &str,
    secrets: &SecretSources,
) -> Result<Zeroizing<Vec<u8>>, InputError> {
    let bytes = read_plain(path, what)?;
    if age::is_age_name(path) || age::is_age_content(&bytes) {
        return age::decrypt(path, what, &bytes, secrets);
    }
    Ok(bytes)
}

/// The certificates of a certificate file, in file order; an error when it holds none
/// or when a block does not decode (a client certificate or a pin must be clean).
fn load_certificates(
    path: &Path,
    what: &str,
    secrets: &SecretSources,
) -> Result<Vec<Certificate>, InputError> {
    let bytes = read_file(path, what, secrets)?;
    let bundle = parse_bundle(&bytes, BundleSource::File(path.display().to_string()));

    let malformed = bundle.defects.iter().find_map(|defect| match defect {
        BundleDefect::MalformedBlock {
            index,
            line,
            reason,
        } => Some(format!("block {index} (line {line}): {reason}")),
        _ => None,
    });
    if let Some(reason) = malformed {
        return Err(InputError::BadCertificate {
            path: path.to_path_buf(),
            what: what.to_string(),
            reason,
        });
    }
    if bundle.certs.is_empty() {
        return Err(InputError::NoCertificate {
            path: path.to_path_buf(),
            what: what.to_string(),
        });
    }
    Ok(bundle.certs)
}

/// Reads a file as it is stored, without decrypting: checks the path, caps the size.
fn read_plain(path: &Path, what: &str) -> Result<Zeroizing<Vec<u8>>, InputError> {
    let unreadable = |source| InputError::Unreadable {
        path: path.to_path_buf(),
        what: what.to_string(),
        source,
    };
    let too_large = |size| InputError::TooLarge {
        path: path.to_path_buf(),
        what: what.to_string(),
        size,
        limit: MAX_BUNDLE_BYTES,
    };

    // Checked before opening: opening a FIFO blocks until a writer appears, and a device
    // such as /dev/zero never ends. `metadata` follows symbolic links.
    let metadata = fs::metadata(path).map_err(unreadable)?;
    if metadata.is_dir() {
        return Err(InputError::IsDirectory {
            path: path.to_path_buf(),
            what: what.to_string(),
        });
    }
    if !metadata.is_file() {
        return Err(InputError::NotAFile {
            path: path.to_path_buf(),
            what: what.to_string(),
            kind: special_file_kind(&metadata.file_type()),
        });
    }
    if metadata.len() > MAX_BUNDLE_BYTES {
        return Err(too_large(metadata.len()));
    }

    // Sized up front so the buffer never reallocates (which would leave an un-zeroed
    // copy of a private key behind). `take` also bounds pipes and growing files.
    let capacity = usize::try_from(metadata.len())
        .unwrap_or(0)
        .saturating_add(1);
    let mut bytes = Zeroizing::new(Vec::with_capacity(capacity));
    let file = fs::File::open(path).map_err(unreadable)?;
    file.take(MAX_BUNDLE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_BUNDLE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Parses the bytes of a bundle file. Pure: never fails, never does I/O; everything odd
/// about the bytes ends up in [`Bundle::defects`].
pub fn parse_bundle(bytes: &[u8], source: BundleSource) -> Bundle {
    let (text, bom) = match bytes.strip_prefix(UTF8_BOM) {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };

    if text.iter().all(u8::is_ascii_whitespace) {
        let defects = vec![BundleDefect::Empty { bytes: bytes.len() }];
        return Bundle {
            source,
            format: BundleFormat::Empty,
            certs: Vec::new(),
            defects,
        };
    }

    if pem::looks_like_pem(text) {
        let outcome = pem::read(text);
        let mut defects = outcome.defects;
        if bom {
            let note = "the file starts with a UTF-8 byte order mark; OpenSSL 3 and Python \
                        skip it, some other tools do not"
                .to_string();
            defects.push(BundleDefect::Cosmetic { note });
        }
        return Bundle {
            source,
            format: BundleFormat::Pem,
            certs: outcome.certs,
            defects,
        };
    }

    match read_der(bytes) {
        Some((certs, defects)) => Bundle {
            source,
            format: BundleFormat::Der,
            certs,
            defects,
        },
        None => {
            let reason = unknown_reason(bytes);
            let defects = vec![BundleDefect::MalformedBlock {
                index: 1,
                line: 1,
                reason,
            }];
            Bundle {
                source,
                format: BundleFormat::Unknown,
                certs: Vec::new(),
                defects,
            }
        }
    }
}

/// Reads a binary file of concatenated DER elements: certificates or PKCS#7 bundles.
/// `None` when the bytes do not start with a well-formed DER SEQUENCE.
fn read_der(bytes: &[u8]) -> Option<(Vec<Certificate>, Vec<BundleDefect>)> {
    let (first, _) = der::read_tlv(bytes).ok()?;
    if first.tag != der::TAG_SEQUENCE {
        return None;
    }

    let mut certs = Vec::new();
    let mut defects = Vec::new();
    let (mut any_cert, mut any_pkcs7) = (false, false);
    let mut rest = bytes;
    let mut index = 0;

    while !rest.is_empty() {
        index += 1;
        let offset = bytes.len() - rest.len();
        let malformed = |reason: String| BundleDefect::MalformedBlock {
            index,
            line: 1,
            reason,
        };
        if index > MAX_BLOCKS {
            let reason = format!(
                "the file holds more than {MAX_BLOCKS} DER elements; element {index} (byte \
                 {offset}) and everything after it were ignored"
            );
            defects.push(malformed(reason));
            break;
        }

        let (element, after) = match der::read_tlv(rest) {
            Ok(read) => read,
            Err(e) => {
                let reason = format!(
                    "DER element {index} at byte {offset}: {e}; the rest of the file \
                     ({} bytes) was ignored",
                    rest.len()
                );
                defects.push(malformed(reason));
                break;
            }
        };
        rest = after;

        let pkcs7 = der::is_pkcs7(&element);
        any_pkcs7 |= pkcs7;
        any_cert |= !pkcs7;
        match der_element(&element) {
            Ok(found) => certs.extend(found),
            Err(e) => defects.push(malformed(format!(
                "DER element {index} at byte {offset}: {e}"
            ))),
        }
    }

    // The file-level defects first: DER certificates, a PKCS#7 container, or both.
    let mut file = Vec::new();
    if any_pkcs7 {
        file.push(BundleDefect::Pkcs7 { pem: false });
    }
    if any_cert || !any_pkcs7 {
        file.push(BundleDefect::Der);
    }
    file.extend(defects);
    Some((certs, file))
}

/// The certificates of one top-level DER element.
fn der_element(element: &der::Tlv<'_>) -> Result<Vec<Certificate>, String> {
    if !der::is_pkcs7(element) {
        let cert = Certificate::from_der(element.whole).map_err(|e| e.to_string())?;
        return Ok(vec![cert]);
    }

    let slices = der::pkcs7_certificates(element.whole)?;
    if slices.is_empty() {
        return Err("the PKCS#7 holds no certificates".to_string());
    }

    let mut certs = Vec::with_capacity(slices.len());
    for (n, slice) in slices.iter().enumerate() {
        let cert = Certificate::from_der(slice)
            .map_err(|e| format!("certificate {} inside the PKCS#7: {e}", n + 1))?;
        certs.push(cert);
    }
    Ok(certs)
}

/// Why bytes that are neither PEM nor DER are not a bundle.
fn unknown_reason(bytes: &[u8]) -> String {
    let kind = if std::str::from_utf8(bytes).is_ok() {
        "text"
    } else {
        "binary data"
    };
    let der_hint = match der::read_tlv(bytes) {
        Err(e) if bytes.first() == Some(&der::TAG_SEQUENCE) => {
            format!(" (it starts like DER, but {e})")
        }
        _ => String::new(),
    };
    format!(
        "the file ({} bytes of {kind}) is neither PEM (no `-----BEGIN` line) nor DER{der_hint}; \
         it holds no certificate — check that --ca names a CA bundle",
        bytes.len()
    )
}

/// What a path that is neither a file nor a directory names, for messages.
#[cfg(unix)]
pub(crate) fn special_file_kind(kind: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;

    if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
pub(crate) fn special_file_kind(_: &fs::FileType) -> &'static str {
    "a special file"
}
