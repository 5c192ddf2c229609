//! Keeping secrets out of text that reaches users, logs and errors.

/// Query parameters whose values are secrets on some API (OneBot `api_token`, legacy MAX `access_token`).
const SECRET_PARAMS: &[&str] = &["api_token", "access_token", "token"];

/// The URI with the value of every query parameter replaced by `<redacted>`.
///
/// Parameter names and the path stay, so the text still says which call it was.
///
/// ```
/// let uri: http::Uri = "https://app.onebot.tech/api/v1/getMe?api_token=s3cr3t&page=2".parse()?;
/// assert_eq!(
///     botwire_transport::redact_uri(&uri),
///     "https://app.onebot.tech/api/v1/getMe?api_token=<redacted>&page=<redacted>"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn redact_uri(uri: &http::Uri) -> String {
    let mut out = String::new();
    if let Some(scheme) = uri.scheme_str() {
        out.push_str(scheme);
        out.push_str("://");
    }
    if let Some(authority) = uri.authority() {
        out.push_str(authority.as_str());
    }
    out.push_str(uri.path());
    if let Some(query) = uri.query() {
        out.push('?');
        for (i, pair) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            let name = pair.split('=').next().unwrap_or_default();
            out.push_str(name);
            out.push_str("=<redacted>");
        }
    }
    out
}

/// Removes secrets from free text: the given `secrets` verbatim, and the value of any `api_token=`,
/// `access_token=` or `token=` query parameter.
///
/// Backends run every error message through this with the request's query string, so a library that quotes
/// the URL it failed on cannot leak the token.
///
/// ```
/// let text = "error sending request for url (https://h/api/v1/getMe?api_token=abc123)";
/// assert_eq!(
///     botwire_transport::scrub_secrets(text, &[]),
///     "error sending request for url (https://h/api/v1/getMe?api_token=<redacted>)"
/// );
/// ```
pub fn scrub_secrets(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(secret, "<redacted>");
    }
    for param in SECRET_PARAMS {
        out = scrub_param(&out, param);
    }
    out
}

fn scrub_param(text: &str, param: &str) -> String {
    let needle = format!("{param}=");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(&needle) {
        let boundary_ok = pos == 0
            || matches!(
                rest.as_bytes()[pos - 1],
                b'?' | b'&' | b' ' | b'(' | b'"' | b'\''
            );
        out.push_str(&rest[..pos + needle.len()]);
        rest = &rest[pos + needle.len()..];
        if boundary_ok {
            let end = rest
                .find(['&', ' ', ')', '"', '\'', '\n', '#', ',', ';'])
                .unwrap_or(rest.len());
            if end > 0 && !rest[..end].starts_with("<redacted>") {
                out.push_str("<redacted>");
            } else {
                out.push_str(&rest[..end]);
            }
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_known_params_and_explicit_secrets() {
        assert_eq!(
            scrub_secrets("GET /x?a=1&api_token=zzz&b=2 failed", &[]),
            "GET /x?a=1&api_token=<redacted>&b=2 failed"
        );
        assert_eq!(
            scrub_secrets("token abc leaked: abc", &["abc"]),
            "token <redacted> leaked: <redacted>"
        );
        // not a parameter: left alone
        assert_eq!(scrub_secrets("my_token=1", &[]), "my_token=1");
        assert_eq!(
            scrub_secrets("api_token=<redacted>", &[]),
            "api_token=<redacted>"
        );
    }

    #[test]
    fn redacts_every_query_value() {
        let uri: http::Uri = "http://127.0.0.1:9/getMe?api_token=s&x=1".parse().unwrap();
        assert_eq!(
            redact_uri(&uri),
            "http://127.0.0.1:9/getMe?api_token=<redacted>&x=<redacted>"
        );
        let uri: http::Uri = "/me".parse().unwrap();
        assert_eq!(redact_uri(&uri), "/me");
    }
}
