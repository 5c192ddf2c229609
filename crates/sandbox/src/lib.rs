//! Real HTTP servers on loopback that behave like the MAX Bot API and the onebot.tech API.
//!
//! Each server runs on its own thread and runtime, so it serves blocking and async clients alike, and stops
//! when its handle is dropped. It keeps state, answers with the real shapes and the real error bodies, counts
//! what it receives, and can be told to misbehave ([`Faults`]): scripted or seeded-random faults, and the APIs' rate
//! [`Limits`] (off until enforced).
//!
//! ```
//! use botwire_sandbox::MaxSandbox;
//!
//! let sandbox = MaxSandbox::start()?;
//! assert!(sandbox.base_url().starts_with("http://127.0.0.1:"));
//! let token = sandbox.token(); // the only token it accepts
//! # let _ = token;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # A test server anyone can drive
//!
//! Both servers also answer an HTTP **control API** under `/_sandbox/` (a prefix no API path uses): JSON in and
//! out, `{"code","message"}` errors, no token, never rate-limited, faulted or counted. It is the in-process API
//! over HTTP — the same code runs — so a bot written in any language can be tested from a shell script:
//! create users, press Start (with a deep-link payload), write, press buttons, build groups and channels with
//! members, add and remove the bot, stop it, push raw updates of any shape, then read what the bot sent (in
//! order), its callback answers, pins and the request counts, and reset. The routes are listed in
//! [`max::control`] and [`onebot::control`].
//!
//! The `botwire-sandbox` binary (feature `cli`, on by default) runs both servers standalone. Its first stdout
//! line is one JSON object, `{"max":{"base_url":…,"token":…},"onebot":{"base_url":…,"token":…}}`; `--help`
//! explains the flags: ports, tokens, `--limits on|off` (on by default, as on the platform) and
//! `--limit-scale`, seeded faults (`--fault-rate`, `--fault-seed`, `--fault-kinds`), `--attachment-not-ready`,
//! the clock (`--clock-start`, `--clock-scale`, `--stepped-clock`) and `--webhook-loopback`. The flags and the
//! main loop are the library's [`cli`] module (feature `cli`), so other binaries (`botwire sandbox`) offer the same.
//!
//! # Platform behaviour
//!
//! - **Clock** ([`Clock`]): the wall clock by default ([`MaxSandbox::start`] and the binary), so "skip old
//!   updates" logic works; [`Clock::fixed`] starts anywhere and runs faster or slower (webhook retries follow
//!   it); [`Clock::stepped`] gives the same timestamps on every run for snapshots. [`max::MaxWorld::default`]
//!   stays stepped.
//! - **Webhooks**: `POST /subscriptions` needs `https://` on port 443 like the platform, or a loopback
//!   `http://` URL with [`max::MaxOptions::loopback_webhooks`] / `--webhook-loopback`. Deliveries follow §7:
//!   one update per POST with `X-Max-Bot-Api-Secret`, 10 retries from 60 s growing ×2.5 on the sandbox clock,
//!   unsubscribed after 8 hours without success (undelivered updates go back to long polling); a failing
//!   update does not hold up later ones; `update_types` filters; a new subscription or an unsubscribe takes
//!   effect at once.
//! - **Markers**: a marker past the end (a checkpoint from an earlier run) commits nothing, so it repeats
//!   updates rather than losing them; the binary starts its markers from the wall clock, so earlier runs'
//!   markers are below this run's.
//! - **Limits**: `POST /answers` is limited per chat of the callback (the request names none), and a dialog
//!   reached by `user_id` and by `chat_id` counts as one chat.
//! - **Formatting**: `format: markdown|html` texts are stored without the syntax plus `markup` elements (§6).
//! - **Uploads**: multipart (`data` field), raw whole bodies and resumable `Content-Range` chunks (§9.2).
//! - **Errors**: every answer of the MAX server is `{"code","message"}` JSON, including a bad `GET /updates`
//!   query and a wrong method (`404 method.not.found`, as on the platform); the legacy `chat` button gets
//!   `400 Can't deserialize body`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Handlers short-circuit with a ready axum `Response` as the error; boxing it would only add noise.
#![allow(clippy::result_large_err)]

#[cfg(feature = "cli")]
pub mod cli;
mod clock;
mod faults;
mod limits;
pub mod max;
mod observe;
pub mod onebot;
mod server;
mod stats;
pub mod updates;

pub use clock::{Clock, STEPPED_START_MS};
pub use faults::{Fault, Faults};
pub use limits::{LimitKey, LimitRule, Limits, RetryHint};
pub use max::MaxSandbox;
pub use onebot::OneBotSandbox;
pub use stats::Stats;
