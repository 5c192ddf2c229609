//! Reading an API client's settings from the environment, the same way for every botwire API crate.

use crate::Token;

/// What `Config::from_env` of an API crate reads: the token from `token_var` (trimmed; unset or blank is an
/// error) and, when `url_var` is set and not blank, a base URL that must be `http://` or `https://`.
///
/// `var` looks a variable up (`|name| std::env::var(name).ok()` in production, a map in tests). The error text
/// names the variable and never contains the token.
///
/// ```
/// use botwire_transport::env::token_and_base_url;
///
/// let vars = |name: &str| match name {
///     "API_TOKEN" => Some(" t0k ".to_owned()),
///     "API_BASE_URL" => Some("http://127.0.0.1:9000".to_owned()),
///     _ => None,
/// };
/// let (token, url) = token_and_base_url(vars, "API_TOKEN", "API_BASE_URL")?;
/// assert_eq!(token.expose(), "t0k");
/// assert_eq!(url.as_deref(), Some("http://127.0.0.1:9000"));
/// # Ok::<(), String>(())
/// ```
pub fn token_and_base_url(
    var: impl Fn(&str) -> Option<String>,
    token_var: &str,
    url_var: &str,
) -> Result<(Token, Option<String>), String> {
    let token = var(token_var)
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .map(Token::from)
        .ok_or_else(|| format!("the environment variable {token_var} is not set"))?;
    let url = match var(url_var) {
        Some(url) if !url.trim().is_empty() => {
            let url = url.trim();
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(format!("{url_var} must be an http:// or https:// URL"));
            }
            Some(url.to_owned())
        }
        _ => None,
    };
    Ok((token, url))
}
