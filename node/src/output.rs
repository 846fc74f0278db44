//! The CLI's only writers: results on stdout, errors on stderr. Services log with `tracing`.

use std::io::Write;

/// Writes one line of a command's result to stdout.
pub(crate) fn line(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()?;
    Ok(())
}

/// Reports a failed command on stderr with its whole cause chain.
pub(crate) fn error(e: &anyhow::Error) {
    let _ = writeln!(std::io::stderr().lock(), "error: {e:#}");
}
