//! Keeping configured secrets out of text that a server sent back.
//!
//! Servers echo what they were sent: MAX answers a bad token with
//! `{"code":"verify.token","message":"Invalid access_token: <the token>"}`, proxies and HTML error pages quote the
//! request line with its `?api_token=…`. A [`Redactor`] knows the secrets of one request and removes them from
//! any text before it is stored in an error or written to a log: the raw secret, and the secret as it appears
//! after the encodings a server is likely to apply (percent-encoding in either hex case, `+` for a space, JSON
//! escapes `\/` and `\uXXXX`, HTML entities `&#NN;`, `&#xHH;`, `&amp;` …), even mixed within one occurrence.
//! Independently of the secrets it knows, it replaces the value of every `api_token=`, `access_token=` and
//! `token=` parameter.
//!
//! This module lives at the bottom of the crate graph so that [`DecodeError`](crate::decode::DecodeError), the
//! transport errors and the API errors all use the same scrubber.

use std::fmt;
use std::sync::Arc;

/// What replaces a secret.
pub const REDACTED: &str = "<redacted>";

/// Query parameters whose values are secrets on some API (OneBot `api_token`, legacy MAX `access_token`).
pub const SECRET_PARAMS: &[&str] = &["api_token", "access_token", "token"];

/// Removes known secrets from text. Cheap to clone; `Debug` never shows the secrets.
///
/// ```
/// use botwire_core_types::redact::Redactor;
///
/// let r = Redactor::new(["s3/cr+t"]);
/// assert_eq!(r.scrub("Invalid access_token: s3/cr+t"), "Invalid access_token: <redacted>");
/// assert_eq!(r.scrub("GET /x?k=s3%2Fcr%2bt HTTP/1.1"), "GET /x?k=<redacted> HTTP/1.1");
/// assert_eq!(r.scrub(r#"{"message":"bad s3\/cr\u002bt"}"#), r#"{"message":"bad <redacted>"}"#);
/// assert_eq!(r.scrub("<p>s3&#47;cr&#x2B;t</p>"), "<p><redacted></p>");
/// // Parameters that carry secrets are scrubbed even when the secret is not known.
/// assert_eq!(Redactor::default().scrub("GET /getMe?api_token=zzz"), "GET /getMe?api_token=<redacted>");
/// assert!(!format!("{r:?}").contains("s3"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Redactor {
    secrets: Arc<[Box<str>]>,
}

impl Redactor {
    /// A redactor for these secrets. Empty strings are ignored.
    pub fn new<I, S>(secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::default().with(secrets)
    }

    /// This redactor plus more secrets (duplicates and empty strings are ignored).
    #[must_use]
    pub fn with<I, S>(self, secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut all: Vec<Box<str>> = self.secrets.to_vec();
        for s in secrets {
            let s = s.as_ref();
            if !s.is_empty() && !all.iter().any(|known| &**known == s) {
                all.push(s.into());
            }
        }
        // Longest first, so a secret that contains another is removed whole.
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Self {
            secrets: all.into(),
        }
    }

    /// `true` when no secret is known (secret parameters are still scrubbed).
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// The length in bytes of the longest known secret (0 when none).
    pub fn longest(&self) -> usize {
        self.secrets.first().map_or(0, |s| s.len())
    }

    /// `text` with every known secret (in any of the encodings listed in the [module docs](self)) and the value
    /// of every secret parameter replaced by `<redacted>`.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = if self.secrets.is_empty() {
            text.to_owned()
        } else {
            self.scrub_known(text)
        };
        for param in SECRET_PARAMS {
            out = scrub_param(&out, param);
        }
        out
    }

    /// The first `max_chars` characters of `text`, scrubbed before it is cut (so a secret that straddles the
    /// cut cannot leave its first half behind), with `…` when something was cut.
    pub fn scrub_prefix(&self, text: &str, max_chars: usize) -> String {
        // A secret cut by the end of the window stays in the output as it was, in at most `margin` characters
        // (no encoding above takes more than 12 per secret byte): the output is safe up to its length minus
        // the margin. Redactions shrink the text, so grow the window until that covers `max_chars`.
        let margin = 12 * self.longest();
        let mut window = max_chars + margin + 64;
        loop {
            let head: String = text.chars().take(window).collect();
            let whole = text.chars().nth(window).is_none();
            let scrubbed = self.scrub(&head);
            let count = scrubbed.chars().count();
            if whole || count >= max_chars + margin {
                let mut out: String = scrubbed.chars().take(max_chars).collect();
                if !whole || count > max_chars {
                    out.push('…');
                }
                return out;
            }
            window = window.saturating_mul(2);
        }
    }

    /// Removes from the end of `text` anything that could be the beginning of a known secret (raw), replacing
    /// it by `<redacted>`: for text that was cut after a secret began.
    pub fn drop_partial_tail(&self, text: &mut String) {
        let longest_start = self
            .secrets
            .iter()
            .filter_map(|secret| {
                secret
                    .char_indices()
                    .skip(1)
                    .map(|(i, _)| i)
                    .chain(std::iter::once(secret.len()))
                    .filter(|&k| text.ends_with(&secret[..k]))
                    .max()
            })
            .max();
        if let Some(k) = longest_start {
            text.truncate(text.len() - k);
            text.push_str(REDACTED);
        }
    }

    fn scrub_known(&self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        let mut copied = 0;
        while i < bytes.len() {
            let hit = self.secrets.iter().find_map(|s| match_encoded(bytes, i, s));
            match hit {
                Some(end) => {
                    out.push_str(&text[copied..i]);
                    out.push_str(REDACTED);
                    i = end;
                    copied = end;
                }
                None => i += 1,
            }
        }
        out.push_str(&text[copied..]);
        out
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

/// Where an occurrence of `secret` starting at `start` ends, accepting each character raw or encoded. Only
/// starts on a character boundary; the end found is always one too (each accepted form is whole).
fn match_encoded(text: &[u8], start: usize, secret: &str) -> Option<usize> {
    if !is_boundary(text, start) {
        return None;
    }
    let mut i = start;
    for ch in secret.chars() {
        let mut buf = [0u8; 4];
        let raw = ch.encode_utf8(&mut buf).as_bytes();
        let rest = &text[i..];
        let n = if rest.starts_with(raw) {
            Some(raw.len())
        } else {
            percent_encoded(rest, raw)
                .or_else(|| json_escaped(rest, ch))
                .or_else(|| html_escaped(rest, ch))
        };
        i += n?;
    }
    Some(i)
}

fn is_boundary(text: &[u8], i: usize) -> bool {
    i >= text.len() || (text[i] as i8) >= -0x40
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `%HH` for every byte of the character (either case); `+` for a space.
fn percent_encoded(rest: &[u8], raw: &[u8]) -> Option<usize> {
    if raw == b" " && rest.first() == Some(&b'+') {
        return Some(1);
    }
    let mut i = 0;
    for &b in raw {
        match rest.get(i..i + 3) {
            Some([b'%', h, l]) if (hex(*h)? << 4) | hex(*l)? == b => i += 3,
            _ => return None,
        }
    }
    Some(i)
}

/// `\/`, `\"`, `\\`, or `\uXXXX` (a surrogate pair beyond the BMP).
fn json_escaped(rest: &[u8], ch: char) -> Option<usize> {
    if rest.first() != Some(&b'\\') {
        return None;
    }
    if matches!(ch, '/' | '"' | '\\') && rest.get(1) == Some(&(ch as u8)) {
        return Some(2);
    }
    let mut units = [0u16; 2];
    let mut i = 0;
    for unit in ch.encode_utf16(&mut units) {
        let esc = rest.get(i..i + 6)?;
        if esc[0] != b'\\' || esc[1] != b'u' {
            return None;
        }
        let mut value: u16 = 0;
        for &d in &esc[2..] {
            value = value << 4 | u16::from(hex(d)?);
        }
        if value != *unit {
            return None;
        }
        i += 6;
    }
    Some(i)
}

/// `&#NN;`, `&#xHH;` or a named entity for the five characters HTML escapes.
fn html_escaped(rest: &[u8], ch: char) -> Option<usize> {
    if rest.first() != Some(&b'&') {
        return None;
    }
    let named: &[&[u8]] = match ch {
        '&' => &[b"&amp;"],
        '<' => &[b"&lt;"],
        '>' => &[b"&gt;"],
        '"' => &[b"&quot;"],
        '\'' => &[b"&apos;"],
        '/' => &[b"&sol;"],
        '+' => &[b"&plus;"],
        '=' => &[b"&equals;"],
        _ => &[],
    };
    if let Some(n) = named.iter().find(|n| rest.starts_with(n)).map(|n| n.len()) {
        return Some(n);
    }
    if rest.get(1) != Some(&b'#') {
        return None;
    }
    let (radix, digits_from) = match rest.get(2) {
        Some(b'x' | b'X') => (16, 3),
        _ => (10, 2),
    };
    let end = digits_from + rest[digits_from..].iter().position(|&b| b == b';')?;
    let digits = std::str::from_utf8(&rest[digits_from..end]).ok()?;
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let value = u32::from_str_radix(digits, radix).ok()?;
    (value == ch as u32).then_some(end + 1)
}

fn scrub_param(text: &str, param: &str) -> String {
    let needle = format!("{param}=");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(&needle) {
        let boundary_ok = pos == 0
            || matches!(
                rest.as_bytes()[pos - 1],
                b'?' | b'&' | b' ' | b'(' | b'"' | b'\'' | b'>' | b';' | b'\n'
            );
        out.push_str(&rest[..pos + needle.len()]);
        rest = &rest[pos + needle.len()..];
        if boundary_ok {
            let end = rest
                .find(['&', ' ', ')', '"', '\'', '\n', '#', ',', ';', '<', '\\'])
                .unwrap_or(rest.len());
            if end > 0 && !rest[..end].starts_with(REDACTED) {
                out.push_str(REDACTED);
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

    const TOKEN: &str = "f9LHodD0cOI-t_k/e+n=Ж";

    #[test]
    fn removes_the_secret_in_every_likely_encoding() {
        let r = Redactor::new([TOKEN]);
        let encodings = [
            TOKEN.to_owned(),
            "f9LHodD0cOI-t_k%2Fe%2Bn%3D%D0%96".to_owned(),
            "f9LHodD0cOI-t_k%2fe%2bn%3d%d0%96".to_owned(),
            "f9LHodD0cOI-t_k\\/e+n=\\u0416".to_owned(),
            "f9LHodD0cOI-t_k&#47;e&#x2b;n&#61;&#1046;".to_owned(),
            serde_json::to_string(TOKEN)
                .unwrap()
                .trim_matches('"')
                .to_owned(),
        ];
        for enc in encodings {
            let text = format!("<h1>404</h1> GET /api/v1/getMe?k={enc}&page=2 HTTP/1.1");
            let out = r.scrub(&text);
            assert_eq!(
                out, "<h1>404</h1> GET /api/v1/getMe?k=<redacted>&page=2 HTTP/1.1",
                "{enc}"
            );
        }
    }

    #[test]
    fn scrubs_known_params_and_explicit_secrets() {
        let none = Redactor::default();
        assert_eq!(
            none.scrub("GET /x?a=1&api_token=zzz&b=2 failed"),
            "GET /x?a=1&api_token=<redacted>&b=2 failed"
        );
        assert_eq!(
            Redactor::new(["abc"]).scrub("token abc leaked: abc"),
            "token <redacted> leaked: <redacted>"
        );
        assert_eq!(none.scrub("my_token=1"), "my_token=1");
        assert_eq!(none.scrub("api_token=<redacted>"), "api_token=<redacted>");
        assert_eq!(
            none.scrub(r#"<a href="/x?api_token=abc">"#),
            r#"<a href="/x?api_token=<redacted>">"#
        );
        // A secret that contains another is removed whole.
        assert_eq!(
            Redactor::new(["ab", "abcd"]).scrub("xabcdx"),
            "x<redacted>x"
        );
    }

    #[test]
    fn a_secret_across_the_cut_leaves_no_half() {
        let r = Redactor::new([TOKEN]);
        let text = format!("{}{TOKEN}{}", "x".repeat(195), "y".repeat(100));
        let out = r.scrub_prefix(&text, 200);
        assert!(!out.contains("f9LH"), "{out}");
        assert_eq!(out.chars().count(), 201);
        assert!(out.ends_with('…'));
        assert_eq!(r.scrub_prefix("short", 200), "short");
        // Redactions that shrink the text a lot pull a later, cut secret into the excerpt: never half of it.
        let encoded = "f9LHodD0cOI-t_k%2Fe%2Bn%3D%D0%96 ";
        let text = format!("{}{TOKEN}", encoded.repeat(40));
        let out = r.scrub_prefix(&text, 200);
        assert!(!out.contains("f9LH") && !out.contains("%2F"), "{out}");
        assert_eq!(out.chars().count(), 201);
    }

    #[test]
    fn odd_text_is_safe() {
        let r = Redactor::new(["%", "&#", "\\u"]);
        for text in ["%", "%4", "&#", "&#x;", "\\u12", "Ж%D0", "&#99999999999;"] {
            let _ = r.scrub(text);
        }
        assert_eq!(Redactor::new([""]).scrub("abc"), "abc");
    }
}
