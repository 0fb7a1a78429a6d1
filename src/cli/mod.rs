//! The command line: clap's raw flags ([`args`]) and the validated plan ([`plan`]) that
//! the rest of the program receives.

pub mod args;
pub mod plan;

pub use args::Cli;
pub use plan::{Command, FixPlan, Format, Plan, PlanError};
