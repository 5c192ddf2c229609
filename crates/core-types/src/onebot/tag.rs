use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::FlexibleId;

/// A tag on a contact or in a bot.
///
/// The documented responses (`getBotTags`, `getContactTags`, `with=tags`) give tags as bare **names**
/// (`["Горячий","Реклама"]`, reference §6.4); some third-party code reads them as objects `{"id","name"}`.
/// Both decode; a tag without an id serialises back as a bare string, one with an id as an object.
///
/// ```
/// use botwire_core_types::onebot::Tag;
///
/// let tags: Vec<Tag> = serde_json::from_str(r#"["Горячий", {"id": 7, "name": "VIP"}]"#)?;
/// assert_eq!(tags[0].name, "Горячий");
/// assert_eq!(tags[1].id.map(|i| i.0), Some(7));
/// assert_eq!(serde_json::to_string(&tags)?, r#"["Горячий",{"id":7,"name":"VIP"}]"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Tag {
    /// The tag id, when the server sent an object.
    pub id: Option<FlexibleId>,
    /// The tag name (what `attachTagToContact` takes as `name`).
    pub name: String,
}

impl Tag {
    /// A tag known only by its name.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            id: None,
            name: name.into(),
        }
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl Serialize for Tag {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.id {
            None => serializer.serialize_str(&self.name),
            Some(id) => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("id", &id)?;
                map.serialize_entry("name", &self.name)?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Tag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Tag;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a tag name or an object with `name`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Tag, E> {
                Ok(Tag::named(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tag, A::Error> {
                let mut id = None;
                let mut name = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "id" => id = map.next_value::<Option<FlexibleId>>()?,
                        "name" => name = map.next_value::<Option<String>>()?,
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                let name = name.ok_or_else(|| de::Error::missing_field("name"))?;
                Ok(Tag { id, name })
            }
        }
        deserializer.deserialize_any(V)
    }
}
