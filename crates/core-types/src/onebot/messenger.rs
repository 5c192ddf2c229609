use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The messenger a bot and its contacts live on (`messenger` in requests and contact objects).
///
/// Reference §9: OneBot documents Telegram, WhatsApp and Viber; the sister platforms add `vk`, `max` (Watbot)
/// and `icq` (LEADTEX). Any other value decodes as [`Messenger::Unknown`] and is sent back unchanged.
///
/// ```
/// use botwire_core_types::onebot::Messenger;
///
/// assert_eq!(serde_json::to_string(&Messenger::WhatsApp)?, "\"whatsapp\"");
/// assert_eq!(serde_json::from_str::<Messenger>("\"vk\"")?, Messenger::Vk);
/// assert_eq!(
///     serde_json::from_str::<Messenger>("\"instagram\"")?,
///     Messenger::Unknown("instagram".into())
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Messenger {
    /// `telegram`; contacts are addressed by `telegram_id`.
    Telegram,
    /// `whatsapp`; contacts are addressed by `phone`.
    WhatsApp,
    /// `viber`; contacts are addressed by `viber_id`.
    Viber,
    /// `vk` (ВКонтакте); requests say `vk_id`, responses `vk_user_id`. Sister platforms only \[SIS\].
    Vk,
    /// `max` (VK's MAX messenger). Listed by Watbot only \[SIS\].
    Max,
    /// `icq`. Listed by LEADTEX only \[MC\].
    Icq,
    /// A value this version does not know, kept as received.
    Unknown(String),
}

impl Messenger {
    /// Every known messenger.
    pub const KNOWN: [Messenger; 6] = [
        Messenger::Telegram,
        Messenger::WhatsApp,
        Messenger::Viber,
        Messenger::Vk,
        Messenger::Max,
        Messenger::Icq,
    ];

    /// The wire value (`telegram`, `whatsapp`, …).
    pub fn as_str(&self) -> &str {
        match self {
            Messenger::Telegram => "telegram",
            Messenger::WhatsApp => "whatsapp",
            Messenger::Viber => "viber",
            Messenger::Vk => "vk",
            Messenger::Max => "max",
            Messenger::Icq => "icq",
            Messenger::Unknown(s) => s,
        }
    }

    /// Parses a wire value; anything unknown becomes [`Messenger::Unknown`].
    pub fn parse(s: &str) -> Self {
        match s {
            "telegram" => Messenger::Telegram,
            "whatsapp" => Messenger::WhatsApp,
            "viber" => Messenger::Viber,
            "vk" => Messenger::Vk,
            "max" => Messenger::Max,
            "icq" => Messenger::Icq,
            other => Messenger::Unknown(other.to_owned()),
        }
    }
}

impl fmt::Display for Messenger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for Messenger {
    fn from(s: &str) -> Self {
        Messenger::parse(s)
    }
}

impl Serialize for Messenger {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Messenger {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ok(Messenger::parse(&s))
    }
}
