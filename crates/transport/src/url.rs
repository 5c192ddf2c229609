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

/// Appends `text` `application/x-www-form-urlencoded`, as `form_urlencoded` writes it (`*-._` and
/// alphanumerics as they are, a space as `+`, every other byte `%XX`), except that a comma stays literal: list
/// parameters are comma-separated in one value (`types=a,b`, as the MAX docs write them), and a comma is a
/// legal query character. Plain text (digits, names) is copied in one piece.
fn push_form_encoded(url: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut copied = 0;
    for (i, &byte) in text.as_bytes().iter().enumerate() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'*' | b'-' | b'.' | b'_' | b',') {
            continue;
        }
        // `copied..i` holds plain ASCII bytes only, so both ends are character boundaries.
        if copied < i {
            url.push_str(&text[copied..i]);
        }
        if byte == b' ' {
            url.push('+');
        } else {
            url.push('%');
            url.push(char::from(HEX[usize::from(byte >> 4)]));
            url.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        copied = i + 1;
    }
    if copied < text.len() {
        url.push_str(&text[copied..]);
    }
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
    // Room for the pairs as they are (the usual case: ids and names need no escaping), so nothing regrows.
    let pairs: usize = query.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut url = String::with_capacity(base.len() + path.len() + 1 + pairs);
    url.push_str(base.trim_end_matches('/'));
    if !path.is_empty() {
        url.push('/');
        url.push_str(path.trim_start_matches('/'));
    }
    for (i, (name, value)) in query.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        push_form_encoded(&mut url, name);
        url.push('=');
        push_form_encoded(&mut url, value);
    }
    // From the `String` itself: its buffer becomes the URI's bytes, with no copy.
    http::Uri::try_from(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded_as_form_urlencoded_writes_them_but_commas() {
        for text in [
            "",
            "123",
            "-70000000001",
            "a b&c=d+e",
            "message_created,bot_started",
            "literal %2C stays escaped",
            "привет, мир",
            "ё😀x",
            "*-._~!'()/?#[]@$;:",
            "\u{7f}\u{80}\t\n",
        ] {
            let mut ours = String::new();
            push_form_encoded(&mut ours, text);
            let theirs: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
            assert_eq!(ours, theirs.replace("%2C", ","), "{text:?}");
        }
    }

    #[test]
    fn a_uri_joins_base_path_and_query() {
        let uri = build_uri("http://h:1/api/", "/x", &[("a", "1"), ("b c", "d,e f")]).unwrap();
        assert_eq!(uri.to_string(), "http://h:1/api/x?a=1&b+c=d,e+f");
        assert_eq!(
            build_uri("http://h", "", &[]).unwrap().to_string(),
            "http://h/"
        );
    }
}
