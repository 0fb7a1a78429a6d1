//! The client identity for mutual TLS (pxGrid): a certificate file (leaf first, then an
//! optional chain) and its private key, each possibly age-encrypted.
//!
//! Keys are read from PEM (`PRIVATE KEY` PKCS#8, `RSA PRIVATE KEY` PKCS#1, `EC PRIVATE
//! KEY` SEC1) or DER. Their bytes live only in zeroizing buffers and in the
//! [`PrivateKeyDer`] of a [`ClientIdentity`], which is zeroed when the identity is
//! dropped. Password-protected keys are refused with the command that converts them.
//! Whether the key permissions are too open is judged elsewhere (`store.key-permissions`);
//! this module only records them.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};
use x509_parser::prelude::FromDer as _;
use x509_parser::x509::SubjectPublicKeyInfo;
use zeroize::{Zeroize as _, Zeroizing};

use super::{InputError, SecretSources, der};
use crate::model::Certificate;

/// What client certificate files are called in messages.
const CLIENT_CERT: &str = "client certificate";
/// What client key files are called in messages.
const CLIENT_KEY: &str = "client key";

const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;

/// A client certificate chain and its private key, as loaded. `Debug` never shows the key;
/// the key is zeroed on drop (use [`PrivateKeyDer::clone_key`] to hand it to rustls).
pub struct ClientIdentity {
    /// The leaf certificate first, then the rest of the chain as the file lists it.
    pub chain: Vec<Certificate>,
    pub key: PrivateKeyDer<'static>,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
    /// The Unix permission bits of the key file as stored (`0o600`, …); `None` where
    /// the platform has none.
    pub key_mode: Option<u32>,
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let subjects: Vec<&str> = self.chain.iter().map(|c| c.subject.as_str()).collect();
        let key = match self.key {
            PrivateKeyDer::Pkcs1(_) => "PKCS#1 (redacted)",
            PrivateKeyDer::Sec1(_) => "SEC1 (redacted)",
            PrivateKeyDer::Pkcs8(_) => "PKCS#8 (redacted)",
            _ => "(redacted)",
        };
        let mode = self.key_mode.map(|m| format!("{m:04o}"));
        f.debug_struct("ClientIdentity")
            .field("chain", &subjects)
            .field("key", &format_args!("{key}"))
            .field("cert_path", &self.cert_path)
            .field("key_path", &self.key_path)
            .field("key_mode", &mode)
            .finish()
    }
}

impl Drop for ClientIdentity {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

/// Reads a client certificate (leaf first, then an optional chain) and its private key.
pub fn load_client_identity(
    cert: &Path,
    key: &Path,
    secrets: &SecretSources,
) -> Result<ClientIdentity, InputError> {
    let chain = super::load_certificates(cert, CLIENT_CERT, secrets)?;

    let bytes = super::read_file(key, CLIENT_KEY, secrets)?;
    let private_key = parse_key(&bytes).map_err(|problem| problem.into_error(key))?;
    let key_mode = file_mode(key);

    Ok(ClientIdentity {
        chain,
        key: private_key,
        cert_path: cert.to_path_buf(),
        key_path: key.to_path_buf(),
        key_mode,
    })
}

/// Whether the private key belongs to the leaf certificate (`chain[0]`): the public key
/// derived from the private key equals the certificate's. `Err` says why this cannot be
/// told (no certificate, a key type rustls's ring provider does not load).
pub fn key_matches(identity: &ClientIdentity) -> Result<bool, String> {
    let leaf = identity
        .chain
        .first()
        .ok_or("the client certificate file holds no certificate")?;

    // `any_supported_type` is what the ring provider's `load_private_key` calls; it
    // borrows the key, so no un-zeroed copy of it is made here.
    let signing_key = rustls::crypto::ring::sign::any_supported_type(&identity.key)
        .map_err(|e| format!("the private key type is not supported ({e})"))?;
    let key_spki = signing_key
        .public_key()
        .ok_or("the public key cannot be derived from this private key")?;

    let (_, cert) = x509_parser::parse_x509_certificate(leaf.der())
        .map_err(|e| format!("the client certificate does not parse ({e})"))?;
    let cert_spki = &cert.tbs_certificate.subject_pki;
    if cert_spki.raw == key_spki.as_ref() {
        return Ok(true);
    }

    // The same key can be written with other algorithm parameters (an RSA-PSS
    // certificate, say): compare the key bits themselves.
    let (_, derived) = SubjectPublicKeyInfo::from_der(key_spki.as_ref())
        .map_err(|e| format!("the derived public key does not parse ({e})"))?;
    Ok(derived.subject_public_key.data == cert_spki.subject_public_key.data)
}

/// Why a key file could not be turned into a key; becomes an [`InputError`] once the
/// path is known.
#[derive(Debug, PartialEq, Eq)]
enum KeyProblem {
    None,
    Several(usize),
    Encrypted,
    Bad(String),
}

impl KeyProblem {
    fn into_error(self, path: &Path) -> InputError {
        let path = path.to_path_buf();
        let what = CLIENT_KEY.to_string();
        match self {
            KeyProblem::None => InputError::NoPrivateKey { path, what },
            KeyProblem::Several(count) => InputError::SeveralPrivateKeys { path, what, count },
            KeyProblem::Encrypted => InputError::EncryptedPrivateKey { path, what },
            KeyProblem::Bad(reason) => InputError::BadPrivateKey { path, what, reason },
        }
    }
}

/// The private key of a key file's bytes (PEM or DER).
fn parse_key(bytes: &[u8]) -> Result<PrivateKeyDer<'static>, KeyProblem> {
    if memchr::memmem::find(bytes, b"-----BEGIN").is_some() {
        return parse_pem_key(bytes);
    }
    parse_der_key(bytes.trim_ascii_end())
}

/// The key kinds read from PEM, by label.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PemKey {
    Pkcs8,
    Pkcs1,
    Sec1,
}

/// Finds the one private-key block of a PEM text and decodes it.
fn parse_pem_key(text: &[u8]) -> Result<PrivateKeyDer<'static>, KeyProblem> {
    let mut found: Option<PemKey> = None;
    let mut count = 0;
    let mut encrypted = false;
    let mut in_key = false;
    // The base64 text of the key block; zeroed on drop like the decoded key.
    let mut body = Zeroizing::new(Vec::with_capacity(text.len()));

    for line in text.split(|&b| b == b'\n' || b == b'\r') {
        let line = line.trim_ascii();
        if let Some(label) = marker(line, b"-----BEGIN ") {
            let kind = match label {
                b"PRIVATE KEY" => Some(PemKey::Pkcs8),
                b"RSA PRIVATE KEY" => Some(PemKey::Pkcs1),
                b"EC PRIVATE KEY" => Some(PemKey::Sec1),
                b"ENCRYPTED PRIVATE KEY" => {
                    encrypted = true;
                    None
                }
                b"OPENSSH PRIVATE KEY" => {
                    let reason = "it holds an OpenSSH private key; convert it to PKCS#8 \
                                  (`ssh-keygen -p -m PKCS8 -f FILE`)";
                    return Err(KeyProblem::Bad(reason.to_string()));
                }
                _ => None,
            };
            let is_key = memchr::memmem::find(label, b"PRIVATE KEY").is_some();
            count += usize::from(is_key);
            in_key = kind.is_some() && found.is_none();
            if in_key {
                found = kind;
            }
            continue;
        }
        if marker(line, b"-----END ").is_some() {
            in_key = false;
            continue;
        }

        if in_key {
            // Legacy OpenSSL encryption puts headers inside the block.
            if line.starts_with(b"Proc-Type:") && memchr::memmem::find(line, b"ENCRYPTED").is_some()
            {
                encrypted = true;
            }
            if !line.contains(&b':') {
                body.extend_from_slice(line);
            }
        }
    }

    if encrypted {
        return Err(KeyProblem::Encrypted);
    }
    if count > 1 {
        return Err(KeyProblem::Several(count));
    }
    let Some(kind) = found else {
        return Err(KeyProblem::None);
    };

    let mut der = Zeroizing::new(vec![0u8; base64::decoded_len_estimate(body.len())]);
    let len = base64::engine::general_purpose::STANDARD
        .decode_slice(body.as_slice(), der.as_mut_slice())
        .map_err(|e| KeyProblem::Bad(format!("the key block is not valid base64 ({e})")))?;
    der.truncate(len);
    if !matches!(der::read_tlv(&der), Ok((tlv, _)) if tlv.tag == der::TAG_SEQUENCE) {
        let reason = "the key block does not hold a DER private key";
        return Err(KeyProblem::Bad(reason.to_string()));
    }

    // Moved, not copied: the bytes now belong to the key, zeroed when the identity drops.
    let der = std::mem::take(&mut *der);
    Ok(match kind {
        PemKey::Pkcs8 => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)),
        PemKey::Pkcs1 => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der)),
        PemKey::Sec1 => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der)),
    })
}

/// The label of a `-----BEGIN …-----` or `-----END …-----` line.
fn marker<'a>(line: &'a [u8], start: &[u8]) -> Option<&'a [u8]> {
    line.strip_prefix(start)?
        .strip_suffix(b"-----")
        .map(<[u8]>::trim_ascii)
}

/// Tells a DER key's format from its structure: PKCS#8 is `SEQUENCE { INTEGER,
/// SEQUENCE, … }`, PKCS#1 `SEQUENCE { INTEGER, INTEGER, … }`, SEC1 `SEQUENCE { INTEGER,
/// OCTET STRING, … }`, and an encrypted PKCS#8 `SEQUENCE { SEQUENCE, OCTET STRING }`.
fn parse_der_key(bytes: &[u8]) -> Result<PrivateKeyDer<'static>, KeyProblem> {
    let not_a_key = || {
        KeyProblem::Bad(
            "it is neither PEM (no `-----BEGIN` line) nor a DER private key".to_string(),
        )
    };
    if bytes.is_empty() {
        return Err(KeyProblem::None);
    }

    let (outer, rest) = der::read_tlv(bytes).map_err(|_| not_a_key())?;
    if outer.tag != der::TAG_SEQUENCE || !rest.is_empty() {
        return Err(not_a_key());
    }
    let (first, after) = der::read_tlv(outer.content).map_err(|_| not_a_key())?;
    let (second, _) = der::read_tlv(after).map_err(|_| not_a_key())?;

    // The copy goes straight into the key, which is zeroed when the identity drops.
    let owned = || outer.whole.to_vec();
    match (first.tag, second.tag) {
        (TAG_INTEGER, der::TAG_SEQUENCE) => Ok(PrivateKeyDer::Pkcs8(owned().into())),
        (TAG_INTEGER, TAG_INTEGER) => Ok(PrivateKeyDer::Pkcs1(owned().into())),
        (TAG_INTEGER, TAG_OCTET_STRING) => Ok(PrivateKeyDer::Sec1(owned().into())),
        (der::TAG_SEQUENCE, TAG_OCTET_STRING) => Err(KeyProblem::Encrypted),
        (der::TAG_SEQUENCE, der::TAG_SEQUENCE) => Err(KeyProblem::Bad(
            "it holds a DER certificate, not a private key; check --client-key".to_string(),
        )),
        _ => Err(not_a_key()),
    }
}

/// The permission bits of the file, following symbolic links.
#[cfg(unix)]
fn file_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt as _;

    let metadata = std::fs::metadata(path).ok()?;
    Some(metadata.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn file_mode(_: &Path) -> Option<u32> {
    None
}
