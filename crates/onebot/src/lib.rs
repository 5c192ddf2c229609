//! A client for the onebot.tech chatbot-platform API — the LEADTEX-family API that LEADTEX, CleverApp, Watbot
//! and JetBot serve on their own hosts ([`Platform`]). Not the Chinese "OneBot" QQ-bot standard.
//!
//! Every method is a value in [`endpoints`] that builds its request and parses its response without doing I/O
//! ([`Endpoint`]). [`Client`] (async) and [`blocking::Client`] move the bytes and have the same methods.
//!
//! ```no_run
//! # #[cfg(feature = "ureq")]
//! # fn run() -> Result<(), botwire_onebot::Error> {
//! let client = botwire_onebot::blocking::Client::from_env()?; // ONEBOT_API_TOKEN, ureq backend
//! let me = client.get_me()?;
//! println!("account {} ({})", me.id.0, me.name.as_deref().unwrap_or("-"));
//! # Ok(()) }
//! ```
//!
//! Every method of the reference's coverage table has a type in [`endpoints`] (whose docs give the reference's
//! confidence for it) and a method on both clients. [`paging`] walks every contact of a bot (an iterator, a
//! `Stream`, `find_contact`). The methods documented only by the sister platforms (accounts, crypto accounts,
//! referrals, lists, `decodeShortLink`, `setYsellStatus`) are behind the cargo feature `sister-only-methods`:
//! they are **not documented for onebot.tech**.
//!
//! Wire rules: `api_token` always in the query (and scrubbed from every error and log), the headers
//! `X-Requested-With: XMLHttpRequest` and `Accept: application/json` on every request, unset optionals never
//! sent, 422 bodies decoded into field → messages ([`Error::Rejected`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod config;
pub mod endpoint;
pub mod endpoints;
mod error;
mod methods;
pub mod paging;

pub use botwire_core_types::onebot as types;
pub use botwire_transport::{AsyncTransport, BlockingTransport, HttpRequest, HttpResponse, Token};
#[cfg(feature = "reqwest")]
pub use client::DefaultTransport;
pub use client::{Client, blocking};
pub use config::{BASE_URL_ENV, Config, Platform, TOKEN_ENV};
pub use endpoint::Endpoint;
pub use error::Error;
