use crate::redact::SECRET_HEADERS;
use crate::{HttpRequest, scrub_secrets};

/// A redacted, human-readable rendering of a request: method and URL, headers, then the body (JSON pretty
/// printed; binary shown by size). For logs, and for the request snapshots of botwire's own tests.
///
/// Secret headers (`Authorization`, any header marked sensitive) and secret query parameters (`api_token`) show
/// `<redacted>`.
///
/// ```
/// let mut req = http::Request::post("https://h/api/v1/setContactVariable?api_token=s3cr3t")
///     .header("content-type", "application/json")
///     .body(br#"{"contact_id":1}"#.to_vec())?;
/// let text = botwire_transport::describe_request(&req);
/// assert!(text.starts_with("POST https://h/api/v1/setContactVariable?api_token=<redacted>\n"));
/// assert!(!text.contains("s3cr3t"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn describe_request(request: &HttpRequest) -> String {
    let mut out = format!(
        "{} {}\n",
        request.method(),
        scrub_secrets(&request.uri().to_string(), &[])
    );
    let mut headers: Vec<_> = request.headers().iter().collect();
    headers.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    for (name, value) in headers {
        let shown = if value.is_sensitive() || SECRET_HEADERS.contains(&name.as_str()) {
            "<redacted>".to_owned()
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        out.push_str(&format!("{name}: {shown}\n"));
    }
    let body = request.body();
    if body.is_empty() {
        return out;
    }
    out.push('\n');
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(json) => out.push_str(&serde_json::to_string_pretty(&json).unwrap_or_default()),
        Err(_) => match std::str::from_utf8(body) {
            Ok(text) if !text.contains('\0') => out.push_str(text),
            _ => out.push_str(&format!("<{} bytes of binary>", body.len())),
        },
    }
    out.push('\n');
    out
}
