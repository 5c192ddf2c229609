//! A fake MAX Bot API server.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use botwire_core_types::max::{BotCommand, BotInfo};
use http::{StatusCode, header};
use serde_json::{Value, json};

use crate::observe::{Observer, label_by_template, observe};
use crate::server::Running;
use crate::{Faults, Stats};

mod bot;

/// The token a sandbox accepts unless told otherwise.
pub const DEFAULT_TOKEN: &str = "sandbox-max-token";

/// The world a MAX sandbox keeps: the bot and everything it has been told.
#[derive(Debug)]
pub struct MaxWorld {
    /// The bot answered by `GET /me` (its `commands` are kept separately in `commands`).
    pub bot: BotInfo,
    /// The command list set by `PATCH /me/commands`.
    pub commands: Vec<BotCommand>,
}

impl Default for MaxWorld {
    fn default() -> Self {
        let mut bot = BotInfo::new(100_000_001, "Sandbox Bot");
        bot.username = Some("sandbox_bot".into());
        bot.name = Some("Sandbox Bot".into());
        bot.description = Some("A MAX bot served by botwire-sandbox".into());
        bot.last_activity_time = Some(1_775_000_000_000);
        Self {
            bot,
            commands: Vec::new(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Shared {
    token: String,
    world: Mutex<MaxWorld>,
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
#[derive(Debug)]
pub struct MaxSandbox {
    running: Running,
    shared: Arc<Shared>,
    stats: Arc<Stats>,
    faults: Arc<Faults>,
}

impl MaxSandbox {
    /// Starts a sandbox on a free loopback port with the default token.
    pub fn start() -> std::io::Result<Self> {
        Self::start_with(DEFAULT_TOKEN, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Starts a sandbox that accepts `token`, listening on `addr`.
    pub fn start_with(token: &str, addr: SocketAddr) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            token: token.to_owned(),
            world: Mutex::new(MaxWorld::default()),
        });
        let stats = Arc::new(Stats::default());
        let faults = Arc::new(Faults::with_limits(crate::Limits::max()));
        let observer = Arc::new(Observer {
            stats: stats.clone(),
            faults: faults.clone(),
            label: label_by_template,
        });
        let router = Router::new()
            .route("/me", get(bot::get_me))
            .route("/me/commands", axum::routing::patch(bot::edit_commands))
            .fallback(not_found)
            .layer(middleware::from_fn_with_state(shared.clone(), authenticate))
            .layer(middleware::from_fn_with_state(observer, observe))
            .with_state(shared.clone());
        let running = Running::spawn(addr, router)?;
        Ok(Self {
            running,
            shared,
            stats,
            faults,
        })
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
}

/// A MAX error body with a status.
pub(crate) fn api_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"code": code, "message": message})),
    )
        .into_response()
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
