//! A snapshot of the environment variables and folders ise-doctor reads.
//!
//! Variables: `ISE_PAN_FQDN`, `ISE_NODES`, `ISE_CA_CERT`, `CA_CERT_PATH`,
//! `ISE_API_TOKEN`, `ISE_DOCTOR_CONFIG`, `AGE_IDENTITY`, `AGE_PASSPHRASE`, `NO_COLOR`,
//! `HOME`, `XDG_CONFIG_HOME`. Secrets among them are never printed: [`Environment`]'s
//! Debug output lists variable names only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Environment variables and the current folder, captured once.
#[derive(Clone, Default)]
pub struct Environment {
    vars: BTreeMap<String, String>,
    pub cwd: PathBuf,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .field("cwd", &self.cwd)
            .finish()
    }
}

impl Environment {
    /// Reads the process environment (the only place that does).
    pub fn capture() -> Environment {
        Environment {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        }
    }

    /// An environment made of these variables, for tests.
    pub fn from_pairs(pairs: &[(&str, &str)], cwd: &Path) -> Environment {
        Environment {
            vars: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            cwd: cwd.to_path_buf(),
        }
    }

    /// The variable's value, or `None` when unset or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// `~/…` expanded with `HOME`; other paths unchanged.
    pub fn expand(&self, path: &str) -> PathBuf {
        match (path.strip_prefix("~/"), self.get("HOME")) {
            (Some(rest), Some(home)) => Path::new(home).join(rest),
            _ if path == "~" => self.get("HOME").map(PathBuf::from).unwrap_or_default(),
            _ => PathBuf::from(path),
        }
    }

    /// The user's config folder: `$XDG_CONFIG_HOME`, else `~/.config`.
    pub fn config_home(&self) -> Option<PathBuf> {
        self.get("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| self.get("HOME").map(|h| Path::new(h).join(".config")))
    }
}
