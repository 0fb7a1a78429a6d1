//! Merging flags, environment and config file into [`Settings`].
//!
//! Pure except for `exists`, the one question asked of the file system (passed in, so
//! tests decide what exists). Every choice remembers where it came from, so reports and
//! `-v` can say "bundle from ISE_CA_CERT".

use std::path::{Path, PathBuf};

use super::{ConfigFile, Environment};
use crate::model::Service;

/// Where the system's trust store usually is, by distribution.
pub const SYSTEM_STORES: [&str; 3] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// Values given on the command line, which win over everything else.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub ca: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub pin: Option<PathBuf>,
    pub identity: Option<PathBuf>,
    pub services: Vec<String>,
}

/// Which CA bundle to use, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BundleChoice {
    /// A file; `from` names the flag, variable or config key that chose it.
    File { path: PathBuf, from: String },
    /// Nothing named a bundle: the operating system's trust store at this path.
    SystemStore(PathBuf),
    /// Nothing named a bundle and no system store was found.
    Nothing,
    /// A source names a bundle that is not there (`CA_CERT_PATH` without
    /// `ise/ROOT-CA.crt`): an error for `check`, which needs it, and nothing more for
    /// commands that do not (`store` reports what is missing).
    Missing(String),
}

/// Everything decided outside the command line's own arguments.
#[derive(Clone, Debug)]
pub struct Settings {
    pub bundle: BundleChoice,
    /// Nodes to check when no target is given, and where they came from.
    pub nodes: Vec<String>,
    pub nodes_from: Option<String>,
    /// Services a bare host means.
    pub services: Vec<Service>,
    /// Client certificate and key for pxGrid, when known.
    pub client: Option<(PathBuf, PathBuf)>,
    /// The pinned DataConnect certificate, when known.
    pub pin: Option<PathBuf>,
    /// The age identity file, when known.
    pub identity: Option<PathBuf>,
    pub warn_days: Option<u32>,
    pub timeout: Option<f64>,
    pub concurrency: Option<usize>,
    /// Client profiles from the config's `clients`, unchecked (the plan validates them).
    pub clients: Option<Vec<String>>,
    /// Ports that differ from ISE's defaults, from the config's `[ports]`.
    pub ports: Vec<(Service, u16)>,
}

impl Settings {
    /// The port `service` listens on here.
    pub fn port_of(&self, service: Service) -> u16 {
        self.ports
            .iter()
            .find(|(s, _)| *s == service)
            .map_or(service.port(), |(_, p)| *p)
    }
}

/// Merges the three sources. Errors name the flag, variable or key at fault.
pub fn resolve(
    flags: &Overrides,
    env: &Environment,
    config: Option<&ConfigFile>,
    exists: &dyn Fn(&Path) -> bool,
) -> Result<Settings, String> {
    let cfg_path = |value: &str| match config {
        Some(c) => c.path_of(value, env),
        None => env.expand(value),
    };

    let bundle = bundle(flags, env, config, exists, &cfg_path)?;
    let (nodes, nodes_from) = nodes(env, config);
    let services = services(flags, config)?;

    // The cert store's conventional files sit next to the bundle.
    let store = match &bundle {
        BundleChoice::File { path, .. } => path.parent().map(Path::to_path_buf),
        _ => None,
    };
    let in_store = |name: &str| {
        let folder = store.as_ref()?;
        let plain = folder.join(name);
        let sealed = folder.join(format!("{name}.age"));
        [plain, sealed].into_iter().find(|p| exists(p))
    };

    let client = match (&flags.client_cert, &flags.client_key) {
        (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
        (Some(_), None) | (None, Some(_)) => {
            return Err("--client-cert and --client-key go together: give both".to_string());
        }
        (None, None) => {
            let section = config.map(|c| &c.pxgrid);
            match section.map(|s| (&s.client_cert, &s.client_key)) {
                Some((Some(cert), Some(key))) => Some((cfg_path(cert), cfg_path(key))),
                Some((Some(_), None)) | Some((None, Some(_))) => {
                    return Err("config [pxgrid] needs both client_cert and client_key".to_string());
                }
                _ => in_store("pxgrid-client.crt").zip(in_store("pxgrid-client.key")),
            }
        }
    };

    let pin = flags
        .pin
        .clone()
        .or_else(|| {
            config
                .and_then(|c| c.dataconnect.pin.as_deref())
                .map(&cfg_path)
        })
        .or_else(|| in_store("dataconnect.crt"));
    let identity = flags
        .identity
        .clone()
        .or_else(|| env.get("AGE_IDENTITY").map(|p| env.expand(p)))
        .or_else(|| {
            config
                .and_then(|c| c.age.identity.as_deref())
                .map(&cfg_path)
        });

    Ok(Settings {
        bundle,
        nodes,
        nodes_from,
        services,
        client,
        pin,
        identity,
        warn_days: config.and_then(|c| c.warn_days),
        timeout: config.and_then(|c| c.timeout),
        concurrency: config.and_then(|c| c.concurrency),
        clients: config.and_then(|c| c.clients.clone()),
        ports: config.map(ports).transpose()?.unwrap_or_default(),
    })
}

fn bundle(
    flags: &Overrides,
    env: &Environment,
    config: Option<&ConfigFile>,
    exists: &dyn Fn(&Path) -> bool,
    cfg_path: &dyn Fn(&str) -> PathBuf,
) -> Result<BundleChoice, String> {
    let file = |path: PathBuf, from: &str| BundleChoice::File {
        path,
        from: from.to_string(),
    };

    if let Some(path) = &flags.ca {
        return Ok(file(path.clone(), "--ca"));
    }
    if let Some(path) = env.get("ISE_CA_CERT") {
        return Ok(file(env.expand(path), "ISE_CA_CERT"));
    }
    if let Some(root) = env.get("CA_CERT_PATH") {
        let plain = env.expand(root).join("ise").join("ROOT-CA.crt");
        let sealed = plain.with_file_name("ROOT-CA.crt.age");
        return match (exists(&plain), exists(&sealed)) {
            (true, _) => Ok(file(plain, "CA_CERT_PATH")),
            (false, true) => Ok(file(sealed, "CA_CERT_PATH")),
            (false, false) => Ok(BundleChoice::Missing(format!(
                "CA_CERT_PATH is set, but neither `{}` nor `{}` exists; set ISE_CA_CERT or \
                 pass --ca FILE",
                plain.display(),
                sealed.display()
            ))),
        };
    }
    if let Some(ca) = config.and_then(|c| c.ca.as_deref()) {
        return Ok(file(cfg_path(ca), "the config file's `ca`"));
    }

    let system = env
        .get("SSL_CERT_FILE")
        .map(PathBuf::from)
        .into_iter()
        .chain(SYSTEM_STORES.iter().map(PathBuf::from))
        .find(|p| exists(p));
    Ok(system.map_or(BundleChoice::Nothing, BundleChoice::SystemStore))
}

fn ports(config: &ConfigFile) -> Result<Vec<(Service, u16)>, String> {
    let p = &config.ports;
    [
        (Service::Ers, p.ers),
        (Service::Api, p.api),
        (Service::Pxgrid, p.pxgrid),
        (Service::Dataconnect, p.dataconnect),
    ]
    .into_iter()
    .filter_map(|(service, port)| Some((service, port?)))
    .map(|(service, port)| match port {
        0 => Err(format!(
            "the config file's [ports] {} = 0 is not a port (1 to 65535)",
            service.name()
        )),
        _ => Ok((service, port)),
    })
    .collect()
}

fn nodes(env: &Environment, config: Option<&ConfigFile>) -> (Vec<String>, Option<String>) {
    let split = |text: &str| -> Vec<String> {
        text.split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };

    if let Some(pan) = env.get("ISE_PAN_FQDN") {
        let mut nodes = split(pan);
        for node in env.get("ISE_NODES").map(split).unwrap_or_default() {
            if !nodes.contains(&node) {
                nodes.push(node);
            }
        }
        return (nodes, Some("ISE_PAN_FQDN/ISE_NODES".to_string()));
    }
    if let Some(list) = env.get("ISE_NODES") {
        return (split(list), Some("ISE_NODES".to_string()));
    }
    match config {
        Some(c) if !c.nodes.is_empty() => (c.nodes.clone(), Some("the config file".to_string())),
        _ => (Vec::new(), None),
    }
}

fn services(flags: &Overrides, config: Option<&ConfigFile>) -> Result<Vec<Service>, String> {
    let (names, from): (Vec<String>, &str) = if !flags.services.is_empty() {
        (flags.services.clone(), "--service")
    } else if let Some(list) = config.and_then(|c| c.services.clone()) {
        (list, "the config file's `services`")
    } else {
        return Ok(Service::DEFAULT.to_vec());
    };

    let mut services = Vec::new();
    for name in names.iter().flat_map(|n| n.split(',')) {
        let service = Service::from_name(name).ok_or_else(|| {
            format!(
                "{from}: `{}` is not a service; use {}",
                name.trim(),
                Service::names()
            )
        })?;
        if !services.contains(&service) {
            services.push(service);
        }
    }
    if services.is_empty() {
        return Err(format!("{from} names no service; use {}", Service::names()));
    }
    Ok(services)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Environment {
        Environment::from_pairs(pairs, Path::new("/work"))
    }

    fn nothing(_: &Path) -> bool {
        false
    }

    #[test]
    fn flags_beat_environment_beat_config() {
        let config =
            ConfigFile::parse("ca = \"/cfg/ca.pem\"\n", Path::new("/cfg/x.toml")).expect("valid");
        let flags = Overrides {
            ca: Some("/flag.pem".into()),
            ..Overrides::default()
        };
        let e = env(&[("ISE_CA_CERT", "/env.pem"), ("CA_CERT_PATH", "/store")]);

        let s = resolve(&flags, &e, Some(&config), &nothing).expect("resolves");
        assert_eq!(
            s.bundle,
            BundleChoice::File {
                path: "/flag.pem".into(),
                from: "--ca".into()
            }
        );
        let s = resolve(&Overrides::default(), &e, Some(&config), &nothing).expect("resolves");
        assert_eq!(
            s.bundle,
            BundleChoice::File {
                path: "/env.pem".into(),
                from: "ISE_CA_CERT".into()
            }
        );
        let s = resolve(&Overrides::default(), &env(&[]), Some(&config), &nothing).expect("ok");
        let chosen = match &s.bundle {
            BundleChoice::File { path, .. } => path.clone(),
            other => panic!("a file, not {other:?}"),
        };
        assert_eq!(chosen, Path::new("/cfg/ca.pem"));
    }

    #[test]
    fn ca_cert_path_finds_the_bundle_or_its_age_twin() {
        let e = env(&[("CA_CERT_PATH", "/store/lab")]);
        let sealed_only = |p: &Path| p == Path::new("/store/lab/ise/ROOT-CA.crt.age");
        let s = resolve(&Overrides::default(), &e, None, &sealed_only).expect("resolves");
        assert_eq!(
            s.bundle,
            BundleChoice::File {
                path: "/store/lab/ise/ROOT-CA.crt.age".into(),
                from: "CA_CERT_PATH".into()
            }
        );
        let s = resolve(&Overrides::default(), &e, None, &nothing).expect("resolves");
        let BundleChoice::Missing(err) = s.bundle else {
            panic!("not missing: {:?}", s.bundle);
        };
        assert!(err.contains("/store/lab/ise/ROOT-CA.crt"), "{err}");
    }

    #[test]
    fn no_bundle_anywhere_means_the_system_store() {
        let debian = |p: &Path| p == Path::new(SYSTEM_STORES[0]);
        let s = resolve(&Overrides::default(), &env(&[]), None, &debian).expect("resolves");
        assert_eq!(s.bundle, BundleChoice::SystemStore(SYSTEM_STORES[0].into()));
        let s = resolve(&Overrides::default(), &env(&[]), None, &nothing).expect("resolves");
        assert_eq!(s.bundle, BundleChoice::Nothing);
    }

    #[test]
    fn nodes_come_from_the_pan_and_the_node_list() {
        let e = env(&[
            ("ISE_PAN_FQDN", "ise-01.example.net"),
            ("ISE_NODES", "ise-02.example.net, ise-01.example.net"),
        ]);
        let s = resolve(&Overrides::default(), &e, None, &nothing).expect("resolves");
        assert_eq!(s.nodes, vec!["ise-01.example.net", "ise-02.example.net"]);
    }

    #[test]
    fn store_files_sit_next_to_the_bundle() {
        let e = env(&[("ISE_CA_CERT", "/s/lab/ise/ROOT-CA.crt")]);
        let present = |p: &Path| {
            [
                "/s/lab/ise/pxgrid-client.crt",
                "/s/lab/ise/pxgrid-client.key.age",
                "/s/lab/ise/dataconnect.crt",
            ]
            .iter()
            .any(|f| p == Path::new(f))
        };
        let s = resolve(&Overrides::default(), &e, None, &present).expect("resolves");
        assert_eq!(
            s.client,
            Some((
                "/s/lab/ise/pxgrid-client.crt".into(),
                "/s/lab/ise/pxgrid-client.key.age".into()
            ))
        );
        assert_eq!(s.pin, Some("/s/lab/ise/dataconnect.crt".into()));
    }

    #[test]
    fn a_zero_port_in_the_config_is_named() {
        let config = ConfigFile::parse("[ports]\ners = 0\n", Path::new("/c.toml")).expect("valid");
        let err =
            resolve(&Overrides::default(), &env(&[]), Some(&config), &nothing).expect_err("port 0");
        assert!(err.contains("[ports] ers = 0"), "{err}");
    }

    #[test]
    fn services_are_checked_by_name() {
        let flags = Overrides {
            services: vec!["ers,pxgrid".into()],
            ..Overrides::default()
        };
        let s = resolve(&flags, &env(&[]), None, &nothing).expect("resolves");
        assert_eq!(s.services, vec![Service::Ers, Service::Pxgrid]);
        let bad = Overrides {
            services: vec!["ftp".into()],
            ..Overrides::default()
        };
        let err = resolve(&bad, &env(&[]), None, &nothing).expect_err("unknown");
        assert!(err.contains("`ftp`"), "{err}");
    }
}
