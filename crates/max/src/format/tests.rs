#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use super::*;

/// A decoder of botwire's own markdown dialect: returns the visible text, or why the markup is broken
/// (unbalanced span, unescaped special character, dangling escape). The tests use it to prove that user text never
/// changes the formatting and that every chunk is balanced.
fn decode_markdown(s: &str) -> Result<String, String> {
    let c: Vec<char> = s.chars().collect();
    let at = |i: usize, pat: &str| {
        pat.chars()
            .enumerate()
            .all(|(k, p)| c.get(i + k) == Some(&p))
    };
    let mut out = String::new();
    let mut open: Vec<&str> = Vec::new();
    let mut in_link = false;
    let mut line_start = true;
    let mut i = 0;
    let code = |i: &mut usize, end: &str, out: &mut String| -> Result<(), String> {
        loop {
            if at(*i, end) {
                *i += end.chars().count();
                return Ok(());
            }
            match c.get(*i) {
                None => return Err(format!("unclosed code span {end:?}")),
                Some('\\') => {
                    let n = c.get(*i + 1).ok_or("dangling escape in code")?;
                    if !matches!(n, '\\' | '`') {
                        return Err(format!("needless code escape of {n:?}"));
                    }
                    out.push(*n);
                    *i += 2;
                }
                Some('`') => return Err("unescaped backtick in code".into()),
                Some(&ch) => {
                    out.push(ch);
                    *i += 1;
                }
            }
        }
    };
    while i < c.len() {
        if line_start && (at(i, "# ") || at(i, "> ")) {
            i += 2;
        }
        line_start = false;
        if at(i, "```\n") {
            i += 4;
            code(&mut i, "\n```", &mut out)?;
            continue;
        }
        let toggle = ["**", "++", "~~", "^^", "_"].into_iter().find(|d| at(i, d));
        if let Some(d) = toggle {
            match open.last() {
                Some(top) if *top == d => {
                    open.pop();
                }
                _ => open.push(d),
            }
            i += d.len();
            continue;
        }
        match c[i] {
            '\\' => {
                let n = *c.get(i + 1).ok_or("dangling escape")?;
                out.push(n);
                i += 2;
            }
            '`' => {
                i += 1;
                code(&mut i, "`", &mut out)?;
            }
            '[' if !in_link => {
                in_link = true;
                i += 1;
            }
            ']' if in_link => {
                if c.get(i + 1) != Some(&'(') {
                    return Err("link text without target".into());
                }
                let close = c[i..]
                    .iter()
                    .position(|&x| x == ')')
                    .ok_or("unclosed link")?;
                let target: String = c[i + 2..i + close].iter().collect();
                if target.contains(['(', ' ', '\\']) {
                    return Err(format!("unencoded link target {target:?}"));
                }
                in_link = false;
                i += close + 1;
            }
            ch @ ('*' | '~' | '+' | '^' | '[' | ']' | '#' | '>') => {
                return Err(format!("unescaped {ch:?} at {i} in {s:?}"));
            }
            ch => {
                out.push(ch);
                line_start = ch == '\n';
                i += 1;
            }
        }
    }
    if !open.is_empty() || in_link {
        return Err(format!("unbalanced: {open:?}, in link: {in_link}"));
    }
    Ok(out)
}

/// A decoder of the HTML subset: visible text, or why the markup is broken.
fn decode_html(s: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut stack: Vec<String> = Vec::new();
    let mut rest = s;
    while let Some(ch) = rest.chars().next() {
        match ch {
            '<' => {
                let end = rest.find('>').ok_or("unclosed tag")?;
                let tag = &rest[1..end];
                if let Some(name) = tag.strip_prefix('/') {
                    if stack.pop().as_deref() != Some(name) {
                        return Err(format!("misnested </{name}>"));
                    }
                } else {
                    let name = tag.split(' ').next().unwrap_or_default();
                    let known = [
                        "b",
                        "i",
                        "u",
                        "s",
                        "mark",
                        "code",
                        "pre",
                        "a",
                        "h1",
                        "blockquote",
                    ];
                    if !known.contains(&name) {
                        return Err(format!("unknown tag <{tag}>"));
                    }
                    if name == "a" && (!tag.starts_with("a href=\"") || !tag.ends_with('"')) {
                        return Err(format!("bad link tag <{tag}>"));
                    }
                    if !tag[name.len()..].matches('"').count().is_multiple_of(2) {
                        return Err("unbalanced quote in tag".into());
                    }
                    stack.push(name.to_owned());
                }
                rest = &rest[end + 1..];
            }
            '&' => {
                let end = rest.find(';').ok_or("unterminated entity")?;
                out.push(match &rest[..=end] {
                    "&amp;" => '&',
                    "&lt;" => '<',
                    "&gt;" => '>',
                    "&quot;" => '"',
                    e => return Err(format!("unknown entity {e}")),
                });
                rest = &rest[end + 1..];
            }
            '>' | '"' => return Err(format!("unescaped {ch:?}")),
            _ => {
                out.push(ch);
                rest = &rest[ch.len_utf8()..];
            }
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed {stack:?}"));
    }
    Ok(out)
}

fn decode(f: &Formatted) -> Result<String, String> {
    let s = f.to_string();
    match f.format() {
        TextFormat::Html => decode_html(&s),
        _ => decode_markdown(&s),
    }
}

const NASTY: &[&str] = &[
    "*",
    "**",
    "_",
    "__",
    "~~",
    "++",
    "^^",
    "`",
    "```",
    "[",
    "]",
    "](",
    ")",
    "(",
    "#",
    "# ",
    ">",
    "> ",
    "\\",
    "\\*",
    "<",
    "</b>",
    "<b>",
    "&",
    "&amp;",
    "&lt;",
    "\"",
    "'",
    "<a href=\"x\">",
    "max://user/1",
    "\n",
    "\n\n",
    " ",
    "\r\n",
];

#[test]
fn escapes_markdown_and_html_specials() {
    assert_eq!(
        escape_markdown(r"a*b_c~d+e^f`g[h]i#j>k\l(m)"),
        r"a\*b\_c\~d\+e\^f\`g\[h\]i\#j\>k\\l(m)"
    );
    assert_eq!(
        escape_html("<b>&\"x\"</b>"),
        "&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;"
    );
    assert_eq!(escape_markdown("плюс 😀"), "плюс 😀");
}

#[test]
fn builds_every_part_in_markdown() {
    let f = TextBuilder::markdown()
        .text("plain ")
        .bold("bold")
        .text(" ")
        .italic("it")
        .text(" ")
        .underline("u")
        .text(" ")
        .strikethrough("s")
        .text(" ")
        .highlighted("h")
        .text(" ")
        .code("x = `1`")
        .text(" ")
        .link("site", "https://example.com/a (b)")
        .text(" ")
        .mention("Ivan Ivanov", 42)
        .heading("Title\nline")
        .quote("one\ntwo")
        .code_block("fn main() {}\n")
        .text("end")
        .build()
        .unwrap();
    assert_eq!(f.format(), TextFormat::Markdown);
    assert_eq!(
        f.to_string(),
        "plain **bold** _it_ ++u++ ~~s~~ ^^h^^ `x = \\`1\\`` [site](https://example.com/a%20%28b%29) \
         [Ivan Ivanov](max://user/42)\n# Title line\n> one\n> two\n```\nfn main() {}\n\n```\nend"
    );
    assert_eq!(decode(&f).unwrap(), f.visible_text());
}

#[test]
fn builds_every_part_in_html() {
    let f = TextBuilder::html()
        .bold("b")
        .italic("i")
        .underline("u")
        .strikethrough("s")
        .highlighted("h")
        .code("c<")
        .code_block("pre&")
        .link("l", "https://e.com/?a=1&b=\"2\"")
        .mention("M", 7)
        .heading("H")
        .quote("Q")
        .build()
        .unwrap();
    assert_eq!(
        f.to_string(),
        "<b>b</b><i>i</i><u>u</u><s>s</s><mark>h</mark><code>c&lt;</code>\n<pre>pre&amp;</pre>\n\
         <a href=\"https://e.com/?a=1&amp;b=&quot;2&quot;\">l</a><a href=\"max://user/7\">M</a>\n<h1>H</h1>\n\
         <blockquote>Q</blockquote>\n"
    );
    assert_eq!(decode(&f).unwrap(), f.visible_text());
}

#[test]
fn adversarial_user_text_never_changes_the_formatting() {
    for format in [TextFormat::Markdown, TextFormat::Html] {
        for a in NASTY {
            for b in NASTY {
                let input = format!("{a}x{b}");
                let f = TextBuilder::with_format(format.clone())
                    .text(&input)
                    .bold(&input)
                    .italic(&input)
                    .underline(&input)
                    .strikethrough(&input)
                    .highlighted(&input)
                    .code(&input)
                    .link(&input, &format!("https://e.com/{input}"))
                    .mention(&input, 1)
                    .heading(&input)
                    .quote(&input)
                    .code_block(&input)
                    .build()
                    .unwrap();
                assert_eq!(
                    decode(&f),
                    Ok(f.visible_text()),
                    "{format} with {input:?}: {f}"
                );
            }
        }
    }
}

#[test]
fn spaces_move_outside_markdown_delimiters() {
    let f = TextBuilder::markdown()
        .text("a")
        .bold(" b ")
        .italic("  ")
        .build()
        .unwrap();
    assert_eq!(f.to_string(), "a **b**   ");
}

#[test]
fn link_url_limit() {
    let err = TextBuilder::markdown()
        .link("x", &"u".repeat(2049))
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`links[0].url` must be 1 to 2048 characters, but has 2049 characters"
    );
    let err = TextBuilder::html().link("x", "").build().unwrap_err();
    assert_eq!(err.field(), "links[0].url");
    assert!(
        TextBuilder::html()
            .link("x", &"u".repeat(2048))
            .build()
            .is_ok()
    );
}

#[test]
fn split_text_prefers_paragraphs_then_lines_then_sentences_then_words() {
    assert_eq!(
        split_text("aaaa\n\nbbbb cccc\ndddd", 14).unwrap(),
        ["aaaa\n\n", "bbbb cccc\ndddd"]
    );
    assert_eq!(
        split_text("bbbb cccc\ndddd eeee", 14).unwrap(),
        ["bbbb cccc\n", "dddd eeee"]
    );
    assert_eq!(
        split_text("One two. Three four five", 16).unwrap(),
        ["One two. ", "Three four five"]
    );
    assert_eq!(
        split_text("alpha beta gamma", 12).unwrap(),
        ["alpha beta ", "gamma"]
    );
    assert_eq!(split_text("abcdefghij", 4).unwrap(), ["abcd", "efgh", "ij"]);
    assert_eq!(split_text("", 4).unwrap(), Vec::<String>::new());
}

#[test]
fn split_text_keeps_surrogate_pairs_and_graphemes() {
    // 😀 is two UTF-16 units: a limit of 3 holds one, never a half.
    assert_eq!(split_text("😀😀😀", 3).unwrap(), ["😀", "😀", "😀"]);
    assert!(split_text("😀", 1).is_err());
    // e + combining acute stays together; a flag's two regional indicators stay together.
    assert_eq!(split_text("abe\u{301}", 3).unwrap(), ["ab", "e\u{301}"]);
    assert_eq!(split_text("a🇷🇺", 4).unwrap(), ["a", "🇷🇺"]);
    // Joiner sequences are not cut after the joiner.
    assert_eq!(
        split_text("ab👨\u{200D}👩", 6).unwrap(),
        ["ab", "👨\u{200D}👩"]
    );
    // Nothing better exists: a hard cut between combining marks, still on a character boundary.
    let marks = format!("e{}", "\u{301}".repeat(9));
    let parts = split_text(&marks, 4).unwrap();
    assert_eq!(parts.concat(), marks);
    assert!(parts.iter().all(|p| p.encode_utf16().count() <= 4));
}

#[test]
fn split_closes_and_reopens_spans() {
    let f = TextBuilder::markdown()
        .bold("one two three four")
        .build()
        .unwrap();
    let parts = f.split(14).unwrap();
    let shown: Vec<String> = parts.iter().map(ToString::to_string).collect();
    // The space at the cut stays in the first chunk, outside the delimiters.
    assert_eq!(shown, ["**one two** ", "**three four**"]);
    let f = TextBuilder::html()
        .link("one two three", "https://e.com")
        .build()
        .unwrap();
    let shown: Vec<String> = f
        .split(36)
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        shown,
        [
            "<a href=\"https://e.com\">one two </a>",
            "<a href=\"https://e.com\">three</a>"
        ]
    );
    let f = TextBuilder::markdown().quote("l1\nl2\nl3").build().unwrap();
    let shown: Vec<String> = f
        .split(10)
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(shown, ["> l1\n> l2\n", "> l3\n"]);
}

#[test]
fn split_never_cuts_escapes_or_entities() {
    let f = TextBuilder::html().text(&"&".repeat(10)).build().unwrap();
    for part in f.split(7).unwrap() {
        assert_eq!(part.to_string(), "&amp;");
    }
    let f = TextBuilder::markdown()
        .text(&"*".repeat(10))
        .build()
        .unwrap();
    let parts = f.split(5).unwrap();
    assert!(parts.iter().all(|p| p.to_string() == r"\*\*"));
    assert_eq!(parts.len(), 5);
}

#[test]
fn split_reports_a_limit_too_small_for_a_span() {
    let f = TextBuilder::markdown()
        .link("x", &format!("https://e.com/{}", "a".repeat(100)))
        .build()
        .unwrap();
    let err = f.split(50).unwrap_err();
    assert_eq!(err.field(), "limit");
    assert_eq!(err.actual(), "50 UTF-16 units");
}

#[test]
fn split_keeps_raw_markup_whole() {
    let f = TextBuilder::markdown()
        .text("aaaa ")
        .raw("**trusted**")
        .build()
        .unwrap();
    let shown: Vec<String> = f
        .split(12)
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(shown, ["aaaa ", "**trusted**"]);
}

/// xorshift64*: a small seeded generator so the property runs are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const PIECES: &[&str] = &[
    "a",
    "b",
    "word",
    "Слово",
    " ",
    " ",
    " ",
    "\n",
    "\n\n",
    ". ",
    "! ",
    "? ",
    "*",
    "_",
    "~",
    "+",
    "^",
    "`",
    "[",
    "]",
    "(",
    ")",
    "#",
    ">",
    "\\",
    "<",
    "&",
    "\"",
    "😀",
    "e\u{301}",
    "👨\u{200D}👩\u{200D}👧",
    "🇷🇺",
    "👍🏽",
    "\r\n",
    "ж",
    "中文",
];

fn random_text(rng: &mut Rng, max_pieces: usize) -> String {
    let n = rng.below(max_pieces);
    (0..n).map(|_| rng.pick(PIECES)).collect()
}

fn random_formatted(rng: &mut Rng) -> Formatted {
    let format = if rng.below(2) == 0 {
        TextFormat::Markdown
    } else {
        TextFormat::Html
    };
    let mut b = TextBuilder::with_format(format);
    for _ in 0..rng.below(60) {
        let t = random_text(rng, 40);
        b = match rng.below(13) {
            0..=2 => b.text(&t),
            3 => b.bold(&t),
            4 => b.italic(&t),
            5 => b.underline(&t),
            6 => b.strikethrough(&t),
            7 => b.highlighted(&t),
            8 => b.code(&t),
            9 => b.link(&t, &format!("https://e.com/{}", random_text(rng, 4))),
            10 => b.mention(&t, rng.below(1_000_000) as i64),
            11 => b.quote(&t),
            _ => {
                if rng.below(2) == 0 {
                    b.heading(&t)
                } else {
                    b.code_block(&t)
                }
            }
        };
    }
    b.build().unwrap()
}

fn starts_grapheme_badly(prev: &str, next: &str) -> bool {
    let (Some(p), Some(n)) = (prev.chars().last(), next.chars().next()) else {
        return false;
    };
    let regional = |c: char| (0x1F1E6..=0x1F1FF).contains(&(c as u32));
    let flag_cut = regional(p)
        && regional(n)
        && prev.chars().rev().take_while(|&c| regional(c)).count() % 2 == 1;
    p == '\u{200D}'
        || matches!(n as u32, 0x300..=0x36F | 0x200D | 0xFE00..=0xFE0F | 0x1F3FB..=0x1F3FF)
        || flag_cut
        || (p == '\r' && n == '\n')
}

#[test]
fn property_split_formatted() {
    let mut rng = Rng(0x0005_EED0_FB07_u64);
    for round in 0..400 {
        let f = random_formatted(&mut rng);
        assert_eq!(decode(&f), Ok(f.visible_text()), "round {round}: {f}");
        let limit = if round % 20 == 0 {
            MAX_TEXT_CHARS_FOR_TESTS
        } else {
            150 + rng.below(500)
        };
        let parts = f.split(limit).unwrap();
        let mut visible = String::new();
        for (k, part) in parts.iter().enumerate() {
            let shown = part.to_string();
            assert!(
                shown.encode_utf16().count() <= limit,
                "round {round}: part {k} has {} > {limit} units",
                shown.encode_utf16().count()
            );
            assert_eq!(
                decode(part),
                Ok(part.visible_text()),
                "round {round}: part {k} unbalanced: {shown}"
            );
            visible.push_str(&part.visible_text());
        }
        assert_eq!(visible, f.visible_text(), "round {round}: text lost");
        for w in parts.windows(2) {
            assert!(
                !starts_grapheme_badly(&w[0].visible_text(), &w[1].visible_text()),
                "round {round}: grapheme cut between {:?} and {:?}",
                w[0].visible_text(),
                w[1].visible_text()
            );
        }
    }
}

const MAX_TEXT_CHARS_FOR_TESTS: usize = botwire_core_types::limits::MAX_TEXT_CHARS;

#[test]
fn property_split_plain_text() {
    let mut rng = Rng(42);
    for round in 0..400 {
        let text = random_text(&mut rng, 3000);
        let limit = if round % 10 == 0 {
            MAX_TEXT_CHARS_FOR_TESTS
        } else {
            8 + rng.below(300)
        };
        let parts = split_text(&text, limit).unwrap();
        assert_eq!(parts.concat(), text, "round {round}");
        assert!(
            parts
                .iter()
                .all(|p| p.encode_utf16().count() <= limit && !p.is_empty())
        );
        for w in parts.windows(2) {
            assert!(
                !starts_grapheme_badly(&w[0], &w[1]),
                "round {round}: grapheme cut between {:?} and {:?}",
                w[0],
                w[1]
            );
        }
    }
}

#[test]
fn a_long_message_splits_into_full_chunks() {
    let sentence = "Это предложение номер один. ";
    let text = TextBuilder::markdown()
        .text(&sentence.repeat(400))
        .build()
        .unwrap();
    let parts = text.split(MAX_TEXT_CHARS_FOR_TESTS).unwrap();
    assert_eq!(parts.len(), 3);
    for p in &parts[..2] {
        let s = p.to_string();
        assert!(s.ends_with(". "), "cut after a sentence");
        assert!(s.encode_utf16().count() > 3900);
    }
}
