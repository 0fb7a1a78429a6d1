//! Colour for the human report: on only when asked for or when stdout is a terminal and
//! `NO_COLOR` is unset. Every styled piece goes through [`Paint`], so turning colour off
//! is one switch.

use owo_colors::OwoColorize;

use crate::findings::{Severity, Status};

/// Applies styles when enabled, returns the text unchanged otherwise.
#[derive(Clone, Copy, Debug)]
pub struct Paint {
    pub enabled: bool,
}

impl Paint {
    pub fn bold(&self, text: &str) -> String {
        if self.enabled {
            text.bold().to_string()
        } else {
            text.to_string()
        }
    }

    pub fn dim(&self, text: &str) -> String {
        if self.enabled {
            text.dimmed().to_string()
        } else {
            text.to_string()
        }
    }

    pub fn red(&self, text: &str) -> String {
        if self.enabled {
            text.red().to_string()
        } else {
            text.to_string()
        }
    }

    pub fn yellow(&self, text: &str) -> String {
        if self.enabled {
            text.yellow().to_string()
        } else {
            text.to_string()
        }
    }

    pub fn green(&self, text: &str) -> String {
        if self.enabled {
            text.green().to_string()
        } else {
            text.to_string()
        }
    }

    pub fn cyan(&self, text: &str) -> String {
        if self.enabled {
            text.cyan().to_string()
        } else {
            text.to_string()
        }
    }

    pub fn severity(&self, severity: Severity, text: &str) -> String {
        match severity {
            Severity::Error => self.red(text),
            Severity::Warning => self.yellow(text),
            Severity::Info => self.cyan(text),
        }
    }

    pub fn status(&self, status: Status, text: &str) -> String {
        match status {
            Status::Error => self.red(text),
            Status::Warning => self.yellow(text),
            Status::Ok => self.green(text),
        }
    }

    /// Days to expiry, coloured: red once past, yellow within the warning window.
    pub fn days_left(&self, days: i64, warn_days: i64, text: &str) -> String {
        if days < 0 {
            self.red(text)
        } else if days < warn_days {
            self.yellow(text)
        } else {
            text.to_string()
        }
    }
}
