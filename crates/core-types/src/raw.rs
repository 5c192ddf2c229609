//! Tagged JSON enums that stay fast and keep what they do not understand.
//!
//! serde's internally tagged enums buffer every element into an intermediate tree before decoding it, which
//! costs as much as decoding into `serde_json::Value` and loses the JSON path of errors. Here an element is first
//! captured as raw text, its tag is read by a scan that allocates nothing, and the text is then decoded straight
//! into the matching struct. An unknown tag keeps the element as JSON.

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
pub(crate) fn read_tag<'a>(
    json: &'a str,
    key: &str,
) -> Result<Option<Cow<'a, str>>, serde_json::Error> {
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
                    // Tags are plain ASCII words; a non-string tag is treated as absent.
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

/// Decodes `json` into `T`, prefixing the error with the path inside the element where it broke.
pub(crate) fn decode_element<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            e.into_inner().to_string()
        } else {
            format!("at `{path}`: {}", e.into_inner())
        }
    })
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

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                use serde::de::Error as _;
                let raw: Box<serde_json::value::RawValue> = serde::Deserialize::deserialize(deserializer)?;
                let tag = $crate::raw::read_tag(raw.get(), $tag).map_err(D::Error::custom)?;
                match tag.as_deref() {
                    $( Some($wire) => $crate::raw::decode_element(raw.get())
                        .map(Self::$variant)
                        .map_err(|e| D::Error::custom(format_args!("{} `{}` {}", $tag, $wire, e))), )*
                    None => Err(D::Error::custom(format_args!("missing field `{}`", $tag))),
                    Some(_) => serde_json::from_str(raw.get())
                        .map(|v| Self::Unknown($crate::raw::UnknownJson::new(v)))
                        .map_err(D::Error::custom),
                }
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
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Ok(Self::from(s.as_ref()))
            }
        }
    };
}
pub(crate) use wire_enum;

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
