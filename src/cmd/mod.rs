//! Running subcommands: `main` parses, validates, dispatches and maps the outcome to the
//! exit code. One file per subcommand; each returns a [`crate::report::Report`] or a
//! [`Failure`] (the job could not be done: exit 3).

pub mod bundle;
pub mod chain;
pub mod check;
pub mod codes;
pub mod demo;
pub mod fix;
pub mod store;

use std::ffi::OsString;
use std::io::{self, Write};

use clap::Parser;
use clap::error::ErrorKind;

use crate::cli::{Cli, Command, Format, Plan};
use crate::report::human::Human;
use crate::report::json::{self, Json};
use crate::report::paint::Paint;
use crate::report::{Renderer, Report};

/// Exit code when the check could not be performed.
pub const EXIT_UNABLE: i32 = 3;

/// Why a run could not be performed, naming the file or flag concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub subject: Option<String>,
}

impl Failure {
    pub fn new(message: impl Into<String>, subject: Option<String>) -> Failure {
        Failure {
            message: message.into(),
            subject,
        }
    }
}

/// The whole program: returns the process exit code.
pub fn main() -> i32 {
    let args: Vec<OsString> = std::env::args_os().collect();
    let json = wants_json(&args);

    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return clap_error(e, json),
    };
    let env = crate::config::Environment::capture();
    let plan = match Plan::from_cli(cli, &env) {
        Ok(plan) => plan,
        Err(e) => return fail(&Failure::new(e.message, e.subject), json),
    };
    crate::log::set_verbosity(plan.verbose);
    for warning in &plan.warnings {
        eprintln!("ise-doctor: warning: {warning}");
    }
    for decision in &plan.decisions {
        crate::debug!(1, "{decision}");
    }
    if let Command::Check { targets, .. } = &plan.command {
        for t in targets {
            let via = t
                .connect_to
                .map_or("DNS".to_string(), |a| format!("{a} (--resolve)"));
            crate::debug!(
                1,
                "target {}: SNI {}, port {}, address from {via}, service {}{}",
                t.label,
                t.host,
                t.port,
                t.kind.map_or("none", |k| k.name()),
                if t.present_client_cert {
                    ", presents the client certificate"
                } else {
                    ""
                }
            );
        }
    }

    match run(&plan) {
        Ok(Outcome::Report(report)) => emit(&plan, &report),
        Ok(Outcome::Done(code)) => code,
        Err(failure) => fail(&failure, plan.format == Format::Json),
    }
}

/// What a subcommand produced.
pub enum Outcome {
    /// A report to render; the exit code follows from its status.
    Report(Box<Report>),
    /// Output already written (`chain --pem`, `codes`, `demo`); the exit code to use.
    Done(i32),
}

fn run(plan: &Plan) -> Result<Outcome, Failure> {
    match &plan.command {
        Command::Check {
            targets,
            bundle,
            probe,
            client,
            pin,
            pin_everywhere,
        } => {
            let inputs = check::CheckInputs {
                bundle,
                client: client.as_ref(),
                pin: pin.as_deref(),
                pin_everywhere: *pin_everywhere,
            };
            check::run(plan, targets, &inputs, probe).map(|r| Outcome::Report(Box::new(r)))
        }
        Command::Chain {
            target,
            ca,
            pem,
            probe,
        } => chain::run(plan, target, ca.as_deref(), *pem, probe),
        Command::Bundle { file, leaf, host } => {
            bundle::run(plan, file, leaf.as_deref(), host.as_deref())
                .map(|r| Outcome::Report(Box::new(r)))
        }
        Command::Fix(fix) => fix::run(plan, fix),
        Command::Demo => demo::run(plan),
        Command::Store { root, services } => {
            store::run(plan, root, services).map(|r| Outcome::Report(Box::new(r)))
        }
        Command::Codes { markdown } => codes::run(plan, *markdown),
    }
}

/// Renders a report on stdout and returns its exit code. A closed pipe is not an error.
pub fn emit(plan: &Plan, report: &Report) -> i32 {
    let code = report.status().exit_code();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let written = match plan.format {
        Format::Json => Json.render(report, &mut out),
        Format::Human => Human {
            paint: Paint {
                enabled: plan.color,
            },
        }
        .render(report, &mut out),
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => code,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => code,
        Err(e) => {
            eprintln!("ise-doctor: error: cannot write the report: {e}");
            EXIT_UNABLE
        }
    }
}

fn fail(failure: &Failure, json: bool) -> i32 {
    if json {
        let _ = json::render_error(
            &failure.message,
            failure.subject.as_deref(),
            &mut io::stdout(),
        );
    }
    eprintln!("ise-doctor: error: {}", failure.message);
    EXIT_UNABLE
}

fn clap_error(e: clap::Error, json: bool) -> i32 {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            0
        }
        _ => {
            if json {
                let message = clap_message(&e);
                let _ = json::render_error(&message, None, &mut io::stdout());
            }
            let _ = e.print();
            EXIT_UNABLE
        }
    }
}

/// clap's error as one line for the JSON document: the lines of its rendered message up
/// to the usage, e.g. "the following required arguments were not provided: <TARGET>...".
fn clap_message(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    let lines: Vec<&str> = rendered
        .lines()
        .take_while(|line| !line.starts_with("Usage:"))
        .map(|line| line.trim().trim_start_matches("error: "))
        .filter(|line| !line.is_empty())
        .collect();
    let Some((first, rest)) = lines.split_first() else {
        return e.kind().as_str().unwrap_or("invalid arguments").to_string();
    };

    // A line ending in `:` introduces the next ("…not provided: <TARGET>…"); other
    // lines are separate sentences ("…found; tip: …").
    let mut message = first.to_string();
    for line in rest {
        message.push_str(if message.ends_with(':') { " " } else { "; " });
        message.push_str(line);
    }
    message
}

/// True when the raw arguments ask for JSON, so that even a parse error is JSON.
fn wants_json(args: &[OsString]) -> bool {
    args.windows(2)
        .any(|w| w[0] == "--format" && w[1] == "json")
        || args.iter().any(|a| a == "--format=json")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_error(args: &[&str]) -> clap::Error {
        Cli::try_parse_from(args).expect_err("the arguments are invalid")
    }

    #[test]
    fn json_error_message_names_the_missing_arguments() {
        let e = parse_error(&["ise-doctor", "--format", "json", "bundle"]);

        assert_eq!(
            clap_message(&e),
            "the following required arguments were not provided: <FILE>"
        );
    }

    #[test]
    fn json_error_message_keeps_the_detail_and_drops_the_usage() {
        let e = parse_error(&["ise-doctor", "bundle", "ca.pem", "--nope"]);

        let message = clap_message(&e);

        assert!(
            message.starts_with("unexpected argument '--nope' found; tip: "),
            "{message}"
        );
        assert!(
            !message.contains("Usage") && !message.contains('\n'),
            "{message}"
        );
    }
}
