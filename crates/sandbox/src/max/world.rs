//! The state of a MAX sandbox and every change to it, as methods: the HTTP routes call them after checking
//! the bot's rights, and tests (or "act as a user" helpers) call them directly.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::clock::{Clock, STEPPED_START_MS};

use botwire_core_types::max::{
    AttachmentRequest, BotCommand, BotInfo, Callback, CallbackAnswer, Chat, ChatAdminPermission,
    ChatId, ChatMember, ChatStatus, ChatType, CommentMessage, Message, MessageLinkType,
    NewCommentBody, NewMessageBody, PhotoRequestPayload, Subscription, SubscriptionRequestBody,
    TextFormat, UploadType, User, UserId, VideoAttachmentDetails,
};
use http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// An error answer of the sandbox: status plus the `{"code","message"}` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorldError {
    /// HTTP status.
    pub status: StatusCode,
    /// The `code` of the body.
    pub code: String,
    /// The `message` of the body.
    pub message: String,
}

impl WorldError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// `400 proto.payload` — a malformed request or a broken limit.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "proto.payload", message)
    }

    /// `403 chat.denied` — the bot may not do this.
    pub fn denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "chat.denied", message)
    }

    /// `404 not.found` — an unknown message, comment, video, callback or subscription.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not.found", message)
    }

    /// `404 chat.not.found`.
    pub fn chat_not_found(chat_id: ChatId) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "chat.not.found",
            format!("Chat {chat_id} not found"),
        )
    }

    /// `400 attachment.not.ready` with the platform's message.
    pub fn attachment_not_ready() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "attachment.not.ready",
            "Key: errors.process.attachment.file.not.processed",
        )
    }
}

impl std::fmt::Display for WorldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for WorldError {}

/// What the sandbox's world methods return.
pub type WorldResult<T> = Result<T, WorldError>;

/// The bot's place in a chat when it is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BotRole {
    /// Not in the chat (status `removed`).
    Absent,
    /// A plain member.
    Member,
    /// An admin with these rights.
    Admin(Vec<ChatAdminPermission>),
}

impl BotRole {
    /// An admin with every right a bot can be granted (all but `view_stats`).
    pub fn full_admin() -> Self {
        use ChatAdminPermission::*;
        Self::Admin(vec![
            ReadAllMessages,
            AddRemoveMembers,
            AddAdmins,
            ChangeChatInfo,
            PinMessage,
            EditLink,
            Write,
            Edit,
            Delete,
        ])
    }
}

/// What the bot must be in a chat for an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// A member (any status but active fails).
    Member,
    /// An admin (in group chats and channels; dialogs need nothing more).
    Admin,
    /// An admin with this right (in group chats and channels).
    Right(ChatAdminPermission),
}

/// One member of a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// Joined, Unix ms.
    pub join_time: i64,
    /// Last activity in the chat, Unix ms.
    pub last_access_time: i64,
    /// Owner.
    pub is_owner: bool,
    /// Admin.
    pub is_admin: bool,
    /// Admin rights.
    pub permissions: Vec<ChatAdminPermission>,
    /// Admin role label.
    pub alias: Option<String>,
}

/// A message as stored: the wire message plus who really wrote it (channel posts show no sender).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMessage {
    /// The message as the API shows it.
    pub message: Message,
    /// The user or bot that posted it.
    pub author: UserId,
}

/// A dialog, group chat or channel.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatState {
    /// Id (negative for chats and channels).
    pub chat_id: ChatId,
    /// Dialog, chat or channel.
    pub kind: ChatType,
    /// The bot's status.
    pub status: ChatStatus,
    /// Title (none for dialogs).
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Icon URL.
    pub icon_url: Option<String>,
    /// Invite link.
    pub link: Option<String>,
    /// Public chat or channel.
    pub is_public: bool,
    /// Owner.
    pub owner_id: Option<UserId>,
    /// Comments on channel posts allowed.
    pub comments_enabled: bool,
    /// The user on the other side of a dialog.
    pub dialog_with: Option<UserId>,
    /// Members by id (the bot included while it is in the chat).
    pub members: BTreeMap<UserId, Membership>,
    /// Messages, oldest first.
    pub messages: Vec<StoredMessage>,
    /// The pinned message's id.
    pub pinned: Option<String>,
    /// Users removed with `block=true`.
    pub blocked: BTreeSet<UserId>,
    /// Last event, Unix ms.
    pub last_event_time: i64,
}

impl ChatState {
    /// An empty chat of `kind` where the bot is active: no title, members or messages yet.
    pub fn new(chat_id: ChatId, kind: ChatType, now: i64) -> Self {
        Self {
            chat_id,
            comments_enabled: kind == ChatType::Channel,
            kind,
            status: ChatStatus::Active,
            title: None,
            description: None,
            icon_url: None,
            link: None,
            is_public: false,
            owner_id: None,
            dialog_with: None,
            members: BTreeMap::new(),
            messages: Vec::new(),
            pinned: None,
            blocked: BTreeSet::new(),
            last_event_time: now,
        }
    }
}

/// A comment as stored, with its real author.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredComment {
    /// The comment as the API shows it.
    pub comment: CommentMessage,
    /// Who posted it.
    pub author: UserId,
}

/// An uploaded (or announced) media file, by token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// Image, video, audio or file.
    pub kind: UploadType,
    /// Name of the uploaded file.
    pub filename: Option<String>,
    /// Bytes received.
    pub size: i64,
    /// Hex SHA-256 of the bytes received, when they arrived in one request (multipart or raw); `None` for
    /// resumable uploads in chunks (not kept) and files announced but not uploaded.
    pub sha256: Option<String>,
    /// The number of send attempts made when the bytes arrived; `None` while they have not.
    pub uploaded_at_attempt: Option<u64>,
    /// Where the media can be "downloaded".
    pub url: String,
}

/// An upload URL handed out by `POST /uploads`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadSlot {
    /// The type asked for.
    pub kind: UploadType,
    /// The token announced with the URL (video and audio).
    pub token: Option<String>,
    /// Bytes already received (one file per URL).
    pub done: bool,
}

/// What the upload host answers for a finished upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadReply {
    /// JSON (`photos` map for images, `token` for files).
    Json(Value),
    /// The `<retval>1</retval>` XML of video and audio.
    Xml(String),
}

/// A button press waiting for (or having received) `POST /answers`.
#[derive(Debug, Clone, PartialEq)]
pub struct CallbackState {
    /// The press as delivered in `message_callback`.
    pub callback: Callback,
    /// The message with the keyboard.
    pub message_id: String,
    /// Notifications shown by answers.
    pub notifications: Vec<String>,
    /// Answers received.
    pub answers: u32,
}

/// The world a MAX sandbox keeps: the bot, users, chats with members and messages, comments, uploads,
/// subscriptions, videos and button presses.
///
/// Every change is a method, so the HTTP routes and tests (and anything acting as a MAX user) share one
/// implementation. Time comes from its [`Clock`]: stepped (one second per event, the same timestamps on every
/// run) for [`MaxWorld::default`], the wall clock for [`crate::MaxSandbox::start`] unless its options say
/// otherwise.
#[derive(Debug)]
pub struct MaxWorld {
    /// The bot answered by `GET /me` (its `commands` are kept separately in `commands`).
    pub bot: BotInfo,
    /// The command list set by `PATCH /me/commands`.
    pub commands: Vec<BotCommand>,
    /// How many `POST /messages` attempts after an upload answer `attachment.not.ready` before its token
    /// is ready (0 = ready at once).
    pub attachment_ready_after: u64,
    pub(crate) base_url: String,
    users: BTreeMap<UserId, User>,
    private_users: BTreeSet<UserId>,
    chats: BTreeMap<ChatId, ChatState>,
    message_chat: HashMap<String, ChatId>,
    comments: BTreeMap<String, Vec<StoredComment>>,
    subscriptions: Vec<Subscription>,
    videos: BTreeMap<String, VideoAttachmentDetails>,
    media: BTreeMap<String, Media>,
    uploads: BTreeMap<u64, UploadSlot>,
    /// Resumable uploads in progress: the byte ranges received (inclusive) and the announced total.
    partial: BTreeMap<u64, (Vec<(u64, u64)>, u64)>,
    callbacks: BTreeMap<String, CallbackState>,
    send_attempts: u64,
    clock: Arc<Clock>,
    seq: i64,
    next_id: i64,
}

/// Decodes a JSON value the sandbox built itself into a model.
fn typed<T: DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("the sandbox builds values matching the models")
}

fn perm_list(perms: &[ChatAdminPermission]) -> Vec<&str> {
    perms.iter().map(ChatAdminPermission::as_str).collect()
}

impl Default for MaxWorld {
    /// An empty world on the stepped clock (reproducible timestamps).
    fn default() -> Self {
        Self::with_clock(Arc::new(Clock::stepped(STEPPED_START_MS)))
    }
}

impl MaxWorld {
    /// An empty world (but for the bot) whose timestamps come from `clock`.
    pub fn with_clock(clock: Arc<Clock>) -> Self {
        let mut bot = BotInfo::new(100_000_001, "Sandbox Bot");
        bot.username = Some("sandbox_bot".into());
        bot.name = Some("Sandbox Bot".into());
        bot.description = Some("A MAX bot served by botwire-sandbox".into());
        bot.last_activity_time = Some(clock.now());
        Self {
            bot,
            commands: Vec::new(),
            attachment_ready_after: 0,
            base_url: "http://127.0.0.1".into(),
            users: BTreeMap::new(),
            private_users: BTreeSet::new(),
            chats: BTreeMap::new(),
            message_chat: HashMap::new(),
            comments: BTreeMap::new(),
            subscriptions: Vec::new(),
            videos: BTreeMap::new(),
            media: BTreeMap::new(),
            uploads: BTreeMap::new(),
            partial: BTreeMap::new(),
            callbacks: BTreeMap::new(),
            send_attempts: 0,
            clock,
            // Real seq values exceed 2^53; so do ours, so a client that goes through f64 fails here too.
            seq: 116_328_147_937_082_000,
            next_id: 1,
        }
    }
}

impl MaxWorld {
    // ------------------------------------------------------------------------------------------ clock, ids

    /// The timestamp of a new event (Unix ms): one second on for the stepped clock, the running time (but
    /// never a repeated value) otherwise.
    pub fn tick(&mut self) -> i64 {
        self.clock.tick()
    }

    /// The current time of the world (Unix ms).
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The clock the world reads.
    pub fn clock(&self) -> &Arc<Clock> {
        &self.clock
    }

    /// Forgets everything but the bot's identity, the clock and the base URL: no users, chats, messages,
    /// uploads, subscriptions or callbacks (`POST /_sandbox/reset`).
    pub fn reset(&mut self) {
        let mut fresh = Self::with_clock(self.clock.clone());
        fresh.base_url = std::mem::take(&mut self.base_url);
        fresh.bot = self.bot.clone();
        fresh.attachment_ready_after = self.attachment_ready_after;
        *self = fresh;
    }

    fn next_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn next_seq(&mut self) -> i64 {
        self.seq += 1;
        self.seq
    }

    fn new_token(&mut self, prefix: &str) -> String {
        let id = self.next_id();
        format!(
            "{prefix}{:016x}",
            (id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        )
    }

    fn new_mid(&mut self, chat_id: ChatId) -> (String, i64) {
        let seq = self.next_seq();
        (
            format!("mid.{:016x}{:016x}", chat_id.get() as u64, seq as u64),
            seq,
        )
    }

    // ------------------------------------------------------------------------------------------ users

    /// The bot as a plain user.
    pub fn bot_user(&self) -> User {
        self.bot.to_user()
    }

    /// The bot's id.
    pub fn bot_id(&self) -> UserId {
        self.bot.user_id
    }

    /// Adds a user named `first_name` and returns it.
    pub fn add_user(&mut self, first_name: &str) -> User {
        let id = UserId(200_000_000 + self.next_id());
        let mut user = User::new(id, first_name, false);
        user.last_name = Some(String::new());
        user.name = Some(first_name.to_owned());
        user.last_activity_time = Some(self.now());
        self.users.insert(id, user.clone());
        user
    }

    /// Every seeded user, by id.
    pub fn users(&self) -> Vec<User> {
        self.users.values().cloned().collect()
    }

    /// Changes a seeded user; returns it as changed.
    pub fn update_user(
        &mut self,
        user_id: UserId,
        change: impl FnOnce(&mut User),
    ) -> WorldResult<User> {
        let user = self
            .users
            .get_mut(&user_id)
            .ok_or_else(|| WorldError::not_found(format!("User {user_id} not found")))?;
        change(user);
        Ok(user.clone())
    }

    /// A user (or the bot) by id.
    pub fn user(&self, user_id: UserId) -> Option<User> {
        if user_id == self.bot_id() {
            return Some(self.bot_user());
        }
        self.users.get(&user_id).cloned()
    }

    /// Whether a user refuses being added to chats by others.
    pub fn is_private(&self, user_id: UserId) -> bool {
        self.private_users.contains(&user_id)
    }

    /// Makes a user refuse being added to chats by others (`add.participant.privacy`).
    pub fn set_user_private(&mut self, user_id: UserId, private: bool) {
        if private {
            self.private_users.insert(user_id);
        } else {
            self.private_users.remove(&user_id);
        }
    }

    // ------------------------------------------------------------------------------------------ chats

    fn membership(&self, owner: bool, admin: Option<Vec<ChatAdminPermission>>) -> Membership {
        let now = self.now();
        Membership {
            join_time: now,
            last_access_time: now,
            is_owner: owner,
            is_admin: admin.is_some() || owner,
            permissions: admin.unwrap_or_default(),
            alias: None,
        }
    }

    /// Opens (or returns) the dialog between the bot and `user_id`.
    pub fn add_dialog(&mut self, user_id: UserId) -> WorldResult<ChatId> {
        if let Some(id) = self.dialog_with(user_id) {
            return Ok(id);
        }
        if !self.users.contains_key(&user_id) {
            return Err(WorldError::not_found(format!("User {user_id} not found")));
        }
        let chat_id = ChatId(182_182_000 + self.next_id());
        let now = self.tick();
        let mut chat = ChatState::new(chat_id, ChatType::Dialog, now);
        chat.dialog_with = Some(user_id);
        chat.members
            .insert(self.bot_id(), self.membership(false, None));
        chat.members.insert(user_id, self.membership(false, None));
        self.chats.insert(chat_id, chat);
        Ok(chat_id)
    }

    /// The dialog with `user_id`, if there is one.
    pub fn dialog_with(&self, user_id: UserId) -> Option<ChatId> {
        self.chats
            .values()
            .find(|c| c.kind == ChatType::Dialog && c.dialog_with == Some(user_id))
            .map(|c| c.chat_id)
    }

    fn add_group(
        &mut self,
        kind: ChatType,
        title: &str,
        owner: UserId,
        bot: BotRole,
    ) -> WorldResult<ChatId> {
        if !self.users.contains_key(&owner) {
            return Err(WorldError::not_found(format!("User {owner} not found")));
        }
        let chat_id = ChatId(-70_801_090_403_000 - self.next_id());
        let now = self.tick();
        let mut chat = ChatState::new(chat_id, kind, now);
        chat.title = Some(title.to_owned());
        chat.link = Some(format!("https://max.ru/join/sandbox{}", -chat_id.get()));
        chat.owner_id = Some(owner);
        chat.members.insert(owner, self.membership(true, None));
        match bot {
            BotRole::Absent => chat.status = ChatStatus::Removed,
            BotRole::Member => {
                chat.members
                    .insert(self.bot_id(), self.membership(false, None));
            }
            BotRole::Admin(perms) => {
                chat.members
                    .insert(self.bot_id(), self.membership(false, Some(perms)));
            }
        }
        self.chats.insert(chat_id, chat);
        Ok(chat_id)
    }

    /// Creates a group chat owned by `owner`, with the bot in `bot`'s role.
    pub fn add_group_chat(
        &mut self,
        title: &str,
        owner: UserId,
        bot: BotRole,
    ) -> WorldResult<ChatId> {
        self.add_group(ChatType::Chat, title, owner, bot)
    }

    /// Creates a channel owned by `owner` (comments enabled), with the bot in `bot`'s role.
    pub fn add_channel(&mut self, title: &str, owner: UserId, bot: BotRole) -> WorldResult<ChatId> {
        self.add_group(ChatType::Channel, title, owner, bot)
    }

    /// A chat by id.
    pub fn chat(&self, chat_id: ChatId) -> Option<&ChatState> {
        self.chats.get(&chat_id)
    }

    /// A chat by id, for changes.
    pub fn chat_mut(&mut self, chat_id: ChatId) -> Option<&mut ChatState> {
        self.chats.get_mut(&chat_id)
    }

    fn chat_or_404(&self, chat_id: ChatId) -> WorldResult<&ChatState> {
        self.chats
            .get(&chat_id)
            .ok_or_else(|| WorldError::chat_not_found(chat_id))
    }

    fn chat_mut_or_404(&mut self, chat_id: ChatId) -> WorldResult<&mut ChatState> {
        self.chats
            .get_mut(&chat_id)
            .ok_or_else(|| WorldError::chat_not_found(chat_id))
    }

    /// Checks that the bot may act in `chat_id` as `need` says: `404 chat.not.found` for an unknown chat,
    /// `403 chat.denied` when the bot is not an active member, not an admin, or lacks the right.
    pub fn require(&self, chat_id: ChatId, need: Need) -> WorldResult<&ChatState> {
        let chat = self.chat_or_404(chat_id)?;
        let me = chat.members.get(&self.bot_id());
        // A user who stopped the bot keeps the dialog readable; sending into it is refused by the route.
        let present = chat.status == ChatStatus::Active
            || (chat.kind == ChatType::Dialog && chat.status == ChatStatus::Suspended);
        let Some(me) = me.filter(|_| present) else {
            return Err(WorldError::denied(format!(
                "Bot is not a member of chat {chat_id}"
            )));
        };
        if chat.kind == ChatType::Dialog {
            return Ok(chat);
        }
        match need {
            Need::Member => Ok(chat),
            Need::Admin if me.is_admin => Ok(chat),
            Need::Admin => Err(WorldError::denied(format!(
                "Bot is not an administrator of chat {chat_id}"
            ))),
            Need::Right(right) if me.is_owner || me.permissions.contains(&right) => Ok(chat),
            Need::Right(right) => Err(WorldError::denied(format!(
                "Bot needs the administrator right `{right}` in chat {chat_id}"
            ))),
        }
    }

    /// Adds `user_id` to a chat or channel (as a plain member).
    pub fn add_member(&mut self, chat_id: ChatId, user_id: UserId) -> WorldResult<()> {
        if user_id != self.bot_id() && !self.users.contains_key(&user_id) {
            return Err(WorldError::not_found(format!("User {user_id} not found")));
        }
        let m = self.membership(false, None);
        let now = self.tick();
        let bot = self.bot_id();
        let chat = self.chat_mut_or_404(chat_id)?;
        chat.members.entry(user_id).or_insert(m);
        chat.blocked.remove(&user_id);
        chat.last_event_time = now;
        if user_id == bot {
            chat.status = ChatStatus::Active;
        }
        Ok(())
    }

    /// Removes `user_id` from a chat (and blocks them when `block` and the chat has a link).
    pub fn remove_member(
        &mut self,
        chat_id: ChatId,
        user_id: UserId,
        block: bool,
    ) -> WorldResult<()> {
        let now = self.tick();
        let bot = self.bot_id();
        let chat = self.chat_mut_or_404(chat_id)?;
        let Some(m) = chat.members.get(&user_id) else {
            return Err(WorldError::not_found(format!(
                "User {user_id} is not a member of chat {chat_id}"
            )));
        };
        if m.is_owner {
            return Err(WorldError::denied("The owner cannot be removed"));
        }
        chat.members.remove(&user_id);
        if block && chat.link.is_some() {
            chat.blocked.insert(user_id);
        }
        chat.last_event_time = now;
        if user_id == bot {
            chat.status = ChatStatus::Removed;
        }
        Ok(())
    }

    /// The bot leaves a chat (status `left`).
    pub fn bot_leave(&mut self, chat_id: ChatId) -> WorldResult<()> {
        let bot = self.bot_id();
        let chat = self.chat_mut_or_404(chat_id)?;
        if chat.kind == ChatType::Dialog {
            return Err(WorldError::bad_request("Cannot leave a dialog"));
        }
        chat.members.remove(&bot);
        chat.status = ChatStatus::Left;
        Ok(())
    }

    /// Sets the bot's role in a chat (joins it if needed).
    pub fn set_bot_role(&mut self, chat_id: ChatId, role: BotRole) -> WorldResult<()> {
        let bot = self.bot_id();
        match role {
            BotRole::Absent => self.remove_member(chat_id, bot, false),
            BotRole::Member => {
                self.add_member(chat_id, bot)?;
                self.set_admin(chat_id, bot, None, None)
            }
            BotRole::Admin(perms) => {
                self.add_member(chat_id, bot)?;
                self.set_admin(chat_id, bot, Some(perms), None)
            }
        }
    }

    /// Makes a member an admin with `permissions` (replacing earlier ones), or with `None` a plain member.
    pub fn set_admin(
        &mut self,
        chat_id: ChatId,
        user_id: UserId,
        permissions: Option<Vec<ChatAdminPermission>>,
        alias: Option<String>,
    ) -> WorldResult<()> {
        let chat = self.chat_mut_or_404(chat_id)?;
        let Some(m) = chat.members.get_mut(&user_id) else {
            return Err(WorldError::not_found(format!(
                "User {user_id} is not a member of chat {chat_id}"
            )));
        };
        match permissions {
            Some(p) => {
                m.is_admin = true;
                m.permissions = p;
                m.alias = alias;
            }
            None if m.is_owner => {
                return Err(WorldError::denied("The owner stays an administrator"));
            }
            None => {
                m.is_admin = false;
                m.permissions.clear();
                m.alias = None;
            }
        }
        Ok(())
    }

    /// Applies a chat edit (title, description — `""` removes it —, icon, pin) and returns the chat.
    pub fn edit_chat(
        &mut self,
        chat_id: ChatId,
        patch: &botwire_core_types::max::ChatPatch,
    ) -> WorldResult<Chat> {
        if let Some(pin) = &patch.pin {
            self.pin(chat_id, pin)?;
        }
        let icon = patch.icon.as_ref().map(|icon| match icon {
            PhotoRequestPayload::Url { url } => url.clone(),
            PhotoRequestPayload::Token { token } => self.media_url(token),
            PhotoRequestPayload::Photos { photos } => photos
                .values()
                .next()
                .map(|p| self.media_url(&p.token))
                .unwrap_or_default(),
            _ => String::new(),
        });
        let now = self.tick();
        let chat = self.chat_mut_or_404(chat_id)?;
        if let Some(t) = &patch.title {
            chat.title = Some(t.clone());
        }
        if let Some(d) = &patch.description {
            chat.description = (!d.is_empty()).then(|| d.clone());
        }
        if icon.is_some() {
            chat.icon_url = icon;
        }
        chat.last_event_time = now;
        self.chat_view(chat_id, true)
    }

    fn media_url(&self, token: &str) -> String {
        self.media
            .get(token)
            .map(|m| m.url.clone())
            .unwrap_or_else(|| format!("{}/media/image/{token}", self.base_url))
    }

    /// Pins a message of the chat.
    pub fn pin(&mut self, chat_id: ChatId, message_id: &str) -> WorldResult<()> {
        if self.message_chat.get(message_id) != Some(&chat_id) {
            return Err(WorldError::not_found(format!(
                "Message {message_id} not found in chat {chat_id}"
            )));
        }
        let chat = self.chat_mut_or_404(chat_id)?;
        chat.pinned = Some(message_id.to_owned());
        Ok(())
    }

    /// Unpins the pinned message.
    pub fn unpin(&mut self, chat_id: ChatId) -> WorldResult<()> {
        self.chat_mut_or_404(chat_id)?.pinned = None;
        Ok(())
    }

    /// The pinned message of a chat.
    pub fn pinned(&self, chat_id: ChatId) -> Option<Message> {
        let mid = self.chat(chat_id)?.pinned.as_deref()?;
        self.message(mid).map(|m| m.message.clone())
    }

    /// The chat as `GET /chats/{id}` shows it to the bot; `detailed` adds the pinned message (single chat
    /// requests), and admin-only fields appear when the bot is an admin.
    pub fn chat_view(&self, chat_id: ChatId, detailed: bool) -> WorldResult<Chat> {
        let chat = self.chat_or_404(chat_id)?;
        let bot_admin = chat.members.get(&self.bot_id()).is_some_and(|m| m.is_admin);
        let dialog = chat.kind == ChatType::Dialog;
        let mut v = json!({
            "chat_id": chat.chat_id,
            "type": chat.kind,
            "status": chat.status,
            "title": chat.title,
            "icon": chat.icon_url.as_ref().map(|u| json!({"url": u})),
            "last_event_time": chat.last_event_time,
            "participants_count": chat.members.len(),
            "is_public": chat.is_public,
            "link": chat.link,
            "description": chat.description,
        });
        if !dialog {
            v["messages_count"] = json!(chat.messages.len());
        }
        if let Some(u) = chat.dialog_with.and_then(|u| self.user(u)) {
            v["dialog_with_user"] = json!(u);
        }
        if bot_admin {
            v["owner_id"] = json!(chat.owner_id);
            if detailed {
                let participants: BTreeMap<String, i64> = chat
                    .members
                    .iter()
                    .map(|(id, m)| (id.to_string(), m.last_access_time))
                    .collect();
                v["participants"] = json!(participants);
            }
        }
        if detailed {
            v["pinned_message"] = json!(self.pinned(chat_id));
        }
        Ok(typed(v))
    }

    /// A member as `GET /chats/{id}/members` shows them.
    pub fn member_view(&self, chat_id: ChatId, user_id: UserId) -> WorldResult<ChatMember> {
        let chat = self.chat_or_404(chat_id)?;
        let m = chat.members.get(&user_id).ok_or_else(|| {
            WorldError::not_found(format!("User {user_id} is not a member of chat {chat_id}"))
        })?;
        let user = self
            .user(user_id)
            .ok_or_else(|| WorldError::not_found(format!("User {user_id} not found")))?;
        let mut v = json!(user);
        v["last_access_time"] = json!(m.last_access_time);
        v["is_owner"] = json!(m.is_owner);
        v["is_admin"] = json!(m.is_admin);
        v["join_time"] = json!(m.join_time);
        if m.is_admin {
            v["permissions"] = json!(perm_list(&m.permissions));
            v["alias"] = json!(m.alias);
        }
        Ok(typed(v))
    }

    // ------------------------------------------------------------------------------------------ messages

    /// A stored message by id.
    pub fn message(&self, mid: &str) -> Option<&StoredMessage> {
        let chat = self.chats.get(self.message_chat.get(mid)?)?;
        chat.messages.iter().find(|m| m.message.mid() == Some(mid))
    }

    /// The messages of a chat, oldest first.
    pub fn messages(&self, chat_id: ChatId) -> &[StoredMessage] {
        self.chats
            .get(&chat_id)
            .map(|c| c.messages.as_slice())
            .unwrap_or_default()
    }

    /// Counts one `POST /messages` attempt and checks that every uploaded attachment of `body` is processed:
    /// a token uploaded fewer than [`MaxWorld::attachment_ready_after`] attempts ago (or announced and never
    /// uploaded) answers `attachment.not.ready`.
    pub fn send_attempt(&mut self, body: &NewMessageBody) -> WorldResult<()> {
        self.send_attempts += 1;
        for a in body.attachments.iter().flatten() {
            let token = match a {
                AttachmentRequest::Video(u)
                | AttachmentRequest::Audio(u)
                | AttachmentRequest::File(u) => Some(u.payload.token.as_str()),
                AttachmentRequest::Image(i) => match &i.payload {
                    PhotoRequestPayload::Token { token } => Some(token.as_str()),
                    PhotoRequestPayload::Photos { photos } => {
                        photos.values().next().map(|p| p.token.as_str())
                    }
                    _ => None,
                },
                _ => None,
            };
            if let Some(media) = token.and_then(|t| self.media.get(t)) {
                match media.uploaded_at_attempt {
                    Some(at) if self.send_attempts - at > self.attachment_ready_after => {}
                    _ => return Err(WorldError::attachment_not_ready()),
                }
            }
        }
        Ok(())
    }

    fn media_attachment(&self, token: &str, kind: UploadType) -> WorldResult<&Media> {
        self.media
            .get(token)
            .filter(|m| m.kind == kind)
            .ok_or_else(|| WorldError::bad_request(format!("Invalid {kind} token: {token}")))
    }

    fn image_from_token(&self, token: &str) -> WorldResult<Value> {
        let m = self.media_attachment(token, UploadType::Image)?;
        Ok(
            json!({"type": "image", "payload": {"photo_id": token_number(token), "token": token, "url": m.url}}),
        )
    }

    /// Turns an attachment to send into the attachment the message shows.
    fn resolve_attachment(&mut self, a: &AttachmentRequest) -> WorldResult<Value> {
        Ok(match a {
            AttachmentRequest::Image(img) => match &img.payload {
                PhotoRequestPayload::Url { url } => {
                    let token = self.new_token("img");
                    self.media.insert(
                        token.clone(),
                        Media {
                            kind: UploadType::Image,
                            filename: None,
                            size: 0,
                            sha256: None,
                            uploaded_at_attempt: Some(0),
                            url: url.clone(),
                        },
                    );
                    json!({"type": "image", "payload": {"photo_id": token_number(&token), "token": token, "url": url}})
                }
                PhotoRequestPayload::Token { token } => self.image_from_token(token)?,
                PhotoRequestPayload::Photos { photos } => {
                    let token =
                        photos
                            .values()
                            .next()
                            .map(|p| p.token.clone())
                            .ok_or_else(|| {
                                WorldError::bad_request(
                                    "No `photos`, `url` or `token` provided. Check payload.",
                                )
                            })?;
                    self.image_from_token(&token)?
                }
                _ => return Err(WorldError::bad_request("Can't deserialize body")),
            },
            AttachmentRequest::Video(u) => {
                let m = self.media_attachment(&u.payload.token, UploadType::Video)?;
                let details = self.videos.get(&u.payload.token);
                json!({
                    "type": "video",
                    "payload": {"url": m.url, "token": u.payload.token},
                    "thumbnail": {"url": format!("{}.jpg", m.url)},
                    "width": details.map(|d| d.width),
                    "height": details.map(|d| d.height),
                    "duration": details.map(|d| d.duration),
                })
            }
            AttachmentRequest::Audio(u) => {
                let m = self.media_attachment(&u.payload.token, UploadType::Audio)?;
                json!({"type": "audio", "payload": {"url": m.url, "token": u.payload.token}})
            }
            AttachmentRequest::File(u) => {
                let m = self.media_attachment(&u.payload.token, UploadType::File)?;
                json!({
                    "type": "file",
                    "payload": {"url": m.url, "token": u.payload.token},
                    "filename": m.filename.clone().unwrap_or_else(|| "file".into()),
                    "size": m.size,
                })
            }
            AttachmentRequest::Sticker(s) => json!({
                "type": "sticker",
                "payload": {"url": format!("https://i.oneme.ru/getSmile?smileId={}", s.payload.code), "code": s.payload.code},
                "width": 256,
                "height": 256,
            }),
            AttachmentRequest::Contact(c) => {
                let p = &c.payload;
                let vcf = p.vcf_info.clone().unwrap_or_else(|| {
                    format!(
                        "BEGIN:VCARD\r\nVERSION:3.0\r\nTEL;TYPE=cell:{}\r\nFN:{}\r\nEND:VCARD\r\n",
                        p.vcf_phone.as_deref().unwrap_or_default(),
                        p.name.as_deref().unwrap_or_default()
                    )
                });
                let max_info = p.contact_id.and_then(|id| self.user(UserId(id)));
                json!({"type": "contact", "payload": {"vcf_info": vcf, "max_info": max_info}})
            }
            AttachmentRequest::InlineKeyboard(k) => {
                let callback_id = self.new_token("kb");
                json!({"type": "inline_keyboard", "payload": k.payload, "callback_id": callback_id})
            }
            AttachmentRequest::Location(l) => {
                json!({"type": "location", "latitude": l.latitude, "longitude": l.longitude})
            }
            AttachmentRequest::Share(s) => json!({
                "type": "share",
                "payload": {"url": s.payload.url, "token": s.payload.token},
                "title": s.payload.url,
            }),
            _ => return Err(WorldError::bad_request("Can't deserialize body")),
        })
    }

    fn linked(&self, link: &botwire_core_types::max::NewMessageLink) -> WorldResult<Value> {
        let original = self
            .message(&link.mid)
            .ok_or_else(|| WorldError::not_found(format!("Message {} not found", link.mid)))?;
        let mut v = json!({
            "type": link.kind,
            "sender": original.message.sender,
            "message": original.message.body,
        });
        if link.kind == MessageLinkType::Forward {
            v["chat_id"] = json!(original.message.recipient.chat_id);
        }
        Ok(v)
    }

    /// Posts a message into a chat as `sender` (the bot or a member) and returns it as the API shows it.
    /// Checks existence (chat, linked message, attachment tokens), not rights.
    pub fn post_message(
        &mut self,
        chat_id: ChatId,
        sender: UserId,
        body: &NewMessageBody,
    ) -> WorldResult<Message> {
        let (kind, dialog_with) = {
            let chat = self.chat_or_404(chat_id)?;
            (chat.kind.clone(), chat.dialog_with)
        };
        let empty_text = body.text.as_deref().is_none_or(str::is_empty);
        let no_attachments = body.attachments.as_ref().is_none_or(Vec::is_empty);
        if empty_text && no_attachments && body.link.is_none() {
            return Err(WorldError::bad_request(
                "Message must contain text or attachments",
            ));
        }
        let link = body.link.as_ref().map(|l| self.linked(l)).transpose()?;
        let attachments = match &body.attachments {
            Some(list) if !list.is_empty() => Some(
                list.iter()
                    .map(|a| self.resolve_attachment(a))
                    .collect::<WorldResult<Vec<_>>>()?,
            ),
            _ => None,
        };
        let user = self
            .user(sender)
            .ok_or_else(|| WorldError::not_found(format!("User {sender} not found")))?;
        let (text, markup) = formatted(body)?;
        let (mid, seq) = self.new_mid(chat_id);
        let now = self.tick();
        let mut recipient = json!({"chat_id": chat_id, "chat_type": kind});
        if kind == ChatType::Dialog {
            let other = if sender == self.bot_id() {
                dialog_with.unwrap_or(sender)
            } else {
                self.bot_id()
            };
            recipient["user_id"] = json!(other);
        }
        let mut v = json!({
            "recipient": recipient,
            "timestamp": now,
            "body": {"mid": mid, "seq": seq, "text": text, "attachments": attachments, "markup": markup},
        });
        if let Some(link) = link {
            v["link"] = link;
        }
        if kind == ChatType::Channel {
            v["stat"] = json!({"views": 0});
        } else {
            v["sender"] = json!(user);
        }
        let message: Message = typed(v);
        let chat = self.chat_mut_or_404(chat_id)?;
        chat.messages.push(StoredMessage {
            message: message.clone(),
            author: sender,
        });
        chat.last_event_time = now;
        if let Some(m) = chat.members.get_mut(&sender) {
            m.last_access_time = now;
        }
        self.message_chat.insert(mid, chat_id);
        Ok(message)
    }

    /// Replaces the content of a message: text and format always, attachments when given (`[]` removes them).
    pub fn edit_message(&mut self, mid: &str, body: &NewMessageBody) -> WorldResult<Message> {
        let chat_id = *self
            .message_chat
            .get(mid)
            .ok_or_else(|| WorldError::not_found(format!("Message {mid} not found")))?;
        let attachments = match &body.attachments {
            Some(list) => Some(
                list.iter()
                    .map(|a| self.resolve_attachment(a))
                    .collect::<WorldResult<Vec<_>>>()?,
            ),
            None => None,
        };
        let chat = self.chat_mut_or_404(chat_id)?;
        let stored = chat
            .messages
            .iter_mut()
            .find(|m| m.message.mid() == Some(mid))
            .ok_or_else(|| WorldError::not_found(format!("Message {mid} not found")))?;
        let mut v = json!(stored.message);
        if body.text.is_some() {
            let (text, markup) = formatted(body)?;
            v["body"]["text"] = json!(text);
            v["body"]["markup"] = json!(markup);
        }
        if let Some(list) = attachments {
            v["body"]["attachments"] = if list.is_empty() {
                Value::Null
            } else {
                json!(list)
            };
        }
        stored.message = typed(v);
        Ok(stored.message.clone())
    }

    /// Deletes a message (and unpins it); returns what was deleted.
    pub fn delete_message(&mut self, mid: &str) -> WorldResult<StoredMessage> {
        let chat_id = self
            .message_chat
            .remove(mid)
            .ok_or_else(|| WorldError::not_found(format!("Message {mid} not found")))?;
        self.comments.remove(mid);
        let chat = self.chat_mut_or_404(chat_id)?;
        if chat.pinned.as_deref() == Some(mid) {
            chat.pinned = None;
        }
        let pos = chat
            .messages
            .iter()
            .position(|m| m.message.mid() == Some(mid))
            .ok_or_else(|| WorldError::not_found(format!("Message {mid} not found")))?;
        Ok(chat.messages.remove(pos))
    }

    // ------------------------------------------------------------------------------------------ comments

    /// The comments of a post, oldest first.
    pub fn comments(&self, post_id: &str) -> &[StoredComment] {
        self.comments
            .get(post_id)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The channel of a post, checking that it is a channel post with comments enabled.
    pub fn post_channel(&self, post_id: &str) -> WorldResult<ChatId> {
        let chat_id = *self
            .message_chat
            .get(post_id)
            .ok_or_else(|| WorldError::not_found(format!("Post {post_id} not found")))?;
        let chat = self.chat_or_404(chat_id)?;
        if chat.kind != ChatType::Channel {
            return Err(WorldError::bad_request(format!(
                "Message {post_id} is not a channel post"
            )));
        }
        if !chat.comments_enabled {
            return Err(WorldError::denied(format!(
                "Comments are disabled in chat {chat_id}"
            )));
        }
        Ok(chat_id)
    }

    /// Comments on a channel post as `sender`; returns the comment as the API shows it.
    pub fn post_comment(
        &mut self,
        post_id: &str,
        sender: UserId,
        body: &NewCommentBody,
    ) -> WorldResult<CommentMessage> {
        let chat_id = self.post_channel(post_id)?;
        if body.text.as_deref().is_none_or(str::is_empty) {
            return Err(WorldError::bad_request("Comment must contain text"));
        }
        let link = match &body.link {
            Some(l) => {
                let original = self
                    .comments(post_id)
                    .iter()
                    .find(|c| c.comment.body.mid == l.mid)
                    .ok_or_else(|| WorldError::not_found(format!("Comment {} not found", l.mid)))?;
                Some(
                    json!({"type": "reply", "sender": original.comment.sender, "message": original.comment.body}),
                )
            }
            None => None,
        };
        let user = self
            .user(sender)
            .ok_or_else(|| WorldError::not_found(format!("User {sender} not found")))?;
        let (mid, seq) = self.new_mid(chat_id);
        let now = self.tick();
        let v = json!({
            "sender": user,
            "recipient": {"chat_id": chat_id, "chat_type": "channel", "post_id": post_id},
            "timestamp": now,
            "link": link,
            "body": {"mid": mid, "seq": seq, "text": body.text},
        });
        let comment: CommentMessage = typed(v);
        self.comments
            .entry(post_id.to_owned())
            .or_default()
            .push(StoredComment {
                comment: comment.clone(),
                author: sender,
            });
        Ok(comment)
    }

    /// A comment by post and id.
    pub fn comment(&self, post_id: &str, comment_id: &str) -> WorldResult<&StoredComment> {
        self.comments(post_id)
            .iter()
            .find(|c| c.comment.body.mid == comment_id)
            .ok_or_else(|| WorldError::not_found(format!("Comment {comment_id} not found")))
    }

    /// Replaces a comment's text.
    pub fn edit_comment(
        &mut self,
        post_id: &str,
        comment_id: &str,
        body: &NewCommentBody,
    ) -> WorldResult<CommentMessage> {
        let c = self
            .comments
            .get_mut(post_id)
            .and_then(|list| list.iter_mut().find(|c| c.comment.body.mid == comment_id))
            .ok_or_else(|| WorldError::not_found(format!("Comment {comment_id} not found")))?;
        if let Some(text) = &body.text {
            c.comment.body.text = Some(text.clone());
        }
        Ok(c.comment.clone())
    }

    /// Deletes a comment.
    pub fn delete_comment(
        &mut self,
        post_id: &str,
        comment_id: &str,
    ) -> WorldResult<StoredComment> {
        let list = self
            .comments
            .get_mut(post_id)
            .ok_or_else(|| WorldError::not_found(format!("Comment {comment_id} not found")))?;
        let pos = list
            .iter()
            .position(|c| c.comment.body.mid == comment_id)
            .ok_or_else(|| WorldError::not_found(format!("Comment {comment_id} not found")))?;
        Ok(list.remove(pos))
    }

    // ------------------------------------------------------------------------------------------ callbacks

    /// A user presses the `callback` button with `payload` on message `mid`: returns the callback the bot
    /// would receive in `message_callback` (its id is what `POST /answers` takes).
    pub fn press_button(
        &mut self,
        mid: &str,
        user_id: UserId,
        payload: &str,
    ) -> WorldResult<Callback> {
        let stored = self
            .message(mid)
            .ok_or_else(|| WorldError::not_found(format!("Message {mid} not found")))?;
        let has_button = stored.message.attachments().iter().any(|a| {
            json!(a)["payload"]["buttons"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|row| row.as_array().into_iter().flatten())
                .any(|b| b["type"] == "callback" && b["payload"] == payload)
        });
        if !has_button {
            return Err(WorldError::bad_request(format!(
                "Message {mid} has no callback button with payload {payload:?}"
            )));
        }
        let user = self
            .user(user_id)
            .ok_or_else(|| WorldError::not_found(format!("User {user_id} not found")))?;
        let callback_id = self.new_token("cb.");
        let callback: Callback = typed(json!({
            "timestamp": self.tick(),
            "callback_id": callback_id,
            "payload": payload,
            "user": user,
        }));
        self.callbacks.insert(
            callback_id,
            CallbackState {
                callback: callback.clone(),
                message_id: mid.to_owned(),
                notifications: Vec::new(),
                answers: 0,
            },
        );
        Ok(callback)
    }

    /// A button press by callback id.
    pub fn callback(&self, callback_id: &str) -> Option<&CallbackState> {
        self.callbacks.get(callback_id)
    }

    /// Applies an answer: the message replaces the keyboard's message, the notification is recorded.
    pub fn answer_callback(
        &mut self,
        callback_id: &str,
        answer: &CallbackAnswer,
    ) -> WorldResult<()> {
        let state = self
            .callbacks
            .get(callback_id)
            .ok_or_else(|| WorldError::not_found(format!("Callback {callback_id} not found")))?;
        let mid = state.message_id.clone();
        if let Some(body) = &answer.message {
            let mut body = body.clone();
            // The replacement is a whole message: no attachments means none.
            body.attachments.get_or_insert_with(Vec::new);
            self.edit_message(&mid, &body)?;
        }
        if let Some(state) = self.callbacks.get_mut(callback_id) {
            state.answers += 1;
            if let Some(n) = &answer.notification {
                state.notifications.push(n.clone());
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------------------------------------ subscriptions

    /// The webhook subscriptions.
    pub fn subscriptions(&self) -> &[Subscription] {
        &self.subscriptions
    }

    /// Adds a subscription, or updates the one with the same URL.
    pub fn subscribe(&mut self, body: &SubscriptionRequestBody) {
        let now = self.tick();
        let sub: Subscription = typed(json!({
            "url": body.url,
            "time": now,
            "update_types": body.update_types,
        }));
        match self.subscriptions.iter_mut().find(|s| s.url == body.url) {
            Some(existing) => *existing = sub,
            None => self.subscriptions.push(sub),
        }
    }

    /// Removes the subscription of `url`; `false` when there was none.
    pub fn unsubscribe(&mut self, url: &str) -> bool {
        let before = self.subscriptions.len();
        self.subscriptions.retain(|s| s.url != url);
        self.subscriptions.len() != before
    }

    // ------------------------------------------------------------------------------------------ media

    /// Registers a processed video under `token` (what `GET /videos/{token}` answers).
    pub fn add_video(
        &mut self,
        token: &str,
        width: i32,
        height: i32,
        duration: i32,
    ) -> VideoAttachmentDetails {
        let url = format!("{}/media/video/{token}", self.base_url);
        self.media.insert(
            token.to_owned(),
            Media {
                kind: UploadType::Video,
                filename: None,
                size: 0,
                sha256: None,
                uploaded_at_attempt: Some(0),
                url: url.clone(),
            },
        );
        let details: VideoAttachmentDetails = typed(json!({
            "token": token,
            "urls": {"mp4_720": format!("{url}/720.mp4"), "mp4_480": format!("{url}/480.mp4"), "hls": format!("{url}/master.m3u8")},
            "thumbnail": {"url": format!("{url}.jpg")},
            "width": width,
            "height": height,
            "duration": duration,
        }));
        self.videos.insert(token.to_owned(), details.clone());
        details
    }

    /// A video's details.
    pub fn video(&self, token: &str) -> Option<&VideoAttachmentDetails> {
        self.videos.get(token)
    }

    /// An uploaded media file by token.
    pub fn media(&self, token: &str) -> Option<&Media> {
        self.media.get(token)
    }

    /// Hands out an upload URL (`POST /uploads`): returns `(url, token)`; the token only for video and audio.
    pub fn create_upload(&mut self, kind: UploadType) -> (String, Option<String>) {
        let id = self.next_id() as u64;
        let token = match kind {
            UploadType::Video | UploadType::Audio => {
                let token = self.new_token(&format!("{kind}"));
                self.media.insert(
                    token.clone(),
                    Media {
                        kind: kind.clone(),
                        filename: None,
                        size: 0,
                        sha256: None,
                        uploaded_at_attempt: None,
                        url: format!("{}/media/{kind}/{token}", self.base_url),
                    },
                );
                Some(token)
            }
            _ => None,
        };
        self.uploads.insert(
            id,
            UploadSlot {
                kind: kind.clone(),
                token: token.clone(),
                done: false,
            },
        );
        (format!("{}/upload/{kind}/{id}", self.base_url), token)
    }

    /// Receives one chunk of a resumable upload (`Content-Range: bytes start-end/total`, end inclusive): returns
    /// the host's final answer once every byte of `total` has arrived, `None` before. A chunk that does not fit
    /// the announced total is `416`.
    pub fn receive_chunk(
        &mut self,
        kind: &UploadType,
        id: u64,
        filename: Option<String>,
        (start, end, total): (u64, u64, u64),
    ) -> WorldResult<Option<UploadReply>> {
        let slot = self
            .uploads
            .get(&id)
            .filter(|s| &s.kind == kind)
            .ok_or_else(|| WorldError::not_found(format!("Upload {kind}/{id} not found")))?;
        if slot.done {
            return Err(WorldError::bad_request(
                "This upload URL was already used; get a new one",
            ));
        }
        let unsatisfiable = || {
            WorldError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range.not.satisfiable",
                format!("Content-Range bytes {start}-{end}/{total} does not fit the upload"),
            )
        };
        if start > end || end >= total {
            return Err(unsatisfiable());
        }
        let (ranges, announced) = self.partial.entry(id).or_insert((Vec::new(), total));
        if *announced != total {
            return Err(unsatisfiable());
        }
        ranges.push((start, end));
        if covered(ranges) < total {
            return Ok(None);
        }
        self.partial.remove(&id);
        let size = usize::try_from(total).unwrap_or(usize::MAX);
        self.complete_upload(kind, id, filename, size).map(Some)
    }

    /// What `GET <upload url>` answers: `{"status":"pending"|"in_progress"|"done","total","received","next"}`
    /// (`next`: the first byte not yet received from the start; the platform's format is undocumented).
    pub fn upload_status(&self, kind: &UploadType, id: u64) -> WorldResult<Value> {
        let slot = self
            .uploads
            .get(&id)
            .filter(|s| &s.kind == kind)
            .ok_or_else(|| WorldError::not_found(format!("Upload {kind}/{id} not found")))?;
        Ok(match (slot.done, self.partial.get(&id)) {
            (true, _) => json!({"status": "done"}),
            (false, Some((ranges, total))) => json!({
                "status": "in_progress",
                "total": total,
                "received": covered(ranges),
                "next": contiguous(ranges),
            }),
            (false, None) => json!({"status": "pending", "received": 0, "next": 0}),
        })
    }

    /// Receives the bytes of an upload (the upload host): registers the media and returns what the host
    /// answers.
    pub fn complete_upload(
        &mut self,
        kind: &UploadType,
        id: u64,
        filename: Option<String>,
        size: usize,
    ) -> WorldResult<UploadReply> {
        self.complete(kind, id, filename, size, None)
    }

    /// [`MaxWorld::complete_upload`] for bytes received whole, recording their SHA-256 (hex) in
    /// [`Media::sha256`] so a test can check the file arrived intact.
    pub fn complete_upload_bytes(
        &mut self,
        kind: &UploadType,
        id: u64,
        filename: Option<String>,
        data: &[u8],
    ) -> WorldResult<UploadReply> {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.complete(kind, id, filename, data.len(), Some(digest))
    }

    fn complete(
        &mut self,
        kind: &UploadType,
        id: u64,
        filename: Option<String>,
        size: usize,
        sha256: Option<String>,
    ) -> WorldResult<UploadReply> {
        let slot = self
            .uploads
            .get(&id)
            .filter(|s| &s.kind == kind)
            .ok_or_else(|| WorldError::not_found(format!("Upload {kind}/{id} not found")))?;
        if slot.done {
            return Err(WorldError::bad_request(
                "This upload URL was already used; get a new one",
            ));
        }
        let announced = slot.token.clone();
        let attempt = self.send_attempts;
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        let reply = match announced {
            Some(token) => {
                if *kind == UploadType::Video {
                    // Processing "finds" a 10-second 720p video: the sandbox does not decode media.
                    self.add_video(&token, 1280, 720, 10);
                }
                if let Some(m) = self.media.get_mut(&token) {
                    m.uploaded_at_attempt = Some(attempt);
                    m.filename = filename;
                    m.size = size;
                    m.sha256 = sha256;
                }
                UploadReply::Xml("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<retval>1</retval>".into())
            }
            None => {
                let prefix = if *kind == UploadType::Image {
                    "img"
                } else {
                    "file"
                };
                let token = self.new_token(prefix);
                self.media.insert(
                    token.clone(),
                    Media {
                        kind: kind.clone(),
                        filename,
                        size,
                        sha256,
                        uploaded_at_attempt: Some(attempt),
                        url: format!("{}/media/{kind}/{token}", self.base_url),
                    },
                );
                if *kind == UploadType::Image {
                    let key = format!("{:x}", token_number(&token));
                    UploadReply::Json(json!({"photos": {key: {"token": token}}}))
                } else {
                    UploadReply::Json(json!({"token": token}))
                }
            }
        };
        if let Some(slot) = self.uploads.get_mut(&id) {
            slot.done = true;
        }
        Ok(reply)
    }
}

/// Bytes covered by inclusive ranges (overlaps counted once).
fn covered(ranges: &[(u64, u64)]) -> u64 {
    let mut sorted = ranges.to_vec();
    sorted.sort_unstable();
    let mut total = 0;
    let mut next = 0u64;
    for (s, e) in sorted {
        let s = s.max(next);
        if e + 1 > s {
            total += e + 1 - s;
            next = e + 1;
        }
    }
    total
}

/// The end of the contiguous prefix received (the next byte wanted).
fn contiguous(ranges: &[(u64, u64)]) -> u64 {
    let mut sorted = ranges.to_vec();
    sorted.sort_unstable();
    let mut next = 0u64;
    for (s, e) in sorted {
        if s > next {
            break;
        }
        next = next.max(e + 1);
    }
    next
}

/// The text as stored and its `markup` (`None` for plain text or when the markup is empty).
fn formatted(body: &NewMessageBody) -> WorldResult<(Option<String>, Option<Vec<Value>>)> {
    let Some(text) = body.text.as_deref() else {
        return Ok((None, None));
    };
    let (text, markup) = match &body.format {
        None => return Ok((Some(text.to_owned()), None)),
        Some(TextFormat::Markdown) => super::format::markdown(text)?,
        Some(TextFormat::Html) => super::format::html(text)?,
        Some(_) => return Err(WorldError::bad_request("Can't deserialize body")),
    };
    Ok((Some(text), (!markup.is_empty()).then_some(markup)))
}

/// A stable number derived from a token (photo ids, photo keys).
fn token_number(token: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in token.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (h >> 1) as i64
}
