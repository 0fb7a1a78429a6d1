//! The validated plan: flags turned once into typed values (targets, bundle path, clock,
//! format). Every later stage reads the plan, never the raw flags.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use super::args::{
    ChainArgs, CheckArgs, Cli, ColorArg, CommandArgs, FixArgs, FormatArg, ProbeArgs,
};
use crate::analysis::Policy;
use crate::analysis::clients::{Profile, ProfileSet};
use crate::config::resolve::{self, Overrides};
use crate::config::{BundleChoice, Environment, Settings, file};
use crate::model::{Moment, Service, TargetSpec};
use crate::probe::{self, ProbeOptions, ResolveRule};

/// Output format of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

/// What to do.
#[derive(Clone, Debug)]
pub enum Command {
    Check {
        targets: Vec<TargetSpec>,
        bundle: BundleChoice,
        probe: ProbeOptions,
        /// Client certificate and key for targets that present one (pxGrid).
        client: Option<(PathBuf, PathBuf)>,
        /// The pinned DataConnect certificate.
        pin: Option<PathBuf>,
        /// True when `--pin` was given: the pin then applies to every target.
        pin_everywhere: bool,
    },
    Fix(Box<FixPlan>),
    Chain {
        target: TargetSpec,
        ca: Option<PathBuf>,
        pem: bool,
        probe: ProbeOptions,
    },
    Bundle {
        file: PathBuf,
        /// A server chain to judge against the bundle, and the host name for it.
        leaf: Option<PathBuf>,
        host: Option<String>,
    },
    Store {
        root: PathBuf,
        services: Vec<Service>,
    },
    Demo,
    Codes {
        markdown: bool,
    },
}

/// What `fix` was asked to do.
#[derive(Clone, Debug)]
pub struct FixPlan {
    pub targets: Vec<TargetSpec>,
    pub bundle: PathBuf,
    pub probe: ProbeOptions,
    /// The cert store's root, searched for missing issuers.
    pub store_root: Option<PathBuf>,
    pub from: Vec<PathBuf>,
    pub fetch: bool,
    pub trust_roots: Vec<String>,
    pub drop_expired: bool,
    pub keep_order: bool,
    pub write: bool,
    pub recipients: Vec<String>,
}

/// Everything a run needs, validated.
#[derive(Clone, Debug)]
pub struct Plan {
    pub command: Command,
    pub format: Format,
    pub color: bool,
    pub verbose: u8,
    pub policy: Policy,
    /// The age identity file for `.age` inputs, when one is known.
    pub identity: Option<PathBuf>,
    /// The environment as captured at start-up (secrets are read from it when needed).
    pub env: Environment,
    /// Things worth a warning on stderr before the run (an unused `--resolve`).
    pub warnings: Vec<String>,
    /// Where each setting came from, logged with `-v`.
    pub decisions: Vec<String>,
}

/// A flag that cannot be turned into a plan; `subject` names the flag or value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanError {
    pub message: String,
    pub subject: Option<String>,
}

impl PlanError {
    fn new(message: impl Into<String>, subject: &str) -> PlanError {
        PlanError {
            message: message.into(),
            subject: Some(subject.to_string()),
        }
    }
}

impl Plan {
    /// Validates parsed flags against the environment and the config file.
    pub fn from_cli(cli: Cli, env: &Environment) -> Result<Plan, PlanError> {
        let global = cli.global;
        let no_color = env.get("NO_COLOR").map(str::to_string);
        let config =
            file::load(global.config.as_deref(), env).map_err(|e| PlanError::new(e, "--config"))?;
        let overrides = match &cli.command {
            CommandArgs::Check(args) => Overrides {
                ca: args.ca.clone(),
                client_cert: args.client_cert.clone(),
                client_key: args.client_key.clone(),
                pin: args.pin.clone(),
                identity: global.identity.clone(),
                services: args.services.clone(),
            },
            CommandArgs::Fix(args) => Overrides {
                ca: args.ca.clone(),
                identity: global.identity.clone(),
                services: args.services.clone(),
                ..Overrides::default()
            },
            CommandArgs::Store(args) => Overrides {
                identity: global.identity.clone(),
                services: args.services.clone(),
                ..Overrides::default()
            },
            _ => Overrides {
                identity: global.identity.clone(),
                ..Overrides::default()
            },
        };
        let settings = resolve::resolve(&overrides, env, config.as_ref(), &|p| p.exists())
            .map_err(|e| PlanError {
                message: e,
                subject: None,
            })?;
        let now = match &global.at {
            Some(text) => parse_at(text).map_err(|e| PlanError::new(e, "--at"))?,
            None => Moment::now(),
        };
        let format = match global.format {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
        };
        let color = match global.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => {
                std::io::stdout().is_terminal() && no_color.is_none_or(|v| v.is_empty())
            }
        };

        let mut warnings = Vec::new();
        let decisions = decisions(config.as_ref(), &settings);
        let client_flags = match &cli.command {
            CommandArgs::Check(args) => args.clients.clone(),
            CommandArgs::Fix(args) => args.clients.clone(),
            CommandArgs::Bundle(args) => args.clients.clone(),
            _ => Vec::new(),
        };
        let clients = profiles(&client_flags, settings.clients.as_deref())?;
        let command = match cli.command {
            CommandArgs::Check(args) => check(args, &settings, &mut warnings)?,
            CommandArgs::Chain(args) => chain(args, format, &settings)?,
            CommandArgs::Bundle(args) => Command::Bundle {
                file: args.file,
                leaf: args.leaf,
                host: args.host,
            },
            CommandArgs::Store(args) => store(args.dir, env, &settings)?,
            CommandArgs::Fix(args) => fix(args, env, &settings, &mut warnings)?,
            CommandArgs::Demo => Command::Demo,
            CommandArgs::Codes(args) => Command::Codes {
                markdown: args.markdown,
            },
        };

        Ok(Plan {
            command,
            format,
            color,
            verbose: global.verbose,
            policy: Policy {
                now,
                warn_days: i64::from(global.warn_days.or(settings.warn_days).unwrap_or(30)),
                clients,
            },
            identity: settings.identity,
            env: env.clone(),
            warnings,
            decisions,
        })
    }
}

/// The client profiles that decide the exit code: `--client` flags (repeatable or
/// comma-separated), else the config's `clients`, else all.
fn profiles(flags: &[String], config: Option<&[String]>) -> Result<ProfileSet, PlanError> {
    let (names, subject) = if flags.is_empty() {
        match config {
            Some(names) => (names.to_vec(), "clients"),
            None => return Ok(ProfileSet::ALL),
        }
    } else {
        (flags.to_vec(), "--client")
    };
    let mut chosen = Vec::new();
    for name in names.iter().flat_map(|n| n.split(',')).map(str::trim) {
        let Some(profile) = Profile::parse(name) else {
            let known: Vec<&str> = Profile::ALL.iter().map(|p| p.as_str()).collect();
            return Err(PlanError::new(
                format!("unknown client profile `{name}`: use {}", known.join(", ")),
                subject,
            ));
        };
        chosen.push(profile);
    }
    if chosen.is_empty() {
        return Err(PlanError::new("name at least one client profile", subject));
    }
    Ok(ProfileSet::of(&chosen))
}

fn check(
    args: CheckArgs,
    settings: &Settings,
    warnings: &mut Vec<String>,
) -> Result<Command, PlanError> {
    let concurrency = concurrency(args.concurrency, settings)?;
    if let BundleChoice::Missing(message) = &settings.bundle {
        return Err(PlanError::new(message.clone(), "CA_CERT_PATH"));
    }
    if settings.bundle == BundleChoice::Nothing {
        return Err(PlanError::new(
            "no CA bundle: pass --ca FILE, set ISE_CA_CERT or CA_CERT_PATH, or put `ca` in \
             ise-doctor.toml (no system trust store was found either)",
            "--ca",
        ));
    }

    let (mut targets, probe) =
        probed_targets(&args.targets, concurrency, &args.probe, settings, warnings)?;
    // Certificates named on the command line apply to every target, whatever its port.
    if args.client_cert.is_some() {
        for target in &mut targets {
            target.present_client_cert = true;
        }
    }
    Ok(Command::Check {
        targets,
        bundle: settings.bundle.clone(),
        probe,
        client: settings.client.clone(),
        pin: settings.pin.clone(),
        pin_everywhere: args.pin.is_some(),
    })
}

/// `--concurrency`, else the config's, else 32; never 0.
fn concurrency(flag: Option<usize>, settings: &Settings) -> Result<usize, PlanError> {
    let concurrency = flag.or(settings.concurrency).unwrap_or(32);
    if concurrency == 0 {
        return Err(PlanError::new(
            "--concurrency must be at least 1",
            "--concurrency",
        ));
    }
    Ok(concurrency)
}

/// The targets `check` and `fix` probe (the arguments, else the configured nodes) and
/// the probe options; warns about a `--resolve` rule that matches none of them.
fn probed_targets(
    texts: &[String],
    concurrency: usize,
    probe_args: &ProbeArgs,
    settings: &Settings,
    warnings: &mut Vec<String>,
) -> Result<(Vec<TargetSpec>, ProbeOptions), PlanError> {
    let (rules, probe) = probe_options(probe_args, concurrency, settings.timeout)?;
    let texts: Vec<String> = if texts.is_empty() {
        if settings.nodes.is_empty() {
            return Err(PlanError::new(
                "no target: name one (`ise-doctor check HOST[:PORT]`), or set ISE_PAN_FQDN \
                 (and ISE_NODES), or list `nodes` in ise-doctor.toml",
                "TARGET",
            ));
        }
        settings.nodes.clone()
    } else {
        texts.to_vec()
    };

    let mut targets = Vec::new();
    for text in &texts {
        targets.extend(expand_target(text, &rules, settings)?);
    }
    // A --resolve that matches nothing leaves its host to DNS: say so before connecting.
    for rule in &rules {
        if !targets.iter().any(|t| rule.applies_to(&t.host, t.port)) {
            let ports: Vec<String> = targets
                .iter()
                .filter(|t| t.host.eq_ignore_ascii_case(&rule.host))
                .map(|t| t.port.to_string())
                .collect();
            let hint = if ports.is_empty() {
                String::new()
            } else {
                format!(" (`{}` is checked on port {})", rule.host, ports.join(", "))
            };
            warnings.push(format!(
                "--resolve {}:{}:{} matches no target{hint}; that host is resolved by DNS",
                rule.host, rule.port, rule.addr
            ));
        }
    }
    Ok((targets, probe))
}

fn fix(
    args: FixArgs,
    env: &Environment,
    settings: &Settings,
    warnings: &mut Vec<String>,
) -> Result<Command, PlanError> {
    let bundle = match &settings.bundle {
        BundleChoice::File { path, .. } => path.clone(),
        _ => {
            return Err(PlanError::new(
                "`fix` repairs a bundle file: pass --ca FILE, or set ISE_CA_CERT or \
                 CA_CERT_PATH (the system trust store is never rewritten)",
                "--ca",
            ));
        }
    };
    for text in &args.trust_root {
        let hex = text.chars().filter(char::is_ascii_hexdigit).count();
        if hex != 64 {
            return Err(PlanError::new(
                format!("--trust-root `{text}` is not a SHA-256 fingerprint (64 hex digits)"),
                "--trust-root",
            ));
        }
    }

    // `fix` probes like `check`, with the same targets and options; with no target at
    // all it repairs the file alone (keys, duplicates, DER, order, expired CAs).
    let offline = args.targets.is_empty() && settings.nodes.is_empty();
    let concurrency = concurrency(args.concurrency, settings)?;
    let (targets, probe) = if offline {
        let (_, probe) = probe_options(&args.probe, 1, settings.timeout)?;
        (Vec::new(), probe)
    } else {
        probed_targets(&args.targets, concurrency, &args.probe, settings, warnings)?
    };

    // `<certs>/<domain>/ise/ROOT-CA.crt`: the store root is `<certs>`, CA_CERT_PATH's parent,
    // or found from the bundle's path only when it sits in that layout (else no store root:
    // the folders above an arbitrary file, up to `/`, are not a cert store).
    let store_root = env
        .get("CA_CERT_PATH")
        .and_then(|p| env.expand(p).parent().map(PathBuf::from))
        .or_else(|| crate::fix::sources::store_root_of(&bundle));

    Ok(Command::Fix(Box::new(FixPlan {
        targets,
        bundle,
        probe,
        store_root,
        from: args.from,
        fetch: !args.no_fetch,
        trust_roots: args.trust_root,
        drop_expired: args.drop_expired,
        keep_order: args.keep_order,
        write: args.write,
        recipients: args.recipient,
    })))
}

/// One line per setting that did not come from a flag, for `-v`.
fn decisions(config: Option<&crate::config::ConfigFile>, settings: &Settings) -> Vec<String> {
    let mut lines = Vec::new();
    match config.and_then(|c| c.path.as_ref()) {
        Some(path) => lines.push(format!("config file {}", path.display())),
        None => lines.push("no config file".to_string()),
    }
    match &settings.bundle {
        BundleChoice::File { path, from } => {
            lines.push(format!("bundle {} (from {from})", path.display()))
        }
        BundleChoice::SystemStore(path) => {
            lines.push(format!("bundle: system trust store {}", path.display()))
        }
        other => lines.push(format!("bundle: {other:?}")),
    }
    if let Some(from) = &settings.nodes_from {
        lines.push(format!("nodes {} (from {from})", settings.nodes.join(", ")));
    }
    let services: Vec<String> = settings
        .services
        .iter()
        .map(|s| format!("{}:{}", s.name(), settings.port_of(*s)))
        .collect();
    lines.push(format!("services {}", services.join(", ")));
    if let Some((cert, key)) = &settings.client {
        lines.push(format!(
            "client certificate {} with key {}",
            cert.display(),
            key.display()
        ));
    }
    if let Some(pin) = &settings.pin {
        lines.push(format!("DataConnect pin {}", pin.display()));
    }
    if let Some(identity) = &settings.identity {
        lines.push(format!("age identity {}", identity.display()));
    }
    lines
}

/// The store folder: the argument, `CA_CERT_PATH`, else two levels above the bundle
/// (`<store>/<domain>/ise/ROOT-CA.crt` gives `<store>/<domain>`).
fn store(
    dir: Option<PathBuf>,
    env: &Environment,
    settings: &Settings,
) -> Result<Command, PlanError> {
    let root = dir
        .or_else(|| env.get("CA_CERT_PATH").map(|p| env.expand(p)))
        .or_else(|| match &settings.bundle {
            BundleChoice::File { path, .. } => path.parent()?.parent().map(PathBuf::from),
            _ => None,
        })
        .ok_or_else(|| {
            PlanError::new(
                "which cert store? name the folder (`ise-doctor store DIR`) or set CA_CERT_PATH",
                "DIR",
            )
        })?;
    Ok(Command::Store {
        root,
        services: settings.services.clone(),
    })
}

/// `host:SERVICE`, `host:port`, or a bare `host` meaning each enabled service.
fn expand_target(
    text: &str,
    rules: &[ResolveRule],
    settings: &Settings,
) -> Result<Vec<TargetSpec>, PlanError> {
    let parse = |t: &str| probe::parse_target(t, rules).map_err(|e| PlanError::new(e, text));

    if let Some((host, name)) = text.rsplit_once(':')
        && let Some(service) = Service::from_name(name)
        && !host.is_empty()
    {
        let mut targets = parse(&format!("{host}:{}", settings.port_of(service)))?;
        for target in &mut targets {
            target.label = text.to_string();
            as_service(target, service);
        }
        return Ok(targets);
    }

    let parsed = parse(text)?;
    let bare = parsed.len() > 1 || parsed.first().is_some_and(|t| t.label != text);
    if !bare {
        return Ok(parsed);
    }
    let host = match parsed.first() {
        Some(t) if t.host.contains(':') => format!("[{}]", t.host),
        Some(t) => t.host.clone(),
        None => return Ok(parsed),
    };
    let mut targets = Vec::new();
    for &service in &settings.services {
        for mut target in parse(&format!("{host}:{}", settings.port_of(service)))? {
            as_service(&mut target, service);
            targets.push(target);
        }
    }
    Ok(targets)
}

fn as_service(target: &mut TargetSpec, service: Service) {
    target.kind = Some(service);
    target.service = Some(service.title().to_string());
    target.present_client_cert = service == Service::Pxgrid;
}

fn chain(args: ChainArgs, format: Format, settings: &Settings) -> Result<Command, PlanError> {
    // `--pem` prints the certificates and nothing else: no judgement, no report.
    if args.pem && args.ca.is_some() {
        return Err(PlanError::new(
            "--pem prints only the presented certificates; drop --ca (or run without --pem \
             to judge trust)",
            "--pem",
        ));
    }
    if args.pem && format == Format::Json {
        return Err(PlanError::new(
            "--pem writes PEM, not JSON; drop --format json",
            "--pem",
        ));
    }

    let (rules, probe) = probe_options(&args.probe, 1, None)?;
    // `host:SERVICE` names one service; a bare host means the API port (443).
    let mut parsed = expand_target(&args.target, &rules, settings)?;
    let target = match parsed.iter().position(|t| t.kind == Some(Service::Api)) {
        Some(i) if parsed.len() > 1 => parsed.swap_remove(i),
        _ if parsed.len() > 1 => {
            let host = match parsed[0].host.clone() {
                h if h.contains(':') => format!("[{h}]"),
                h => h,
            };
            let port = settings.port_of(Service::Api);
            let mut api = probe::parse_target(&format!("{host}:{port}"), &rules)
                .map_err(|e| PlanError::new(e, &args.target))?;
            api.swap_remove(0)
        }
        _ => parsed
            .into_iter()
            .next()
            .ok_or_else(|| PlanError::new("no target given", &args.target))?,
    };
    Ok(Command::Chain {
        target,
        ca: args.ca,
        pem: args.pem,
        probe,
    })
}

fn probe_options(
    args: &ProbeArgs,
    concurrency: usize,
    configured_timeout: Option<f64>,
) -> Result<(Vec<ResolveRule>, ProbeOptions), PlanError> {
    let seconds = args.timeout.or(configured_timeout).unwrap_or(5.0);
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0) {
        let from = if args.timeout.is_some() {
            "--timeout"
        } else {
            "the config's `timeout`"
        };
        return Err(PlanError::new(
            format!("{from} must be more than 0 and at most 3600 seconds, not {seconds}"),
            "--timeout",
        ));
    }
    let rules = args
        .resolve
        .iter()
        .map(|r| probe::parse_resolve(r).map_err(|e| PlanError::new(e, "--resolve")))
        .collect::<Result<Vec<_>, _>>()?;

    let timeout = Duration::from_secs_f64(seconds);
    let options = ProbeOptions {
        timeout,
        concurrency,
        client_auth_wait: Duration::from_secs(1).min(timeout),
        ..ProbeOptions::default()
    };
    Ok((rules, options))
}

/// `--at`: a full RFC 3339 time, or a plain date (`2027-12-01`) meaning midnight UTC.
fn parse_at(text: &str) -> Result<Moment, String> {
    let text = text.trim();
    let date_only = text.len() == 10 && !text.contains(['T', 't', ' ']);
    if !date_only {
        return Moment::parse_rfc3339(text);
    }

    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, format).map_err(|e| {
        format!("`{text}` is not a date such as 2027-12-01 (or an RFC 3339 time): {e}")
    })?;
    let midnight = date.midnight().assume_utc();
    Ok(Moment::from_unix(midnight.unix_timestamp()))
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;

    fn plan(args: &[&str]) -> Result<Plan, PlanError> {
        let mut argv = vec!["ise-doctor"];
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(argv).expect("clap accepts the arguments");
        let env = Environment::from_pairs(&[], std::path::Path::new("/nonexistent-dir"));
        Plan::from_cli(cli, &env)
    }

    fn error(args: &[&str]) -> PlanError {
        plan(args).expect_err("the plan is refused")
    }

    #[test]
    fn chain_pem_refuses_ca() {
        let e = error(&["chain", "ise-01:443", "--pem", "--ca", "ca.pem"]);

        assert_eq!(
            e.message,
            "--pem prints only the presented certificates; drop --ca (or run without --pem \
             to judge trust)"
        );
        assert_eq!(e.subject.as_deref(), Some("--pem"));
    }

    #[test]
    fn chain_pem_refuses_json() {
        let e = error(&["--format", "json", "chain", "ise-01:443", "--pem"]);

        assert_eq!(e.message, "--pem writes PEM, not JSON; drop --format json");
    }

    #[test]
    fn chain_pem_alone_and_chain_with_ca_are_fine() {
        assert!(plan(&["chain", "ise-01:443", "--pem"]).is_ok());
        assert!(plan(&["--format", "json", "chain", "ise-01:443", "--ca", "ca.pem"]).is_ok());
    }

    #[test]
    fn at_accepts_a_plain_date_as_midnight_utc() {
        let date = plan(&["--at", "2027-12-01", "codes"]).expect("a date is accepted");
        let full = plan(&["--at", "2027-12-01T00:00:00Z", "codes"]).expect("RFC 3339 too");
        let offset = plan(&["--at", "2027-12-01T01:00:00+01:00", "codes"]).expect("offset");

        assert_eq!(date.policy.now.rfc3339(), "2027-12-01T00:00:00Z");
        assert_eq!(date.policy.now, full.policy.now);
        assert_eq!(offset.policy.now, full.policy.now);
    }

    #[test]
    fn at_refuses_dates_that_do_not_exist_and_other_text() {
        for bad in ["2027-13-01", "2027-02-30", "2027-12-1", "tomorrow"] {
            let e = error(&["--at", bad, "codes"]);
            assert!(e.message.contains(&format!("`{bad}`")), "{}", e.message);
            assert_eq!(e.subject.as_deref(), Some("--at"));
        }
    }

    #[test]
    fn timeout_zero_says_more_than_zero() {
        let e = error(&["chain", "ise-01:443", "--timeout", "0"]);

        assert_eq!(
            e.message,
            "--timeout must be more than 0 and at most 3600 seconds, not 0"
        );
    }
}
