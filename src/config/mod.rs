//! Settings from outside the command line: the `ise-doctor.toml` file ([`file`]) and the
//! environment ([`env`]), merged into [`Settings`] by [`resolve`].
//!
//! Precedence, highest first: flags and arguments, then environment variables, then the
//! config file, then built-in defaults. The environment is read once, at start-up, into
//! an [`env::Environment`] snapshot; everything here is testable without touching the
//! real process environment.

pub mod env;
pub mod file;
pub mod resolve;

pub use env::Environment;
pub use file::ConfigFile;
pub use resolve::{BundleChoice, Settings};
