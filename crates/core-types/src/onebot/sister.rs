//! Models of the methods found only on the sister platforms (LEADTEX, Watbot): accounts, crypto accounts,
//! referrals, lists, short links. Reference §6.5–§7; all from MindCloud's generated schemas \[MC\], none
//! documented for onebot.tech.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

use super::{ContactId, FlexibleId, IntBool, Messenger, TextId};

/// A per-contact money account ("счёт"), LEADTEX/Watbot \[MC\].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MoneyAccount {
    /// Account id (`account_id` in requests).
    pub id: FlexibleId,
    /// Balance in minor units (kopecks, cents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// The balance for humans (`"10.50 ₽"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_note: Option<String>,
    /// ISO 4217 currency (`RUB`, `USD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Created, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Updated, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// A "free" (crypto) account ("свободный счёт"), LEADTEX only \[MC\]. Amounts may be fractional, so they are
/// kept as JSON numbers, exactly as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CryptoAccount {
    /// Account id (`account_id` in requests).
    pub id: FlexibleId,
    /// Balance (e.g. `0.0015`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<serde_json::Number>,
    /// Currency code (`BTC`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Created, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Updated, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// A contact invited by another one (`getReferrals` items) \[MC\].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Referral {
    /// Contact id.
    pub id: ContactId,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Messenger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messenger: Option<Messenger>,
    /// Created, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

/// A contact's inviter, with the inviter's own inviter nested (`getReferrers`) \[MC\].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Referrer {
    /// Contact id.
    pub id: ContactId,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Messenger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messenger: Option<Messenger>,
    /// Created, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The next level up, when the tree continues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<Box<Referrer>>,
}

/// The `data` of `getReferrers`: a nested chain (`is_flat=0`) or a flat list (`is_flat=1`). The flat shape is
/// inferred from the parameter's description \[INF\].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Referrers {
    /// The nearest referrer with the chain above it nested; `None` when the contact was not invited.
    Tree(Option<Referrer>),
    /// The chain as a list, nearest first.
    Flat(Vec<Referrer>),
}

impl<'de> Deserialize<'de> for Referrers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        match value {
            serde_json::Value::Array(_) => serde_json::from_value(value)
                .map(Referrers::Flat)
                .map_err(de::Error::custom),
            serde_json::Value::Null => Ok(Referrers::Tree(None)),
            other => serde_json::from_value(other)
                .map(|r| Referrers::Tree(Some(r)))
                .map_err(de::Error::custom),
        }
    }
}

impl Referrers {
    /// The chain nearest first, whichever shape arrived.
    pub fn chain(&self) -> Vec<&Referrer> {
        match self {
            Referrers::Flat(list) => list.iter().collect(),
            Referrers::Tree(root) => {
                let mut out = Vec::new();
                let mut cur = root.as_ref();
                while let Some(r) = cur {
                    out.push(r);
                    cur = r.referrer.as_deref();
                }
                out
            }
        }
    }
}

/// The answer to `getCountReferrals`. MindCloud lists `count`, `data` and `total` without saying which one
/// carries the number, so all three are accepted; [`ReferralCount::value`] picks the first present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReferralCount {
    /// `count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// `data`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<i64>,
    /// `total`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

impl ReferralCount {
    /// The number of referrals, whichever field carried it.
    pub fn value(&self) -> Option<i64> {
        self.count.or(self.data).or(self.total)
    }
}

/// A list schema ("список"): a user table definition. Ids are strings \[MC\].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ListSchema {
    /// Schema id (`schema_id` in requests).
    pub id: TextId,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Field definitions keyed by slug; their shape is not documented, so they stay raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<serde_json::Map<String, serde_json::Value>>,
    /// Whether the list is shown as a menu.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_menu: Option<IntBool>,
    /// Created, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Updated, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// A row of a list: a few fixed fields plus one value per field slug of its schema, at the top level of the
/// object \[MC\]. The slugs are collected into [`ListItem::values`] (by hand, not with `#[serde(flatten)]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ListItem {
    /// Item id (`item_id` in requests).
    pub id: TextId,
    /// The contact the row belongs to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<ContactId>,
    /// Created, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Updated, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Every other top-level key: the schema's field slugs and their values.
    #[serde(skip)]
    pub values: serde_json::Map<String, serde_json::Value>,
}

impl<'de> Deserialize<'de> for ListItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut map = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        fn take<T: serde::de::DeserializeOwned, E: de::Error>(
            map: &mut serde_json::Map<String, serde_json::Value>,
            key: &'static str,
        ) -> Result<Option<T>, E> {
            match map.remove(key) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(v) => serde_json::from_value(v)
                    .map(Some)
                    .map_err(|e| E::custom(format_args!("{key}: {e}"))),
            }
        }
        let id = take(&mut map, "id")?.ok_or_else(|| de::Error::missing_field("id"))?;
        Ok(ListItem {
            id,
            contact_id: take(&mut map, "contact_id")?,
            created_at: take(&mut map, "created_at")?,
            updated_at: take(&mut map, "updated_at")?,
            values: map,
        })
    }
}

impl ListItem {
    /// The value of field `slug`.
    pub fn get(&self, slug: &str) -> Option<&serde_json::Value> {
        self.values.get(slug)
    }

    /// The whole row as one JSON object, as the server sent it.
    pub fn to_json(&self) -> serde_json::Value {
        let mut map = self.values.clone();
        map.insert("id".into(), serde_json::Value::String(self.id.0.clone()));
        if let Some(c) = self.contact_id {
            map.insert("contact_id".into(), c.get().into());
        }
        if let Some(t) = &self.created_at {
            map.insert("created_at".into(), t.clone().into());
        }
        if let Some(t) = &self.updated_at {
            map.insert("updated_at".into(), t.clone().into());
        }
        serde_json::Value::Object(map)
    }
}

/// The answer to `decodeShortLink`: the direct URL behind a short media link \[MC\].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ShortLink {
    /// The direct URL.
    pub url: String,
}
