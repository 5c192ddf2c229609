//! A fake onebot.tech API server (`/api/v1/<method>`).
//!
//! It keeps bots, contacts, variables, tags, sent messages, the broadcast queue, accounts, referrals and lists
//! ([`OneBotWorld`]) and answers in the platform's shapes: `{"data": …}`, Laravel paginators whose links point
//! at `https://onebot.tech/api/v1/…` like the real ones, `422` validation bodies with Laravel's Russian
//! messages (`Поле contact id обязательно для заполнения.`), `401` for a bad token, `405` for a wrong verb.
//!
//! Parameters are read like Laravel reads them: from the query for GET; for POST from the query merged with a
//! JSON or form body (PHP-style `tags[]=…`, `data[slug]=…` included).
//!
//! ```
//! use botwire_sandbox::OneBotSandbox;
//!
//! let sandbox = OneBotSandbox::start()?;
//! let bot = sandbox.add_bot("Shop", "telegram");
//! let contacts = sandbox.add_contacts(bot, 1_234);
//! assert_eq!(contacts.len(), 1_234);
//! assert_eq!(sandbox.world().contacts.len(), 1_234);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http::{HeaderValue, Method, StatusCode, header};
use serde_json::json;

use crate::observe::{Observer, observe};
use crate::server::Running;
use crate::{Faults, Stats};

mod contacts;
pub mod control;
mod input;
mod messages;
mod sister;
mod world;

pub use world::{
    Account, Bot, CLOCK_START, Contact, ListItem, ListSchema, OneBotWorld, QueuedMessage,
    SentMessage, VariableDefinition, VariableShape, VariableValue, rfc3339,
};

use input::Input;

/// The token a sandbox accepts unless told otherwise.
pub const DEFAULT_TOKEN: &str = "sandbox-onebot-token";

/// The path every method lives under.
pub const API_PREFIX: &str = "/api/v1";

/// Largest request body the sandbox reads.
const MAX_BODY: usize = 4 * 1024 * 1024;

#[derive(Debug)]
pub(crate) struct Shared {
    token: String,
    world: Mutex<OneBotWorld>,
    pub(crate) stats: Arc<Stats>,
    pub(crate) faults: Arc<Faults>,
}

/// How to start a [`OneBotSandbox`]: token, address, limits, faults.
#[derive(Debug, Clone)]
pub struct OneBotOptions {
    token: String,
    addr: SocketAddr,
    limits: bool,
    limit_scale: f64,
    random_faults: Option<(u64, f64, Vec<crate::Fault>)>,
}

impl Default for OneBotOptions {
    /// The default token on a free loopback port, limits off, no faults.
    fn default() -> Self {
        Self {
            token: DEFAULT_TOKEN.to_owned(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            limits: false,
            limit_scale: 1.0,
            random_faults: None,
        }
    }
}

impl OneBotOptions {
    /// The only `api_token` the sandbox accepts.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = token.into();
        self
    }

    /// Where to listen (port 0 picks a free one).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Enforce the platform's rate limit from the start.
    pub fn limits(mut self, on: bool) -> Self {
        self.limits = on;
        self
    }

    /// Makes the limit `factor` times faster.
    pub fn limit_scale(mut self, factor: f64) -> Self {
        self.limit_scale = factor;
        self
    }

    /// Random faults from the start ([`Faults::at_rate`]).
    pub fn random_faults(mut self, seed: u64, rate: f64, kinds: Vec<crate::Fault>) -> Self {
        self.random_faults = Some((seed, rate, kinds));
        self
    }
}

impl Shared {
    pub(crate) fn world(&self) -> MutexGuard<'_, OneBotWorld> {
        self.world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running fake OneBot server. Dropping it stops the server.
///
/// It accepts one `api_token` (query parameter). A wrong or missing one gets Laravel's
/// `401 {"message":"Unauthenticated."}` — or, without `X-Requested-With: XMLHttpRequest`, the `302` redirect to
/// a login page that Laravel gives browsers. (Both inferred: no live 401 body is known.)
#[derive(Debug)]
pub struct OneBotSandbox {
    running: Running,
    shared: Arc<Shared>,
    stats: Arc<Stats>,
    faults: Arc<Faults>,
}

fn label_by_method(req: &Request) -> String {
    let name = req.uri().path().rsplit('/').next().unwrap_or_default();
    format!("{} {name}", req.method())
}

impl OneBotSandbox {
    /// Starts a sandbox on a free loopback port with the default token.
    pub fn start() -> std::io::Result<Self> {
        Self::start_with(DEFAULT_TOKEN, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Starts a sandbox that accepts `token`, listening on `addr`.
    pub fn start_with(token: &str, addr: SocketAddr) -> std::io::Result<Self> {
        Self::start_with_options(OneBotOptions::default().token(token).addr(addr))
    }

    /// Starts a sandbox as `options` say.
    pub fn start_with_options(options: OneBotOptions) -> std::io::Result<Self> {
        let addr = options.addr;
        let stats = Arc::new(Stats::default());
        let faults = Arc::new(Faults::with_limits(crate::Limits::onebot()));
        faults
            .limits()
            .scale(options.limit_scale)
            .enforce(options.limits);
        if let Some((seed, rate, kinds)) = options.random_faults.clone() {
            faults.at_rate(seed, rate, kinds);
        }
        let shared = Arc::new(Shared {
            token: options.token.clone(),
            world: Mutex::new(OneBotWorld::default()),
            stats: stats.clone(),
            faults: faults.clone(),
        });
        let observer = Arc::new(Observer {
            stats: stats.clone(),
            faults: faults.clone(),
            label: label_by_method,
        });
        let router = Router::new()
            .route(&format!("{API_PREFIX}/{{method}}"), any(dispatch))
            .fallback(|| async {
                (
                    StatusCode::NOT_FOUND,
                    axum::Json(json!({"message": "Not Found"})),
                )
            })
            .layer(middleware::from_fn_with_state(shared.clone(), authenticate))
            .layer(middleware::from_fn_with_state(observer, observe))
            .merge(control::router())
            .with_state(shared.clone());
        let running = Running::spawn(addr, router)?;
        Ok(Self {
            running,
            shared,
            stats,
            faults,
        })
    }

    /// `http://127.0.0.1:<port>/api/v1` — the base URL to give the client.
    pub fn base_url(&self) -> String {
        format!("http://{}{API_PREFIX}", self.running.addr())
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
    pub fn world(&self) -> MutexGuard<'_, OneBotWorld> {
        self.shared.world()
    }

    /// Adds a bot on `messenger` (`telegram`, `whatsapp`, `viber`, `vk`, …); returns its id. The default world
    /// already has bot 1 on Telegram.
    pub fn add_bot(&self, name: &str, messenger: &str) -> i64 {
        self.world().add_bot(name, messenger)
    }

    /// Adds `n` contacts to `bot_id`; returns their ids in creation (and listing) order.
    pub fn add_contacts(&self, bot_id: i64, n: usize) -> Vec<i64> {
        self.world().add_contacts(bot_id, n)
    }

    /// Makes `referrer` the inviter of `contact`.
    pub fn set_referrer(&self, contact: i64, referrer: i64) {
        if let Some(c) = self.world().contacts.get_mut(&contact) {
            c.referrer = Some(referrer);
        }
    }

    /// Registers a short media link and the direct URL `decodeShortLink` answers for it.
    pub fn add_short_link(&self, short: &str, direct: &str) {
        self.world()
            .short_links
            .insert(short.to_owned(), direct.to_owned());
    }

    /// Messages accepted by `sendMessage` and `sendMessageToWhatsApp`, in order.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.world().sent.clone()
    }

    /// The broadcast queue, in order.
    pub fn queue(&self) -> Vec<QueuedMessage> {
        self.world().queue.clone()
    }
}

async fn authenticate(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let token = req.uri().query().and_then(|q| {
        form_pairs(q)
            .into_iter()
            .find(|(k, _)| k == "api_token")
            .map(|(_, v)| v)
    });
    if token.as_deref() == Some(shared.token.as_str()) {
        return next.run(req).await;
    }
    let ajax = req
        .headers()
        .get("x-requested-with")
        .map(HeaderValue::as_bytes)
        == Some(b"XMLHttpRequest");
    if !ajax {
        return (StatusCode::FOUND, [(header::LOCATION, "/login")], "").into_response();
    }
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({"message": "Unauthenticated."})),
    )
        .into_response()
}

pub(crate) fn form_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

type Handler = fn(&mut OneBotWorld, &Input) -> contacts::Handled;

/// Which verbs a method answers (`getReferrals` takes both: MindCloud says POST, third-party code uses GET).
#[derive(Clone, Copy)]
enum Verbs {
    Get,
    Post,
    Both,
}

fn route(method: &str) -> Option<(Verbs, Handler)> {
    use Verbs::{Both, Get, Post};
    Some(match method {
        "getMe" => (Get, |w, _| Ok(json!({ "data": w.account.clone() }))),
        "sendMessage" => (Post, messages::send_message),
        "sendMessageToWhatsApp" => (Post, messages::send_message_to_whatsapp),
        "sendMessageToQueue" => (Post, messages::send_message_to_queue),
        "getContacts" => (Get, contacts::get_contacts),
        "createOrUpdateContact" => (Post, contacts::create_or_update_contact),
        "getContactVariables" => (Get, contacts::get_contact_variables),
        "setContactVariable" => (Post, contacts::set_contact_variable),
        "deleteContactVariable" => (Post, contacts::delete_contact_variable),
        "getBotTags" => (Get, contacts::get_bot_tags),
        "getContactTags" => (Get, contacts::get_contact_tags),
        "attachTagToContact" => (Post, contacts::attach_tag_to_contact),
        "detachTagFromContact" => (Post, contacts::detach_tag_from_contact),
        "getContactAccounts" => (Get, sister::get_contact_accounts),
        "addContactAccount" => (Post, sister::add_contact_account),
        "addFundsToContactAccount" => (Post, sister::add_funds_to_contact_account),
        "withdrawFundsFromContactAccount" => (Post, sister::withdraw_funds_from_contact_account),
        "deleteContactAccount" => (Post, sister::delete_contact_account),
        "getContactCryptoAccounts" => (Get, sister::get_contact_crypto_accounts),
        "addContactCryptoAccount" => (Post, sister::add_contact_crypto_account),
        "addFundsToContactCryptoAccount" => (Post, sister::add_funds_to_contact_crypto_account),
        "withdrawFundsFromContactCryptoAccount" => {
            (Post, sister::withdraw_funds_from_contact_crypto_account)
        }
        "deleteContactCryptoAccount" => (Post, sister::delete_contact_crypto_account),
        "getReferrals" => (Both, sister::get_referrals),
        "getReferrers" => (Get, sister::get_referrers),
        "getCountReferrals" => (Post, sister::get_count_referrals),
        "setYsellStatus" => (Post, sister::set_ysell_status),
        "getListSchemas" => (Get, sister::get_list_schemas),
        "getListSchema" => (Get, sister::get_list_schema),
        "createListSchema" => (Post, sister::create_list_schema),
        "addListSchemaField" => (Post, sister::add_list_schema_field),
        "deleteListSchemaField" => (Post, sister::delete_list_schema_field),
        "deleteListSchema" => (Post, sister::delete_list_schema),
        "getListItems" => (Post, sister::get_list_items),
        "addListItem" => (Post, sister::add_list_item),
        "updateListItem" => (Post, sister::update_list_item),
        "deleteListItem" => (Post, sister::delete_list_item),
        "decodeShortLink" => (Post, sister::decode_short_link),
        _ => return None,
    })
}

async fn dispatch(
    State(shared): State<Arc<Shared>>,
    Path(method): Path<String>,
    req: Request,
) -> Response {
    let Some((verbs, handler)) = route(&method) else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": format!("Method {method} not found")})),
        )
            .into_response();
    };
    let is_get = req.method() == Method::GET || req.method() == Method::HEAD;
    let allowed = match verbs {
        Verbs::Get => is_get,
        Verbs::Post => req.method() == Method::POST,
        Verbs::Both => is_get || req.method() == Method::POST,
    };
    if !allowed {
        let supported = match verbs {
            Verbs::Get => "GET, HEAD",
            Verbs::Post => "POST",
            Verbs::Both => "GET, HEAD, POST",
        };
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            axum::Json(json!({"message": format!(
                "The {} method is not supported for this route. Supported methods: {supported}.",
                req.method()
            )})),
        )
            .into_response();
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let query = req.uri().query().map(str::to_owned);
    let body = match axum::body::to_bytes(req.into_body(), MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                axum::Json(json!({"message": "Payload Too Large"})),
            )
                .into_response();
        }
    };
    let input = Input::parse(is_get, query.as_deref(), &content_type, &body);
    let result = handler(&mut shared.world(), &input);
    match result {
        Ok(value) => axum::Json(value).into_response(),
        Err(response) => response,
    }
}
