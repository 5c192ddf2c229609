//! Printing: human lines by default, one JSON value per line with `--json`.

use std::io::Write;

use crate::error::CliError;

/// Where results go: stdout, as text or JSON lines.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub json: bool,
}

impl Out {
    /// One JSON value on its own line (`--json`).
    pub fn json_line(&self, value: &impl serde::Serialize) -> Result<(), CliError> {
        let line = serde_json::to_string(value)
            .map_err(|e| CliError::failure(format!("cannot encode the output: {e}")))?;
        self.raw_line(&line)
    }

    /// A line as given (human text, or JSON text already encoded).
    pub fn raw_line(&self, line: &str) -> Result<(), CliError> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")
            .and_then(|()| out.flush())
            .map_err(|e| CliError::failure(format!("cannot write to stdout: {e}")))
    }

    /// The value as JSON with `--json`, else the human text.
    pub fn either(
        &self,
        value: &impl serde::Serialize,
        human: impl FnOnce() -> String,
    ) -> Result<(), CliError> {
        if self.json {
            self.json_line(value)
        } else {
            self.raw_line(&human())
        }
    }
}

/// Replaces `path` with `bytes` through a temporary file beside it (`<name>.tmp`) and a rename, so that a kill
/// mid-write leaves the old content whole.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".tmp");
    let tmp = path.with_file_name(name);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn utc(unix_ms: i64) -> String {
    let secs = unix_ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (proleptic Gregorian), in 400-year eras of 146,097 days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(utc(1_798_761_599_000), "2026-12-31 23:59:59");
        assert_eq!(utc(-1000), "1969-12-31 23:59:59");
    }
}
