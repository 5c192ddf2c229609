//! What the client learns about chats from the updates it delivers, so that "per chat" rate limits apply to
//! requests that do not name their chat.
//!
//! MAX allows 2 callback answers per second per chat, but `POST /answers` names only the `callback_id`; and a
//! dialog can be written to by `chat_id` or by `user_id`, which the server counts as one chat. A
//! [`ChatDirectory`] remembers, from the updates the client handed out, which chat each recent button press
//! came from and which dialog belongs to which user. [`endpoints::AnswerCallback`](crate::endpoints::AnswerCallback)
//! and [`endpoints::SendMessage`](crate::endpoints::SendMessage) then attach the chat as a
//! [`RateKey`](botwire_transport::RateKey), and the default stack's `Throttle` paces them per chat.
//!
//! Long polling through the clients feeds the directory itself. A bot that receives updates some other way
//! (its own webhook server) calls [`ChatDirectory::observe`] on each update:
//!
//! ```
//! use botwire_max::Config;
//! use botwire_max::types::Update;
//!
//! let config = Config::new("token");
//! let update: Update = serde_json::from_str(r#"{"update_type":"message_callback","timestamp":1,
//!     "callback":{"timestamp":1,"callback_id":"cb.1","payload":"ok","user":{"user_id":7,"first_name":"A","is_bot":false,"last_activity_time":0}},
//!     "message":{"recipient":{"chat_id":42,"chat_type":"dialog","user_id":7},"timestamp":1,"body":{"mid":"m1","seq":1,"text":"?"}}}"#)?;
//! config.chats().observe(&update);
//! assert_eq!(config.chats().callback_key("cb.1").as_deref(), Some("chat_id=42"));
//! assert_eq!(config.chats().user_key(botwire_max::types::UserId(7)), "chat_id=42");
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! Memory is bounded: two generations of at most [`ChatDirectory::DEFAULT_CAPACITY`] entries each; the
//! oldest generation is dropped when the newer one fills (a callback id is answered within seconds).

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use botwire_core_types::max::{ChatId, ChatType, Update, UserId};

/// The chat of recent button presses and the dialog of each user, learned from delivered updates.
pub struct ChatDirectory {
    capacity: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    current: Generation,
    previous: Generation,
}

#[derive(Default)]
struct Generation {
    /// callback_id → the rate key of its chat.
    callbacks: HashMap<String, String>,
    /// user → their dialog with the bot.
    dialogs: HashMap<i64, i64>,
}

impl Generation {
    fn len(&self) -> usize {
        self.callbacks.len() + self.dialogs.len()
    }
}

impl fmt::Debug for ChatDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("ChatDirectory")
            .field("entries", &(state.current.len() + state.previous.len()))
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl Default for ChatDirectory {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl ChatDirectory {
    /// Entries per generation by default (the directory holds at most twice this many).
    pub const DEFAULT_CAPACITY: usize = 16_384;

    /// A directory holding at most `2 × capacity` entries (a capacity of 0 is taken as 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn insert(&self, put: impl FnOnce(&mut Generation)) {
        let mut state = self.lock();
        if state.current.len() >= self.capacity {
            state.previous = std::mem::take(&mut state.current);
        }
        put(&mut state.current);
    }

    /// Learns from one update: the chat of a button press, the dialog of a user who wrote or started the bot.
    pub fn observe(&self, update: &Update) {
        match update {
            Update::MessageCallback(press) => {
                let user = press.callback.user.user_id;
                if let Some(message) = &press.message
                    && let Some(chat) = message.recipient.chat_id
                {
                    if message.recipient.chat_type == ChatType::Dialog {
                        self.remember_dialog(user, chat);
                    }
                    self.remember_callback(&press.callback.callback_id, &chat_key(chat));
                } else {
                    let key = self.user_key(user);
                    self.remember_callback(&press.callback.callback_id, &key);
                }
            }
            Update::MessageCreated(created) => {
                if let Some(message) = &created.message
                    && message.recipient.chat_type == ChatType::Dialog
                    && let (Some(chat), Some(sender)) = (message.recipient.chat_id, &message.sender)
                {
                    self.remember_dialog(sender.user_id, chat);
                }
            }
            Update::BotStarted(started) => {
                self.remember_dialog(started.user.user_id, started.chat_id)
            }
            _ => {}
        }
    }

    /// Records that `callback_id` was pressed in the chat whose rate key is `key` (`chat_id=…` or `user_id=…`).
    pub fn remember_callback(&self, callback_id: &str, key: &str) {
        self.insert(|g| {
            g.callbacks.insert(callback_id.to_owned(), key.to_owned());
        });
    }

    /// Records that `user`'s dialog with the bot is `chat`.
    pub fn remember_dialog(&self, user: UserId, chat: ChatId) {
        self.insert(|g| {
            g.dialogs.insert(user.0, chat.0);
        });
    }

    /// The rate key (`chat_id=…`, or `user_id=…` for a dialog known only by its user) of the chat where
    /// `callback_id` was pressed, if the directory saw that press.
    pub fn callback_key(&self, callback_id: &str) -> Option<String> {
        let state = self.lock();
        state
            .current
            .callbacks
            .get(callback_id)
            .or_else(|| state.previous.callbacks.get(callback_id))
            .cloned()
    }

    /// The dialog of `user`, if the directory saw one.
    pub fn dialog_of(&self, user: UserId) -> Option<ChatId> {
        let state = self.lock();
        state
            .current
            .dialogs
            .get(&user.0)
            .or_else(|| state.previous.dialogs.get(&user.0))
            .map(|c| ChatId(*c))
    }

    /// The rate key of a message to `user`: their dialog's `chat_id=…` when known (so it shares the dialog's
    /// budget with messages sent by `chat_id`), else `user_id=…`.
    pub fn user_key(&self, user: UserId) -> String {
        match self.dialog_of(user) {
            Some(chat) => chat_key(chat),
            None => format!("user_id={}", user.0),
        }
    }
}

/// The rate key of a chat, spelled as the throttle's `messages` rule derives it from the query.
pub(crate) fn chat_key(chat: ChatId) -> String {
    format!("chat_id={}", chat.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_bound_memory_and_keep_recent_entries() {
        let dir = ChatDirectory::new(100);
        for i in 0..1000 {
            dir.remember_callback(&format!("cb{i}"), &format!("chat_id={i}"));
        }
        let state = dir.lock();
        assert!(state.current.len() + state.previous.len() <= 200);
        drop(state);
        assert_eq!(dir.callback_key("cb999").as_deref(), Some("chat_id=999"));
        assert_eq!(dir.callback_key("cb0"), None);
    }

    #[test]
    fn a_dialog_known_by_user_and_chat_is_one_key() {
        let dir = ChatDirectory::default();
        assert_eq!(dir.user_key(UserId(5)), "user_id=5");
        dir.remember_dialog(UserId(5), ChatId(900));
        assert_eq!(dir.user_key(UserId(5)), "chat_id=900");
    }
}
