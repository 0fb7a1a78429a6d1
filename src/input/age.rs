//! age decryption of input files, in memory: the ciphertext is read by
//! [`super::read_file`], decrypted here with the `age` crate into a zeroizing buffer, and
//! never written anywhere. No temporary file, no external `age` process.
//!
//! A file is treated as encrypted when its name ends in `.age` or its content starts with
//! an age header (binary `age-encryption.org/v1` or the armored
//! `-----BEGIN AGE ENCRYPTED FILE-----`). A `.age` file that holds plaintext is refused
//! with a clear error rather than read as it is: the name promises encryption, and
//! silently accepting plaintext would hide a mistake in the store.
//!
//! The header says how the file is locked: to X25519 recipients (opened by the identity
//! files) or with a passphrase (scrypt). Identity files are read only once a file turns
//! out to be encrypted. Errors name the file and, for identity files, their paths; they
//! never hold plaintext, the passphrase or an identity.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use ::age::armor::ArmoredReader;
use ::age::secrecy::SecretString;
use ::age::{DecryptError, Decryptor, IdentityFile};
use zeroize::Zeroizing;

use super::error::AgeLock;
use super::{InputError, SecretSources};

/// An identity the `age` crate can try.
type AgeIdentity = Box<dyn ::age::Identity + Send + Sync>;

/// What identity files are called in messages.
const IDENTITY_FILE: &str = "age identity file";

/// True when the file name ends in `.age` (any case).
pub(super) fn is_age_name(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("age"))
}

/// True when the bytes start with the binary or the armored age header.
pub(super) fn is_age_content(bytes: &[u8]) -> bool {
    bytes.starts_with(b"age-encryption.org/") || bytes.starts_with(b"-----BEGIN AGE ENCRYPTED FILE")
}

/// Decrypts the age file `path` (already read into `ciphertext`).
pub(super) fn decrypt(
    path: &Path,
    what: &str,
    ciphertext: &[u8],
    secrets: &SecretSources,
) -> Result<Zeroizing<Vec<u8>>, InputError> {
    let corrupt = |reason: String| InputError::AgeCorrupt {
        path: path.to_path_buf(),
        what: what.to_string(),
        reason,
    };

    // `ArmoredReader` passes binary files through and decodes armored ones.
    let decryptor = Decryptor::new_buffered(ArmoredReader::new(ciphertext))
        .map_err(|e| corrupt(header_problem(&e, ciphertext)))?;
    let lock = if decryptor.is_scrypt() {
        AgeLock::Passphrase
    } else {
        AgeLock::Recipients
    };

    let wrong_secret = || InputError::AgeWrongSecret {
        path: path.to_path_buf(),
        what: what.to_string(),
        lock,
        identity_files: secrets.identity_files.clone(),
        passphrase: secrets.passphrase.is_some(),
    };
    if secrets.is_empty() {
        return Err(InputError::AgeNoSecret {
            path: path.to_path_buf(),
            what: what.to_string(),
            lock,
        });
    }

    let identities: Vec<AgeIdentity> = match (lock, &secrets.passphrase) {
        (AgeLock::Passphrase, Some(passphrase)) => {
            let secret = SecretString::from(passphrase.as_str().to_owned());
            vec![Box::new(::age::scrypt::Identity::new(secret))]
        }
        (AgeLock::Passphrase, None) => return Err(wrong_secret()),
        (AgeLock::Recipients, _) if secrets.identity_files.is_empty() => {
            return Err(wrong_secret());
        }
        (AgeLock::Recipients, _) => load_identities(path, what, &secrets.identity_files)?,
    };

    let tried = identities
        .iter()
        .map(|i| i.as_ref() as &dyn ::age::Identity);
    let mut reader = match decryptor.decrypt(tried) {
        Ok(reader) => reader,
        Err(DecryptError::NoMatchingKeys) => return Err(wrong_secret()),
        // scrypt reports a wrong passphrase as a failed decryption of the file key.
        Err(DecryptError::DecryptionFailed) if lock == AgeLock::Passphrase => {
            return Err(wrong_secret());
        }
        Err(e) => return Err(corrupt(header_problem(&e, ciphertext))),
    };

    // The plaintext is never longer than the ciphertext, so the buffer never reallocates
    // (which would leave an un-zeroed copy behind).
    let mut plaintext = Zeroizing::new(Vec::with_capacity(ciphertext.len()));
    reader.read_to_end(&mut plaintext).map_err(|e| {
        corrupt(format!(
            "its encrypted data is damaged or truncated ({e}); restore the file from a backup \
             or encrypt it again"
        ))
    })?;
    Ok(plaintext)
}

/// Why the header (or the file key) of an age file could not be read.
fn header_problem(error: &DecryptError, ciphertext: &[u8]) -> String {
    if !is_age_content(ciphertext) {
        return "its name ends in `.age` but it does not start with an age header \
                (`age-encryption.org/v1` or `-----BEGIN AGE ENCRYPTED FILE-----`); if it \
                is not encrypted, remove the `.age` from its name"
            .to_string();
    }

    match error {
        DecryptError::ExcessiveWork { required, target } => format!(
            "it was encrypted with a passphrase work factor of 2^{required}, far more than \
             this machine handles in about a second (2^{target}); encrypt it again with \
             `age -p` on a similar machine"
        ),
        DecryptError::UnknownFormat => "it uses an age format version this build does not \
                                        know; decrypt it with a newer age and encrypt it \
                                        again"
            .to_string(),
        DecryptError::InvalidMac => {
            "its age header is damaged (the header MAC does not match); restore the file \
             from a backup or encrypt it again"
                .to_string()
        }
        DecryptError::Io(e) => {
            format!("it is not a valid age file ({e}); it may be truncated or damaged")
        }
        _ => "it is not a valid age file (the header does not decode); it may be truncated \
              or damaged"
            .to_string(),
    }
}

/// Reads every identity file, in order, into identities the decryptor can try.
fn load_identities(
    path: &Path,
    what: &str,
    files: &[PathBuf],
) -> Result<Vec<AgeIdentity>, InputError> {
    let invalid = |identity: &Path, reason: String| InputError::AgeIdentityInvalid {
        path: path.to_path_buf(),
        what: what.to_string(),
        identity: identity.to_path_buf(),
        reason,
    };

    let mut identities = Vec::new();
    for file in files {
        let bytes = super::read_plain(file, IDENTITY_FILE).map_err(|e| {
            InputError::AgeIdentityUnreadable {
                path: path.to_path_buf(),
                what: what.to_string(),
                source: Box::new(e),
            }
        })?;
        // The crate's parse errors give a line number, never the line itself.
        let parsed = IdentityFile::from_buffer(bytes.as_slice()).map_err(|e| {
            let reason = match foreign_identity(&bytes) {
                Some(reason) => reason.to_string(),
                None => format!("is not an age identity file ({e})"),
            };
            invalid(file, reason)
        })?;
        let found = parsed
            .into_identities()
            .map_err(|e| invalid(file, format!("holds an identity that cannot be used ({e})")))?;
        if found.is_empty() {
            let reason = "holds no age identity (no `AGE-SECRET-KEY-1…` line)".to_string();
            return Err(invalid(file, reason));
        }
        identities.extend(found);
    }
    Ok(identities)
}

/// Why an identity file holds something other than plain age identities, for the kinds
/// worth naming.
fn foreign_identity(bytes: &[u8]) -> Option<&'static str> {
    let text = bytes.trim_ascii_start();
    if is_age_content(text) {
        return Some(
            "is itself age-encrypted, which is not supported; use a plain identity file \
             (one `AGE-SECRET-KEY-1…` line, as `age-keygen` writes)",
        );
    }
    if text.starts_with(b"-----BEGIN") {
        return Some(
            "holds a PEM or SSH key, not an age identity; SSH identities are not supported, \
             use an X25519 identity (`age-keygen`)",
        );
    }
    if memchr::memmem::find(bytes, b"AGE-PLUGIN-").is_some() {
        return Some(
            "holds an age plugin identity, which is not supported; use an X25519 identity \
             (`age-keygen`)",
        );
    }
    None
}
