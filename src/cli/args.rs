//! Raw flags as clap parses them. Nothing outside `cli` reads these types: they are
//! turned into a [`super::Plan`] once.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// A certificate-chain doctor for Cisco ISE: captures the chain each ISE service
/// presents, compares it with your CA bundle, and tells you exactly what to fix.
#[derive(Debug, Parser)]
#[command(name = "ise-doctor", version, propagate_version = true)]
#[command(
    after_help = "Exit codes: 0 healthy, 1 warnings only, 2 at least one error, \
                        3 the check could not be performed."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: CommandArgs,

    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Output format.
    #[arg(long, global = true, value_enum, default_value = "human")]
    pub format: FormatArg,

    /// When to colour the human report (NO_COLOR is honoured with `auto`).
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub color: ColorArg,

    /// Warn about certificates with fewer than this many days left [default: 30].
    #[arg(long, global = true, value_name = "DAYS")]
    pub warn_days: Option<u32>,

    /// Judge validity at this time instead of now: RFC 3339 (2027-06-01T00:00:00Z) or a
    /// date (2027-06-01, midnight UTC).
    #[arg(long, global = true, value_name = "TIME")]
    pub at: Option<String>,

    /// Log decisions to stderr (SNI, addresses, timings).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// The config file [default: ISE_DOCTOR_CONFIG, ./ise-doctor.toml, then
    /// ~/.config/ise-doctor/ise-doctor.toml].
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// An age identity file that decrypts `.age` inputs [default: AGE_IDENTITY, config].
    #[arg(long, global = true, value_name = "FILE")]
    pub identity: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CommandArgs {
    /// Probe ISE services and diagnose their chains against a CA bundle.
    Check(CheckArgs),
    /// Plan the repair of the CA bundle (dry run); `--write` applies it safely.
    Fix(FixArgs),
    /// Show the chain a server presents (like `openssl s_client -showcerts`).
    Chain(ChainArgs),
    /// Inspect a CA bundle offline (like `openssl crl2pkcs7 | openssl pkcs7 -print_certs`).
    Bundle(BundleArgs),
    /// Audit a cert store folder offline: bundles, client certificates and keys, pins.
    Store(StoreArgs),
    /// Start a simulated ISE on loopback and run `check` against it.
    Demo,
    /// List every finding code with its severity and meaning.
    Codes(CodesArgs),
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Connect HOST:PORT to ADDR instead of resolving HOST; SNI and name checks still use
    /// HOST (curl's --resolve). Repeatable.
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,

    /// Seconds allowed per target for connect and TLS handshake [default: 5].
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// `host:port`, `host:SERVICE` (ers, api, pxgrid, dataconnect), or `host` for the
    /// enabled services. None: the nodes in ISE_PAN_FQDN/ISE_NODES or the config file.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    /// The CA bundle your clients use [default: ISE_CA_CERT, CA_CERT_PATH/ise/ROOT-CA.crt,
    /// config, then the system trust store].
    #[arg(long, value_name = "FILE")]
    pub ca: Option<std::path::PathBuf>,

    /// Services a bare host means (repeatable or comma-separated) [default: config, else
    /// ers,api].
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,

    /// Client certificate presented to pxGrid (mutual TLS) [default: config, or
    /// pxgrid-client.crt next to the bundle].
    #[arg(long, value_name = "FILE")]
    pub client_cert: Option<std::path::PathBuf>,

    /// Private key of --client-cert [default: config, or pxgrid-client.key].
    #[arg(long, value_name = "FILE")]
    pub client_key: Option<std::path::PathBuf>,

    /// A pinned certificate every target given here must present (usually DataConnect's)
    /// [default: config `[dataconnect] pin`, or dataconnect.crt next to the bundle, which
    /// apply to DataConnect targets only].
    #[arg(long, value_name = "FILE")]
    pub pin: Option<std::path::PathBuf>,

    /// Only these client profiles decide the exit code (repeatable or comma-separated):
    /// openssl, python3.13, webpki, go, java, browser [default: config `clients`, else
    /// all].
    #[arg(long = "client", value_name = "PROFILE")]
    pub clients: Vec<String>,

    /// How many targets to probe at once [default: 32].
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,

    #[command(flatten)]
    pub probe: ProbeArgs,
}

#[derive(Debug, Args)]
pub struct ChainArgs {
    /// `host:port` (port defaults to 443).
    #[arg(value_name = "HOST[:PORT]")]
    pub target: String,

    /// Also judge trust against this CA bundle, as `check` does.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<std::path::PathBuf>,

    /// Write the presented certificates as PEM to stdout, nothing else.
    #[arg(long)]
    pub pem: bool,

    #[command(flatten)]
    pub probe: ProbeArgs,
}

#[derive(Debug, Args)]
pub struct BundleArgs {
    /// The CA bundle file (PEM, DER or PKCS#7).
    #[arg(value_name = "FILE")]
    pub file: std::path::PathBuf,

    /// Also judge a server chain from a file (leaf first, as a server would send it)
    /// against the bundle, offline: the same findings and client verdicts as `check`.
    #[arg(long, value_name = "CHAIN_FILE")]
    pub leaf: Option<std::path::PathBuf>,

    /// The name clients connect to, for the name checks of --leaf [default: the leaf's
    /// first DNS subjectAltName].
    #[arg(long, value_name = "NAME", requires = "leaf")]
    pub host: Option<String>,

    /// Client profiles that decide the exit code for --leaf (repeatable or
    /// comma-separated): openssl, python3.13, webpki, go, java, browser [default: all].
    #[arg(long = "client", value_name = "PROFILE")]
    pub clients: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct CodesArgs {
    /// Print the list as the Markdown table of docs/codes.md.
    #[arg(long)]
    pub markdown: bool,
}

#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The store folder [default: CA_CERT_PATH, else the folder above the bundle's].
    #[arg(value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,

    /// Services whose files the store must hold [default: config, else ers,api].
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    /// Targets whose chains the bundle must validate (as for `check`; none: the nodes in
    /// ISE_PAN_FQDN/ISE_NODES or the config file).
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    /// The bundle to repair [default: ISE_CA_CERT, CA_CERT_PATH/ise/ROOT-CA.crt, config].
    #[arg(long, value_name = "FILE")]
    pub ca: Option<std::path::PathBuf>,

    /// Also look for missing issuers in this file (repeatable).
    #[arg(long, value_name = "FILE")]
    pub from: Vec<std::path::PathBuf>,

    /// Do not download missing issuers from their AIA caIssuers URL.
    #[arg(long)]
    pub no_fetch: bool,

    /// Allow adding the root with this SHA-256 fingerprint, checked out of band
    /// (repeatable). Without it, no root is ever added.
    #[arg(long, value_name = "SHA256")]
    pub trust_root: Vec<String>,

    /// Remove expired CA certificates from the bundle.
    #[arg(long)]
    pub drop_expired: bool,

    /// Keep the bundle's order instead of putting each certificate before its issuer.
    #[arg(long)]
    pub keep_order: bool,

    /// Apply the plan: back up the bundle, write the repaired one, re-check.
    #[arg(long)]
    pub write: bool,

    /// Re-encrypt an `.age` bundle to this recipient (age1…) instead of the identity's
    /// own (repeatable).
    #[arg(long, value_name = "AGE_RECIPIENT")]
    pub recipient: Vec<String>,

    /// Services a bare host means (repeatable or comma-separated).
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,

    /// Only these client profiles decide the exit code (repeatable or comma-separated):
    /// openssl, python3.13, webpki, go, java, browser [default: config `clients`, else
    /// all].
    #[arg(long = "client", value_name = "PROFILE")]
    pub clients: Vec<String>,

    /// How many targets to probe at once [default: 32].
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,

    #[command(flatten)]
    pub probe: ProbeArgs,
}
