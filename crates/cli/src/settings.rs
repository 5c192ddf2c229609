//! Tokens and base URLs: from the environment (the SDK's own lookup) or `--token-file` / `--base-url`.

use std::path::Path;

use botwire_transport::Token;

use crate::cli::Connection;
use crate::error::CliError;

/// The environment, injectable so tests need no `set_var`.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The token and base URL for one API, with the same rules as the SDK's `from_env` (`token_and_base_url`):
/// `--token-file` stands in for `token_var`, `--base-url` (or `preset`) for `url_var`.
pub fn resolve(
    connection: &Connection,
    preset: Option<&str>,
    token_var: &str,
    url_var: &str,
    env: Env<'_>,
) -> Result<(Token, Option<String>), CliError> {
    if let Some(url) = &connection.base_url {
        // The SDK's URL rule, reported under the flag's name rather than the variable's.
        botwire_transport::env::token_and_base_url(
            |name| match name {
                "token" => Some("-".to_owned()),
                _ => Some(url.clone()),
            },
            "token",
            "--base-url",
        )
        .map_err(CliError::usage)?;
    }
    let file_token = connection
        .token_file
        .as_deref()
        .map(read_token_file)
        .transpose()?;
    let url = connection
        .base_url
        .clone()
        .or_else(|| preset.map(str::to_owned));
    let lookup = |name: &str| {
        if name == token_var && file_token.is_some() {
            return file_token.clone();
        }
        if name == url_var && url.is_some() {
            return url.clone();
        }
        env(name)
    };
    botwire_transport::env::token_and_base_url(lookup, token_var, url_var).map_err(|message| {
        CliError::usage(message).hint(format!(
            "export {token_var}=… (or pass --token-file FILE); there is no --token flag, so the token stays out of the shell history"
        ))
    })
}

fn read_token_file(path: &Path) -> Result<String, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::usage(format!(
            "cannot read the token file {}: {e}",
            path.display()
        ))
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(CliError::usage(format!(
            "the token file {} is empty",
            path.display()
        )));
    }
    Ok(token.to_owned())
}

/// The MAX client: the SDK's default blocking stack (ureq, paced to the documented limits, safe retries).
pub fn max_client(
    connection: &Connection,
    env: Env<'_>,
) -> Result<botwire_max::blocking::Client<botwire_max::blocking::DefaultTransport>, CliError> {
    let (token, url) = resolve(
        connection,
        None,
        botwire_max::TOKEN_ENV,
        botwire_max::BASE_URL_ENV,
        env,
    )?;
    let mut config = botwire_max::Config::new(token);
    if let Some(url) = url {
        config = config.with_base_url(url);
    }
    Ok(botwire_max::blocking::Client::with_config(config))
}

/// The OneBot client: the SDK's default blocking stack (ureq, 2 requests/s, safe retries).
pub fn onebot_client(
    connection: &Connection,
    platform: Option<botwire_onebot::Platform>,
    env: Env<'_>,
) -> Result<botwire_onebot::blocking::Client<botwire_onebot::blocking::DefaultTransport>, CliError>
{
    let (token, url) = resolve(
        connection,
        platform.map(botwire_onebot::Platform::base_url),
        botwire_onebot::TOKEN_ENV,
        botwire_onebot::BASE_URL_ENV,
        env,
    )?;
    let mut config = botwire_onebot::Config::new(token);
    if let Some(url) = url {
        config = config.with_base_url(url);
    }
    Ok(botwire_onebot::blocking::Client::with_config(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(file: Option<&Path>, url: Option<&str>) -> Connection {
        Connection {
            token_file: file.map(Path::to_path_buf),
            base_url: url.map(str::to_owned),
        }
    }

    #[test]
    fn flags_win_over_the_environment_and_errors_never_show_the_token() {
        let env = |name: &str| match name {
            "T" => Some("env-token".to_owned()),
            "U" => Some("http://env:1".to_owned()),
            _ => None,
        };
        let (token, url) = resolve(&conn(None, None), None, "T", "U", &env).unwrap();
        assert_eq!(
            (token.expose(), url.as_deref()),
            ("env-token", Some("http://env:1"))
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "  file-token\n").unwrap();
        let (token, url) = resolve(
            &conn(Some(&file), Some("http://flag:2")),
            Some("https://preset"),
            "T",
            "U",
            &env,
        )
        .unwrap();
        assert_eq!(
            (token.expose(), url.as_deref()),
            ("file-token", Some("http://flag:2"))
        );
        let (_, url) = resolve(&conn(None, None), Some("https://preset"), "T", "U", &env).unwrap();
        assert_eq!(url.as_deref(), Some("https://preset"));
        let err = resolve(&conn(None, Some("ftp://x")), None, "T", "U", &env).unwrap_err();
        assert!(err.message.contains("--base-url"), "{err}");
        let err = resolve(&conn(None, None), None, "T", "U", &|_: &str| None).unwrap_err();
        assert!(err.message.contains('T') && err.hint.is_some(), "{err}");
        std::fs::write(&file, "\n").unwrap();
        let err = resolve(&conn(Some(&file), None), None, "T", "U", &env).unwrap_err();
        assert!(
            err.message.contains("empty") && !err.to_string().contains("env-token"),
            "{err}"
        );
    }
}
