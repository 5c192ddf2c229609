//! Builders for what a bot sends: messages, inline keyboards, comments, callback answers, chat edits, deep links.
//!
//! Every `build()` checks every documented limit (reference §12) by calling the model's own `validate()`, so a
//! builder and a hand-made model value are held to exactly the same rules; a violation is the model's
//! [`ValidationError`] naming the field path, the limit and the value, and nothing is sent.
//!
//! ```
//! use botwire_max::builders::{KeyboardBuilder, MessageBuilder};
//!
//! let keyboard = KeyboardBuilder::new()
//!     .callback("Yes", "vote:yes")
//!     .callback("No", "vote:no")
//!     .row()
//!     .link("Site", "https://example.com")
//!     .build()?;
//! let message = MessageBuilder::markdown("**Vote**, please")
//!     .keyboard(keyboard)
//!     .reply_to("mid.1")
//!     .disable_link_preview(true)
//!     .build()?;
//! assert!(message.disable_link_preview);
//! assert_eq!(message.body.attachments.as_ref().map(Vec::len), Some(1));
//! # Ok::<(), botwire_max::ValidationError>(())
//! ```

use botwire_core_types::ValidationError;
use botwire_core_types::limits::MAX_START_PAYLOAD_CHARS;
use botwire_core_types::max::{
    AttachmentRequest, Button, CallbackAnswer, ChatPatch, Keyboard, NewCommentBody, NewMessageBody,
    NewMessageLink, PhotoRequestPayload, TextFormat,
};
use botwire_transport::url;

use crate::format::Formatted;

/// A checked message: the body and the `disable_link_preview` query flag, which is not part of the body.
///
/// Pass `body` to the send/edit endpoints, and `disable_link_preview` as their query parameter.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct OutgoingMessage {
    /// The `NewMessageBody`, already validated.
    pub body: NewMessageBody,
    /// `true`: ask the server not to generate link previews (query parameter `disable_link_preview`).
    pub disable_link_preview: bool,
}

impl From<OutgoingMessage> for NewMessageBody {
    fn from(message: OutgoingMessage) -> Self {
        message.body
    }
}

/// Builds a [`NewMessageBody`] (plus the `disable_link_preview` flag) and checks it.
///
/// The inline keyboard set with [`MessageBuilder::keyboard`] is sent as the last attachment. `notify(false)` is
/// rejected by the server in channels; the builder cannot know the chat type, so it does not check that.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct MessageBuilder {
    body: NewMessageBody,
    attachments: Vec<AttachmentRequest>,
    attachments_set: bool,
    keyboard: Option<Keyboard>,
    disable_link_preview: bool,
}

impl MessageBuilder {
    /// An empty message (add text, attachments or a forward link).
    pub fn new() -> Self {
        Self::default()
    }

    /// A plain-text message (no formatting is interpreted).
    pub fn text(text: impl Into<String>) -> Self {
        Self::new().with_text(text, None)
    }

    /// A message whose text is MAX markdown (reference §6.1). Escape user input with
    /// [`format::escape_markdown`](crate::format::escape_markdown) or build it with
    /// [`format::TextBuilder`](crate::format::TextBuilder).
    pub fn markdown(text: impl Into<String>) -> Self {
        Self::new().with_text(text, Some(TextFormat::Markdown))
    }

    /// A message whose text is the HTML subset of MAX (reference §6.2).
    pub fn html(text: impl Into<String>) -> Self {
        Self::new().with_text(text, Some(TextFormat::Html))
    }

    /// A message from markdown or HTML built with [`format::TextBuilder`](crate::format::TextBuilder); its
    /// format travels with it. (A text longer than 4000 characters fails [`MessageBuilder::build`]: cut it
    /// first with [`Formatted::split`].)
    pub fn formatted(text: Formatted) -> Self {
        let format = text.format();
        Self::new().with_text(text.into_string(), Some(format))
    }

    /// Sets (replaces) the text and its format (`None` = plain text).
    pub fn with_text(mut self, text: impl Into<String>, format: Option<TextFormat>) -> Self {
        self.body.text = Some(text.into());
        self.body.format = format;
        self
    }

    /// Adds an attachment (image, video, audio, file, sticker, contact, location, share…).
    pub fn attachment(mut self, attachment: AttachmentRequest) -> Self {
        self.attachments.push(attachment);
        self.attachments_set = true;
        self
    }

    /// Adds several attachments.
    pub fn attachments(mut self, attachments: impl IntoIterator<Item = AttachmentRequest>) -> Self {
        self.attachments.extend(attachments);
        self.attachments_set = true;
        self
    }

    /// Sends `attachments: []`: on an edit this removes every attachment (including the keyboard). Without
    /// any attachment call the field is omitted, which on an edit keeps the current ones.
    pub fn clear_attachments(mut self) -> Self {
        self.attachments.clear();
        self.keyboard = None;
        self.attachments_set = true;
        self
    }

    /// Sets the inline keyboard (replaces an earlier one); build it with [`KeyboardBuilder`].
    pub fn keyboard(mut self, keyboard: Keyboard) -> Self {
        self.keyboard = Some(keyboard);
        self
    }

    /// Makes the message a reply to `mid`.
    pub fn reply_to(mut self, mid: impl Into<String>) -> Self {
        self.body.link = Some(NewMessageLink::reply(mid));
        self
    }

    /// Forwards message `mid` (the text may stay empty).
    pub fn forward(mut self, mid: impl Into<String>) -> Self {
        self.body.link = Some(NewMessageLink::forward(mid));
        self
    }

    /// `false`: no push notification (not allowed in channels). Unset, the server's default (`true`) applies.
    pub fn notify(mut self, notify: bool) -> Self {
        self.body.notify = Some(notify);
        self
    }

    /// `true`: no link previews (a query parameter of the send/edit call, carried in [`OutgoingMessage`]).
    pub fn disable_link_preview(mut self, disable: bool) -> Self {
        self.disable_link_preview = disable;
        self
    }

    /// Checks every limit (text ≤ 4000 characters, attachments, keyboard 210/30/7/3, buttons) and returns the
    /// message.
    pub fn build(self) -> Result<OutgoingMessage, ValidationError> {
        let mut body = self.body;
        let mut attachments = self.attachments;
        let keyboard = self.keyboard.is_some();
        if let Some(k) = self.keyboard {
            attachments.push(AttachmentRequest::inline_keyboard(k));
        }
        if self.attachments_set || keyboard {
            body.attachments = Some(attachments);
        }
        body.validate()?;
        Ok(OutgoingMessage {
            body,
            disable_link_preview: self.disable_link_preview,
        })
    }

    /// [`MessageBuilder::build`] without the query flag: the body alone (for a callback answer's message).
    pub fn build_body(self) -> Result<NewMessageBody, ValidationError> {
        self.build().map(|m| m.body)
    }
}

/// Builds an inline keyboard row by row; [`KeyboardBuilder::build`] checks the limits.
///
/// Button methods append to the current row; [`KeyboardBuilder::row`] starts a new one.
///
/// ```
/// use botwire_max::builders::KeyboardBuilder;
///
/// let kb = KeyboardBuilder::new()
///     .request_contact("Share phone")
///     .row()
///     .clipboard("Copy code", "PROMO-123")
///     .message("Hello")
///     .build()?;
/// assert_eq!(kb.buttons.len(), 2);
/// assert_eq!(kb.buttons[1].len(), 2);
/// # Ok::<(), botwire_max::ValidationError>(())
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct KeyboardBuilder {
    rows: Vec<Vec<Button>>,
}

impl KeyboardBuilder {
    /// An empty keyboard.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a new row (an empty current row is reused, so `row()` twice makes no empty row).
    pub fn row(mut self) -> Self {
        if self.rows.last().is_some_and(|r| !r.is_empty()) {
            self.rows.push(Vec::new());
        }
        self
    }

    /// Adds a whole row of buttons (after the current one).
    pub fn row_of(self, buttons: impl IntoIterator<Item = Button>) -> Self {
        let mut this = self.row();
        for b in buttons {
            this = this.button(b);
        }
        this.row()
    }

    /// Appends any button to the current row.
    pub fn button(mut self, button: Button) -> Self {
        match self.rows.last_mut() {
            Some(row) => row.push(button),
            None => self.rows.push(vec![button]),
        }
        self
    }

    /// A `callback` button: pressing it sends a `message_callback` update carrying `payload` (≤ 1024).
    pub fn callback(self, text: impl Into<String>, payload: impl Into<String>) -> Self {
        self.button(Button::callback(text, payload))
    }

    /// A `link` button opening `url` (≤ 2048 characters). Limits its row to 3 buttons.
    pub fn link(self, text: impl Into<String>, url: impl Into<String>) -> Self {
        self.button(Button::link(text, url))
    }

    /// A `request_contact` button. Limits its row to 3 buttons.
    pub fn request_contact(self, text: impl Into<String>) -> Self {
        self.button(Button::request_contact(text))
    }

    /// A `request_geo_location` button; `quick` sends without confirmation. Limits its row to 3 buttons.
    pub fn request_geo_location(self, text: impl Into<String>, quick: bool) -> Self {
        self.button(Button::request_geo_location(text, quick))
    }

    /// An `open_app` button opening the mini-app of bot `web_app` (username or link), with an optional start
    /// `payload` (≤ 512 characters of `[A-Za-z0-9_-]`). Limits its row to 3 buttons.
    pub fn open_app(
        self,
        text: impl Into<String>,
        web_app: impl Into<String>,
        payload: Option<String>,
    ) -> Self {
        self.button(Button::open_app(text, web_app, payload))
    }

    /// Like [`KeyboardBuilder::open_app`], also naming the mini-app bot's id (`contact_id`).
    pub fn open_app_of(
        self,
        text: impl Into<String>,
        web_app: impl Into<String>,
        contact_id: i64,
        payload: Option<String>,
    ) -> Self {
        let mut button = Button::open_app(text, web_app, payload);
        if let Button::OpenApp(b) = &mut button {
            b.contact_id = Some(contact_id);
        }
        self.button(button)
    }

    /// A `message` button: pressing it sends its text as a message from the user.
    pub fn message(self, text: impl Into<String>) -> Self {
        self.button(Button::message(text))
    }

    /// A `clipboard` button copying `payload` (1–1024 characters).
    pub fn clipboard(self, text: impl Into<String>, payload: impl Into<String>) -> Self {
        self.button(Button::clipboard(text, payload))
    }

    /// Checks the keyboard (1–30 rows, ≤ 210 buttons, 1–7 per row, ≤ 3 in a row with a link/open_app/
    /// request_contact/request_geo_location button, every button) and returns it. A trailing empty row left by
    /// [`KeyboardBuilder::row`] is dropped.
    pub fn build(mut self) -> Result<Keyboard, ValidationError> {
        if self.rows.last().is_some_and(Vec::is_empty) {
            self.rows.pop();
        }
        let keyboard = Keyboard::new(self.rows);
        keyboard.validate()?;
        Ok(keyboard)
    }
}

/// Builds a [`NewCommentBody`] (comments on channel posts: no attachments, replies only).
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct CommentBuilder {
    body: NewCommentBody,
}

impl CommentBuilder {
    /// A plain-text comment.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            body: NewCommentBody::text(text),
        }
    }

    /// A markdown comment (mentions and links are not supported in comments).
    pub fn markdown(text: impl Into<String>) -> Self {
        let mut this = Self::text(text);
        this.body.format = Some(TextFormat::Markdown);
        this
    }

    /// An HTML comment (mentions and links are not supported in comments).
    pub fn html(text: impl Into<String>) -> Self {
        let mut this = Self::text(text);
        this.body.format = Some(TextFormat::Html);
        this
    }

    /// A comment from [`format`](crate::format) output.
    pub fn formatted(text: Formatted) -> Self {
        let format = text.format();
        let mut this = Self::text(text.into_string());
        this.body.format = Some(format);
        this
    }

    /// Makes it a reply to comment `mid`.
    pub fn reply_to(mut self, mid: impl Into<String>) -> Self {
        self.body.link = Some(NewMessageLink::reply(mid));
        self
    }

    /// Checks the limits (text ≤ 4000 characters) and returns the body.
    pub fn build(self) -> Result<NewCommentBody, ValidationError> {
        self.body.validate()?;
        Ok(self.body)
    }
}

/// Builds a [`CallbackAnswer`]: a replacement message, a one-time notification, or both.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct CallbackAnswerBuilder {
    answer: CallbackAnswer,
    message: Option<MessageBuilder>,
}

impl CallbackAnswerBuilder {
    /// An empty answer (add a notification or a message before building).
    pub fn new() -> Self {
        Self::default()
    }

    /// Shows `text` once to the user who pressed the button.
    pub fn notification(mut self, text: impl Into<String>) -> Self {
        self.answer.notification = Some(text.into());
        self
    }

    /// Replaces the message that carried the keyboard.
    pub fn message(mut self, message: MessageBuilder) -> Self {
        self.message = Some(message);
        self
    }

    /// Checks the answer (at least one part; the message's own limits) and returns it.
    pub fn build(self) -> Result<CallbackAnswer, ValidationError> {
        let mut answer = self.answer;
        if let Some(m) = self.message {
            answer.message = Some(m.build_body().map_err(|e| e.within("message"))?);
        }
        answer.validate()?;
        Ok(answer)
    }
}

/// Builds a [`ChatPatch`] for `PATCH /chats/{chatId}`.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ChatPatchBuilder {
    patch: ChatPatch,
}

impl ChatPatchBuilder {
    /// A patch that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// New title, 1–200 characters.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.patch.title = Some(title.into());
        self
    }

    /// New description, ≤ 16000 characters (`""` removes it).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.patch.description = Some(description.into());
        self
    }

    /// New icon: an image URL, a token, or an upload's `photos` map.
    pub fn icon(mut self, icon: PhotoRequestPayload) -> Self {
        self.patch.icon = Some(icon);
        self
    }

    /// Pins message `mid`.
    pub fn pin(mut self, mid: impl Into<String>) -> Self {
        self.patch.pin = Some(mid.into());
        self
    }

    /// Whether to post a system message about the change (server default `true`).
    pub fn notify(mut self, notify: bool) -> Self {
        self.patch.notify = Some(notify);
        self
    }

    /// Checks the limits and returns the patch.
    pub fn build(self) -> Result<ChatPatch, ValidationError> {
        self.patch.validate()?;
        Ok(self.patch)
    }
}

/// The start link of bot `bot_name` with a start payload: `https://max.ru/<bot_name>?start=<payload>`.
///
/// The payload arrives in the `bot_started` update. It must be at most 128 characters (0.0.33 says 128, older
/// texts 512; longer payloads are dropped, not delivered — reference §11). It is percent-encoded in the link.
///
/// ```
/// let link = botwire_max::builders::deep_link("my_bot", "ref-42")?;
/// assert_eq!(link, "https://max.ru/my_bot?start=ref-42");
/// # Ok::<(), botwire_max::ValidationError>(())
/// ```
pub fn deep_link(bot_name: &str, payload: &str) -> Result<String, ValidationError> {
    ValidationError::check_chars("payload", payload, 0, MAX_START_PAYLOAD_CHARS)?;
    let bot = bot_name.trim_start_matches('@');
    ValidationError::check_chars("bot_name", bot, 1, usize::MAX)?;
    url::build_uri(
        "https://max.ru",
        &url::path_segment(bot),
        &[("start", payload)],
    )
    .map(|u| u.to_string())
    .map_err(|_| ValidationError::new("bot_name", "a bot username", format!("{bot:?}")))
}

#[cfg(test)]
mod tests;
