//! A small `multipart/form-data` reader (RFC 7578) for the upload host: enough to find the `data` field, its
//! file name and its bytes, and to refuse a malformed body.

/// One part of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part<'a> {
    /// `name` of the `Content-Disposition: form-data` header.
    pub(crate) name: Option<String>,
    /// `filename` of that header.
    pub(crate) filename: Option<String>,
    /// The part's bytes.
    pub(crate) data: &'a [u8],
}

/// The boundary of a `multipart/form-data` content type, `None` for any other type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let mut params = split_params(content_type);
    let kind = params.next()?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| unquote(v.trim()))
        .filter(|b| !b.is_empty() && b.len() <= 70)
}

/// Splits `a; b="x;y"; c` at the semicolons outside quotes.
fn split_params(s: &str) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts.into_iter()
}

fn unquote(v: &str) -> String {
    match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => {
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    if let Some(next) = chars.next() {
                        out.push(next);
                    }
                } else {
                    out.push(c);
                }
            }
            out
        }
        None => v.to_owned(),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The parts of a body, or what is wrong with it.
pub(crate) fn parse<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<Part<'a>>, String> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let close = [b"\r\n".as_slice(), delimiter].concat();
    let first = find(body, delimiter).ok_or("no boundary in the body")?;
    let mut rest = &body[first + delimiter.len()..];
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or("a boundary must be followed by CRLF")?;
        let head_end = find(rest, b"\r\n\r\n").ok_or("a part has no end of headers")?;
        let head =
            std::str::from_utf8(&rest[..head_end]).map_err(|_| "part headers are not UTF-8")?;
        let content = &rest[head_end + 4..];
        let end = find(content, &close).ok_or("a part is not closed by the boundary")?;
        let mut part = Part {
            name: None,
            filename: None,
            data: &content[..end],
        };
        for line in head.split("\r\n") {
            let Some((key, value)) = line.split_once(':') else {
                return Err(format!("malformed part header {line:?}"));
            };
            if key.trim().eq_ignore_ascii_case("content-disposition") {
                let mut params = split_params(value);
                if !params
                    .next()
                    .is_some_and(|d| d.trim().eq_ignore_ascii_case("form-data"))
                {
                    return Err("a part is not form-data".into());
                }
                for (k, v) in params.filter_map(|p| p.split_once('=')) {
                    match k.trim().to_ascii_lowercase().as_str() {
                        "name" => part.name = Some(unquote(v.trim())),
                        "filename" => part.filename = Some(unquote(v.trim())),
                        _ => {}
                    }
                }
            }
        }
        parts.push(part);
        rest = &content[end + close.len()..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_parts_and_quoted_parameters() {
        assert_eq!(
            boundary("multipart/form-data; boundary=\"ab;c\"").as_deref(),
            Some("ab;c")
        );
        assert_eq!(boundary("application/json"), None);
        let body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--XyZ\r\n\
Content-Disposition: form-data; name=\"data\"; filename=\"a;b \\\"c\\\".png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--X\r\n--XyZ--\r\n";
        let parts = parse(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name.as_deref(), Some("note"));
        assert_eq!(parts[0].data, b"hi");
        assert_eq!(parts[1].filename.as_deref(), Some("a;b \"c\".png"));
        // A line that merely starts like the boundary stays data.
        assert_eq!(parts[1].data, b"\x89PNG\r\n--X");
    }

    #[test]
    fn refuses_malformed_bodies() {
        assert!(parse(b"no boundary here", "b").is_err());
        assert!(
            parse(
                b"--b\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\nunterminated",
                "b"
            )
            .is_err()
        );
        assert!(parse(b"--b\r\nbroken header\r\n\r\nx\r\n--b--", "b").is_err());
    }
}
