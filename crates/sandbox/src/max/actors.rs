//! Acting as MAX users: what a person does in the app becomes state in the world and an update with the real
//! shape in the update stream (served to long polling, or pushed to the webhook).

use botwire_core_types::max::{Callback, ChatId, ChatType, Message, User, UserId};
use serde_json::{Value, json};

use super::{BotRole, MaxSandbox, MaxWorld, WorldError, WorldResult};

/// The locale the sandbox's users have (dialog updates carry `user_locale`).
const LOCALE: &str = "ru";

fn user_of(world: &MaxWorld, user_id: UserId) -> WorldResult<User> {
    world
        .user(user_id)
        .ok_or_else(|| WorldError::not_found(format!("User {user_id} not found")))
}

impl MaxSandbox {
    /// `user_id` sends `text` into `chat_id` (their dialog with the bot, or a group they are in): the message
    /// is stored and `message_created` is queued. Returns the message.
    pub fn user_sends_text(
        &self,
        user_id: UserId,
        chat_id: ChatId,
        text: &str,
    ) -> WorldResult<Message> {
        let (message, dialog, now) = {
            let mut world = self.world();
            let body = botwire_core_types::max::NewMessageBody::text(text);
            let message = world.post_message(chat_id, user_id, &body)?;
            let dialog = world
                .chat(chat_id)
                .is_some_and(|c| c.kind == ChatType::Dialog);
            (message, dialog, world.now())
        };
        let mut update =
            json!({"update_type": "message_created", "timestamp": now, "message": message});
        if dialog {
            update["user_locale"] = json!(LOCALE);
        }
        self.updates().push(&update);
        Ok(message)
    }

    /// `user_id` presses the `callback` button with `payload` on message `mid` (a bot message with an inline
    /// keyboard): `message_callback` is queued with the message. Returns the callback (its id is what the bot
    /// answers with `POST /answers`).
    pub fn user_presses_button(
        &self,
        user_id: UserId,
        mid: &str,
        payload: &str,
    ) -> WorldResult<Callback> {
        let (callback, message, now) = {
            let mut world = self.world();
            let callback = world.press_button(mid, user_id, payload)?;
            let message = world.message(mid).map(|m| m.message.clone());
            (callback, message, world.now())
        };
        self.updates().push(&json!({
            "update_type": "message_callback",
            "timestamp": now,
            "callback": callback,
            "message": message,
            "user_locale": LOCALE,
        }));
        Ok(callback)
    }

    /// `user_id` presses Start (optionally through a deep link with `payload`): the dialog is created when
    /// needed and `bot_started` is queued. Returns the dialog.
    pub fn user_starts_bot(&self, user_id: UserId, payload: Option<&str>) -> WorldResult<ChatId> {
        let (chat_id, user, now) = {
            let mut world = self.world();
            let user = user_of(&world, user_id)?;
            let chat_id = match world.dialog_with(user_id) {
                Some(c) => c,
                None => world.add_dialog(user_id)?,
            };
            (chat_id, user, world.now())
        };
        let mut update = json!({
            "update_type": "bot_started",
            "timestamp": now,
            "chat_id": chat_id,
            "user": user,
            "user_id": user_id,
            "user_locale": LOCALE,
        });
        if let Some(p) = payload {
            update["payload"] = json!(p);
        }
        self.updates().push(&update);
        Ok(chat_id)
    }

    /// `user_id` adds the bot to group chat or channel `chat_id` with `role`: `bot_added` is queued.
    pub fn user_adds_bot(
        &self,
        user_id: UserId,
        chat_id: ChatId,
        role: BotRole,
    ) -> WorldResult<()> {
        let (user, is_channel, now) = {
            let mut world = self.world();
            let user = user_of(&world, user_id)?;
            world.set_bot_role(chat_id, role)?;
            let is_channel = world
                .chat(chat_id)
                .is_some_and(|c| c.kind == ChatType::Channel);
            (user, is_channel, world.now())
        };
        self.updates().push(&json!({
            "update_type": "bot_added",
            "timestamp": now,
            "chat_id": chat_id,
            "user": user,
            "user_id": user_id,
            "is_channel": is_channel,
        }));
        Ok(())
    }

    /// Queues an update of a type the SDK does not know (new types appear every few months): `update_type`
    /// plus `fields`, stamped with the world's clock.
    pub fn push_unknown_update(&self, update_type: &str, fields: Value) {
        let now = self.world().now();
        let mut update = json!({"update_type": update_type, "timestamp": now});
        if let (Some(target), Value::Object(extra)) = (update.as_object_mut(), fields) {
            target.extend(extra);
        }
        self.updates().push(&update);
    }
}
