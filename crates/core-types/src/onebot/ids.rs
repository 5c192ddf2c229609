use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Decodes an integer that arrives as a JSON number or as a numeric string (`14` or `"14"`).
///
/// OneBot types `contact_id` as a string on one page and an integer on the sisters' pages; real responses mix
/// both. Serialises as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FlexibleId(pub i64);

impl Serialize for FlexibleId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.0)
    }
}

impl<'de> Deserialize<'de> for FlexibleId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = FlexibleId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a string holding an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FlexibleId, E> {
                Ok(FlexibleId(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FlexibleId, E> {
                i64::try_from(v)
                    .map(FlexibleId)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FlexibleId, E> {
                v.trim()
                    .parse()
                    .map(FlexibleId)
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl From<i64> for FlexibleId {
    fn from(v: i64) -> Self {
        Self(v)
    }
}

impl fmt::Display for FlexibleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

macro_rules! flex_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(from = "FlexibleId", into = "FlexibleId")]
        pub struct $name(pub i64);

        impl $name {
            /// The raw value.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl From<FlexibleId> for $name {
            fn from(v: FlexibleId) -> Self {
                Self(v.0)
            }
        }

        impl From<$name> for FlexibleId {
            fn from(v: $name) -> Self {
                FlexibleId(v.0)
            }
        }

        impl From<i64> for $name {
            fn from(v: i64) -> Self {
                Self(v)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

flex_id!(
    /// A bot on the platform (visible in the builder's URL between `bots/` and `/schema`).
    BotId
);
flex_id!(
    /// The platform's own id of a contact (a bot's subscriber). Not the messenger's id of that person.
    ContactId
);

/// An identifier or code that the API sends as a string but sometimes as a number (`"123456"` or `123456`):
/// `telegram_id` in contact objects, list-schema and list-item ids. Kept as text; serialises as a string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct TextId(pub String);

impl TextId {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TextId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for TextId {
    fn from(v: &str) -> Self {
        Self(v.to_owned())
    }
}

impl From<String> for TextId {
    fn from(v: String) -> Self {
        Self(v)
    }
}

impl From<i64> for TextId {
    fn from(v: i64) -> Self {
        Self(v.to_string())
    }
}

impl<'de> Deserialize<'de> for TextId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = TextId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TextId, E> {
                Ok(TextId(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TextId, E> {
                Ok(TextId(v.to_string()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TextId, E> {
                Ok(TextId(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<TextId, E> {
                Ok(TextId(v))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A boolean that the API takes and gives as the integers `0`/`1` (`deletable`, `is_flat`, `is_menu`).
///
/// Serialises as `0` or `1`; decodes from `true`/`false`, `0`/`1` and `"0"`/`"1"` (the newer sister docs show
/// JSON booleans in responses).
///
/// ```
/// use botwire_core_types::onebot::IntBool;
///
/// assert_eq!(serde_json::to_string(&IntBool(true))?, "1");
/// assert_eq!(serde_json::from_str::<IntBool>("false")?, IntBool(false));
/// assert_eq!(serde_json::from_str::<IntBool>("\"1\"")?, IntBool(true));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct IntBool(pub bool);

impl From<bool> for IntBool {
    fn from(v: bool) -> Self {
        Self(v)
    }
}

impl Serialize for IntBool {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(u8::from(self.0))
    }
}

impl<'de> Deserialize<'de> for IntBool {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IntBool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean, 0 or 1")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<IntBool, E> {
                Ok(IntBool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntBool, E> {
                match v {
                    0 => Ok(IntBool(false)),
                    1 => Ok(IntBool(true)),
                    _ => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntBool, E> {
                match v {
                    0 => Ok(IntBool(false)),
                    1 => Ok(IntBool(true)),
                    _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IntBool, E> {
                match v {
                    "0" | "false" => Ok(IntBool(false)),
                    "1" | "true" => Ok(IntBool(true)),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_numeric_strings() {
        let a: ContactId = serde_json::from_str("16497876867449").unwrap();
        let b: ContactId = serde_json::from_str("\"16497876867449\"").unwrap();
        assert_eq!(a, b);
        assert_eq!(serde_json::to_string(&b).unwrap(), "16497876867449");
        assert!(serde_json::from_str::<ContactId>("\"abc\"").is_err());
        assert!(serde_json::from_str::<ContactId>("1.5").is_err());
    }

    #[test]
    fn text_ids_and_int_bools() {
        let a: TextId = serde_json::from_str("123456").unwrap();
        let b: TextId = serde_json::from_str("\"123456\"").unwrap();
        assert_eq!(a, b);
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"123456\"");
        assert_eq!(serde_json::to_string(&IntBool(false)).unwrap(), "0");
        assert_eq!(serde_json::from_str::<IntBool>("1").unwrap(), IntBool(true));
        assert!(serde_json::from_str::<IntBool>("2").is_err());
    }
}
