use serde::{Deserialize, Serialize};

use super::Intent;
use crate::raw::tagged_enum;

tagged_enum! {
    /// A keyboard button (discriminator `type`). Sent inside an inline keyboard and received back in message
    /// attachments. A button type this version does not know is kept as JSON in `Unknown`.
    pub enum Button (tag = "type") {
        /// Sends a `message_callback` update with the payload; answer it with `POST /answers`.
        "callback" => Callback(CallbackButton),
        /// Opens a URL.
        "link" => Link(LinkButton),
        /// Asks the user to share their contact.
        "request_contact" => RequestContact(RequestContactButton),
        /// Asks the user to share their location.
        "request_geo_location" => RequestGeoLocation(RequestGeoLocationButton),
        /// Opens a mini-app.
        "open_app" => OpenApp(OpenAppButton),
        /// Sends the button's text as a message from the user.
        "message" => Message(MessageButton),
        /// Copies the payload to the clipboard.
        "clipboard" => Clipboard(ClipboardButton),
    }
}

/// A `callback` button: text 1–128 characters, payload ≤ 1024 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CallbackButton {
    /// Visible text.
    pub text: String,
    /// Delivered in `callback.payload`.
    pub payload: String,
    /// Legacy intent, echoed as `default` on received keyboards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<Intent>,
}

/// A `link` button: URL ≤ 2048 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LinkButton {
    /// Visible text.
    pub text: String,
    /// The URL to open.
    pub url: String,
}

/// A `request_contact` button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RequestContactButton {
    /// Visible text.
    pub text: String,
}

/// A `request_geo_location` button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RequestGeoLocationButton {
    /// Visible text.
    pub text: String,
    /// `true`: send the location without asking for confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick: Option<bool>,
}

/// An `open_app` button: `web_app` required (the bot whose mini-app opens), payload ≤ 512 characters of
/// `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OpenAppButton {
    /// Visible text.
    pub text: String,
    /// Username of, or link to, the bot whose mini-app to open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_app: Option<String>,
    /// That bot's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<i64>,
    /// Start parameter passed to the mini-app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

/// A `message` button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MessageButton {
    /// Visible text, also the text sent.
    pub text: String,
    /// Legacy intent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<Intent>,
}

/// A `clipboard` button: payload ≤ 1024 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClipboardButton {
    /// Visible text.
    pub text: String,
    /// Copied to the clipboard.
    pub payload: String,
}

impl Button {
    /// A `callback` button.
    pub fn callback(text: impl Into<String>, payload: impl Into<String>) -> Self {
        Self::Callback(CallbackButton {
            text: text.into(),
            payload: payload.into(),
            intent: None,
        })
    }

    /// A `link` button.
    pub fn link(text: impl Into<String>, url: impl Into<String>) -> Self {
        Self::Link(LinkButton {
            text: text.into(),
            url: url.into(),
        })
    }

    /// A `request_contact` button.
    pub fn request_contact(text: impl Into<String>) -> Self {
        Self::RequestContact(RequestContactButton { text: text.into() })
    }

    /// A `request_geo_location` button; `quick` skips the confirmation.
    pub fn request_geo_location(text: impl Into<String>, quick: bool) -> Self {
        Self::RequestGeoLocation(RequestGeoLocationButton {
            text: text.into(),
            quick: quick.then_some(true),
        })
    }

    /// An `open_app` button for the mini-app of bot `web_app`, with an optional start payload.
    pub fn open_app(
        text: impl Into<String>,
        web_app: impl Into<String>,
        payload: Option<String>,
    ) -> Self {
        Self::OpenApp(OpenAppButton {
            text: text.into(),
            web_app: Some(web_app.into()),
            contact_id: None,
            payload,
        })
    }

    /// A `message` button.
    pub fn message(text: impl Into<String>) -> Self {
        Self::Message(MessageButton {
            text: text.into(),
            intent: None,
        })
    }

    /// A `clipboard` button.
    pub fn clipboard(text: impl Into<String>, payload: impl Into<String>) -> Self {
        Self::Clipboard(ClipboardButton {
            text: text.into(),
            payload: payload.into(),
        })
    }

    /// The visible text (for an unknown kind, its `text` field if any).
    pub fn text(&self) -> Option<&str> {
        match self {
            Button::Callback(b) => Some(&b.text),
            Button::Link(b) => Some(&b.text),
            Button::RequestContact(b) => Some(&b.text),
            Button::RequestGeoLocation(b) => Some(&b.text),
            Button::OpenApp(b) => Some(&b.text),
            Button::Message(b) => Some(&b.text),
            Button::Clipboard(b) => Some(&b.text),
            Button::Unknown(u) => u.tag("text"),
        }
    }

    /// Whether the button limits its row to 3 buttons (`link`, `open_app`, `request_geo_location`,
    /// `request_contact`).
    pub fn is_wide(&self) -> bool {
        matches!(
            self,
            Button::Link(_)
                | Button::OpenApp(_)
                | Button::RequestGeoLocation(_)
                | Button::RequestContact(_)
        )
    }
}

/// The payload of an `inline_keyboard` attachment: rows of buttons.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Keyboard {
    /// Rows, top to bottom.
    pub buttons: Vec<Vec<Button>>,
}

impl Keyboard {
    /// A keyboard with these rows (checked when the message is validated).
    pub fn new(rows: Vec<Vec<Button>>) -> Self {
        Self { buttons: rows }
    }
}
