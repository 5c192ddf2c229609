//! Formatted text: MAX markdown and HTML built from parts, with user strings escaped, and a splitter for texts
//! longer than one message.
//!
//! ```
//! use botwire_max::format::TextBuilder;
//!
//! let user_name = "*evil* <b>"; // user input: must not change the formatting
//! let text = TextBuilder::markdown()
//!     .bold("Hello, ")
//!     .mention(user_name, 42)
//!     .text("! Your order [#1] is ready.")
//!     .build()?;
//! assert_eq!(
//!     text.to_string(),
//!     r"**Hello,** [\*evil\* <b\>](max://user/42)! Your order \[\#1\] is ready."
//! );
//! let html = TextBuilder::html().bold("Hello, ").mention(user_name, 42).build()?;
//! assert_eq!(html.to_string(), r#"<b>Hello, </b><a href="max://user/42">*evil* &lt;b&gt;</a>"#);
//! # Ok::<(), botwire_max::ValidationError>(())
//! ```
//!
//! # Escaping (a guess)
//!
//! The reference (§6, §14.18) documents the syntax but no escaping rules. botwire chooses:
//!
//! - **markdown**: a backslash before every character that can start or end a span anywhere in a line —
//!   `\ * _ ~ + ^ ` [ ] # >` (`#` and `>` only matter at a line start, but a split can make any position a
//!   line start, so they are always escaped). Inside inline code and code blocks only `` ` `` and `\` are
//!   escaped. `(`, `)` and spaces in link URLs are percent-encoded rather than escaped, so a URL never depends on
//!   escape support.
//! - **HTML**: the entities `&amp;`, `&lt;`, `&gt;` and `&quot;`, in text and in `href`.
//!
//! If MAX turns out not to honour backslash escapes, escaped characters would show with a backslash, but the
//! formatting still cannot be changed by user text. botwire's own markdown uses `**bold**`, `_italic_`,
//! `++underline++`, `~~strike~~`, `^^highlight^^`, `` `code` ``, ```` ```\nblock\n``` ````, `[text](url)`,
//! `# heading` and `> quote`; leading and trailing spaces of a span are moved outside its delimiters.
//!
//! # Splitting
//!
//! [`Formatted::split`] and [`split_text`] cut a text into chunks of at most `limit` characters, counted in UTF-16
//! code units (never fewer than Unicode scalar values, so the chunk fits whichever unit the server counts). Cuts
//! fall, in order of preference, after a blank line, after a line, after a sentence, after a space, and only then
//! anywhere — never inside an escape sequence, an entity, a tag or a surrogate pair, and not before a combining
//! mark, a variation selector, a skin-tone modifier or a zero-width joiner, nor after a joiner or between the two
//! halves of a flag, when another place exists. A span cut at a chunk end is closed there and opened again at the
//! start of the next chunk. The separators stay at the end of the earlier chunk, so the chunks' visible texts,
//! concatenated, are exactly the original visible text.

use std::fmt;

use botwire_core_types::ValidationError;
use botwire_core_types::limits::MAX_URL_CHARS;
use botwire_core_types::max::TextFormat;

/// Escapes a user string for MAX markdown text (see the module docs for the rules).
///
/// ```
/// assert_eq!(botwire_max::format::escape_markdown("2*3 = [6]_"), r"2\*3 = \[6\]\_");
/// ```
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_markdown(&mut out, c);
    }
    out
}

/// Escapes a user string for MAX HTML text or attribute values.
///
/// ```
/// assert_eq!(botwire_max::format::escape_html(r#"a<b & "c">"#), "a&lt;b &amp; &quot;c&quot;&gt;");
/// ```
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_html(&mut out, c);
    }
    out
}

fn push_markdown(out: &mut String, c: char) {
    if matches!(
        c,
        '\\' | '*' | '_' | '~' | '+' | '^' | '`' | '[' | ']' | '#' | '>'
    ) {
        out.push('\\');
    }
    out.push(c);
}

fn push_markdown_code(out: &mut String, c: char) {
    if matches!(c, '\\' | '`') {
        out.push('\\');
    }
    out.push(c);
}

fn push_html(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        c => out.push(c),
    }
}

/// Percent-encodes the characters that would end or break a markdown link target.
fn markdown_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '(' | ')' | ' ' | '\\' | '<' | '>' | '"' | '[' | ']' | '`' => {
                out.push_str(&format!("%{:02X}", c as u32));
            }
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// The kind of a span. Spans do not nest: each part of a text has one style.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Style {
    Plain,
    Raw,
    Bold,
    Italic,
    Underline,
    Strike,
    Highlight,
    Code,
    CodeBlock,
    Link(String),
    Mention(i64),
    Heading,
    Quote,
}

impl Style {
    /// Styles whose markdown delimiters must hug non-space text.
    fn is_toggle(&self) -> bool {
        matches!(
            self,
            Style::Bold | Style::Italic | Style::Underline | Style::Strike | Style::Highlight
        )
    }

    fn delimiters(&self, format: &TextFormat) -> (String, String) {
        let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        if *format == TextFormat::Html {
            return match self {
                Style::Plain | Style::Raw => pair("", ""),
                Style::Bold => pair("<b>", "</b>"),
                Style::Italic => pair("<i>", "</i>"),
                Style::Underline => pair("<u>", "</u>"),
                Style::Strike => pair("<s>", "</s>"),
                Style::Highlight => pair("<mark>", "</mark>"),
                Style::Code => pair("<code>", "</code>"),
                Style::CodeBlock => pair("<pre>", "</pre>"),
                Style::Link(url) => (format!("<a href=\"{}\">", escape_html(url)), "</a>".into()),
                Style::Mention(id) => (format!("<a href=\"max://user/{id}\">"), "</a>".into()),
                Style::Heading => pair("<h1>", "</h1>"),
                Style::Quote => pair("<blockquote>", "</blockquote>"),
            };
        }
        match self {
            Style::Plain | Style::Raw => pair("", ""),
            Style::Bold => pair("**", "**"),
            Style::Italic => pair("_", "_"),
            Style::Underline => pair("++", "++"),
            Style::Strike => pair("~~", "~~"),
            Style::Highlight => pair("^^", "^^"),
            Style::Code => pair("`", "`"),
            Style::CodeBlock => pair("```\n", "\n```"),
            Style::Link(url) => ("[".into(), format!("]({})", markdown_url(url))),
            Style::Mention(id) => ("[".into(), format!("](max://user/{id})")),
            Style::Heading => pair("# ", ""),
            Style::Quote => pair("> ", ""),
        }
    }

    /// Appends one character of this span's text, escaped; `prev` is the span's previous character.
    fn push(&self, format: &TextFormat, out: &mut String, prev: Option<char>, c: char) {
        if *format == TextFormat::Html {
            match self {
                Style::Raw => out.push(c),
                _ => push_html(out, c),
            }
            return;
        }
        match self {
            Style::Raw => out.push(c),
            Style::Code | Style::CodeBlock => push_markdown_code(out, c),
            Style::Quote if prev == Some('\n') => {
                // Every line of a quote starts with `> ` (the first gets it from the opener).
                out.push_str("> ");
                push_markdown(out, c);
            }
            _ => push_markdown(out, c),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment {
    style: Style,
    text: String,
}

/// Markdown or HTML text built from parts by [`TextBuilder`]; prints as the text to send.
///
/// It keeps its structure, so [`Formatted::split`] can cut it without breaking a span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formatted {
    format: TextFormat,
    segments: Vec<Segment>,
}

impl Formatted {
    /// `markdown` or `html`: the `format` to send with the text.
    pub fn format(&self) -> TextFormat {
        self.format.clone()
    }

    /// The text to send.
    pub fn into_string(self) -> String {
        self.to_string()
    }

    /// What the reader sees: the text without markup and escapes (raw parts as given).
    pub fn visible_text(&self) -> String {
        self.segments.iter().map(|s| s.text.as_str()).collect()
    }

    /// The length of the text to send, in UTF-16 code units.
    pub fn len_utf16(&self) -> usize {
        self.to_string().encode_utf16().count()
    }

    /// Cuts the text into parts of at most `limit` UTF-16 code units each (see the module docs). Fails when
    /// `limit` cannot hold one character together with the delimiters of its span (e.g. a link whose URL alone
    /// is longer than `limit`).
    ///
    /// ```
    /// use botwire_max::format::TextBuilder;
    /// use botwire_core_types::limits::MAX_TEXT_CHARS;
    ///
    /// let long = TextBuilder::markdown().bold(&"word ".repeat(1000)).build()?;
    /// let parts = long.split(MAX_TEXT_CHARS)?;
    /// assert_eq!(parts.len(), 2);
    /// assert!(parts.iter().all(|p| p.to_string().starts_with("**") && p.len_utf16() <= MAX_TEXT_CHARS));
    /// # Ok::<(), botwire_max::ValidationError>(())
    /// ```
    pub fn split(&self, limit: usize) -> Result<Vec<Formatted>, ValidationError> {
        let atoms = self.atoms();
        let chunks = split_atoms(&atoms, limit, |seg| {
            let (o, c) = self.segments[seg].style.delimiters(&self.format);
            utf16(&o) + utf16(&c)
        })?;
        Ok(chunks
            .into_iter()
            .map(|range| Formatted {
                format: self.format.clone(),
                segments: pieces(&atoms, range)
                    .map(|(seg, r)| Segment {
                        style: self.segments[seg].style.clone(),
                        text: atoms[r].iter().map(Atom::text).collect(),
                    })
                    .collect(),
            })
            .collect())
    }

    fn atoms(&self) -> Vec<Atom> {
        let mut atoms = Vec::new();
        let mut buf = String::new();
        for (i, seg) in self.segments.iter().enumerate() {
            if seg.style == Style::Raw {
                // Trusted markup is never cut: one atom.
                atoms.push(Atom {
                    seg: i,
                    ch: '\u{0}',
                    raw: Some(seg.text.clone()),
                    units: utf16(&seg.text),
                });
                continue;
            }
            let mut prev = None;
            for c in seg.text.chars() {
                buf.clear();
                seg.style.push(&self.format, &mut buf, prev, c);
                prev = Some(c);
                atoms.push(Atom {
                    seg: i,
                    ch: c,
                    raw: None,
                    units: utf16(&buf),
                });
            }
        }
        atoms
    }
}

impl fmt::Display for Formatted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        for seg in &self.segments {
            if seg.style == Style::Raw {
                out.push_str(&seg.text);
                continue;
            }
            let (open, close) = seg.style.delimiters(&self.format);
            let (lead, core, trail) =
                if self.format == TextFormat::Markdown && seg.style.is_toggle() {
                    let core = seg.text.trim();
                    let start = seg.text.len() - seg.text.trim_start().len();
                    (&seg.text[..start], core, &seg.text[start + core.len()..])
                } else {
                    ("", seg.text.as_str(), "")
                };
            out.push_str(lead);
            if !core.is_empty() || !seg.style.is_toggle() {
                out.push_str(&open);
                let mut prev = None;
                for c in core.chars() {
                    seg.style.push(&self.format, &mut out, prev, c);
                    prev = Some(c);
                }
                out.push_str(&close);
            }
            out.push_str(trail);
        }
        f.write_str(&out)
    }
}

/// Builds [`Formatted`] markdown or HTML from parts; every `&str` part is user text and is escaped.
///
/// Spans do not nest. Headings, quotes and code blocks start on a line of their own (a line break is added
/// before them when needed) and end one. Mentions should carry the user's full profile name (reference §6.1);
/// comments support neither mentions nor links.
#[derive(Debug, Clone)]
#[must_use]
pub struct TextBuilder {
    text: Formatted,
    links: Vec<String>,
}

impl TextBuilder {
    /// A markdown text (`format: markdown`).
    pub fn markdown() -> Self {
        Self::with_format(TextFormat::Markdown)
    }

    /// An HTML text (`format: html`).
    pub fn html() -> Self {
        Self::with_format(TextFormat::Html)
    }

    fn with_format(format: TextFormat) -> Self {
        Self {
            text: Formatted {
                format,
                segments: Vec::new(),
            },
            links: Vec::new(),
        }
    }

    fn push(mut self, style: Style, text: &str) -> Self {
        if text.is_empty() {
            return self;
        }
        match self.text.segments.last_mut() {
            Some(last) if last.style == style && style != Style::Raw => last.text.push_str(text),
            _ => self.text.segments.push(Segment {
                style,
                text: text.to_owned(),
            }),
        }
        self
    }

    fn at_line_start(self) -> Self {
        // Only a plain part ending in a line break ends its markup on a line break too.
        let needs = self
            .text
            .segments
            .last()
            .is_some_and(|s| s.style != Style::Plain || !s.text.ends_with('\n'));
        if needs {
            self.push(Style::Plain, "\n")
        } else {
            self
        }
    }

    fn block(self, style: Style, text: &str) -> Self {
        if text.is_empty() {
            return self;
        }
        self.at_line_start()
            .push(style, text)
            .push(Style::Plain, "\n")
    }

    /// Plain user text.
    pub fn text(self, text: &str) -> Self {
        self.push(Style::Plain, text)
    }

    /// A line break.
    pub fn line_break(self) -> Self {
        self.push(Style::Plain, "\n")
    }

    /// Trusted markup, inserted as is (never escaped, never cut by the splitter).
    pub fn raw(self, markup: &str) -> Self {
        self.push(Style::Raw, markup)
    }

    /// **Bold** text.
    pub fn bold(self, text: &str) -> Self {
        self.push(Style::Bold, text)
    }

    /// *Italic* text.
    pub fn italic(self, text: &str) -> Self {
        self.push(Style::Italic, text)
    }

    /// Underlined text.
    pub fn underline(self, text: &str) -> Self {
        self.push(Style::Underline, text)
    }

    /// Struck-through text.
    pub fn strikethrough(self, text: &str) -> Self {
        self.push(Style::Strike, text)
    }

    /// Highlighted text (red by default).
    pub fn highlighted(self, text: &str) -> Self {
        self.push(Style::Highlight, text)
    }

    /// Inline monospace (line breaks inside become spaces in MAX clients).
    pub fn code(self, text: &str) -> Self {
        self.push(Style::Code, text)
    }

    /// A monospace block.
    pub fn code_block(self, text: &str) -> Self {
        self.block(Style::CodeBlock, text)
    }

    /// A heading line (line breaks in `text` become spaces).
    pub fn heading(self, text: &str) -> Self {
        self.block(Style::Heading, &text.replace(['\r', '\n'], " "))
    }

    /// A quote (may span several lines).
    pub fn quote(self, text: &str) -> Self {
        self.block(Style::Quote, text)
    }

    /// A link with visible `text` to `url` (1–2048 characters, checked by [`TextBuilder::build`]).
    pub fn link(mut self, text: &str, url: &str) -> Self {
        self.links.push(url.to_owned());
        // Two links in a row must stay two spans, so they are never merged.
        self.text.segments.push(Segment {
            style: Style::Link(url.to_owned()),
            text: text.to_owned(),
        });
        self
    }

    /// A mention of user `user_id` shown as `name` (`max://user/<id>`).
    pub fn mention(mut self, name: &str, user_id: i64) -> Self {
        self.text.segments.push(Segment {
            style: Style::Mention(user_id),
            text: name.to_owned(),
        });
        self
    }

    /// The text; fails when a link URL breaks the 1–2048 character limit of `LinkMarkup.url`.
    pub fn build(self) -> Result<Formatted, ValidationError> {
        for (i, url) in self.links.iter().enumerate() {
            ValidationError::check_chars(&format!("links[{i}].url"), url, 1, MAX_URL_CHARS)?;
        }
        Ok(self.text)
    }
}

/// Cuts plain text (no `format`) into parts of at most `limit` UTF-16 code units on the boundaries described in
/// the module docs. The parts, concatenated, are exactly `text`. Fails only for `limit < 2` (a character outside
/// the Basic Multilingual Plane needs 2).
///
/// ```
/// let parts = botwire_max::format::split_text("First paragraph.\n\nSecond one.", 20)?;
/// assert_eq!(parts, ["First paragraph.\n\n", "Second one."]);
/// # Ok::<(), botwire_max::ValidationError>(())
/// ```
pub fn split_text(text: &str, limit: usize) -> Result<Vec<String>, ValidationError> {
    let atoms: Vec<Atom> = text
        .chars()
        .map(|c| Atom {
            seg: 0,
            ch: c,
            raw: None,
            units: c.len_utf16(),
        })
        .collect();
    let chunks = split_atoms(&atoms, limit, |_| 0)?;
    Ok(chunks
        .into_iter()
        .map(|r| atoms[r].iter().map(|a| a.ch).collect())
        .collect())
}

/// One uncuttable unit: a character as rendered (with its escape or entity), or a whole raw part.
#[derive(Debug)]
struct Atom {
    seg: usize,
    ch: char,
    raw: Option<String>,
    units: usize,
}

impl Atom {
    fn text(&self) -> String {
        self.raw.clone().unwrap_or_else(|| self.ch.to_string())
    }
}

fn utf16(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Maximal runs of one segment inside `range`: `(segment, atom range)`.
fn pieces(
    atoms: &[Atom],
    range: std::ops::Range<usize>,
) -> impl Iterator<Item = (usize, std::ops::Range<usize>)> + '_ {
    let mut start = range.start;
    std::iter::from_fn(move || {
        if start >= range.end {
            return None;
        }
        let seg = atoms[start].seg;
        let mut end = start;
        while end < range.end && atoms[end].seg == seg {
            end += 1;
        }
        let piece = (seg, start..end);
        start = end;
        Some(piece)
    })
}

/// How good a place between two atoms is for a cut; higher is better.
fn boundary_rank(atoms: &[Atom], at: usize) -> u8 {
    let prev = |back: usize| at.checked_sub(back).map(|i| atoms[i].ch);
    match (prev(1), atoms.get(at).map(|a| a.ch)) {
        (Some(p), Some(n)) if breaks_grapheme(atoms, at, p, n) => {}
        _ => return 0,
    }
    if prev(1) == Some('\n') && prev(2) == Some('\n') {
        return 5;
    }
    if prev(1) == Some('\n') {
        return 4;
    }
    if prev(1).is_some_and(char::is_whitespace) {
        if prev(2).is_some_and(|c| matches!(c, '.' | '!' | '?' | '…' | ';')) {
            return 3;
        }
        return 2;
    }
    1
}

/// Cheap grapheme check: no cut before an extending mark, around a joiner, or inside a flag.
fn breaks_grapheme(atoms: &[Atom], at: usize, prev: char, next: char) -> bool {
    let extends = |c: char| {
        matches!(c as u32,
            0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A | 0x064B..=0x065F
            | 0x0900..=0x0903 | 0x093A..=0x094F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x200C..=0x200D
            | 0x20D0..=0x20FF | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F | 0x1F3FB..=0x1F3FF
            | 0xE0020..=0xE007F | 0xE0100..=0xE01EF)
    };
    let regional = |c: char| (0x1F1E6..=0x1F1FF).contains(&(c as u32));
    if extends(next) || prev == '\u{200D}' {
        return false;
    }
    if regional(prev) && regional(next) {
        let run = atoms[..at]
            .iter()
            .rev()
            .take_while(|a| regional(a.ch))
            .count();
        return run.is_multiple_of(2);
    }
    // A CR LF pair stays together.
    !(prev == '\r' && next == '\n')
}

/// The chunk ranges of `atoms`: each chunk, rendered with its spans' delimiters (`delims(segment)` UTF-16 units
/// per piece), has at most `limit` units.
fn split_atoms(
    atoms: &[Atom],
    limit: usize,
    delims: impl Fn(usize) -> usize,
) -> Result<Vec<std::ops::Range<usize>>, ValidationError> {
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < atoms.len() {
        // Grow the chunk while it fits; `fits_until` is the largest end that keeps it within the limit.
        let mut cost = 0usize;
        let mut seg = usize::MAX;
        let mut end = start;
        while end < atoms.len() {
            let a = &atoms[end];
            let mut next_cost = cost + a.units;
            if a.seg != seg {
                next_cost += delims(a.seg);
            }
            if next_cost > limit {
                break;
            }
            cost = next_cost;
            seg = a.seg;
            end += 1;
        }
        if end == start {
            let a = &atoms[start];
            return Err(ValidationError::new(
                "limit",
                format!(
                    "room for one character and its span's markup ({} UTF-16 units)",
                    a.units + delims(a.seg)
                ),
                format!("{limit} UTF-16 units"),
            ));
        }
        if end < atoms.len() {
            end = best_cut(atoms, start, end);
        }
        chunks.push(start..end);
        start = end;
    }
    Ok(chunks)
}

/// The best place to end a chunk that may run from `start` up to `max_end` (exclusive, and followed by more
/// text): the best-ranked boundary past the first quarter of the chunk (so no chunk is left nearly empty), else
/// the best-ranked anywhere, else a hard cut at `max_end`.
fn best_cut(atoms: &[Atom], start: usize, max_end: usize) -> usize {
    let early = start + (max_end - start) / 4;
    let mut best: Option<(u8, usize)> = None;
    let mut best_late: Option<(u8, usize)> = None;
    for at in (start + 1..=max_end).rev() {
        let rank = boundary_rank(atoms, at);
        if rank == 0 {
            continue;
        }
        if best.is_none_or(|(r, _)| rank > r) {
            best = Some((rank, at));
        }
        if at > early && best_late.is_none_or(|(r, _)| rank > r) {
            best_late = Some((rank, at));
        }
    }
    best_late.or(best).map_or(max_end, |(_, at)| at)
}

#[cfg(test)]
mod tests;
