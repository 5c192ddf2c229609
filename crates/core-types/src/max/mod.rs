//! Models of the MAX messenger Bot API (schema 0.0.33, `https://platform-api2.max.ru`).
//!
//! Timestamps are Unix milliseconds (`i64`); ids are exact 64-bit integers (`seq` exceeds 2^53 and never goes
//! through `f64`). Every closed set of wire strings has an `Unknown(String)` variant.

mod bot;
mod error;
mod ids;
mod user;

pub use bot::{BotCommand, BotCommands, BotCommandsInfo, BotInfo};
pub use error::ApiErrorBody;
pub use ids::{ChatId, UserId};
pub use user::User;
