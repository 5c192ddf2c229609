//! Wire models of the two chat-bot APIs botwire speaks, with their documented limits.
//!
//! * [`max`] — the MAX messenger Bot API (schema 0.0.33).
//! * [`onebot`] — the onebot.tech chatbot-builder API (the LEADTEX family: LEADTEX, CleverApp, Watbot, JetBot).
//!
//! This crate has no HTTP and no runtime dependency: a webhook service that only decodes updates can take it
//! alone. Models are lenient when decoding (unknown fields are ignored, optional fields accept both absent and
//! `null`) and strict when you build something to send: constructors of bounded values refuse what the API
//! would refuse, with a [`ValidationError`] that names the limit and the value.
//!
//! ```
//! use botwire_core_types::max::{BotCommand, BotInfo};
//!
//! let info: BotInfo = serde_json::from_str(
//!     r#"{"user_id":1,"first_name":"Echo","is_bot":true,"unknown_field":42}"#,
//! )?;
//! assert_eq!(info.user_id.get(), 1);
//!
//! let err = BotCommand::new("", None).unwrap_err();
//! assert_eq!(err.field(), "name");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod decode;
pub mod limits;
pub mod max;
pub mod onebot;
mod raw;
pub mod redact;
mod validation;

pub use raw::UnknownJson;

pub use validation::ValidationError;
