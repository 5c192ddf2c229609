//! Minimal hand-written serde structs: what a user of bare ureq or reqwest would write to read the same answers.
//!
//! They hold the same information botwire's types hold for the [`fixtures`](crate::fixtures) (every field the
//! bodies carry that the models know), as plain `String`s, integers and `Option`s: no tag dispatch, no validated
//! newtypes, no unknown kinds kept as JSON, no per-element error recovery (one malformed update fails the whole
//! batch). That is the floor the SDK is measured against; what botwire does above it is what it costs.

use serde::{Deserialize, Serialize};

/// `POST /messages` request body: `{"text": …}`.
#[derive(Debug, Serialize)]
pub struct NewText<'a> {
    /// The message text.
    pub text: &'a str,
}

/// A user (or the bot) as the API returns it.
#[derive(Debug, Deserialize)]
pub struct User {
    /// User id.
    pub user_id: i64,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: Option<String>,
    /// `@username`.
    pub username: Option<String>,
    /// Whether the user is a bot.
    pub is_bot: bool,
    /// Last activity, ms since the epoch.
    pub last_activity_time: Option<i64>,
    /// Deprecated display name.
    pub name: Option<String>,
    /// Bot description.
    pub description: Option<String>,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// Full-size avatar URL.
    pub full_avatar_url: Option<String>,
}

/// Where a message was sent.
#[derive(Debug, Deserialize)]
pub struct Recipient {
    /// Chat id.
    pub chat_id: Option<i64>,
    /// `dialog`, `chat` or `channel`.
    pub chat_type: String,
    /// The user of a dialog.
    pub user_id: Option<i64>,
}

/// A button of an inline keyboard.
#[derive(Debug, Deserialize)]
pub struct Button {
    /// Button kind.
    #[serde(rename = "type")]
    pub kind: String,
    /// Label.
    pub text: String,
    /// Callback payload.
    pub payload: Option<String>,
    /// Callback intent.
    pub intent: Option<String>,
    /// Link URL.
    pub url: Option<String>,
}

/// An attachment's payload (the union of the fixtures' keyboard and image payloads).
#[derive(Debug, Deserialize)]
pub struct AttachmentPayload {
    /// Keyboard rows.
    pub buttons: Option<Vec<Vec<Button>>>,
    /// Image id.
    pub photo_id: Option<i64>,
    /// Reusable token.
    pub token: Option<String>,
    /// Media URL.
    pub url: Option<String>,
}

/// A received attachment.
#[derive(Debug, Deserialize)]
pub struct Attachment {
    /// Attachment kind.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its payload.
    pub payload: Option<AttachmentPayload>,
    /// The keyboard's callback id.
    pub callback_id: Option<String>,
}

/// A formatting span.
#[derive(Debug, Deserialize)]
pub struct Markup {
    /// First UTF-16 unit.
    pub from: u32,
    /// Length in UTF-16 units.
    pub length: u32,
    /// Span kind.
    #[serde(rename = "type")]
    pub kind: String,
    /// Link URL.
    pub url: Option<String>,
}

/// A message body.
#[derive(Debug, Deserialize)]
pub struct Body {
    /// Message id.
    pub mid: String,
    /// Sequence number.
    pub seq: i64,
    /// Text.
    pub text: Option<String>,
    /// Attachments.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// Formatting.
    #[serde(default)]
    pub markup: Vec<Markup>,
}

/// A forwarded or replied-to message.
#[derive(Debug, Deserialize)]
pub struct Link {
    /// `forward` or `reply`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The linked message's body.
    pub message: Body,
    /// Its sender.
    pub sender: Option<User>,
    /// Its chat.
    pub chat_id: Option<i64>,
}

/// A message.
#[derive(Debug, Deserialize)]
pub struct Message {
    /// Where it was sent.
    pub recipient: Recipient,
    /// Sent at, ms since the epoch.
    pub timestamp: i64,
    /// Its body.
    pub body: Option<Body>,
    /// Its sender.
    pub sender: Option<User>,
    /// Forward or reply.
    pub link: Option<Link>,
}

/// `POST /messages` answer.
#[derive(Debug, Deserialize)]
pub struct Sent {
    /// The sent message.
    pub message: Message,
}

/// A button press.
#[derive(Debug, Deserialize)]
pub struct Callback {
    /// Pressed at, ms since the epoch.
    pub timestamp: i64,
    /// Id to answer.
    pub callback_id: String,
    /// Who pressed.
    pub user: User,
    /// The button's payload.
    pub payload: Option<String>,
}

/// One update, flat: every field of every kind in the fixtures, optional.
#[derive(Debug, Deserialize)]
pub struct Update {
    /// The kind.
    pub update_type: String,
    /// When, ms since the epoch.
    pub timestamp: i64,
    /// The message (`message_created`, `message_callback`).
    pub message: Option<Message>,
    /// The press (`message_callback`).
    pub callback: Option<Callback>,
    /// The user's locale.
    pub user_locale: Option<String>,
    /// The chat (membership events, `message_removed`).
    pub chat_id: Option<i64>,
    /// The user (membership events).
    pub user: Option<User>,
    /// Who added the user.
    pub inviter_id: Option<i64>,
    /// The user id (membership events, `message_removed`).
    pub user_id: Option<i64>,
    /// Whether the chat is a channel.
    pub is_channel: Option<bool>,
    /// The removed message (`message_removed`).
    pub message_id: Option<String>,
}

/// `GET /updates` answer.
#[derive(Debug, Deserialize)]
pub struct Updates {
    /// The updates.
    pub updates: Vec<Update>,
    /// The next marker.
    pub marker: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    #[test]
    fn the_floor_structs_read_every_fixture() {
        let batch: Updates =
            serde_json::from_slice(&fixtures::updates_body()).expect("updates decode");
        assert_eq!(batch.updates.len(), fixtures::UPDATES_PER_BODY);
        assert_eq!(batch.marker, Some(fixtures::MARKER));
        let keyboard = batch.updates[1]
            .message
            .as_ref()
            .and_then(|m| m.body.as_ref());
        assert_eq!(keyboard.map(|b| b.attachments.len()), Some(2));
        let me: User = serde_json::from_str(fixtures::BOT_INFO).expect("bot decodes");
        assert_eq!(me.username.as_deref(), Some("test-bot"));
        let sent: Sent = serde_json::from_str(&fixtures::sent_message()).expect("sent decodes");
        assert_eq!(
            sent.message.body.and_then(|b| b.text).as_deref(),
            Some(fixtures::TEXT)
        );
    }
}
