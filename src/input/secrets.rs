//! What may open an age-encrypted input file: identity files and a passphrase.
//!
//! The cli layer fills [`SecretSources`] from `--identity`, `AGE_IDENTITY`, the config
//! file and `AGE_PASSPHRASE`; [`super::read_file`] uses it only when a file turns out to
//! be encrypted, so a broken identity file does not stop plaintext inputs from loading.

use std::fmt;
use std::path::PathBuf;

use zeroize::Zeroizing;

/// Identity files and a passphrase for age-encrypted inputs. `Debug` shows the identity
/// paths and whether a passphrase is set, never the passphrase.
#[derive(Clone, Default)]
pub struct SecretSources {
    /// Files of age X25519 identities (`AGE-SECRET-KEY-1…` lines, `#` comments), tried
    /// in order. They must not be encrypted themselves.
    pub identity_files: Vec<PathBuf>,
    /// A passphrase for scrypt-encrypted files.
    pub passphrase: Option<Zeroizing<String>>,
}

impl SecretSources {
    /// True when neither an identity file nor a passphrase is given.
    pub fn is_empty(&self) -> bool {
        self.identity_files.is_empty() && self.passphrase.is_none()
    }
}

impl fmt::Debug for SecretSources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let passphrase = match self.passphrase {
            Some(_) => "set",
            None => "unset",
        };
        f.debug_struct("SecretSources")
            .field("identity_files", &self.identity_files)
            .field("passphrase", &format_args!("{passphrase}"))
            .finish()
    }
}
