//! `multipart/form-data` with one file part, built without I/O so both clients and every backend send the same
//! bytes.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use botwire_transport::StreamBody;

/// A finished `multipart/form-data` body and its boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartForm {
    boundary: String,
    body: Vec<u8>,
}

impl MultipartForm {
    /// The `Content-Type` header value: `multipart/form-data; boundary=…`.
    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// The boundary (never found inside the file's bytes).
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// The body bytes.
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }
}

/// Wraps `data` as the single file part `field` of a `multipart/form-data` body (RFC 7578), reusing its
/// allocation: the envelope is inserted around the bytes in place.
///
/// The boundary is `boundary` when given, valid (1–70 characters of `[0-9A-Za-z'()+_,-./:=?]`) and absent from
/// the data; otherwise a random `botwire-<32 hex>` that does not occur in the data. In the file name, `"`, CR
/// and LF are percent-encoded as browsers do; other characters (UTF-8 included) are sent as they are.
///
/// ```
/// let form = botwire_max::upload::multipart_form("data", "a.txt", "text/plain", b"hi".to_vec(), Some("XyZ".into()));
/// assert_eq!(form.content_type(), "multipart/form-data; boundary=XyZ");
/// assert_eq!(
///     form.into_body(),
///     b"--XyZ\r\nContent-Disposition: form-data; name=\"data\"; filename=\"a.txt\"\r\n\
///       Content-Type: text/plain\r\n\r\nhi\r\n--XyZ--\r\n".to_vec()
/// );
/// ```
pub fn multipart_form(
    field: &str,
    file_name: &str,
    content_type: &str,
    mut data: Vec<u8>,
    boundary: Option<String>,
) -> MultipartForm {
    let preferred = boundary.filter(|b| valid_boundary(b));
    let boundary = choose_boundary(&data, preferred.into_iter().chain(random_boundaries()));
    let (head, tail) = envelope(field, file_name, content_type, &boundary);
    data.reserve_exact(head.len() + tail.len());
    data.splice(0..0, head.bytes());
    data.extend_from_slice(tail.as_bytes());
    MultipartForm {
        boundary,
        body: data,
    }
}

/// A `multipart/form-data` body whose file part is streamed from its source: see [`multipart_stream`].
#[derive(Debug, Clone)]
pub struct StreamedForm {
    boundary: String,
    head_len: u64,
    file_len: u64,
    body: StreamBody,
}

impl StreamedForm {
    /// The `Content-Type` header value: `multipart/form-data; boundary=…`.
    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// The boundary.
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// Bytes of the envelope before the file's first byte.
    pub fn head_len(&self) -> u64 {
        self.head_len
    }

    /// Bytes of the file.
    pub fn file_len(&self) -> u64 {
        self.file_len
    }

    /// The body: envelope head, the file, envelope tail. Its length (the `Content-Length`) is known now.
    pub fn into_body(self) -> StreamBody {
        self.body
    }
}

/// Wraps a streamed `file` as the single file part `field` of a `multipart/form-data` body, like
/// [`multipart_form`] but without reading the file: the envelope is two small byte parts around it, and the
/// length is computed up front.
///
/// The boundary is `boundary` when given and valid, else a random `botwire-<32 hex>` (128 random bits). It is
/// not checked against the file's bytes, which are not read in advance: a random boundary occurs in a file
/// with negligible probability, but a caller's fixed boundary is the caller's responsibility.
///
/// ```
/// use std::io::Read;
/// use botwire_transport::StreamBody;
///
/// let form = botwire_max::upload::multipart_stream(
///     "data", "a.txt", "text/plain", StreamBody::reader(&b"hi"[..], 2), Some("XyZ".into()),
/// );
/// assert_eq!((form.head_len(), form.file_len()), (98, 2));
/// let body = form.into_body();
/// let mut sent = Vec::new();
/// body.open()?.read_to_end(&mut sent)?;
/// assert_eq!(sent.len() as u64, body.len());
/// assert_eq!(
///     sent,
///     b"--XyZ\r\nContent-Disposition: form-data; name=\"data\"; filename=\"a.txt\"\r\n\
///       Content-Type: text/plain\r\n\r\nhi\r\n--XyZ--\r\n".to_vec()
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn multipart_stream(
    field: &str,
    file_name: &str,
    content_type: &str,
    file: StreamBody,
    boundary: Option<String>,
) -> StreamedForm {
    let boundary = boundary
        .filter(|b| valid_boundary(b))
        .or_else(|| random_boundaries().next())
        .unwrap_or_else(|| "botwire-boundary".to_owned());
    let (head, tail) = envelope(field, file_name, content_type, &boundary);
    let file_len = file.len();
    StreamedForm {
        head_len: head.len() as u64,
        file_len,
        body: StreamBody::bytes(head.into_bytes())
            .then(file)
            .then(StreamBody::bytes(tail.into_bytes())),
        boundary,
    }
}

/// The part headers before the file and the closing delimiter after it.
fn envelope(field: &str, file_name: &str, content_type: &str, boundary: &str) -> (String, String) {
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
        quote(field),
        quote(file_name),
        content_type.replace(['\r', '\n'], "")
    );
    (head, format!("\r\n--{boundary}--\r\n"))
}

pub(super) fn quote(value: &str) -> String {
    value
        .replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

pub(super) fn valid_boundary(b: &str) -> bool {
    (1..=70).contains(&b.len())
        && b.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"'()+_,-./:=?".contains(&c))
}

/// The first candidate that does not occur in `data`.
pub(super) fn choose_boundary(data: &[u8], candidates: impl IntoIterator<Item = String>) -> String {
    candidates
        .into_iter()
        .find(|b| !contains(data, b.as_bytes()))
        .unwrap_or_else(|| "botwire-boundary".to_owned())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let mut from = 0;
    while let Some(pos) = haystack[from..].iter().position(|&b| b == first) {
        let at = from + pos;
        if haystack[at + 1..].starts_with(rest) {
            return true;
        }
        from = at + 1;
    }
    false
}

/// Unpredictable boundaries from the standard library's randomly keyed hasher (no RNG dependency needed).
pub(super) fn random_boundaries() -> impl Iterator<Item = String> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    std::iter::repeat_with(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let mut parts = [0u64; 2];
        for part in &mut parts {
            let mut h = RandomState::new().build_hasher();
            h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
            h.write_u128(nanos);
            *part = h.finish();
        }
        format!("botwire-{:016x}{:016x}", parts[0], parts[1])
    })
}

/// The content type for a file name, by extension (case-insensitive); `application/octet-stream` when unknown.
///
/// ```
/// assert_eq!(botwire_max::upload::content_type_for("Cat.JPG"), "image/jpeg");
/// assert_eq!(botwire_max::upload::content_type_for("notes"), "application/octet-stream");
/// ```
pub fn content_type_for(file_name: &str) -> &'static str {
    let ext = match file_name.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => return "application/octet-stream",
    };
    match ext.as_str() {
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "tif" | "tiff" => "image/tiff",
        "bmp" => "image/bmp",
        "heic" => "image/heic",
        "heif" => "image/heif",
        "webp" => "image/webp",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "mkv" => "video/x-matroska",
        "webm" => "video/webm",
        "avi" => "video/x-msvideo",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "m4a" => "audio/mp4",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "aac" => "audio/aac",
        "flac" => "audio/flac",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "xml" => "application/xml",
        "pdf" => "application/pdf",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "rtf" => "application/rtf",
        "zip" => "application/zip",
        "rar" => "application/vnd.rar",
        "7z" => "application/x-7z-compressed",
        "gz" => "application/gzip",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_boundary_found_in_the_data_is_skipped() {
        let data = b"xx--AAA--xx";
        let chosen = choose_boundary(data, ["AAA".to_owned(), "BBB".to_owned()]);
        assert_eq!(chosen, "BBB");
        // A caller's boundary that occurs in the data is replaced by a random one.
        let form = multipart_form("data", "f", "text/plain", data.to_vec(), Some("AAA".into()));
        assert!(form.boundary().starts_with("botwire-"));
        assert!(!contains(data, form.boundary().as_bytes()));
    }

    #[test]
    fn random_boundaries_differ_and_are_valid() {
        let mut it = random_boundaries();
        let (a, b) = (it.next().unwrap_or_default(), it.next().unwrap_or_default());
        assert_ne!(a, b);
        assert!(valid_boundary(&a) && a.len() == 40, "{a}");
        assert!(!valid_boundary("has space") && !valid_boundary(&"x".repeat(71)));
    }

    #[test]
    fn file_names_cannot_break_the_header() {
        let form = multipart_form(
            "data",
            "a\"b\r\nX-Evil: 1.txt",
            "text/plain",
            Vec::new(),
            Some("B".into()),
        );
        let body = String::from_utf8(form.into_body()).unwrap_or_default();
        assert!(
            body.contains("filename=\"a%22b%0D%0AX-Evil: 1.txt\""),
            "{body}"
        );
        assert_eq!(body.matches("\r\n").count(), 6);
    }

    /// Reads the single file part back the way a server would: the data is everything between the blank line
    /// after the part headers and the CRLF before the closing delimiter.
    fn parse_back(body: &[u8], boundary: &str) -> Vec<u8> {
        let open = format!("--{boundary}\r\n");
        let close = format!("\r\n--{boundary}--\r\n");
        assert!(body.starts_with(open.as_bytes()));
        assert!(body.ends_with(close.as_bytes()));
        let delimiter = format!("\r\n--{boundary}");
        let headers_end = body.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0) + 4;
        let data = &body[headers_end..body.len() - close.len()];
        assert!(
            !contains(data, delimiter.as_bytes()),
            "delimiter inside the data"
        );
        data.to_vec()
    }

    #[test]
    fn property_round_trip_of_random_data() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..300 {
            let len = (next() % 2000) as usize;
            let mut data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            // Seed the data with delimiter-like bytes and, sometimes, the caller's boundary itself.
            if round % 3 == 0 {
                data.extend_from_slice(b"\r\n--botwire-\r\n--fixed--\r\n");
            }
            let preferred = (round % 2 == 0).then(|| "fixed".to_owned());
            let form = multipart_form(
                "data",
                "f.bin",
                "application/octet-stream",
                data.clone(),
                preferred,
            );
            let boundary = form.boundary().to_owned();
            assert!(!contains(&data, boundary.as_bytes()), "round {round}");
            assert_eq!(
                parse_back(&form.into_body(), &boundary),
                data,
                "round {round}"
            );
        }
    }

    #[test]
    fn substring_search() {
        assert!(contains(b"abcabd", b"abd"));
        assert!(!contains(b"abcab", b"abd"));
        assert!(contains(b"x", b""));
        assert!(!contains(b"", b"a"));
    }
}
