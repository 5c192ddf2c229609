//! `format: "markdown"` and `format: "html"` texts, parsed as the platform does (`max-bot-api.md` §6): the
//! stored text loses the markup syntax and the message carries `markup` elements instead.
//!
//! Positions (`from`, `length`) count UTF-16 code units (the reference leaves the unit open; the platform's
//! clients are JavaScript and Java). Markdown delimiters that are never closed stay literal text; HTML tags
//! outside the documented set are stripped, keeping their content; an unclosed HTML tag spans to the end.
//! Refused with `400` (guesses where the reference is silent): a link whose URL is empty or longer than 2048
//! characters, and a `max://user/…` mention whose id is not a number.

use serde_json::{Value, json};

use super::WorldError;

/// The text without markup syntax, and its `markup` elements ordered by position.
pub(crate) type Parsed = (String, Vec<Value>);

#[derive(Default)]
struct Out {
    text: String,
    /// UTF-16 length of `text`.
    len: usize,
    markup: Vec<(usize, usize, Value)>,
}

impl Out {
    fn push(&mut self, c: char) {
        self.text.push(c);
        self.len += c.len_utf16();
    }

    fn push_str(&mut self, s: &str) {
        for c in s.chars() {
            self.push(c);
        }
    }

    /// A span of `kind` over `from..self.len` (nothing for an empty span).
    fn span(&mut self, kind: &str, from: usize, extra: Option<(&str, Value)>) {
        if self.len <= from {
            return;
        }
        let mut v = json!({"type": kind, "from": from, "length": self.len - from});
        if let Some((k, x)) = extra {
            v[k] = x;
        }
        self.markup.push((from, self.markup.len(), v));
    }

    fn link(&mut self, from: usize, url: &str) -> Result<(), WorldError> {
        let url = url.trim();
        if url.is_empty() || url.chars().count() > 2048 {
            return Err(WorldError::bad_request(
                "Link URL must be 1..2048 characters",
            ));
        }
        if let Some(id) = url.strip_prefix("max://user/") {
            let id: i64 = id
                .parse()
                .map_err(|_| WorldError::bad_request(format!("Invalid user mention: {url}")))?;
            self.span("user_mention", from, Some(("user_id", json!(id))));
        } else {
            self.span("link", from, Some(("url", json!(url))));
        }
        Ok(())
    }

    fn finish(mut self) -> Parsed {
        self.markup.sort_by_key(|(from, order, _)| (*from, *order));
        (
            self.text,
            self.markup.into_iter().map(|(_, _, v)| v).collect(),
        )
    }
}

/// Parses a `markdown` text.
pub(crate) fn markdown(text: &str) -> Result<Parsed, WorldError> {
    let mut out = Out::default();
    let chars: Vec<char> = text.chars().collect();
    inline(&chars, &mut out, true)?;
    Ok(out.finish())
}

/// A `# heading` or `> quote` prefix at `at`: the kind and the prefix length.
fn line_prefix(chars: &[char], at: usize) -> Option<(&'static str, usize)> {
    let hashes = chars[at..].iter().take_while(|c| **c == '#').count();
    if (1..=6).contains(&hashes) && chars.get(at + hashes) == Some(&' ') {
        return Some(("heading", hashes + 1));
    }
    starts(chars, at, "> ").then_some(("quote", 2))
}

/// The two-character and one-character emphasis delimiters, longest first.
const DELIMITERS: &[(&str, &str)] = &[
    ("**", "strong"),
    ("__", "strong"),
    ("~~", "strikethrough"),
    ("++", "underline"),
    ("^^", "highlighted"),
    ("*", "emphasized"),
    ("_", "emphasized"),
];

fn starts(chars: &[char], at: usize, pat: &str) -> bool {
    pat.chars()
        .enumerate()
        .all(|(k, p)| chars.get(at + k) == Some(&p))
}

/// The index of the next `pat` at or after `from` (not escaped).
fn find(chars: &[char], from: usize, pat: &str) -> Option<usize> {
    let mut i = from;
    while i < chars.len() {
        if chars[i] == '\\' {
            i += 2;
            continue;
        }
        if starts(chars, i, pat) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Inline markup of `chars`; `top` also reads the line prefixes (`# `, `> `) of the whole text.
fn inline(chars: &[char], out: &mut Out, top: bool) -> Result<(), WorldError> {
    let mut i = 0;
    let mut line: Option<(&'static str, usize)> = None;
    'outer: while i < chars.len() {
        if top
            && (i == 0 || chars[i - 1] == '\n')
            && let Some((kind, skip)) = line_prefix(chars, i)
        {
            line = Some((kind, out.len));
            i += skip;
            continue;
        }
        let c = chars[i];
        if top
            && c == '\n'
            && let Some((kind, from)) = line.take()
        {
            out.span(kind, from, None);
        }
        if c == '\\' && i + 1 < chars.len() {
            out.push(chars[i + 1]);
            i += 2;
            continue;
        }
        if starts(chars, i, "```")
            && let Some(end) = find(chars, i + 3, "```")
        {
            let from = out.len;
            out.push_str(&chars[i + 3..end].iter().collect::<String>());
            out.span("monospaced", from, None);
            i = end + 3;
            continue;
        }
        if c == '`'
            && let Some(end) = chars[i + 1..].iter().position(|c| *c == '`')
        {
            let from = out.len;
            let code: String = chars[i + 1..i + 1 + end]
                .iter()
                .map(|c| if *c == '\n' { ' ' } else { *c })
                .collect();
            out.push_str(&code);
            out.span("monospaced", from, None);
            i += end + 2;
            continue;
        }
        if c == '['
            && let Some(close) = find(chars, i + 1, "](")
            && let Some(paren) = chars[close + 2..].iter().position(|c| *c == ')')
        {
            let from = out.len;
            inline(&chars[i + 1..close], out, false)?;
            let url: String = chars[close + 2..close + 2 + paren].iter().collect();
            out.link(from, &url)?;
            i = close + 3 + paren;
            continue;
        }
        for (delim, kind) in DELIMITERS {
            let n = delim.chars().count();
            if starts(chars, i, delim)
                && let Some(end) = find(chars, i + n, delim)
                && end > i + n
            {
                let from = out.len;
                inline(&chars[i + n..end], out, false)?;
                out.span(kind, from, None);
                i = end + n;
                continue 'outer;
            }
        }
        out.push(c);
        i += 1;
    }
    if let Some((kind, from)) = line {
        out.span(kind, from, None);
    }
    Ok(())
}

/// What an HTML tag means, when the platform renders it.
fn html_kind(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "i" | "em" => "emphasized",
        "b" | "strong" => "strong",
        "del" | "s" => "strikethrough",
        "ins" | "u" => "underline",
        "pre" | "code" => "monospaced",
        "mark" => "highlighted",
        "blockquote" => "quote",
        "h1" | "h2" | "h3" | "h4" => "heading",
        "a" => "a",
        _ => return None,
    })
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let at = lower.find(&format!("{name}="))? + name.len() + 1;
    let rest = &tag[at..];
    let (quote, rest) = match rest.chars().next()? {
        q @ ('"' | '\'') => (q, &rest[1..]),
        _ => (' ', rest),
    };
    let end = rest.find(quote).unwrap_or(rest.len());
    Some(entities(&rest[..end]))
}

fn entities(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest[..rest.len().min(12)].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..semi];
        let decoded = match name {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Parses an `html` text.
pub(crate) fn html(text: &str) -> Result<Parsed, WorldError> {
    let mut out = Out::default();
    // Open tags: (name, kind, from, href).
    let mut open: Vec<(String, &'static str, usize, Option<String>)> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            out.push_str(&entities(rest));
            break;
        };
        out.push_str(&entities(&rest[..lt]));
        rest = &rest[lt..];
        let Some(gt) = rest.find('>') else {
            // A lone `<` is text.
            out.push_str(&entities(rest));
            break;
        };
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        let closing = tag.starts_with('/');
        let body = tag.trim_start_matches('/').trim_end_matches('/');
        let name = body
            .split(|c: char| c.is_whitespace())
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if name == "br" {
            out.push('\n');
            continue;
        }
        let Some(kind) = html_kind(&name) else {
            continue;
        };
        if closing {
            if let Some(pos) = open.iter().rposition(|(n, ..)| *n == name) {
                let (_, kind, from, href) = open.remove(pos);
                close(&mut out, kind, from, href)?;
            }
        } else {
            let href = (kind == "a").then(|| attribute(body, "href")).flatten();
            open.push((name, kind, out.len, href));
        }
    }
    while let Some((_, kind, from, href)) = open.pop() {
        close(&mut out, kind, from, href)?;
    }
    Ok(out.finish())
}

fn close(
    out: &mut Out,
    kind: &'static str,
    from: usize,
    href: Option<String>,
) -> Result<(), WorldError> {
    match (kind, href) {
        ("a", Some(url)) => out.link(from, &url),
        // `<a>` without `href` is no link.
        ("a", None) => Ok(()),
        (kind, _) => {
            out.span(kind, from, None);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(parsed: &Parsed) -> Vec<(String, u64, u64)> {
        parsed
            .1
            .iter()
            .map(|v| {
                (
                    v["type"].as_str().unwrap_or_default().to_owned(),
                    v["from"].as_u64().unwrap_or(0),
                    v["length"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    }

    #[test]
    fn markdown_spans() {
        let p = markdown(
            "**Hi** *you*, ~~no~~ ++u++ ^^red^^ `a\nb` [site](https://x.ru) [Al B](max://user/42)",
        )
        .unwrap();
        assert_eq!(p.0, "Hi you, no u red a b site Al B");
        let s = spans(&p);
        assert_eq!(s[0], ("strong".into(), 0, 2));
        assert_eq!(s[1], ("emphasized".into(), 3, 3));
        assert_eq!(s[2], ("strikethrough".into(), 8, 2));
        assert_eq!(s[3], ("underline".into(), 11, 1));
        assert_eq!(s[4], ("highlighted".into(), 13, 3));
        assert_eq!(s[5], ("monospaced".into(), 17, 3));
        assert_eq!(s[6], ("link".into(), 21, 4));
        assert_eq!(p.1[6]["url"], "https://x.ru");
        assert_eq!(s[7], ("user_mention".into(), 26, 4));
        assert_eq!(p.1[7]["user_id"], 42);
        let lines = markdown("# Title\n> said\n2 * 3 = 6").unwrap();
        assert_eq!(lines.0, "Title\nsaid\n2 * 3 = 6");
        assert_eq!(
            spans(&lines),
            [("heading".into(), 0, 5), ("quote".into(), 6, 4)]
        );
        // UTF-16 positions: an emoji counts 2.
        let emoji = markdown("😀 **x**").unwrap();
        assert_eq!(spans(&emoji), [("strong".into(), 3, 1)]);
        assert!(markdown("[x]()").is_err());
        assert!(markdown("[x](max://user/abc)").is_err());
    }

    #[test]
    fn html_spans() {
        let p = html(r#"<b>Hi</b> <i>there</i> <a href="https://x.ru?a=1&amp;b=2">link</a> <span>kept</span> 1 &lt; 2<br><h2>H</h2>"#)
            .unwrap();
        assert_eq!(p.0, "Hi there link kept 1 < 2\nH");
        let s = spans(&p);
        assert_eq!(s[0], ("strong".into(), 0, 2));
        assert_eq!(s[1], ("emphasized".into(), 3, 5));
        assert_eq!(s[2], ("link".into(), 9, 4));
        assert_eq!(p.1[2]["url"], "https://x.ru?a=1&b=2");
        assert_eq!(s[3], ("heading".into(), 25, 1));
        let mention = html(r#"<a href="max://user/7">Ann</a>"#).unwrap();
        assert_eq!(mention.1[0]["type"], "user_mention");
        assert!(html(r#"<a href="">x</a>"#).is_err());
    }
}
