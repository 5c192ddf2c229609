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
//! The `botwire-sandbox` binary runs both servers standalone.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Handlers short-circuit with a ready axum `Response` as the error; boxing it would only add noise.
#![allow(clippy::result_large_err)]

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
