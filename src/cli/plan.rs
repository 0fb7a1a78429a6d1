//! The validated plan: flags turned once into typed values (targets, bundle path, clock,
//! format). Every later stage reads the plan, never the raw flags.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use super::args::{ChainArgs, CheckArgs, Cli, ColorArg, CommandArgs, FormatArg, ProbeArgs};
use crate::analysis::Policy;
use crate::model::{Moment, TargetSpec};
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
        ca: PathBuf,
        probe: ProbeOptions,
    },
    Chain {
        target: TargetSpec,
        ca: Option<PathBuf>,
        pem: bool,
        probe: ProbeOptions,
    },
    Bundle {
        file: PathBuf,
    },
    Demo,
    Codes {
        markdown: bool,
    },
}

/// Everything a run needs, validated.
#[derive(Clone, Debug)]
pub struct Plan {
    pub command: Command,
    pub format: Format,
    pub color: bool,
    pub verbose: u8,
    pub policy: Policy,
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
    /// Validates parsed flags. `no_color` is the value of the `NO_COLOR` variable.
    pub fn from_cli(cli: Cli, no_color: Option<String>) -> Result<Plan, PlanError> {
        let global = cli.global;
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

        let command = match cli.command {
            CommandArgs::Check(args) => check(args)?,
            CommandArgs::Chain(args) => chain(args, format)?,
            CommandArgs::Bundle(args) => Command::Bundle { file: args.file },
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
                warn_days: i64::from(global.warn_days),
            },
        })
    }
}

fn check(args: CheckArgs) -> Result<Command, PlanError> {
    let ca = args.ca.ok_or_else(|| {
        PlanError::new(
            "`check` needs the CA bundle your clients use: pass --ca FILE",
            "--ca",
        )
    })?;
    if args.concurrency == 0 {
        return Err(PlanError::new(
            "--concurrency must be at least 1",
            "--concurrency",
        ));
    }

    let (rules, probe) = probe_options(&args.probe, args.concurrency)?;
    let mut targets = Vec::new();
    for text in &args.targets {
        let parsed = probe::parse_target(text, &rules).map_err(|e| PlanError::new(e, text))?;
        targets.extend(parsed);
    }
    Ok(Command::Check { targets, ca, probe })
}

fn chain(args: ChainArgs, format: Format) -> Result<Command, PlanError> {
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

    let (rules, probe) = probe_options(&args.probe, 1)?;
    let parsed =
        probe::parse_target(&args.target, &rules).map_err(|e| PlanError::new(e, &args.target))?;
    let target = match parsed.iter().find(|t| t.port == 443) {
        Some(t) if parsed.len() > 1 => t.clone(),
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
) -> Result<(Vec<ResolveRule>, ProbeOptions), PlanError> {
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
        return Err(PlanError::new(
            format!(
                "--timeout must be more than 0 and at most 3600 seconds, not {}",
                args.timeout
            ),
            "--timeout",
        ));
    }
    let rules = args
        .resolve
        .iter()
        .map(|r| probe::parse_resolve(r).map_err(|e| PlanError::new(e, "--resolve")))
        .collect::<Result<Vec<_>, _>>()?;

    let timeout = Duration::from_secs_f64(args.timeout);
    let options = ProbeOptions {
        timeout,
        concurrency,
        client_auth_wait: Duration::from_secs(1).min(timeout),
        client_identity: None,
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
        Plan::from_cli(cli, None)
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
