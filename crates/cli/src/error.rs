//! One error type for every command: what happened (one line), a hint, and the exit code.

use std::fmt;
use std::process::ExitCode;

/// The documented exit codes (`botwire --help` lists them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 1: anything else — a local file, the local webhook never accepted an update.
    Failure = 1,
    /// 2: bad flags or values, a missing token, a value over a documented limit (nothing was sent).
    Usage = 2,
    /// 3: the API answered with an error.
    Api = 3,
    /// 4: the API could not be reached, or the connection failed.
    Network = 4,
    /// 5: rate limited (429) after the client's own pacing and retries.
    RateLimited = 5,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// A failed command: printed as `error: …` plus an optional `hint: …` line, never as a backtrace.
#[derive(Debug)]
pub struct CliError {
    pub exit: Exit,
    pub message: String,
    pub hint: Option<String>,
}

impl CliError {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
            hint: None,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }

    pub fn failure(message: impl Into<String>) -> Self {
        Self::new(Exit::Failure, message)
    }

    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// A local file could not be read or written.
    pub fn io(what: &str, path: &std::path::Path, e: &std::io::Error) -> Self {
        Self::failure(format!("{what} {}: {e}", path.display()))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line: a server message with line breaks must not spill over.
        write!(f, "error: {}", one_line(&self.message))?;
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {}", one_line(hint))?;
        }
        Ok(())
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

const NETWORK_HINT: &str =
    "check the base URL (--base-url or the *_BASE_URL variable) and that the server is reachable";
const RATE_HINT: &str =
    "the client already paces itself to the documented limits; wait a little and run it again";

impl From<botwire_max::Error> for CliError {
    fn from(e: botwire_max::Error) -> Self {
        use botwire_max::Error as E;
        let message = e.to_string();
        match &e {
            E::Transport(_) => Self::new(Exit::Network, message).hint(NETWORK_HINT),
            E::RateLimited { .. } => Self::new(Exit::RateLimited, message).hint(RATE_HINT),
            E::WebhookActive => Self::new(Exit::Api, message).hint(
                "long polling is off while a webhook is set: `botwire max webhook list`, then `botwire max webhook delete <url>`",
            ),
            _ if e.is_unauthorized() => Self::new(Exit::Api, message)
                .hint("the token was refused: check MAX_BOT_TOKEN or the file given to --token-file"),
            E::Api(_) | E::Unsuccessful { .. } => Self::new(Exit::Api, message),
            E::Decode { .. } => Self::new(Exit::Api, message)
                .hint("the server's answer is not what the MAX API sends; is --base-url the API?"),
            E::Validation(_) | E::Config(_) => Self::usage(message),
            _ => Self::failure(message),
        }
    }
}

impl From<botwire_onebot::Error> for CliError {
    fn from(e: botwire_onebot::Error) -> Self {
        use botwire_onebot::Error as E;
        let message = e.to_string();
        match &e {
            E::Transport(_) => Self::new(Exit::Network, message).hint(NETWORK_HINT),
            E::RateLimited { .. } => Self::new(Exit::RateLimited, message).hint(RATE_HINT),
            _ if e.is_unauthorized() => Self::new(Exit::Api, message).hint(
                "the token was refused (or the account has no PRO plan): check ONEBOT_API_TOKEN or --token-file, and --platform",
            ),
            E::Api { .. } | E::Unsuccessful { .. } | E::Rejected { .. } => {
                Self::new(Exit::Api, message)
            }
            E::Decode { .. } => Self::new(Exit::Api, message)
                .hint("the server's answer is not what the OneBot API sends; is --base-url the API (…/api/v1)?"),
            E::Validation(_) | E::Config(_) => Self::usage(message),
            _ => Self::failure(message),
        }
    }
}

impl From<botwire_core_types::ValidationError> for CliError {
    fn from(e: botwire_core_types::ValidationError) -> Self {
        Self::usage(format!("invalid request, nothing sent: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_print_as_one_line_and_a_hint() {
        let e = CliError::usage("bad\nvalue").hint("try  this");
        assert_eq!(e.to_string(), "error: bad value\nhint: try this");
    }

    #[test]
    fn sdk_errors_map_to_the_documented_exit_codes() {
        let api = botwire_max::ApiError::new(
            http::StatusCode::NOT_FOUND,
            Some("not.found".into()),
            None,
            true,
        );
        assert_eq!(CliError::from(botwire_max::Error::Api(api)).exit, Exit::Api);
        let limited = botwire_max::Error::RateLimited {
            retry_after: None,
            error: None,
        };
        assert_eq!(CliError::from(limited).exit, Exit::RateLimited);
        let net =
            botwire_max::Error::Transport(botwire_transport::TransportError::connect("refused"));
        assert_eq!(CliError::from(net).exit, Exit::Network);
        assert_eq!(
            CliError::from(botwire_max::Error::Config("x".into())).exit,
            Exit::Usage
        );
        let limited = botwire_onebot::Error::RateLimited { retry_after: None };
        assert_eq!(CliError::from(limited).exit, Exit::RateLimited);
        let refused = botwire_onebot::Error::Api {
            status: http::StatusCode::UNAUTHORIZED,
            message: None,
            idempotent: true,
        };
        let refused = CliError::from(refused);
        assert_eq!(refused.exit, Exit::Api);
        assert!(refused.hint.is_some_and(|h| h.contains("ONEBOT_API_TOKEN")));
    }
}
