//! Repairing a CA bundle: `ise-doctor fix`.
//!
//! [`write`](mod@write) replaces a bundle file safely once a repair is planned and
//! checked: it refuses a file that changed since it was read, keeps a timestamped
//! backup, writes beside the original, fsyncs and renames, keeping the original's mode,
//! owner and age lock (see [`crate::input::Seal`]). [`sources`] finds the certificates
//! that may be a missing issuer, each named by where it was found.

pub mod sources;
pub mod write;

#[cfg(test)]
mod write_tests;
