//! Tagged JSON enums that stay fast and keep what they do not understand.
//!
//! serde's internally tagged enums buffer every element into an intermediate tree before decoding it, which
//! costs as much as decoding into `serde_json::Value` and loses the JSON path of errors. Here an element is
//! decoded one of two ways; both keep an unknown tag's element as JSON:
//!
//! * buffered (the `Deserialize` impls, and every error report): the element is captured as raw text, its tag
//!   is read by a scan that allocates nothing, and the text is then decoded straight into the matching struct,
//!   so an error names the kind and the path inside the element;
//! * in-stream (inside `UpdateBatch::from_slice`, see [`InStream`]): one pass, the fields read before the tag
//!   kept as borrowed slices and replayed into the struct the tag names. It never reports an error itself: any
//!   failure sends the batch back to the buffered way.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// An element whose tag this version does not know, kept whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnknownJson {
    raw: serde_json::Value,
}

impl UnknownJson {
    /// Wraps a JSON value.
    pub fn new(raw: serde_json::Value) -> Self {
        Self { raw }
    }

    /// The whole element, tag included.
    pub fn json(&self) -> &serde_json::Value {
        &self.raw
    }

    /// The element's tag (`type` / `update_type`), when it has a string one.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.raw.get(key).and_then(serde_json::Value::as_str)
    }

    /// Consumes the wrapper.
    pub fn into_json(self) -> serde_json::Value {
        self.raw
    }
}

/// Reads the string field `key` of a JSON object without building anything else. `Ok(None)` when the object has
/// no such field or it is not a string.
///
/// `json` comes from a `RawValue`, so it is valid JSON: a byte scan that skips strings and nested values finds
/// the top-level key without parsing numbers or building anything. Escaped keys or values (never seen in
/// practice) fall back to serde.
pub(crate) fn read_tag<'a>(
    json: &'a str,
    key: &str,
) -> Result<Option<Cow<'a, str>>, serde_json::Error> {
    match scan_tag(json.as_bytes(), key.as_bytes()) {
        Scan::Found(start, end) => Ok(Some(Cow::Borrowed(&json[start..end]))),
        Scan::Absent => Ok(None),
        Scan::Unsure => read_tag_serde(json, key),
    }
}

enum Scan {
    Found(usize, usize),
    Absent,
    Unsure,
}

/// Finds `"key": "value"` at depth 1 of a valid JSON object; returns the value's byte range.
fn scan_tag(b: &[u8], key: &[u8]) -> Scan {
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    if b.get(i) != Some(&b'{') {
        return Scan::Unsure;
    }
    i += 1;
    let mut depth = 1usize;
    // At depth 1, strings alternate key, value; `expect_key` says which one comes next.
    let mut expect_key = true;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                let mut escaped = false;
                while j < b.len() && b[j] != b'"' {
                    if b[j] == b'\\' {
                        escaped = true;
                        j += 1;
                    }
                    j += 1;
                }
                let end = j;
                i = j + 1;
                if depth == 1 && expect_key {
                    expect_key = false;
                    if &b[start..end] == key || (escaped && end - start >= key.len()) {
                        if escaped {
                            return Scan::Unsure;
                        }
                        // skip `:` and whitespace, then expect a string value
                        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b':') {
                            i += 1;
                        }
                        if b.get(i) != Some(&b'"') {
                            return Scan::Absent;
                        }
                        let vstart = i + 1;
                        let mut k = vstart;
                        while k < b.len() && b[k] != b'"' {
                            if b[k] == b'\\' {
                                return Scan::Unsure;
                            }
                            k += 1;
                        }
                        return Scan::Found(vstart, k);
                    }
                }
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => expect_key = true,
            _ => {}
        }
        i += 1;
    }
    Scan::Absent
}

fn read_tag_serde<'a>(json: &'a str, key: &str) -> Result<Option<Cow<'a, str>>, serde_json::Error> {
    struct TagSeeker<'k>(&'k str);

    impl<'de> serde::de::DeserializeSeed<'de> for TagSeeker<'_> {
        type Value = Option<Cow<'de, str>>;

        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> serde::de::Visitor<'de> for TagSeeker<'_> {
        type Value = Option<Cow<'de, str>>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut found = None;
            while let Some(k) = map.next_key::<Cow<'de, str>>()? {
                if found.is_none() && k == self.0 {
                    match map.next_value::<serde_json::Value>()? {
                        serde_json::Value::String(s) => found = Some(Cow::Owned(s)),
                        _ => found = Some(Cow::Borrowed("")),
                    }
                } else {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok(found.filter(|s| !s.is_empty()))
        }
    }

    let mut de = serde_json::Deserializer::from_str(json);
    serde::de::DeserializeSeed::deserialize(TagSeeker(key), &mut de)
}

/// A lossy copy of a body that is not valid UTF-8, remembering where each invalid sequence was replaced, so a
/// batch decoder can blame exactly the elements that held one.
#[derive(Debug, Default)]
pub(crate) struct InvalidUtf8 {
    text: String,
    replaced: Vec<Replaced>,
}

#[derive(Debug)]
struct Replaced {
    /// Offset of the U+FFFD in the lossy text.
    at: usize,
    /// Offset of the invalid sequence in the original body.
    original: usize,
    bytes: Vec<u8>,
}

impl InvalidUtf8 {
    /// Nothing replaced: the body was valid UTF-8.
    pub(crate) fn none() -> Self {
        Self::default()
    }

    /// The lossy copy of `body`, each invalid sequence replaced by U+FFFD.
    pub(crate) fn replace(body: &[u8]) -> Self {
        let mut text = String::with_capacity(body.len() + 16);
        let mut replaced = Vec::new();
        let mut original = 0;
        for chunk in body.utf8_chunks() {
            text.push_str(chunk.valid());
            original += chunk.valid().len();
            let invalid = chunk.invalid();
            if !invalid.is_empty() {
                replaced.push(Replaced {
                    at: text.len(),
                    original,
                    bytes: invalid.to_vec(),
                });
                text.push(char::REPLACEMENT_CHARACTER);
                original += invalid.len();
            }
        }
        Self { text, replaced }
    }

    /// The lossy text.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// Why `part` — a slice of `whole`, the text this value was made from — cannot be trusted: it held an
    /// invalid sequence. `None` when it held none.
    pub(crate) fn within(&self, whole: &[u8], part: &str) -> Option<String> {
        if self.replaced.is_empty() {
            return None;
        }
        let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
        let end = start + part.len();
        let mut inside = self
            .replaced
            .iter()
            .filter(|r| (start..end).contains(&r.at));
        let first = inside.next()?;
        let more = inside.count();
        let bytes: Vec<String> = first.bytes.iter().map(|b| format!("0x{b:02x}")).collect();
        Some(format!(
            "invalid UTF-8: byte {} at offset {} of the element (offset {} of the body){}; `raw` shows it as U+FFFD",
            bytes.join(" "),
            first.at - start,
            first.original,
            if more > 0 {
                format!(", and {more} more invalid sequence(s)")
            } else {
                String::new()
            }
        ))
    }
}

/// Decodes `json` into `T`, prefixing the error with the path inside the element where it broke.
pub(crate) fn decode_element<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, String> {
    // Path tracking costs on every field; decode plainly and pay for it only to describe a failure.
    if let Ok(value) = serde_json::from_str(json) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            e.into_inner().to_string()
        } else {
            format!("at `{path}`: {}", e.into_inner())
        }
    })
}

// ---- In-stream decoding ----------------------------------------------------------------------------------
//
// `UpdateBatch::from_slice` first decodes a body in one pass over the text: no element is captured as raw text
// and scanned again for its tag. While it runs, the tagged enums' `Deserialize` read their fields straight from
// the parser ([`TaggedVisitor`]); fields that come before the tag (MAX sends the tag last) are kept as borrowed
// raw slices and replayed once the tag says which struct they belong to. Any error abandons that pass and the
// batch is decoded again the buffered way, which reports each malformed element with its path: the in-stream
// pass only has to agree with the buffered one where both succeed.

thread_local! {
    static IN_STREAM: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the tagged enums decode in-stream on this thread (only inside [`InStream`]).
pub(crate) fn in_stream() -> bool {
    IN_STREAM.with(std::cell::Cell::get)
}

/// While alive, tagged enums decode in-stream on this thread. Only for deserialisers that read JSON text
/// through `serde_json` (borrowed raw values must be available).
pub(crate) struct InStream {
    before: bool,
}

impl InStream {
    /// Switches in-stream decoding on until the guard is dropped.
    pub(crate) fn enter() -> Self {
        Self {
            before: IN_STREAM.with(|f| f.replace(true)),
        }
    }
}

impl Drop for InStream {
    fn drop(&mut self) {
        IN_STREAM.with(|f| f.set(self.before));
    }
}

/// What [`TaggedVisitor`] needs of a tagged enum (implemented by `tagged_enum!`).
pub(crate) trait Tagged: Sized {
    /// The tag field.
    const TAG: &'static str;
    /// Whether `tag` names a variant.
    fn is_known(tag: &str) -> bool;
    /// Decodes the variant `tag` (known) from the element's other fields.
    fn decode_known<'de, D: serde::Deserializer<'de>>(
        tag: &str,
        fields: D,
    ) -> Result<Self, D::Error>;
    /// The fallback variant.
    fn unknown(json: UnknownJson) -> Self;
}

/// A map key or a string value, borrowed from the text when it has no escapes.
pub(crate) struct Str<'de>(pub(crate) Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Str<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Visitor of a `wire_enum!` string: reads it without allocating.
pub(crate) struct WireStr<T>(pub(crate) std::marker::PhantomData<T>);

impl<'de, T: for<'a> From<&'a str>> serde::de::Visitor<'de> for WireStr<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E>(self, v: &str) -> Result<T, E> {
        Ok(T::from(v))
    }
}

/// Decodes a tagged enum from a JSON object in one pass (see the section comment).
pub(crate) struct TaggedVisitor<T>(std::marker::PhantomData<T>);

impl<T> TaggedVisitor<T> {
    pub(crate) fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

/// A field read before the tag: key and raw value.
type Field<'de> = (Cow<'de, str>, &'de serde_json::value::RawValue);

/// How many fields before the tag are kept without allocating (buttons and markup have up to five).
const INLINE_FIELDS: usize = 6;

/// The fields read before the tag, in order: the first few inline, the rest in a list.
struct Before<'de> {
    inline: [Option<Field<'de>>; INLINE_FIELDS],
    len: usize,
    more: Vec<Field<'de>>,
    next: usize,
}

impl<'de> Before<'de> {
    fn new() -> Self {
        Self {
            inline: Default::default(),
            len: 0,
            more: Vec::new(),
            next: 0,
        }
    }

    fn push(&mut self, field: Field<'de>) {
        if self.len < INLINE_FIELDS {
            self.inline[self.len] = Some(field);
            self.len += 1;
        } else {
            self.more.push(field);
        }
    }

    /// Takes the fields out in order.
    fn pop_front(&mut self) -> Option<Field<'de>> {
        let i = self.next;
        self.next += 1;
        if i < self.len {
            self.inline[i].take()
        } else {
            let i = i - self.len;
            let field = self.more.get_mut(i).map(|(k, v)| (std::mem::take(k), *v));
            if field.is_none() {
                self.next -= 1;
            }
            field
        }
    }
}

impl<'de, T: Tagged> serde::de::Visitor<'de> for TaggedVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a JSON object with a `{}` field", T::TAG)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        use serde::de::Error as _;
        let mut before = Before::new();
        loop {
            let Some(Str(key)) = map.next_key::<Str<'de>>()? else {
                return Err(A::Error::missing_field(T::TAG));
            };
            if key != T::TAG {
                before.push((key, map.next_value()?));
                continue;
            }
            let Str(tag) = map.next_value::<Str<'de>>()?;
            if T::is_known(&tag) {
                return T::decode_known(&tag, Fields::new(before, map));
            }
            let mut json = serde_json::Map::new();
            while let Some((key, raw)) = before.pop_front() {
                let value = serde_json::from_str(raw.get()).map_err(A::Error::custom)?;
                json.insert(key.into_owned(), value);
            }
            json.insert(
                T::TAG.to_owned(),
                serde_json::Value::String(tag.into_owned()),
            );
            while let Some(key) = map.next_key::<String>()? {
                let value = map.next_value()?;
                json.insert(key, value);
            }
            return Ok(T::unknown(UnknownJson::new(serde_json::Value::Object(
                json,
            ))));
        }
    }
}

/// The fields of an element without its tag, as a map: first those read before the tag (replayed from their
/// raw text), then the rest straight from the parser.
pub(crate) struct Fields<'de, A> {
    before: Before<'de>,
    value: Option<&'de serde_json::value::RawValue>,
    rest: A,
}

impl<'de, A: serde::de::MapAccess<'de>> Fields<'de, A> {
    fn new(before: Before<'de>, rest: A) -> Self {
        Self {
            before,
            value: None,
            rest,
        }
    }
}

impl<'de, A: serde::de::MapAccess<'de>> serde::de::MapAccess<'de> for Fields<'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
        match self.before.pop_front() {
            Some((key, raw)) => {
                self.value = Some(raw);
                match key {
                    Cow::Borrowed(k) => seed.deserialize(BorrowedStrDeserializer::new(k)),
                    Cow::Owned(k) => seed.deserialize(StringDeserializer::new(k)),
                }
                .map(Some)
            }
            None => self.rest.next_key_seed(seed),
        }
    }

    fn next_value_seed<V: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, A::Error> {
        use serde::de::Error as _;
        match self.value.take() {
            Some(raw) => {
                let mut de = serde_json::Deserializer::from_str(raw.get());
                seed.deserialize(&mut de).map_err(A::Error::custom)
            }
            None => self.rest.next_value_seed(seed),
        }
    }
}

impl<'de, A: serde::de::MapAccess<'de>> serde::Deserializer<'de> for Fields<'de, A> {
    type Error = A::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_map(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// Defines a JSON enum tagged by a field (`type`, `update_type`), decoded through [`read_tag`] with an
/// `Unknown(UnknownJson)` fallback, serialised with the tag.
macro_rules! tagged_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident (tag = $tag:literal) {
            $( $(#[$vmeta:meta])* $wire:literal => $variant:ident($ty:ty), )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        #[serde(tag = $tag)]
        #[non_exhaustive]
        // Elements are decoded and handled one at a time; boxing the big variants would add an allocation each.
        #[allow(clippy::large_enum_variant)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] $variant($ty), )*
            /// A kind this version does not know (or a legacy one), kept as raw JSON.
            #[serde(untagged)]
            Unknown($crate::raw::UnknownJson),
        }

        impl $name {
            /// The wire name of this element's kind (the value of its tag field).
            pub fn kind(&self) -> &str {
                match self {
                    $( Self::$variant(_) => $wire, )*
                    Self::Unknown(u) => u.tag($tag).unwrap_or(""),
                }
            }
        }

        impl $name {
            /// Decodes one element from its JSON text; the error says which kind failed and where inside it.
            pub(crate) fn from_json_str(raw: &str) -> Result<Self, String> {
                let tag = $crate::raw::read_tag(raw, $tag).map_err(|e| e.to_string())?;
                match tag.as_deref() {
                    $( Some($wire) => $crate::raw::decode_element(raw)
                        .map(Self::$variant)
                        .map_err(|e| format!("{} `{}` {}", $tag, $wire, e)), )*
                    None => Err(format!("missing field `{}`", $tag)),
                    Some(_) => serde_json::from_str(raw)
                        .map(|v| Self::Unknown($crate::raw::UnknownJson::new(v)))
                        .map_err(|e| e.to_string()),
                }
            }
        }

        impl $crate::raw::Tagged for $name {
            const TAG: &'static str = $tag;

            fn is_known(tag: &str) -> bool {
                matches!(tag, $( $wire )|*)
            }

            fn decode_known<'de, D: serde::Deserializer<'de>>(
                tag: &str,
                fields: D,
            ) -> Result<Self, D::Error> {
                use serde::de::Error as _;
                match tag {
                    $( $wire => <$ty as serde::Deserialize>::deserialize(fields).map(Self::$variant), )*
                    other => Err(D::Error::unknown_variant(other, &[])),
                }
            }

            fn unknown(json: $crate::raw::UnknownJson) -> Self {
                Self::Unknown(json)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                use serde::de::Error as _;
                if $crate::raw::in_stream() {
                    return deserializer.deserialize_map($crate::raw::TaggedVisitor::<Self>::new());
                }
                let raw: Box<serde_json::value::RawValue> = serde::Deserialize::deserialize(deserializer)?;
                Self::from_json_str(raw.get()).map_err(D::Error::custom)
            }
        }
    };
}
pub(crate) use tagged_enum;

/// Defines a closed set of wire strings with an `Unknown(String)` variant, serialised as the string.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $wire:literal => $variant:ident, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version does not know, kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// The wire string.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Unknown(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $wire => Self::$variant, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(s))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                // Borrowed or from the parser's scratch: a known value allocates nothing.
                d.deserialize_str($crate::raw::WireStr(std::marker::PhantomData))
            }
        }
    };
}
pub(crate) use wire_enum;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossy_copy_blames_only_the_part_that_held_invalid_bytes() {
        let body = b"[\"ok\",\"b\xffd\",\"fine\"]";
        let lossy = InvalidUtf8::replace(body);
        assert_eq!(lossy.text(), "[\"ok\",\"b\u{fffd}d\",\"fine\"]");
        let whole = lossy.text();
        let bad = &whole[6..13];
        let whole = whole.as_bytes();
        let reason = lossy.within(whole, bad).unwrap();
        assert!(
            reason.contains("0xff") && reason.contains("offset 2 of the element"),
            "{reason}"
        );
        assert!(reason.contains("offset 8 of the body"), "{reason}");
        let text = lossy.text();
        assert_eq!(lossy.within(whole, &text[1..5]), None);
        assert_eq!(lossy.within(whole, &text[14..]), None);
        assert_eq!(InvalidUtf8::none().within(whole, bad), None);
    }

    #[test]
    fn reads_tags_anywhere_in_the_object() {
        let json = r#"{"a":{"type":"inner"},"list":[1,{"x":"y"}],"type":"outer"}"#;
        assert_eq!(read_tag(json, "type").unwrap().as_deref(), Some("outer"));
        assert_eq!(
            read_tag(r#"{"type":"we\"ird"}"#, "type")
                .unwrap()
                .as_deref(),
            Some("we\"ird")
        );
        assert_eq!(read_tag(r#"{"type":5}"#, "type").unwrap(), None);
        assert_eq!(read_tag(r#"{}"#, "type").unwrap(), None);
        assert!(read_tag("[1]", "type").is_err());
        // A key that only looks like the tag inside a string or a nested object is not the tag.
        let json = r#"{"text":"\"type\":\"fake\"","inner":{"type":"nested"},"type":"real"}"#;
        assert_eq!(read_tag(json, "type").unwrap().as_deref(), Some("real"));
        let json = r#"{"a":[{"type":"x"}],"b":"type","type" : "y"}"#;
        assert_eq!(read_tag(json, "type").unwrap().as_deref(), Some("y"));
        let json = r#"{"type":"esc\u0061ped"}"#;
        assert_eq!(read_tag(json, "type").unwrap().as_deref(), Some("escaped"));
    }
}
