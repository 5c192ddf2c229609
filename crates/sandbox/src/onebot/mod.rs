//! A fake onebot.tech API server (`/api/v1/<method>`).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http::{HeaderValue, StatusCode, header};
use serde_json::json;

use crate::observe::{Observer, observe};
use crate::server::Running;
use crate::{Faults, Stats};

/// The token a sandbox accepts unless told otherwise.
pub const DEFAULT_TOKEN: &str = "sandbox-onebot-token";

/// The path every method lives under.
pub const API_PREFIX: &str = "/api/v1";

/// The world a OneBot sandbox keeps.
#[derive(Debug)]
pub struct OneBotWorld {
    /// The account `getMe` answers with (the `data` object).
    pub account: serde_json::Value,
}

impl Default for OneBotWorld {
    fn default() -> Self {
        Self {
            account: json!({
                "id": 1,
                "name": "Sandbox account",
                "email": "sandbox@example.invalid",
                "phone": "79990000000",
                "created_at": "2026-01-01T00:00:00+00:00"
            }),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Shared {
    token: String,
    world: Mutex<OneBotWorld>,
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
        let shared = Arc::new(Shared {
            token: token.to_owned(),
            world: Mutex::new(OneBotWorld::default()),
        });
        let stats = Arc::new(Stats::default());
        let faults = Arc::new(Faults::with_limits(crate::Limits::onebot()));
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

async fn dispatch(State(shared): State<Arc<Shared>>, Path(method): Path<String>) -> Response {
    match method.as_str() {
        "getMe" => axum::Json(json!({ "data": shared.world().account.clone() })).into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": format!("Method {method} not found")})),
        )
            .into_response(),
    }
}
