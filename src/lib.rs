//! ise-doctor: a certificate-chain doctor for Cisco ISE deployments.
//!
//! Data flows one way:
//!
//! - [`input`] reads CA bundles (bytes to [`model::Bundle`]) and [`probe`] connects to TLS
//!   endpoints and captures the presented chain ([`model::ProbeOutcome`]);
//! - [`analysis`] is pure: it takes certificates, a bundle and a clock and returns
//!   [`findings::Finding`]s — no network, files, environment or system clock;
//! - [`fix`] repairs a bundle and replaces the file safely;
//! - [`report`] renders results for humans (text) and machines (JSON);
//! - [`cli`] turns flags into a validated plan and [`cmd`] runs each subcommand;
//! - [`sim`] generates test PKIs and serves them on loopback, for `demo` and the tests.

pub mod analysis;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod findings;
pub mod fix;
pub mod input;
pub mod log;
pub mod model;
pub mod probe;
pub mod report;
pub mod sim;
