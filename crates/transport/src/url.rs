//! Building request URLs: path segments and query strings, percent-encoded.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Everything but RFC 3986 unreserved characters is encoded in a path segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'&')
    .add(b'+')
    .add(b'=')
    .add(b';')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']')
    .add(b'@')
    .add(b':')
    .add(b',')
    .add(b'$')
    .add(b'!')
    .add(b'\'')
    .add(b'(')
    .add(b')')
    .add(b'*');

/// Percent-encodes one path segment, so an id like `mid.a/b` cannot change the path.
///
/// ```
/// assert_eq!(botwire_transport::url::path_segment("mid.00ab_-"), "mid.00ab_-");
/// assert_eq!(botwire_transport::url::path_segment("a/b?c"), "a%2Fb%3Fc");
/// ```
pub fn path_segment(segment: &str) -> Cow<'_, str> {
    utf8_percent_encode(segment, SEGMENT).into()
}

/// Joins a base URL, a path and query pairs (`application/x-www-form-urlencoded` encoding, commas kept literal)
/// into a URI.
///
/// A trailing `/` on the base and a leading `/` on the path are merged.
///
/// ```
/// let uri = botwire_transport::url::build_uri("http://127.0.0.1:8080/", "/messages", &[("chat_id", "-1"), ("text", "a b&c")])?;
/// assert_eq!(uri.to_string(), "http://127.0.0.1:8080/messages?chat_id=-1&text=a+b%26c");
/// let uri = botwire_transport::url::build_uri("http://h", "/updates", &[("types", "message_created,bot_started")])?;
/// assert_eq!(uri.query(), Some("types=message_created,bot_started"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn build_uri(
    base: &str,
    path: &str,
    query: &[(&str, &str)],
) -> Result<http::Uri, http::uri::InvalidUri> {
    let mut url = String::with_capacity(base.len() + path.len() + 16 * query.len());
    url.push_str(base.trim_end_matches('/'));
    if !path.is_empty() {
        url.push('/');
        url.push_str(path.trim_start_matches('/'));
    }
    if !query.is_empty() {
        url.push('?');
        let start = url.len();
        let mut ser = form_urlencoded::Serializer::for_suffix(url, start);
        ser.extend_pairs(query);
        // List parameters are comma-separated in one value (`types=a,b`, as the MAX docs write them); a comma is
        // a legal query character, so it stays literal instead of becoming `%2C`.
        url = ser.finish();
        if url.contains("%2C") {
            url = url.replace("%2C", ",");
        }
    }
    // From the `String` itself: its buffer becomes the URI's bytes, with no copy.
    http::Uri::try_from(url)
}
