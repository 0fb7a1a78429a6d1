//! The `ise-doctor.toml` config file: its schema, parsing and where it is found.
//!
//! Unknown keys are errors (a typo should not silently do nothing). Relative paths in the
//! file are relative to the file's folder; `~/` is the home folder.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Environment;

/// The file name looked for in the current folder and the user config folder.
pub const FILE_NAME: &str = "ise-doctor.toml";

/// The parsed config file; every field is optional.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// ISE nodes to check when no target is given, Primary Admin Node first.
    #[serde(default)]
    pub nodes: Vec<String>,
    /// Services a bare host means: `ers`, `api`, `pxgrid`, `dataconnect`.
    pub services: Option<Vec<String>>,
    /// The CA bundle clients use.
    pub ca: Option<String>,
    pub warn_days: Option<u32>,
    /// Seconds per target for connect and handshake.
    pub timeout: Option<f64>,
    pub concurrency: Option<usize>,
    /// Client profiles that decide the exit code (`openssl`, `python3.13`, `webpki`, `go`,
    /// `java`, `browser`); all when absent.
    pub clients: Option<Vec<String>>,
    #[serde(default)]
    pub pxgrid: PxgridSection,
    #[serde(default)]
    pub dataconnect: DataconnectSection,
    #[serde(default)]
    pub age: AgeSection,
    /// Ports where the services listen, when not ISE's defaults (a NAT or a proxy).
    #[serde(default)]
    pub ports: PortsSection,
    /// Where this file was read from (not a key in the file).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PxgridSection {
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DataconnectSection {
    /// The pinned DataConnect certificate.
    pub pin: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PortsSection {
    pub ers: Option<u16>,
    pub api: Option<u16>,
    pub pxgrid: Option<u16>,
    pub dataconnect: Option<u16>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AgeSection {
    /// An age identity file for `.age` inputs.
    pub identity: Option<String>,
}

impl ConfigFile {
    /// Parses the text of a config file read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, String> {
        let mut config: ConfigFile = toml::from_str(text).map_err(|e| {
            let detail = e.message().trim_end_matches('.').to_string();
            let place = e
                .span()
                .map(|span| {
                    let start = span.start.min(text.len());
                    let line = text[..start].matches('\n').count() + 1;
                    let content = text.lines().nth(line - 1).unwrap_or("").trim();
                    format!(" at line {line} (`{content}`)")
                })
                .unwrap_or_default();
            format!(
                "config file `{}` is not valid{place}: {detail}",
                path.display()
            )
        })?;
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// A path from the file, expanded: `~/` is home, relative is next to the file.
    pub fn path_of(&self, value: &str, env: &Environment) -> PathBuf {
        let expanded = env.expand(value);
        match (&self.path, expanded.is_relative()) {
            (Some(file), true) => file.parent().unwrap_or(Path::new(".")).join(expanded),
            _ => expanded,
        }
    }
}

/// Where to look for the config file, in order, and whether a missing file is an error
/// (it is when the user named it).
pub fn candidates(explicit: Option<&Path>, env: &Environment) -> Vec<(PathBuf, bool)> {
    if let Some(path) = explicit {
        return vec![(path.to_path_buf(), true)];
    }
    if let Some(path) = env.get("ISE_DOCTOR_CONFIG") {
        return vec![(env.expand(path), true)];
    }
    let mut list = vec![(env.cwd.join(FILE_NAME), false)];
    if let Some(home) = env.config_home() {
        list.push((home.join("ise-doctor").join(FILE_NAME), false));
    }
    list
}

/// Finds and reads the config file. `Ok(None)` when there is none.
pub fn load(explicit: Option<&Path>, env: &Environment) -> Result<Option<ConfigFile>, String> {
    for (path, required) in candidates(explicit, env) {
        match std::fs::read_to_string(&path) {
            Ok(text) => return ConfigFile::parse(&text, &path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => continue,
            Err(e) => {
                return Err(format!("cannot read config file `{}`: {e}", path.display()));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let text = include_str!("../../docs/ise-doctor.toml");
        let config = ConfigFile::parse(text, Path::new("/etc/ise-doctor.toml")).expect("valid");
        assert_eq!(config.nodes.len(), 2);
        assert!(config.pxgrid.client_cert.is_some());
    }

    #[test]
    fn unknown_keys_are_named() {
        let err =
            ConfigFile::parse("nodse = []\n", Path::new("/x/ise-doctor.toml")).expect_err("typo");
        assert!(err.contains("nodse"), "{err}");
        assert!(err.contains("/x/ise-doctor.toml"), "{err}");
    }

    #[test]
    fn type_errors_name_the_line() {
        let text = "nodes = []\nwarn_days = \"thirty\"\n";
        let err = ConfigFile::parse(text, Path::new("/x.toml")).expect_err("a string");
        assert!(err.contains("line 2 (`warn_days = \"thirty\"`)"), "{err}");
    }

    #[test]
    fn relative_paths_are_next_to_the_file() {
        let env = Environment::from_pairs(&[("HOME", "/home/op")], Path::new("/tmp"));
        let config = ConfigFile::parse("ca = \"ROOT-CA.crt\"\n", Path::new("/etc/isd/x.toml"))
            .expect("valid");
        assert_eq!(
            config.path_of("ROOT-CA.crt", &env),
            PathBuf::from("/etc/isd/ROOT-CA.crt")
        );
        assert_eq!(
            config.path_of("~/b.pem", &env),
            PathBuf::from("/home/op/b.pem")
        );
    }

    #[test]
    fn explicit_and_environment_paths_are_required() {
        let env = Environment::from_pairs(&[("ISE_DOCTOR_CONFIG", "/nope.toml")], Path::new("/"));
        assert_eq!(
            candidates(None, &env),
            vec![(PathBuf::from("/nope.toml"), true)]
        );
        assert!(load(None, &env).is_err());
        let quiet = Environment::from_pairs(&[], Path::new("/nonexistent-dir"));
        assert_eq!(load(None, &quiet), Ok(None));
    }
}
