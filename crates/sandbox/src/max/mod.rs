//! A fake MAX Bot API server with a stateful world.
//!
//! Routes: every operation of schema 0.0.33 except `GET /updates`, plus an upload host on the same server
//! (`POST /upload/{type}/{id}`, no `Authorization` needed, like the real upload hosts). Error bodies are the
//! platform's `{"code","message"}`; the codes `chat.denied`, `verify.token`, `deprecated.token`,
//! `attachment.not.ready` and `method.not.found` are documented, while `proto.payload` (400),
//! `chat.not.found` and `not.found` (404) are the sandbox's guesses for answers the reference does not
//! spell out.

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use botwire_core_types::ValidationError;
use botwire_core_types::max::{ChatAdminPermission, ChatId, UserId};
use http::{StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::observe::{Observer, label_by_template, observe};
use crate::server::Running;
use crate::updates::{self, UpdateHub};
use crate::{Clock, Fault, Faults, Limits, Stats};

mod actors;
mod bot;
mod chats;
mod comments;
pub mod control;
mod format;
mod members;
mod messages;
mod multipart;
mod subscriptions;
mod uploads;
mod world;

pub use world::{
    BotRole, CallbackState, ChatState, MaxWorld, Media, Membership, Need, StoredComment,
    StoredMessage, UploadReply, UploadSlot, WorldError, WorldResult,
};

/// The token a sandbox accepts unless told otherwise.
pub const DEFAULT_TOKEN: &str = "sandbox-max-token";

#[derive(Debug)]
pub(crate) struct Shared {
    token: String,
    world: Mutex<MaxWorld>,
    pub(crate) updates: Arc<UpdateHub>,
    pub(crate) stats: Arc<Stats>,
    pub(crate) faults: Arc<Faults>,
    /// `POST /subscriptions` may name a loopback `http://` URL.
    pub(crate) loopback_webhooks: AtomicBool,
}

/// How to start a [`MaxSandbox`]: token, address, clock, limits, faults, webhook rules.
///
/// ```
/// use botwire_sandbox::max::MaxOptions;
/// use botwire_sandbox::{Clock, MaxSandbox};
///
/// let sandbox = MaxSandbox::start_with_options(
///     MaxOptions::default()
///         .clock(Clock::fixed(1_775_000_000_000, 1.0))
///         .limits(true)
///         .loopback_webhooks(true),
/// )?;
/// assert!(sandbox.faults().limits().is_enforced());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MaxOptions {
    token: String,
    addr: SocketAddr,
    clock: Arc<Clock>,
    limits: bool,
    limit_scale: f64,
    random_faults: Option<(u64, f64, Vec<Fault>)>,
    attachment_ready_after: u64,
    loopback_webhooks: bool,
    first_marker: i64,
}

impl Default for MaxOptions {
    /// The default token on a free loopback port, the wall clock, limits off, no faults, `https` webhooks only.
    fn default() -> Self {
        Self {
            token: DEFAULT_TOKEN.to_owned(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            clock: Arc::new(Clock::wall()),
            limits: false,
            limit_scale: 1.0,
            random_faults: None,
            attachment_ready_after: 0,
            loopback_webhooks: false,
            first_marker: updates::FIRST_MARKER,
        }
    }
}

impl MaxOptions {
    /// The only token the sandbox accepts.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = token.into();
        self
    }

    /// Where to listen (port 0 picks a free one).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// The clock of timestamps and webhook retries (default: [`Clock::wall`]).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Enforce the platform's rate limits from the start ([`Limits::enforce`]).
    pub fn limits(mut self, on: bool) -> Self {
        self.limits = on;
        self
    }

    /// Makes every limit `factor` times faster ([`Limits::scale`]).
    pub fn limit_scale(mut self, factor: f64) -> Self {
        self.limit_scale = factor;
        self
    }

    /// Random faults from the start ([`Faults::at_rate`]).
    pub fn random_faults(mut self, seed: u64, rate: f64, kinds: Vec<Fault>) -> Self {
        self.random_faults = Some((seed, rate, kinds));
        self
    }

    /// [`MaxWorld::attachment_ready_after`]: send attempts answered `attachment.not.ready` after each upload.
    pub fn attachment_ready_after(mut self, attempts: u64) -> Self {
        self.attachment_ready_after = attempts;
        self
    }

    /// The first marker of the update stream (default [`updates::FIRST_MARKER`]). The binary starts from the
    /// wall clock in ms, so a checkpoint from an earlier run commits nothing.
    pub fn first_marker(mut self, marker: i64) -> Self {
        self.first_marker = marker;
        self
    }

    /// Lets `POST /subscriptions` name a loopback `http://` URL (`http://127.0.0.1:8080/hook`, `localhost`,
    /// `[::1]`) for local testing; otherwise it requires `https://` on port 443, like the platform.
    pub fn loopback_webhooks(mut self, allow: bool) -> Self {
        self.loopback_webhooks = allow;
        self
    }
}

impl Shared {
    pub(crate) fn world(&self) -> MutexGuard<'_, MaxWorld> {
        // A panicking handler must not wedge every later request of a test.
        self.world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running fake MAX server. Dropping it stops the server.
///
/// It accepts one token ([`MaxSandbox::token`]) in the `Authorization` header, answers a wrong one with the
/// real `401 {"code":"verify.token",…}` body and the retired `access_token` query with `403 deprecated.token`.
/// Its [`MaxWorld`] starts empty but for the bot; the `add_*` helpers seed users, dialogs, chats, channels and
/// posts.
///
/// ```
/// use botwire_sandbox::MaxSandbox;
/// use botwire_sandbox::max::BotRole;
///
/// let sandbox = MaxSandbox::start()?;
/// let alice = sandbox.add_user("Alice");
/// let chat = sandbox.add_group_chat("Team", alice.user_id, BotRole::full_admin());
/// let post = sandbox.post_text(chat, alice.user_id, "hello");
/// assert_eq!(post.text(), Some("hello"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct MaxSandbox {
    running: Running,
    shared: Arc<Shared>,
    stats: Arc<Stats>,
    faults: Arc<Faults>,
    updates: Arc<UpdateHub>,
}

impl MaxSandbox {
    /// Starts a sandbox on a free loopback port with the default token, on the wall clock, limits off. For
    /// reproducible timestamps use [`MaxSandbox::start_with_options`] with [`Clock::stepped`].
    pub fn start() -> std::io::Result<Self> {
        Self::start_with(DEFAULT_TOKEN, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Starts a sandbox that accepts `token`, listening on `addr` (the wall clock, limits off).
    pub fn start_with(token: &str, addr: SocketAddr) -> std::io::Result<Self> {
        Self::start_with_options(MaxOptions::default().token(token).addr(addr))
    }

    /// Starts a sandbox as `options` say.
    pub fn start_with_options(options: MaxOptions) -> std::io::Result<Self> {
        let hub = Arc::new(UpdateHub::starting_at(options.first_marker, 1.0));
        let stats = Arc::new(Stats::default());
        let faults = Arc::new(Faults::with_limits(Limits::max()));
        faults
            .limits()
            .scale(options.limit_scale)
            .enforce(options.limits);
        if let Some((seed, rate, kinds)) = options.random_faults.clone() {
            faults.at_rate(seed, rate, kinds);
        }
        let mut world = MaxWorld::with_clock(options.clock.clone());
        world.attachment_ready_after = options.attachment_ready_after;
        let shared = Arc::new(Shared {
            token: options.token.clone(),
            world: Mutex::new(world),
            updates: hub.clone(),
            stats: stats.clone(),
            faults: faults.clone(),
            loopback_webhooks: AtomicBool::new(options.loopback_webhooks),
        });
        faults.limits().set_resolver(limit_key_resolver(&shared));
        let addr = options.addr;
        let observer = Arc::new(Observer {
            stats: stats.clone(),
            faults: faults.clone(),
            label: label_by_template,
        });
        let updates_route = Router::new()
            .route("/updates", get(updates::get_updates))
            .method_not_allowed_fallback(not_found)
            .with_state(hub.clone());
        let api = Router::new()
            .route_service("/updates", updates_route)
            .route("/me", get(bot::get_me))
            .route("/me/commands", patch(bot::edit_commands))
            .route(
                "/chats/{chat_id}",
                get(chats::get_chat).patch(chats::edit_chat),
            )
            .route("/chats/{chat_id}/actions", post(chats::send_action))
            .route(
                "/chats/{chat_id}/pin",
                get(chats::get_pin)
                    .put(chats::put_pin)
                    .delete(chats::delete_pin),
            )
            .route(
                "/chats/{chat_id}/members/me",
                get(members::get_membership).delete(members::leave),
            )
            .route(
                "/chats/{chat_id}/members/admins",
                get(members::get_admins).post(members::add_admins),
            )
            .route(
                "/chats/{chat_id}/members/admins/{user_id}",
                delete(members::remove_admin),
            )
            .route(
                "/chats/{chat_id}/members",
                get(members::get_members)
                    .post(members::add_members)
                    .delete(members::remove_member),
            )
            .route(
                "/subscriptions",
                get(subscriptions::list)
                    .post(subscriptions::subscribe)
                    .delete(subscriptions::unsubscribe),
            )
            .route("/uploads", post(uploads::create))
            .route(
                "/messages",
                get(messages::list)
                    .post(messages::send)
                    .put(messages::edit)
                    .delete(messages::delete),
            )
            .route("/messages/{message_id}", get(messages::get_by_id))
            .route(
                "/messages/{message_id}/comments",
                get(comments::list)
                    .post(comments::send)
                    .put(comments::edit)
                    .delete(comments::delete),
            )
            .route(
                "/messages/{message_id}/comments/{comment_id}",
                get(comments::get_by_id),
            )
            .route("/videos/{token}", get(messages::get_video))
            .route("/answers", post(messages::answer))
            .fallback(not_found)
            .layer(middleware::from_fn_with_state(shared.clone(), authenticate));
        // The upload host: another host in production, no token needed. It takes files up to the largest
        // documented size (4 GB, plus the multipart envelope), not axum's 2 MB default body limit.
        let upload_host = Router::new()
            .route(
                "/upload/{kind}/{id}",
                post(uploads::receive).get(uploads::status),
            )
            .layer(axum::extract::DefaultBodyLimit::max(uploads::MAX_BODY));
        // The control API is the test's, not the bot's: no token, no limits, no faults, not counted.
        let router = api
            .merge(upload_host)
            .layer(middleware::from_fn_with_state(observer, observe))
            .merge(control::router())
            .method_not_allowed_fallback(not_found)
            .with_state(shared.clone());
        let unsubscribed = Arc::downgrade(&shared);
        let running = Running::spawn_with_tasks(
            addr,
            router,
            vec![Box::pin(updates::deliver_webhooks(
                hub.clone(),
                Box::new(move |url: &str| {
                    if let Some(shared) = unsubscribed.upgrade() {
                        shared.world().unsubscribe(url);
                    }
                }),
            ))],
        )?;
        shared.world().base_url = format!("http://{}", running.addr());
        Ok(Self {
            running,
            shared,
            stats,
            faults,
            updates: hub,
        })
    }

    /// The update stream: push updates (or raw JSON) here for pollers and webhooks.
    pub fn updates(&self) -> &UpdateHub {
        &self.updates
    }

    /// `http://127.0.0.1:<port>` — the base URL to give the client.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.running.addr())
    }

    /// The token the sandbox accepts.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// What the server has received.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Scripted faults for the next requests.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Reads or changes the server's state.
    pub fn world(&self) -> MutexGuard<'_, MaxWorld> {
        self.shared.world()
    }

    /// Seeds a user.
    pub fn add_user(&self, first_name: &str) -> botwire_core_types::max::User {
        self.world().add_user(first_name)
    }

    /// Seeds the dialog between the bot and a seeded user.
    ///
    /// # Panics
    /// When the user was not seeded (a mistake in the test).
    pub fn add_dialog(&self, user_id: UserId) -> ChatId {
        self.world()
            .add_dialog(user_id)
            .expect("add_dialog: seed the user first")
    }

    /// Seeds a group chat owned by a seeded user, with the bot in `bot`'s role.
    ///
    /// # Panics
    /// When the owner was not seeded.
    pub fn add_group_chat(&self, title: &str, owner: UserId, bot: BotRole) -> ChatId {
        self.world()
            .add_group_chat(title, owner, bot)
            .expect("add_group_chat: seed the owner first")
    }

    /// Seeds a channel (comments enabled) owned by a seeded user, with the bot in `bot`'s role.
    ///
    /// # Panics
    /// When the owner was not seeded.
    pub fn add_channel(&self, title: &str, owner: UserId, bot: BotRole) -> ChatId {
        self.world()
            .add_channel(title, owner, bot)
            .expect("add_channel: seed the owner first")
    }

    /// Seeds a member of a chat.
    ///
    /// # Panics
    /// When the chat or user was not seeded.
    pub fn add_member(&self, chat_id: ChatId, user_id: UserId) {
        self.world()
            .add_member(chat_id, user_id)
            .expect("add_member: seed the chat and user first");
    }

    /// Seeds a text message (or channel post) by `sender` — a user or the bot.
    ///
    /// # Panics
    /// When the chat or sender was not seeded.
    pub fn post_text(
        &self,
        chat_id: ChatId,
        sender: UserId,
        text: &str,
    ) -> botwire_core_types::max::Message {
        self.world()
            .post_message(
                chat_id,
                sender,
                &botwire_core_types::max::NewMessageBody::text(text),
            )
            .expect("post_text: seed the chat and sender first")
    }
}

/// Keys the per-chat limits by chat as the platform can: a `callback_id` by its message's chat, and a dialog
/// by its user whether the request names `user_id` or `chat_id`.
fn limit_key_resolver(shared: &Arc<Shared>) -> crate::limits::Resolver {
    let weak = Arc::downgrade(shared);
    Arc::new(move |name: &str, value: &str| {
        let shared = weak.upgrade()?;
        let world = shared.world();
        let chat = match name {
            "user_id" => return Some(format!("dialog={value}")),
            "chat_id" => ChatId(value.parse().ok()?),
            "callback_id" => {
                let state = world.callback(value)?;
                world.message(&state.message_id)?.message.chat_id()?
            }
            _ => return None,
        };
        Some(match world.chat(chat).and_then(|c| c.dialog_with) {
            Some(user) => format!("dialog={user}"),
            None => format!("chat={chat}"),
        })
    })
}

impl IntoResponse for WorldError {
    fn into_response(self) -> Response {
        api_error(self.status, &self.code, &self.message)
    }
}

/// What most handlers return.
pub(crate) type Handled = Result<Response, WorldError>;

/// A MAX error body with a status.
pub(crate) fn api_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"code": code, "message": message})),
    )
        .into_response()
}

/// `{"success": true}`.
pub(crate) fn success() -> Handled {
    Ok(axum::Json(json!({"success": true})).into_response())
}

/// Any serialisable answer with status 200.
pub(crate) fn reply(value: impl serde::Serialize) -> Handled {
    Ok(axum::Json(value).into_response())
}

async fn authenticate(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    if req
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("access_token=")))
    {
        return api_error(
            StatusCode::FORBIDDEN,
            "deprecated.token",
            "Query parameter access_token is deprecated, use Authorization header",
        );
    }
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if given != Some(shared.token.as_str()) {
        return api_error(
            StatusCode::UNAUTHORIZED,
            "verify.token",
            "Invalid access_token",
        );
    }
    next.run(req).await
}

async fn not_found(req: Request) -> Response {
    api_error(
        StatusCode::NOT_FOUND,
        "method.not.found",
        &format!(
            "Path {} is not recognized. Please check docs at https://dev.max.ru/docs",
            req.uri().path()
        ),
    )
}

/// Parses a JSON request body, answering `400 Can't deserialize body` like the platform when it is not JSON.
pub(crate) fn json_body(bytes: &[u8]) -> Result<Value, Response> {
    serde_json::from_slice(bytes).map_err(|_| {
        api_error(
            StatusCode::BAD_REQUEST,
            "proto.payload",
            "Can't deserialize body",
        )
    })
}

/// Decodes a JSON request body into a model (`400 Can't deserialize body` otherwise).
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WorldError> {
    serde_json::from_slice(bytes).map_err(|_| WorldError::bad_request("Can't deserialize body"))
}

/// A broken limit as the server's 400.
pub(crate) fn enforce(check: Result<(), ValidationError>) -> Result<(), WorldError> {
    check.map_err(|e| WorldError::bad_request(e.to_string()))
}

/// A chat id from the path (`-?\d+`).
pub(crate) fn chat_id(raw: &str) -> Result<ChatId, WorldError> {
    raw.parse::<i64>()
        .map(ChatId)
        .map_err(|_| WorldError::bad_request(format!("Invalid chatId: {raw}")))
}

/// The `{chat_id}` of the route, parsed (`400` when it is not a number, like the platform's `-?\d+` pattern).
pub(crate) struct ChatPath(pub(crate) ChatId);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ChatPath {
    type Rejection = WorldError;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(params) =
            axum::extract::Path::<Vec<(String, String)>>::from_request_parts(parts, state)
                .await
                .map_err(|e| WorldError::bad_request(e.body_text()))?;
        let raw = params
            .iter()
            .find(|(k, _)| k == "chat_id")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        chat_id(raw).map(Self)
    }
}

/// A `ChatMembersList` of these members.
pub(crate) fn member_list(
    world: &MaxWorld,
    chat: ChatId,
    users: impl IntoIterator<Item = UserId>,
    marker: Option<usize>,
) -> Handled {
    let members = users
        .into_iter()
        .map(|u| world.member_view(chat, u))
        .collect::<Result<Vec<_>, _>>()?;
    reply(json!({ "members": members, "marker": marker }))
}

/// The query string of a request, decoded.
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub(crate) fn of(uri: &http::Uri) -> Self {
        Self(
            form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn required(&self, name: &str) -> Result<&str, WorldError> {
        self.get(name)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| WorldError::bad_request(format!("Parameter `{name}` is required")))
    }

    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, WorldError> {
        self.get(name)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    WorldError::bad_request(format!("Parameter `{name}` must be a number: {v}"))
                })
            })
            .transpose()
    }

    pub(crate) fn flag(&self, name: &str) -> Result<Option<bool>, WorldError> {
        self.get(name)
            .map(|v| match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(WorldError::bad_request(format!(
                    "Parameter `{name}` must be true or false: {v}"
                ))),
            })
            .transpose()
    }

    /// A comma-separated list.
    pub(crate) fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|v| {
                v.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A page size: `default` when absent, `400` outside `1..=max`.
    pub(crate) fn count(&self, default: i64, max: i64) -> Result<usize, WorldError> {
        let count = self.int("count")?.unwrap_or(default);
        enforce(ValidationError::check_range("count", count, 1, max))?;
        Ok(usize::try_from(count).unwrap_or(0))
    }
}

/// A right, for `Need::Right`.
pub(crate) fn right(p: ChatAdminPermission) -> world::Need {
    world::Need::Right(p)
}
