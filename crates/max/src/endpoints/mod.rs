//! One type per API operation. Build one, then pass it to [`Client::send`](crate::Client::send) or
//! [`blocking::Client::send`](crate::blocking::Client::send) — or call the matching convenience method.

mod bot;
mod updates;

pub use bot::{EditMyCommands, GetMe};
pub use updates::GetUpdates;
