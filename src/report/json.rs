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

#[cfg(test)]
mod tests {
    use super::*;

    /// A stdout whose reader has gone away (`--format json | head -1`).
    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_stays_a_broken_pipe() {
        let at = crate::model::Moment::parse_rfc3339("2026-01-01T00:00:00Z").expect("valid");
        let report = Report::new("bundle", at, 30);

        let rendered = Json.render(&report, &mut ClosedPipe);
        let error = render_error("message", None, &mut ClosedPipe);

        assert_eq!(
            rendered.map_err(|e| e.kind()),
            Err(io::ErrorKind::BrokenPipe)
        );
        assert_eq!(error.map_err(|e| e.kind()), Err(io::ErrorKind::BrokenPipe));
    }
}
