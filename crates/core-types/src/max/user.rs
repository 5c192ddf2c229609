use super::UserId;

/// Defines a struct that carries every `UserWithPhoto` field plus its own, without `#[serde(flatten)]` (which
/// would lose the JSON path of decode errors and cost a buffering pass). Used by [`User`], `BotInfo` and
/// `ChatMember`.
macro_rules! user_like {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$fmeta:meta])* pub $field:ident : $ty:ty,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[non_exhaustive]
        pub struct $name {
            /// Global user or bot id.
            pub user_id: $crate::max::UserId,
            /// Display name.
            pub first_name: String,
            /// Last name; not returned for bots, often `""` for users.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub last_name: Option<String>,
            /// Bot nickname or the user's public name, when there is one and it is visible.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub username: Option<String>,
            /// Whether this is a bot.
            pub is_bot: bool,
            /// Last activity, Unix ms; missing when the user hides their online status.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub last_activity_time: Option<i64>,
            /// Deprecated full name ("will be removed soon"), still sent by the server.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub name: Option<String>,
            /// Profile description (`UserWithPhoto`), at most 16000 characters.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub description: Option<String>,
            /// Small avatar URL (`UserWithPhoto`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub avatar_url: Option<String>,
            /// Large avatar URL (`UserWithPhoto`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub full_avatar_url: Option<String>,
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $name {
            /// The user fields alone, as a [`User`](crate::max::User).
            pub fn to_user(&self) -> $crate::max::User {
                $crate::max::User {
                    user_id: self.user_id,
                    first_name: self.first_name.clone(),
                    last_name: self.last_name.clone(),
                    username: self.username.clone(),
                    is_bot: self.is_bot,
                    last_activity_time: self.last_activity_time,
                    name: self.name.clone(),
                    description: self.description.clone(),
                    avatar_url: self.avatar_url.clone(),
                    full_avatar_url: self.full_avatar_url.clone(),
                }
            }

            /// The name to show: first and last name joined, or the first name alone.
            pub fn full_name(&self) -> String {
                match self.last_name.as_deref() {
                    Some(last) if !last.is_empty() => format!("{} {last}", self.first_name),
                    _ => self.first_name.clone(),
                }
            }
        }
    };
}
pub(crate) use user_like;

user_like! {
    /// A MAX user or bot (`User`, and `UserWithPhoto` — real payloads carry the photo fields on plain users too,
    /// so one type holds both).
    ///
    /// Only `user_id`, `first_name` and `is_bot` are required by schema 0.0.33; everything else is optional and
    /// accepts both an absent key and `null`.
    pub struct User {}
}

impl User {
    /// A user with only the required fields; the rest can be set on the returned value.
    pub fn new(user_id: impl Into<UserId>, first_name: impl Into<String>, is_bot: bool) -> Self {
        Self {
            user_id: user_id.into(),
            first_name: first_name.into(),
            last_name: None,
            username: None,
            is_bot,
            last_activity_time: None,
            name: None,
            description: None,
            avatar_url: None,
            full_avatar_url: None,
        }
    }
}
