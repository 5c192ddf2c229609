//! Answers to button presses.

use botwire_core_types::max::CallbackAnswer;
use botwire_transport::{HttpRequest, RateKey};
use http::Method;

use super::non_blank;
use crate::endpoint::{RequestBuilder, simple_output};
use crate::{Config, Endpoint, Error};

/// `POST /answers` — answers a `callback` button press: replaces the message that carried the keyboard, shows a
/// one-time notification, or both.
///
/// `callback_id` (from `message_callback.callback`) must not be blank and the answer must hold a message or a
/// notification, within the message limits — checked before sending. At most 2 answers per second per chat.
/// Not marked safe to retry: a repeated answer may show its notification twice.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerCallback {
    /// The press to answer.
    pub callback_id: String,
    /// The answer.
    pub answer: CallbackAnswer,
    /// `true` suppresses link previews in the replacement message (server default `false`).
    pub disable_link_preview: Option<bool>,
}

impl AnswerCallback {
    /// Answers `callback_id` with `answer`.
    pub fn new(callback_id: impl Into<String>, answer: CallbackAnswer) -> Self {
        Self {
            callback_id: callback_id.into(),
            answer,
            disable_link_preview: None,
        }
    }

    /// Suppresses (or explicitly allows) link previews.
    #[must_use]
    pub fn disable_link_preview(mut self, disable: bool) -> Self {
        self.disable_link_preview = Some(disable);
        self
    }
}

impl Endpoint for AnswerCallback {
    type Output = ();

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        non_blank("callback_id", &self.callback_id)?;
        self.answer.validate()?;
        let mut request = RequestBuilder::new(config, Method::POST, "/answers")
            .query("callback_id", &self.callback_id)
            .query_opt("disable_link_preview", self.disable_link_preview)
            .idempotent(false)
            .json(&self.answer)?
            .build()?;
        // The request names no chat; the per-chat limit on answers needs the chat the press came from.
        if request.extensions().get::<RateKey>().is_none()
            && let Some(key) = config.chats().callback_key(&self.callback_id)
        {
            RateKey::new(key).apply(&mut request);
        }
        Ok(request)
    }

    simple_output!();
}
