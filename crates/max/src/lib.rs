//! A client for the MAX messenger Bot API (schema 0.0.33, `https://platform-api2.max.ru`).
//!
//! Every operation is a value in [`endpoints`] that builds its request and parses its response without doing
//! I/O ([`Endpoint`]). Two clients move the bytes — [`Client`] over any [`AsyncTransport`] and
//! [`blocking::Client`] over any [`BlockingTransport`] — with the same methods, so a bot switches backends by
//! changing one constructor.
//!
//! ```no_run
//! # #[cfg(feature = "reqwest")]
//! # async fn run() -> Result<(), botwire_max::Error> {
//! let client = botwire_max::Client::from_env()?; // MAX_BOT_TOKEN, reqwest backend
//! let me = client.get_me().await?;
//! println!("I am {} (@{})", me.first_name, me.username.as_deref().unwrap_or("-"));
//! # Ok(()) }
//! ```
//!
//! Features (none by default, so nothing forces a TLS stack or a runtime on you):
//!
//! | feature | gives |
//! |---|---|
//! | `reqwest` | `Client::from_env()` on [`botwire_transport::ReqwestTransport`] |
//! | `ureq` | `blocking::Client::from_env()` on [`botwire_transport::UreqTransport`] |
//! | `verify` | `verify`: a shared contact's `hash` and a mini-app's `initData`, checked with the bot token |
//! | `webhook` | `webhook::router` / `webhook::delivery_router` (axum) and `webhook::serve`, a server with header, body and request timeouts and a connection bound for any axum router |
//!
//! All 33 operations of schema 0.0.33 are offered except where the platform removed them: `GET /chats`,
//! `GET /chats/{chatLink}`, `DELETE /chats/{chatId}` and `PATCH /me` are gone; [`endpoints`] says what replaced
//! each (subscriptions plus stored chat ids, [`endpoints::GetChat`], [`endpoints::LeaveChat`],
//! `PATCH /me/commands`).
//! Beyond the endpoints: [`builders`] for messages, keyboards and other bodies (every documented limit checked
//! on `build()`), [`format`](mod@format) for escaped markdown/HTML and splitting long texts, and [`upload`] for the whole
//! upload flow plus the `attachment.not.ready` retry. [`webhook`] checks deliveries (sans-IO; served with the
//! `webhook` feature) and `verify` (feature `verify`) checks a shared contact's `hash` and a mini-app's
//! `initData`.
//!
//! Limits are checked before sending ([`Error::Validation`]); the token is sent as the raw `Authorization`
//! header, marked sensitive, and appears in no `Debug`, `Display` or error.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod builders;
pub mod chats;
mod client;
mod config;
pub mod endpoint;
pub mod endpoints;
mod error;
pub mod format;
mod methods;
pub mod polling;
pub mod upload;
#[cfg(feature = "verify")]
#[cfg_attr(docsrs, doc(cfg(feature = "verify")))]
pub mod verify;
pub mod webhook;

pub use botwire_core_types::ValidationError;
pub use botwire_core_types::max as types;
pub use botwire_transport::{AsyncTransport, BlockingTransport, HttpRequest, HttpResponse, Token};
pub use chats::ChatDirectory;
#[cfg(feature = "reqwest")]
pub use client::DefaultTransport;
pub use client::{Client, blocking};
pub use config::{BASE_URL_ENV, Config, DEFAULT_BASE_URL, TOKEN_ENV};
pub use endpoint::Endpoint;
pub use error::{ApiError, Error};
