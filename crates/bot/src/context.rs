//! What a handler gets: the update, typed accessors, the client, user state, the dialogue, and reply helpers.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};

use botwire_core_types::max::{
    AttachmentRequest, BotInfo, Callback, CallbackAnswer, ChatId, ChatType, Keyboard, Message,
    NewMessageBody, ReplyTarget, Update, User, UserId,
};
use botwire_max::endpoints::{
    AnswerCallback, DeleteMessage, EditMessage, MessageTarget, SendMessage,
};
use botwire_max::{AsyncTransport, BlockingTransport, Endpoint};
use botwire_transport::RateKey;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::dialogue::{DialogueKey, StorageError, Versioned};
use crate::error::BoxError;

/// The async client handlers use: any transport, erased (`Arc<dyn AsyncTransport>` is a transport).
pub type AsyncApi = botwire_max::Client<Arc<dyn AsyncTransport>>;
/// The blocking client handlers use on the blocking runner.
pub type BlockingApi = botwire_max::blocking::Client<Arc<dyn BlockingTransport>>;

/// The client of the runner that delivered the update.
#[derive(Clone)]
pub(crate) enum Api {
    Async(AsyncApi),
    Blocking(BlockingApi),
    /// No client (benchmarks of the routing itself): queued replies are dropped.
    Detached,
}

struct ClientTransport<T>(Arc<botwire_max::Client<T>>);

#[async_trait::async_trait]
impl<T: AsyncTransport> AsyncTransport for ClientTransport<T> {
    async fn execute(
        &self,
        request: botwire_max::HttpRequest,
    ) -> Result<botwire_max::HttpResponse, botwire_transport::TransportError> {
        self.0.transport().execute(request).await
    }

    async fn execute_ref(
        &self,
        request: &botwire_max::HttpRequest,
    ) -> Result<botwire_max::HttpResponse, botwire_transport::TransportError> {
        self.0.transport().execute_ref(request).await
    }

    // Uploads through a `Context` stream in constant memory, as they do on the client itself.
    async fn execute_streamed(
        &self,
        request: botwire_transport::StreamRequest,
    ) -> Result<botwire_max::HttpResponse, botwire_transport::TransportError> {
        self.0.transport().execute_streamed(request).await
    }
}

struct BlockingClientTransport<T>(Arc<botwire_max::blocking::Client<T>>);

impl<T: BlockingTransport> BlockingTransport for BlockingClientTransport<T> {
    fn execute(
        &self,
        request: botwire_max::HttpRequest,
    ) -> Result<botwire_max::HttpResponse, botwire_transport::TransportError> {
        self.0.transport().execute(request)
    }

    fn execute_ref(
        &self,
        request: &botwire_max::HttpRequest,
    ) -> Result<botwire_max::HttpResponse, botwire_transport::TransportError> {
        self.0.transport().execute_ref(request)
    }

    fn execute_streamed(
        &self,
        request: botwire_transport::StreamRequest,
    ) -> Result<botwire_max::HttpResponse, botwire_transport::TransportError> {
        self.0.transport().execute_streamed(request)
    }
}

impl Api {
    pub(crate) fn erase_async<T: AsyncTransport + 'static>(
        client: botwire_max::Client<T>,
    ) -> AsyncApi {
        let config = client.config().clone();
        let transport: Arc<dyn AsyncTransport> = Arc::new(ClientTransport(Arc::new(client)));
        botwire_max::Client::new(config, transport)
    }

    pub(crate) fn erase_blocking<T: BlockingTransport + 'static>(
        client: botwire_max::blocking::Client<T>,
    ) -> BlockingApi {
        let config = client.config().clone();
        let transport: Arc<dyn BlockingTransport> =
            Arc::new(BlockingClientTransport(Arc::new(client)));
        botwire_max::blocking::Client::new(config, transport)
    }

    /// Performs one queued action. The blocking variant runs inline (only the blocking runner, on its own
    /// threads, builds it).
    pub(crate) async fn perform(&self, action: &Action) -> Result<(), botwire_max::Error> {
        match self {
            Api::Async(client) => {
                let response = client
                    .transport()
                    .execute(action.request(client.config())?)
                    .await?;
                action.parse(response)
            }
            Api::Blocking(client) => {
                let response = client
                    .transport()
                    .execute(action.request(client.config())?)?;
                action.parse(response)
            }
            Api::Detached => Ok(()),
        }
    }

    pub(crate) async fn get_me(&self) -> Result<Option<BotInfo>, botwire_max::Error> {
        match self {
            Api::Async(client) => client.get_me().await.map(Some),
            Api::Blocking(client) => client.get_me().map(Some),
            Api::Detached => Ok(None),
        }
    }
}

/// A reply a handler queued on its [`Context`]; the runner sends the queue, in order, after the handler
/// returned `Ok`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Action {
    /// `POST /messages`.
    Send(MessageTarget, NewMessageBody),
    /// `POST /answers`, paced per chat: the request carries a [`RateKey`] for `chat` (the `answers` rule of
    /// the MAX throttle is keyed by it).
    Answer {
        /// The press.
        callback_id: String,
        /// The answer.
        answer: CallbackAnswer,
        /// The key the answer is paced under: `chat_id=<keyboard's chat>`, or `user_id=<presser>` when the
        /// callback names no chat.
        rate_key: Option<RateKey>,
    },
    /// `PUT /messages`.
    Edit(String, NewMessageBody),
    /// `DELETE /messages`.
    Delete(String),
}

impl Action {
    fn request(
        &self,
        config: &botwire_max::Config,
    ) -> Result<botwire_max::HttpRequest, botwire_max::Error> {
        match self {
            Action::Send(to, body) => SendMessage::new(*to, body.clone()).request(config),
            Action::Answer {
                callback_id,
                answer,
                rate_key,
            } => {
                let mut request =
                    AnswerCallback::new(callback_id.clone(), answer.clone()).request(config)?;
                if let Some(key) = rate_key {
                    key.clone().apply(&mut request);
                }
                Ok(request)
            }
            Action::Edit(mid, body) => EditMessage::new(mid.clone(), body.clone()).request(config),
            Action::Delete(mid) => DeleteMessage::new(mid.clone()).request(config),
        }
    }

    fn parse(&self, response: botwire_max::HttpResponse) -> Result<(), botwire_max::Error> {
        match self {
            // The parse of each endpoint checks the status and the body; the outputs are not needed.
            Action::Send(to, body) => SendMessage::new(*to, body.clone())
                .parse(response)
                .map(drop),
            Action::Answer {
                callback_id,
                answer,
                ..
            } => AnswerCallback::new(callback_id.clone(), answer.clone()).parse(response),
            Action::Edit(mid, body) => EditMessage::new(mid.clone(), body.clone()).parse(response),
            Action::Delete(mid) => DeleteMessage::new(mid.clone()).parse(response),
        }
    }
}

/// User state injected by type: `Dispatcher::state(x)` puts `x` here, `ctx.state::<X>()` reads it.
#[derive(Default, Clone)]
pub struct Extensions {
    map: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl std::fmt::Debug for Extensions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extensions")
            .field("len", &self.map.len())
            .finish()
    }
}

impl Extensions {
    /// Stores `value` (replacing a value of the same type).
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.map.insert(TypeId::of::<T>(), Arc::new(value));
    }

    /// The value of type `T`, shared.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.map
            .get(&TypeId::of::<T>())
            .cloned()
            .and_then(|v| v.downcast::<T>().ok())
    }
}

/// A parsed `/command`: `/order 3 large` or `/order@my_bot 3 large`, or `bot_started` as `start` with the
/// deep-link payload as its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The name without `/` and `@bot` (`order`).
    pub name: String,
    /// The `@botname` the command was addressed to, if any.
    pub mention: Option<String>,
    /// Everything after the name, trimmed (`3 large`); the payload for `bot_started`.
    pub args: String,
}

impl Command {
    /// Parses a message text; `None` unless it starts with `/` and a name.
    pub fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix('/')?;
        let (head, args) = match rest.find(char::is_whitespace) {
            Some(i) => (&rest[..i], rest[i..].trim()),
            None => (rest, ""),
        };
        let (name, mention) = match head.split_once('@') {
            Some((n, m)) => (n, Some(m.to_owned())),
            None => (head, None),
        };
        if name.is_empty() {
            return None;
        }
        Some(Self {
            name: name.to_owned(),
            mention,
            args: args.to_owned(),
        })
    }

    /// The arguments split on whitespace.
    pub fn args(&self) -> Vec<&str> {
        self.args.split_whitespace().collect()
    }

    /// The `n`-th argument parsed as `T` (`None` when missing or not a `T`).
    pub fn arg<T: FromStr>(&self, n: usize) -> Option<T> {
        self.args.split_whitespace().nth(n)?.parse().ok()
    }
}

#[derive(Debug, Default)]
pub(crate) enum StateChange {
    #[default]
    Keep,
    Set(Value),
    Reset,
}

#[derive(Debug, Default)]
pub(crate) struct Pending {
    pub(crate) outbox: Vec<Action>,
    pub(crate) state: StateChange,
}

pub(crate) struct Inner {
    pub(crate) update: Arc<Update>,
    pub(crate) bot: Option<Arc<BotInfo>>,
    pub(crate) extensions: Arc<Extensions>,
    pub(crate) api: Api,
    pub(crate) dialogue_key: Option<DialogueKey>,
    pub(crate) loaded: Option<Versioned>,
    pub(crate) pending: Mutex<Pending>,
}

/// The handler's view of one update. Cheap to clone (async handlers take it by value).
///
/// Reply helpers (`reply`, `reply_with_keyboard`, `answer`, `edit`, `delete`) *queue* the call; the runner
/// sends the queue in order once the handler returned `Ok` (an `Err` or a panic discards it, together with the
/// dialogue change). This keeps plain-function handlers free of I/O, so the same handler runs on the async and
/// the blocking runner. Async handlers that need an answer right away (a sent message's id) call
/// [`Context::api`] directly.
#[derive(Clone)]
pub struct Context {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("update", &self.inner.update.kind())
            .field("chat", &self.chat_id())
            .finish_non_exhaustive()
    }
}

impl Context {
    pub(crate) fn new(
        update: Arc<Update>,
        bot: Option<Arc<BotInfo>>,
        extensions: Arc<Extensions>,
        api: Api,
        loaded: Option<Versioned>,
    ) -> Self {
        let dialogue_key = DialogueKey::of(&update);
        Self {
            inner: Arc::new(Inner {
                update,
                bot,
                extensions,
                api,
                dialogue_key,
                loaded,
                pending: Mutex::new(Pending::default()),
            }),
        }
    }

    pub(crate) fn pending(&self) -> MutexGuard<'_, Pending> {
        self.inner.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn take_pending(&self) -> Pending {
        std::mem::take(&mut *self.pending())
    }

    /// The update.
    pub fn update(&self) -> &Update {
        &self.inner.update
    }

    /// The bot's own info (`GET /me`, fetched once when the runner starts).
    pub fn bot(&self) -> Option<&BotInfo> {
        self.inner.bot.as_deref()
    }

    /// The async client (on the async runners; `None` on the blocking runner).
    ///
    /// Calls made through it happen at once, not after the state is stored: when the dialogue write loses a
    /// compare-and-set to another replica, the update runs again (see [`Dispatcher`](crate::Dispatcher)) and
    /// so do such calls. Prefer the queued reply helpers where a repeat would matter.
    pub fn api(&self) -> Option<&AsyncApi> {
        match &self.inner.api {
            Api::Async(c) => Some(c),
            _ => None,
        }
    }

    /// The blocking client (on the blocking runner; `None` on the async runners).
    pub fn blocking_api(&self) -> Option<&BlockingApi> {
        match &self.inner.api {
            Api::Blocking(c) => Some(c),
            _ => None,
        }
    }

    /// User state of type `T` given to `Dispatcher::state`.
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.inner.extensions.get::<T>()
    }

    /// The message of a `message_created`, `message_edited` or `message_callback` (the keyboard's message).
    pub fn message(&self) -> Option<&Message> {
        match self.update() {
            Update::MessageCreated(u) => u.message.as_ref(),
            Update::MessageEdited(u) => u.message.as_ref(),
            Update::MessageCallback(u) => u.message.as_ref(),
            _ => None,
        }
    }

    /// The chat the update concerns (for a callback without a chat id: `None`, see [`Context::reply_target`]).
    pub fn chat_id(&self) -> Option<ChatId> {
        self.update().chat_id()
    }

    /// The chat type of the update's message (dialog, chat, channel), when it carries a message.
    pub fn chat_type(&self) -> Option<ChatType> {
        match self.update() {
            Update::BotStarted(_)
            | Update::BotStopped(_)
            | Update::DialogCleared(_)
            | Update::DialogRemoved(_)
            | Update::DialogMuted(_)
            | Update::DialogUnmuted(_) => Some(ChatType::Dialog),
            Update::CommentCreated(u) | Update::CommentEdited(u) => {
                Some(u.message.recipient.chat_type.clone())
            }
            _ => self.message().map(|m| m.recipient.chat_type.clone()),
        }
    }

    /// Who caused the update: the message's sender, the presser, the user who started the bot, …
    pub fn sender(&self) -> Option<&User> {
        match self.update() {
            Update::MessageCreated(u) => u.message.as_ref()?.sender.as_ref(),
            Update::MessageEdited(u) => u.message.as_ref()?.sender.as_ref(),
            Update::MessageCallback(u) => Some(&u.callback.user),
            Update::BotAdded(u) | Update::BotRemoved(u) => Some(&u.user),
            Update::UserAdded(u) => Some(&u.user),
            Update::UserRemoved(u) => Some(&u.user),
            Update::BotStarted(u) => Some(&u.user),
            Update::BotStopped(u)
            | Update::DialogCleared(u)
            | Update::DialogRemoved(u)
            | Update::DialogUnmuted(u) => Some(&u.user),
            Update::DialogMuted(u) => Some(&u.user),
            Update::ChatTitleChanged(u) => Some(&u.user),
            Update::CommentCreated(u) | Update::CommentEdited(u) => u.message.sender.as_ref(),
            _ => None,
        }
    }

    /// The sender's id (see [`Context::sender`]).
    pub fn sender_id(&self) -> Option<UserId> {
        self.sender().map(|u| u.user_id)
    }

    /// The text of a new message (`message_created` only).
    pub fn text(&self) -> Option<&str> {
        match self.update() {
            Update::MessageCreated(u) => u.message.as_ref()?.text(),
            _ => None,
        }
    }

    /// The press of a `message_callback`.
    pub fn callback(&self) -> Option<&Callback> {
        match self.update() {
            Update::MessageCallback(u) => Some(&u.callback),
            _ => None,
        }
    }

    /// The pressed button's payload.
    pub fn callback_payload(&self) -> Option<&str> {
        self.callback()?.payload.as_deref()
    }

    /// The payload parsed with `FromStr` (your own enum of actions).
    pub fn callback_data<T: FromStr>(&self) -> Option<T> {
        self.callback_payload()?.parse().ok()
    }

    /// The payload decoded from JSON with serde.
    pub fn callback_json<T: DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_str(self.callback_payload()?).ok()
    }

    /// The `/command` of a new message (`/cmd@other_bot` is `None`: it was meant for another bot), or
    /// `start` with the deep-link payload for `bot_started`.
    pub fn command(&self) -> Option<Command> {
        if let Update::BotStarted(started) = self.update() {
            return Some(Command {
                name: "start".to_owned(),
                mention: None,
                args: started.payload.clone().unwrap_or_default(),
            });
        }
        let command = Command::parse(self.text()?)?;
        if let (Some(mention), Some(own)) = (
            &command.mention,
            self.bot().and_then(|b| b.username.as_deref()),
        ) && !mention.eq_ignore_ascii_case(own)
        {
            return None;
        }
        Some(command)
    }

    /// Where a reply goes: the update's chat, or the presser's dialog for a callback without a chat id.
    pub fn reply_target(&self) -> Option<MessageTarget> {
        if let Update::MessageCallback(pressed) = self.update() {
            return Some(match pressed.reply_target() {
                ReplyTarget::Chat(c) => MessageTarget::Chat(c),
                ReplyTarget::User(u) => MessageTarget::User(u),
            });
        }
        if let Some(chat) = self.chat_id() {
            return Some(MessageTarget::Chat(chat));
        }
        self.sender_id().map(MessageTarget::User)
    }

    /// Queues any action.
    pub fn queue(&self, action: Action) {
        self.pending().outbox.push(action);
    }

    /// The replies queued so far.
    pub fn queued(&self) -> Vec<Action> {
        self.pending().outbox.clone()
    }

    /// Queues a text reply where the update came from.
    pub fn reply(&self, text: impl Into<String>) -> Result<(), BoxError> {
        self.reply_with(NewMessageBody::text(text))
    }

    /// Queues a reply with any body.
    pub fn reply_with(&self, body: NewMessageBody) -> Result<(), BoxError> {
        let to = self
            .reply_target()
            .ok_or("this update names no chat or user to reply to")?;
        self.queue(Action::Send(to, body));
        Ok(())
    }

    /// Queues a text reply with an inline keyboard.
    pub fn reply_with_keyboard(
        &self,
        text: impl Into<String>,
        keyboard: Keyboard,
    ) -> Result<(), BoxError> {
        let mut body = NewMessageBody::text(text);
        body.attachments = Some(vec![AttachmentRequest::inline_keyboard(keyboard)]);
        self.reply_with(body)
    }

    /// Queues the answer to this callback (notification and/or replacement of the keyboard's message). The
    /// request is paced per chat (a `RateKey` of the callback's chat).
    pub fn answer(&self, answer: CallbackAnswer) -> Result<(), BoxError> {
        let Update::MessageCallback(pressed) = self.update() else {
            return Err("only a message_callback can be answered".into());
        };
        let key = match pressed.reply_target() {
            ReplyTarget::Chat(c) => format!("chat_id={}", c.0),
            ReplyTarget::User(u) => format!("user_id={}", u.get()),
        };
        self.queue(Action::Answer {
            callback_id: pressed.callback.callback_id.clone(),
            answer,
            rate_key: Some(RateKey::new(key)),
        });
        Ok(())
    }

    /// Queues a notification-only answer to this callback.
    pub fn notify(&self, text: impl Into<String>) -> Result<(), BoxError> {
        self.answer(CallbackAnswer::notification(text))
    }

    /// Queues an answer that replaces the keyboard's message with `body`.
    pub fn answer_with_edit(&self, body: NewMessageBody) -> Result<(), BoxError> {
        self.answer(CallbackAnswer::message(body))
    }

    /// Queues an edit of message `mid`.
    pub fn edit(&self, mid: impl Into<String>, body: NewMessageBody) {
        self.queue(Action::Edit(mid.into(), body));
    }

    /// Queues the deletion of message `mid`.
    pub fn delete(&self, mid: impl Into<String>) {
        self.queue(Action::Delete(mid.into()));
    }

    /// The (chat, user) whose dialogue this update belongs to.
    pub fn dialogue_key(&self) -> Option<&DialogueKey> {
        self.inner.dialogue_key.as_ref()
    }

    /// The typed dialogue of this (chat, user).
    pub fn dialogue<S: Serialize + DeserializeOwned>(&self) -> Dialogue<'_, S> {
        Dialogue {
            ctx: self,
            _state: std::marker::PhantomData,
        }
    }

    pub(crate) fn raw_state(&self) -> Option<Value> {
        match &self.pending().state {
            StateChange::Set(v) => return Some(v.clone()),
            StateChange::Reset => return None,
            StateChange::Keep => {}
        }
        self.inner.loaded.as_ref().map(|v| v.value.clone())
    }

    pub(crate) fn with_raw_state<R>(&self, f: impl FnOnce(Option<&Value>) -> R) -> R {
        let pending = self.pending();
        match &pending.state {
            StateChange::Set(v) => f(Some(v)),
            StateChange::Reset => f(None),
            StateChange::Keep => f(self.inner.loaded.as_ref().map(|v| &v.value)),
        }
    }
}

/// The dialogue (finite-state conversation) of one (chat, user), typed by your serde enum `S`.
///
/// Reads see the state loaded before routing plus this handler's own changes; writes are stored after the
/// handler returned `Ok` (compare-and-set against the version that was loaded, so two replicas cannot lose
/// a write), with the dispatcher's dialogue timeout as their time to live.
#[derive(Debug)]
pub struct Dialogue<'a, S> {
    ctx: &'a Context,
    _state: std::marker::PhantomData<fn() -> S>,
}

impl<S: Serialize + DeserializeOwned> Dialogue<'_, S> {
    /// The current state (`None`: no conversation, or it timed out, or it does not decode as `S`).
    pub fn get(&self) -> Option<S> {
        self.ctx
            .with_raw_state(|v| v.and_then(|v| S::deserialize(v).ok()))
    }

    /// Sets the state.
    pub fn set(&self, state: S) -> Result<(), StorageError> {
        if self.ctx.dialogue_key().is_none() {
            return Err(StorageError::NoDialogue);
        }
        let value = serde_json::to_value(state).map_err(StorageError::Serde)?;
        self.ctx.pending().state = StateChange::Set(value);
        Ok(())
    }

    /// Replaces the state with `f(current)`; `None` ends the conversation.
    pub fn update(&self, f: impl FnOnce(Option<S>) -> Option<S>) -> Result<(), StorageError> {
        match f(self.get()) {
            Some(next) => self.set(next),
            None => {
                self.reset();
                Ok(())
            }
        }
    }

    /// Ends the conversation.
    pub fn reset(&self) {
        self.ctx.pending().state = StateChange::Reset;
    }

    /// The raw stored JSON (for diagnostics).
    pub fn raw(&self) -> Option<Value> {
        self.ctx.raw_state()
    }
}
