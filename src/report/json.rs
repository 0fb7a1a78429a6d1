//! The JSON renderer: one document per run on stdout (see [`super::wire`]).

use std::io::{self, Write};

use super::wire::{Document, ErrorDocument, ErrorSummary, ErrorWire, SCHEMA_VERSION, Tool};
use super::{Renderer, Report};

pub struct Json;

impl Renderer for Json {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let document = Document::from_report(report);
        // `From` keeps the kind of an I/O error (a closed pipe stays BrokenPipe).
        serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::from)?;
        writeln!(out)
    }
}

/// Prints the error document of a run that could not be performed.
pub fn render_error(message: &str, subject: Option<&str>, out: &mut dyn Write) -> io::Result<()> {
    let document = ErrorDocument {
        schema_version: SCHEMA_VERSION,
        tool: Tool::this(),
        error: ErrorWire { message, subject },
        summary: ErrorSummary { exit_code: 3 },
    };
    serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::from)?;
    writeln!(out)
}
