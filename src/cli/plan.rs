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
            Some(text) => Moment::parse_rfc3339(text).map_err(|e| PlanError::new(e, "--at"))?,
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
            CommandArgs::Chain(args) => chain(args)?,
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

fn chain(args: ChainArgs) -> Result<Command, PlanError> {
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
                "--timeout must be a number of seconds between 0 and 3600, not {}",
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
    };
    Ok((rules, options))
}
