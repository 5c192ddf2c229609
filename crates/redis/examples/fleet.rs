//! A fleet of three webhook replicas of one dialogue bot sharing Redis, behind a round-robin front.
//!
//! ```text
//! cargo run -p botwire-redis --features testing,webhook --example fleet
//! ```
//!
//! Starts the MAX sandbox (enforcing the real limits: 30 requests/s for the bot, 2 messages/s per chat), a
//! private `redis-server` on a free loopback port (or uses `REDIS_URL`), three replicas of an order-form bot —
//! each with its own Redis connections, its own webhook server and its own throttle, paced together by one
//! `RedisPacer`, with dialogues in `RedisStorage` and webhook de-duplication in `RedisDedup` — and a tiny
//! round-robin front that the sandbox delivers updates to, so consecutive updates of one user land on different
//! replicas. Then 40 users fill in the form at once, and the example prints how the fleet did: the send rate
//! against the 30/s limit, the 429s, each replica's share, and Redis round trips per paced request.
//!
//! Without `redis-server` (Debian: `apt-get install redis-server`) and without `REDIS_URL` it says so and stops.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use botwire_bot::webhook::{WebhookApp, WebhookOptions};
use botwire_bot::{Context, DispatchStats, Dispatcher, HandlerResult, Router, filters};
use botwire_core_types::max::{Attachment, Button, ChatId, Keyboard, UserId};
use botwire_max::webhook::WebhookConfig;
use botwire_max::{AsyncTransport, Client, Config};
use botwire_redis::testing::RedisServer;
use botwire_redis::{RedisDedup, RedisPacer, RedisStorage};
use botwire_sandbox::MaxSandbox;
use botwire_sandbox::updates::WebhookTarget;
use botwire_transport::{
    ReqwestTransport, Retry, RetryPolicy, Throttle, ThrottleConfig, TransportConfig,
};
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

const BOT: &str = "fleet_example_bot";
const SECRET: &str = "fleet-example-secret";
const REPLICAS: usize = 3;
const USERS: usize = 40;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

// ------------------------------------------------------------------------------------------------ the bot

/// Where a user's order stands (the dialogue state, in Redis, shared by the replicas).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Order {
    Name,
    Quantity { name: String },
    Confirm { name: String, quantity: u32 },
}

fn order(ctx: &Context) -> HandlerResult {
    ctx.dialogue().set(Order::Name)?;
    ctx.reply("What name should the order be under?")
}

fn name(ctx: &Context) -> HandlerResult {
    let name = ctx.text().unwrap_or_default().trim().to_owned();
    let buttons = (1..=3).map(|n| Button::callback(n.to_string(), format!("qty:{n}")));
    ctx.reply_with_keyboard(
        format!("Thanks, {name}. How many mugs?"),
        Keyboard::new(vec![buttons.collect()]),
    )?;
    ctx.dialogue().set(Order::Quantity { name })?;
    Ok(())
}

fn quantity(ctx: &Context) -> HandlerResult {
    let Some(Order::Quantity { name }) = ctx.dialogue().get() else {
        return Ok(());
    };
    let quantity = ctx
        .callback()
        .and_then(|c| c.payload.as_deref())
        .and_then(|p| p.strip_prefix("qty:"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    ctx.notify(format!("{quantity} it is"))?;
    ctx.reply_with_keyboard(
        format!("{quantity} × mug for {name}. Confirm?"),
        Keyboard::new(vec![vec![Button::callback("Confirm", "confirm")]]),
    )?;
    ctx.dialogue().set(Order::Confirm { name, quantity })?;
    Ok(())
}

fn confirm(ctx: &Context) -> HandlerResult {
    let Some(Order::Confirm { name, quantity }) = ctx.dialogue().get() else {
        return Ok(());
    };
    ctx.dialogue::<Order>().reset();
    ctx.notify("Ordered!")?;
    ctx.reply(format!("Order placed: {quantity} × mug for {name}."))
}

fn router() -> Router {
    Router::new()
        .command("order", order)
        .on(
            filters::state(|s: &Order| *s == Order::Name) & filters::text(),
            name,
        )
        .on(
            filters::state(|s: &Order| matches!(s, Order::Quantity { .. })) & filters::callback(),
            quantity,
        )
        .on(
            filters::state(|s: &Order| matches!(s, Order::Confirm { .. }))
                & filters::callback_eq("confirm"),
            confirm,
        )
}

// ------------------------------------------------------------------------------------------- the replicas

struct Replica {
    app: WebhookApp,
    url: String,
    stats: Arc<DispatchStats>,
    pacer: RedisPacer,
    server: tokio::task::JoinHandle<()>,
}

async fn replica(sb: &MaxSandbox, redis_url: &str) -> Result<Replica, BoxError> {
    // Each replica is its own process in production: its own connections, throttle and webhook server.
    let pacer = RedisPacer::open(redis_url, BOT)?.local_share(1.0 / REPLICAS as f64);
    let transport = Retry::new(
        Throttle::new(
            ReqwestTransport::new(TransportConfig::default())?,
            ThrottleConfig::max(),
        )
        .with_pacer(pacer.clone()),
        RetryPolicy::default(),
    );
    let client = Client::new(
        Config::new(sb.token()).with_base_url(sb.base_url()),
        transport,
    );
    let dispatcher =
        Dispatcher::new(router()).storage(RedisStorage::connect(redis_url, BOT).await?);
    let stats = dispatcher.stats();
    let options = WebhookOptions::new(WebhookConfig::with_secret(SECRET))
        .dedup(RedisDedup::connect(redis_url, BOT).await?);
    let app = dispatcher.webhook_app(client, options).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/", listener.local_addr()?);
    let routes = app.router();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, routes).await;
    });
    Ok(Replica {
        app,
        url,
        stats,
        pacer,
        server,
    })
}

/// The load balancer: each delivery goes to the next replica in turn, with the secret header.
struct Front {
    replicas: Vec<String>,
    next: AtomicUsize,
    http: ReqwestTransport,
}

async fn forward(State(front): State<Arc<Front>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let i = front.next.fetch_add(1, Ordering::Relaxed) % front.replicas.len();
    let mut request = http::Request::post(&front.replicas[i]);
    for name in ["x-max-bot-api-secret", "content-type"] {
        if let Some(v) = headers.get(name) {
            request = request.header(name, v);
        }
    }
    let Ok(request) = request.body(body.to_vec()) else {
        return StatusCode::BAD_GATEWAY;
    };
    match front.http.execute(request).await {
        Ok(response) => response.status(),
        Err(_) => StatusCode::BAD_GATEWAY,
    }
}

async fn start_front(replicas: &[Replica]) -> Result<String, BoxError> {
    let front = Arc::new(Front {
        replicas: replicas.iter().map(|r| r.url.clone()).collect(),
        next: AtomicUsize::new(0),
        http: ReqwestTransport::new(TransportConfig::default())?,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/", listener.local_addr()?);
    let app = axum::Router::new()
        .route("/", axum::routing::post(forward))
        .with_state(front);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(url)
}

// ---------------------------------------------------------------------------------------------- the users

/// Waits until the replicas have finished `n` updates between them (bounded: a stuck fleet is an error).
async fn settle(replicas: &[Replica], sb: &MaxSandbox, n: u64) -> Result<(), BoxError> {
    let started = Instant::now();
    loop {
        let done: u64 = replicas.iter().map(|r| r.stats.finished()).sum();
        if done >= n && sb.updates().pending() == 0 {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(120) {
            return Err(format!("the fleet finished {done} of {n} updates in 2 minutes").into());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The newest bot message with buttons in `chat`.
fn last_keyboard(sb: &MaxSandbox, chat: ChatId) -> Option<String> {
    let world = sb.world();
    let bot = world.bot_id();
    world
        .messages(chat)
        .iter()
        .rev()
        .filter(|m| m.author == bot)
        .find(|m| {
            m.message
                .attachments()
                .iter()
                .any(|a| matches!(a, Attachment::InlineKeyboard(_)))
        })
        .and_then(|m| m.message.mid().map(str::to_owned))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), BoxError> {
    // Redis: `REDIS_URL`, or a private server on a free port.
    let (_server, redis_url) = match std::env::var("REDIS_URL") {
        Ok(url) => (None, url),
        Err(_) => match RedisServer::start() {
            Ok(server) => {
                let url = server.url();
                (Some(server), url)
            }
            Err(e) => {
                eprintln!("fleet example: {e}\n(or set REDIS_URL to a Redis it may use)");
                std::process::exit(1);
            }
        },
    };
    let sb = MaxSandbox::start()?;
    sb.faults().limits().enforce(true);
    let mut replicas = Vec::new();
    for _ in 0..REPLICAS {
        replicas.push(replica(&sb, &redis_url).await?);
    }
    let front = start_front(&replicas).await?;
    sb.updates().set_webhook(Some(WebhookTarget {
        url: front,
        secret: Some(SECRET.to_owned()),
        retries: 10,
        first_retry: Duration::from_millis(200),
    }));
    println!(
        "sandbox {} · redis {redis_url} · {REPLICAS} replicas {}",
        sb.base_url(),
        replicas
            .iter()
            .map(|r| r.url.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );

    let users: Vec<(UserId, ChatId)> = (0..USERS)
        .map(|i| {
            let user = sb.add_user(&format!("User{i:02}")).user_id;
            (user, sb.add_dialog(user))
        })
        .collect();
    let started = Instant::now();
    let mut updates = 0;
    // Each step: every user acts at once; the next step starts when the fleet has answered them all.
    for (u, chat) in &users {
        sb.user_sends_text(*u, *chat, "/order")?;
    }
    updates += USERS as u64;
    settle(&replicas, &sb, updates).await?;
    for (i, (u, chat)) in users.iter().enumerate() {
        sb.user_sends_text(*u, *chat, &format!("User{i:02}"))?;
    }
    updates += USERS as u64;
    settle(&replicas, &sb, updates).await?;
    for (step, payload) in [(0, "qty:2"), (1, "confirm")] {
        for (u, chat) in &users {
            let mid = last_keyboard(&sb, *chat)
                .ok_or_else(|| format!("step {step}: no buttons in chat {chat}"))?;
            sb.user_presses_button(*u, &mid, payload)?;
        }
        updates += USERS as u64;
        settle(&replicas, &sb, updates).await?;
    }
    let elapsed = started.elapsed().as_secs_f64();

    let placed = users
        .iter()
        .filter(|(_, chat)| {
            sb.world().messages(*chat).iter().any(|m| {
                m.message
                    .text()
                    .is_some_and(|t| t.starts_with("Order placed: 2 × mug"))
            })
        })
        .count();
    let stats = sb.stats();
    let sends = stats.route("POST /messages") + stats.route("POST /answers");
    println!(
        "{USERS} users, {updates} updates: {placed} orders placed; per replica handled {:?}",
        replicas
            .iter()
            .map(|r| r.stats.handled())
            .collect::<Vec<_>>()
    );
    println!(
        "fleet sends: {sends} in {elapsed:.1} s = {:.1}/s (limit 30/s, the users' think time included); \
         {} x 429",
        sends as f64 / elapsed,
        stats.status(429)
    );
    let (requests, trips): (u64, u64) = replicas.iter().fold((0, 0), |(r, t), rep| {
        let s = rep.pacer.stats();
        (r + s.requests, t + s.round_trips)
    });
    println!(
        "pacing: {requests} paced requests, {trips} Redis round trips ({:.2} per request)",
        trips as f64 / requests.max(1) as f64
    );
    sb.updates().set_webhook(None);
    for r in replicas {
        r.server.abort();
        r.app.shutdown().await;
    }
    if placed != USERS {
        return Err(format!("only {placed} of {USERS} orders were placed").into());
    }
    Ok(())
}
