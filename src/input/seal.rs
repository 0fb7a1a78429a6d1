//! age encryption of files ise-doctor writes back: the other half of [`super::age`].
//!
//! `fix --write` replaces a bundle with its repaired content, and an age-encrypted bundle
//! must stay encrypted, locked the way it was: to the recipients of the identities that
//! opened it, or with the same passphrase. [`seal_like`] works that out from the bytes on
//! disk and the [`SecretSources`]; [`parse_recipient`] reads a `--recipient age1…` flag;
//! [`seal`] encrypts (binary age, never armored) in memory. [`unseal`] decrypts bytes
//! already read, so a caller can analyse exactly the bytes it will later compare.
//!
//! Errors never hold plaintext, a passphrase or an identity; recipients are public keys
//! and may be shown.

use std::fmt;
use std::io::Write as _;
use std::iter;
use std::path::{Path, PathBuf};

use ::age::armor::ArmoredReader;
use ::age::secrecy::SecretString;
use ::age::x25519::Recipient;
use ::age::{Decryptor, Encryptor, IdentityFile};
use zeroize::Zeroizing;

use super::{InputError, SecretSources};

/// What identity files are called in messages.
const IDENTITY_FILE: &str = "age identity file";

/// How new content is locked before it is written.
///
/// `Debug` lists the recipients (public keys) and never shows the passphrase.
#[derive(Clone)]
pub enum Seal {
    /// Written as it is: the file was not encrypted.
    Plain,
    /// Encrypted to these X25519 recipients (any one of their identities opens it).
    AgeRecipients(Vec<Recipient>),
    /// Encrypted with this passphrase (scrypt).
    AgePassphrase(Zeroizing<String>),
}

impl fmt::Debug for Seal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seal::Plain => f.write_str("Plain"),
            Seal::AgeRecipients(recipients) => {
                f.debug_tuple("AgeRecipients").field(recipients).finish()
            }
            Seal::AgePassphrase(_) => f.write_str("AgePassphrase(<hidden>)"),
        }
    }
}

/// Parses an age X25519 recipient (`age1…`), as given to `--recipient`.
pub fn parse_recipient(text: &str) -> Result<Recipient, String> {
    let text = text.trim();
    text.parse::<Recipient>().map_err(|e| {
        format!(
            "`{text}` is not an age X25519 recipient ({e}); give a public key such as \
             `age-keygen -y FILE` prints (`age1…`)"
        )
    })
}

/// The public recipients of the X25519 identities in `identity_files`, in file order,
/// without repeats.
pub fn recipients_of(identity_files: &[PathBuf]) -> Result<Vec<Recipient>, InputError> {
    let mut recipients = Vec::new();
    for file in identity_files {
        for (recipient, _) in identities_in(file)? {
            if !recipients.contains(&recipient) {
                recipients.push(recipient);
            }
        }
    }
    Ok(recipients)
}

/// How to lock new content for `path` so that it opens the way the bytes on disk did:
/// [`Seal::Plain`] when they are not age-encrypted, the passphrase when a passphrase
/// locked them, else the recipients of those given identities that open them (not every
/// identity given: a key that could not read the file must not gain access to it).
///
/// Limitation: X25519 stanzas do not name their recipient, so recipients of the original
/// file whose identities were not given are dropped; `--recipient` adds them back.
pub fn seal_like(
    path: &Path,
    what: &str,
    on_disk: &[u8],
    secrets: &SecretSources,
) -> Result<Seal, InputError> {
    if !super::age::is_age_name(path) && !super::age::is_age_content(on_disk) {
        return Ok(Seal::Plain);
    }
    // Decrypting first gives the reader's own errors (no secret, wrong secret, damage).
    drop(super::age::decrypt(path, what, on_disk, secrets)?);

    let scrypt = Decryptor::new_buffered(ArmoredReader::new(on_disk))
        .map(|d| d.is_scrypt())
        .unwrap_or(false);
    if scrypt && let Some(passphrase) = &secrets.passphrase {
        return Ok(Seal::AgePassphrase(passphrase.clone()));
    }

    let mut recipients = Vec::new();
    for file in &secrets.identity_files {
        for (recipient, identity) in identities_in(file)? {
            if opens(on_disk, identity.as_ref()) && !recipients.contains(&recipient) {
                recipients.push(recipient);
            }
        }
    }
    Ok(Seal::AgeRecipients(recipients))
}

/// Decrypts bytes already read from `path`, as [`super::read_file`] would have: only
/// when the name ends in `.age` or the bytes start with an age header.
pub fn unseal(
    path: &Path,
    what: &str,
    on_disk: &[u8],
    secrets: &SecretSources,
) -> Result<Zeroizing<Vec<u8>>, InputError> {
    if super::age::is_age_name(path) || super::age::is_age_content(on_disk) {
        return super::age::decrypt(path, what, on_disk, secrets);
    }
    Ok(Zeroizing::new(on_disk.to_vec()))
}

/// `plaintext` locked per `seal`: as it is, or binary age. The error says why nothing
/// could be encrypted (no recipient); it never holds the plaintext or the passphrase.
pub fn seal(plaintext: &[u8], seal: &Seal) -> Result<Zeroizing<Vec<u8>>, String> {
    let encryptor = match seal {
        Seal::Plain => return Ok(Zeroizing::new(plaintext.to_vec())),
        Seal::AgeRecipients(recipients) if recipients.is_empty() => {
            return Err(
                "there is no age recipient to encrypt it to; give --recipient \
                        age1… (`age-keygen -y FILE` prints the recipient of an identity)"
                    .to_string(),
            );
        }
        Seal::AgeRecipients(recipients) => {
            let each = recipients.iter().map(|r| r as &dyn ::age::Recipient);
            Encryptor::with_recipients(each)
                .map_err(|e| format!("age refused the recipients: {e}"))?
        }
        Seal::AgePassphrase(passphrase) => {
            let secret = SecretString::from(passphrase.as_str().to_owned());
            let mut recipient = ::age::scrypt::Recipient::new(secret);
            if let Some(log_n) = TEST_WORK_FACTOR {
                recipient.set_work_factor(log_n);
            }
            let once = iter::once(&recipient as &dyn ::age::Recipient);
            Encryptor::with_recipients(once)
                .map_err(|e| format!("age refused the passphrase: {e}"))?
        }
    };

    // Ciphertext is the plaintext plus a header and 16 bytes per 64 KiB chunk.
    let mut out = Zeroizing::new(Vec::with_capacity(plaintext.len() + 1024));
    let failed = |e: std::io::Error| format!("age encryption failed: {e}");
    let mut writer = encryptor.wrap_output(&mut *out).map_err(failed)?;
    writer.write_all(plaintext).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(out)
}

/// The scrypt work factor for passphrases: the crate's (about a second on this machine)
/// outside tests, a trivial one in unit tests so they stay fast.
const TEST_WORK_FACTOR: Option<u8> = if cfg!(test) { Some(4) } else { None };

/// An X25519 identity with its recipient.
type Pair = (Recipient, Box<dyn ::age::Identity + Send + Sync>);

/// The identities of one identity file, each with its public recipient.
fn identities_in(file: &Path) -> Result<Vec<Pair>, InputError> {
    let invalid = |reason: String| InputError::BadPrivateKey {
        path: file.to_path_buf(),
        what: IDENTITY_FILE.to_string(),
        reason,
    };

    let bytes = super::read_plain(file, IDENTITY_FILE)?;
    let parsed = IdentityFile::from_buffer(bytes.as_slice())
        .map_err(|e| invalid(format!("it is not an age identity file ({e})")))?;

    // The crate lists the recipients and the identities in the same (file) order.
    let mut listed = Vec::new();
    parsed
        .write_recipients_file(&mut listed)
        .map_err(|e| invalid(format!("its recipients cannot be derived ({e})")))?;
    let identities = parsed
        .into_identities()
        .map_err(|e| invalid(format!("it holds an identity that cannot be used ({e})")))?;

    let text = String::from_utf8_lossy(&listed);
    let recipients = text
        .lines()
        .map(|line| line.parse::<Recipient>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("it holds an identity that is not X25519 ({e})")))?;
    if recipients.len() != identities.len() {
        return Err(invalid(
            "it holds identities that are not X25519; re-encrypting needs an X25519 identity \
             (`age-keygen`)"
                .to_string(),
        ));
    }
    Ok(recipients.into_iter().zip(identities).collect())
}

/// True when `identity` opens the age file `on_disk`.
fn opens(on_disk: &[u8], identity: &(dyn ::age::Identity + Send + Sync)) -> bool {
    let Ok(decryptor) = Decryptor::new_buffered(ArmoredReader::new(on_disk)) else {
        return false;
    };
    let identity = identity as &dyn ::age::Identity;
    decryptor.decrypt(iter::once(identity)).is_ok()
}
