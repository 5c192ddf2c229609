//! Acting as MAX users: what a person does in the app becomes state in the world and an update with the real
//! shape in the update stream (served to long polling, or pushed to the webhook).
//!
//! One implementation serves the in-process API ([`MaxSandbox::user_sends_text`] and friends) and the HTTP
//! control API (`/_sandbox/…`, see [`crate::max::control`]).

use botwire_core_types::max::{
    Callback, ChatId, ChatStatus, ChatType, Message, NewMessageBody, User, UserId,
};
use serde_json::{Value, json};

use super::{BotRole, MaxSandbox, MaxWorld, Shared, WorldError, WorldResult};

/// The locale the sandbox's users have (dialog updates carry `user_locale`).
const LOCALE: &str = "ru";

fn user_of(world: &MaxWorld, user_id: UserId) -> WorldResult<User> {
    world
        .user(user_id)
        .ok_or_else(|| WorldError::not_found(format!("User {user_id} not found")))
}

fn is_channel(world: &MaxWorld, chat_id: ChatId) -> bool {
    world
        .chat(chat_id)
        .is_some_and(|c| c.kind == ChatType::Channel)
}

fn bot_active(world: &MaxWorld, chat_id: ChatId) -> bool {
    world
        .chat(chat_id)
        .is_some_and(|c| c.status == ChatStatus::Active && c.members.contains_key(&world.bot_id()))
}

impl Shared {
    pub(crate) fn user_sends(
        &self,
        user_id: UserId,
        chat_id: ChatId,
        body: &NewMessageBody,
    ) -> WorldResult<Message> {
        let (message, dialog, now) = {
            let mut world = self.world();
            let message = world.post_message(chat_id, user_id, body)?;
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
        self.updates.push(&update);
        Ok(message)
    }

    pub(crate) fn user_presses_button(
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
        self.updates.push(&json!({
            "update_type": "message_callback",
            "timestamp": now,
            "callback": callback,
            "message": message,
            "user_locale": LOCALE,
        }));
        Ok(callback)
    }

    pub(crate) fn user_starts_bot(
        &self,
        user_id: UserId,
        payload: Option<&str>,
    ) -> WorldResult<ChatId> {
        if payload.is_some_and(|p| p.chars().count() > 512) {
            return Err(WorldError::bad_request(
                "payload: must be at most 512 characters",
            ));
        }
        let (chat_id, user, now) = {
            let mut world = self.world();
            let user = user_of(&world, user_id)?;
            let chat_id = match world.dialog_with(user_id) {
                Some(c) => c,
                None => world.add_dialog(user_id)?,
            };
            if let Some(chat) = world.chat_mut(chat_id) {
                chat.status = ChatStatus::Active;
            }
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
        self.updates.push(&update);
        Ok(chat_id)
    }

    pub(crate) fn user_stops_bot(&self, user_id: UserId) -> WorldResult<ChatId> {
        let (chat_id, user, now) = {
            let mut world = self.world();
            let user = user_of(&world, user_id)?;
            let chat_id = world.dialog_with(user_id).ok_or_else(|| {
                WorldError::not_found(format!("User {user_id} has no dialog with the bot"))
            })?;
            let now = world.tick();
            if let Some(chat) = world.chat_mut(chat_id) {
                chat.status = ChatStatus::Suspended;
                chat.last_event_time = now;
            }
            (chat_id, user, now)
        };
        self.updates.push(&json!({
            "update_type": "bot_stopped",
            "timestamp": now,
            "chat_id": chat_id,
            "user": user,
            "user_id": user_id,
            "user_locale": LOCALE,
        }));
        Ok(chat_id)
    }

    pub(crate) fn user_adds_bot(
        &self,
        user_id: UserId,
        chat_id: ChatId,
        role: BotRole,
    ) -> WorldResult<()> {
        let (user, is_channel, now) = {
            let mut world = self.world();
            let user = user_of(&world, user_id)?;
            world.set_bot_role(chat_id, role)?;
            (user, is_channel(&world, chat_id), world.now())
        };
        self.updates.push(&json!({
            "update_type": "bot_added",
            "timestamp": now,
            "chat_id": chat_id,
            "user": user,
            "user_id": user_id,
            "is_channel": is_channel,
        }));
        Ok(())
    }

    pub(crate) fn user_removes_bot(&self, user_id: UserId, chat_id: ChatId) -> WorldResult<()> {
        let (user, is_channel, now) = {
            let mut world = self.world();
            let user = user_of(&world, user_id)?;
            world.set_bot_role(chat_id, BotRole::Absent)?;
            (user, is_channel(&world, chat_id), world.now())
        };
        self.updates.push(&json!({
            "update_type": "bot_removed",
            "timestamp": now,
            "chat_id": chat_id,
            "user": user,
            "user_id": user_id,
            "is_channel": is_channel,
        }));
        Ok(())
    }

    pub(crate) fn user_joins_chat(
        &self,
        user_id: UserId,
        chat_id: ChatId,
        inviter: Option<UserId>,
    ) -> WorldResult<()> {
        let (user, is_channel, notify, now) = {
            let mut world = self.world();
            let user = user_of(&world, user_id)?;
            if let Some(i) = inviter {
                user_of(&world, i)?;
            }
            world.add_member(chat_id, user_id)?;
            let notify = bot_active(&world, chat_id);
            (user, is_channel(&world, chat_id), notify, world.now())
        };
        if notify {
            self.updates.push(&json!({
                "update_type": "user_added",
                "timestamp": now,
                "chat_id": chat_id,
                "user": user,
                "user_id": user_id,
                "inviter_id": inviter,
                "is_channel": is_channel,
            }));
        }
        Ok(())
    }

    pub(crate) fn user_leaves_chat(
        &self,
        user_id: UserId,
        chat_id: ChatId,
        admin: Option<UserId>,
    ) -> WorldResult<()> {
        let (user, is_channel, notify, now) = {
            let mut world = self.world();
            let user = user_of(&world, user_id)?;
            world.remove_member(chat_id, user_id, false)?;
            let notify = bot_active(&world, chat_id);
            (user, is_channel(&world, chat_id), notify, world.now())
        };
        if notify {
            self.updates.push(&json!({
                "update_type": "user_removed",
                "timestamp": now,
                "chat_id": chat_id,
                "user": user,
                "user_id": user_id,
                "admin_id": admin,
                "is_channel": is_channel,
            }));
        }
        Ok(())
    }

    pub(crate) fn push_unknown_update(&self, update_type: &str, fields: Value) -> i64 {
        let now = self.world().now();
        let mut update = json!({"update_type": update_type, "timestamp": now});
        if let (Some(target), Value::Object(extra)) = (update.as_object_mut(), fields) {
            target.extend(extra);
        }
        self.updates.push(&update)
    }
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
        self.shared
            .user_sends(user_id, chat_id, &NewMessageBody::text(text))
    }

    /// `user_id` sends a whole message (text, attachments, a reply or forward link) into `chat_id`: stored, and
    /// `message_created` is queued. Returns the message.
    pub fn user_sends(
        &self,
        user_id: UserId,
        chat_id: ChatId,
        body: &NewMessageBody,
    ) -> WorldResult<Message> {
        self.shared.user_sends(user_id, chat_id, body)
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
        self.shared.user_presses_button(user_id, mid, payload)
    }

    /// `user_id` presses Start (optionally through a deep link with `payload`): the dialog is created when
    /// needed (and re-activated after a stop) and `bot_started` is queued. Returns the dialog.
    pub fn user_starts_bot(&self, user_id: UserId, payload: Option<&str>) -> WorldResult<ChatId> {
        self.shared.user_starts_bot(user_id, payload)
    }

    /// `user_id` stops the bot: their dialog is suspended (the bot's sends answer `403`) and `bot_stopped` is
    /// queued. Returns the dialog.
    pub fn user_stops_bot(&self, user_id: UserId) -> WorldResult<ChatId> {
        self.shared.user_stops_bot(user_id)
    }

    /// `user_id` adds the bot to group chat or channel `chat_id` with `role`: `bot_added` is queued.
    pub fn user_adds_bot(
        &self,
        user_id: UserId,
        chat_id: ChatId,
        role: BotRole,
    ) -> WorldResult<()> {
        self.shared.user_adds_bot(user_id, chat_id, role)
    }

    /// `user_id` removes the bot from group chat or channel `chat_id`: `bot_removed` is queued.
    pub fn user_removes_bot(&self, user_id: UserId, chat_id: ChatId) -> WorldResult<()> {
        self.shared.user_removes_bot(user_id, chat_id)
    }

    /// `user_id` joins `chat_id` (added by `inviter`, or by link when `None`): `user_added` is queued when the
    /// bot is in the chat.
    pub fn user_joins_chat(
        &self,
        user_id: UserId,
        chat_id: ChatId,
        inviter: Option<UserId>,
    ) -> WorldResult<()> {
        self.shared.user_joins_chat(user_id, chat_id, inviter)
    }

    /// `user_id` leaves `chat_id` (removed by `admin`, or by themselves when `None`): `user_removed` is queued
    /// when the bot is in the chat.
    pub fn user_leaves_chat(
        &self,
        user_id: UserId,
        chat_id: ChatId,
        admin: Option<UserId>,
    ) -> WorldResult<()> {
        self.shared.user_leaves_chat(user_id, chat_id, admin)
    }

    /// Queues an update of a type the SDK does not know (new types appear every few months): `update_type`
    /// plus `fields`, stamped with the world's clock.
    pub fn push_unknown_update(&self, update_type: &str, fields: Value) {
        self.shared.push_unknown_update(update_type, fields);
    }
}
