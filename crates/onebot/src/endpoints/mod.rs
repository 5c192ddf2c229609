//! One type per API method. Build one, then pass it to [`Client::send`](crate::Client::send) or
//! [`blocking::Client::send`](crate::blocking::Client::send) — or call the matching convenience method.

mod account;

pub use account::GetMe;
