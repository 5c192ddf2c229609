//! One type per API operation. Build one, then pass it to [`Client::send`](crate::Client::send) or
//! [`blocking::Client::send`](crate::blocking::Client::send) — or call the matching convenience method.

mod bot;
mod upload;

pub use bot::{EditMyCommands, GetMe};
pub use upload::GetUploadUrl;
