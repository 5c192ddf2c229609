//! Models of the onebot.tech chatbot-builder API (`https://app.onebot.tech/api/v1/<method>`), the same API that
//! LEADTEX, CleverApp, Watbot and JetBot serve on their own hosts. Not the Chinese "OneBot" QQ standard.
//!
//! The backend is Laravel: single objects come wrapped in `{"data": …}`, lists in a paginator ([`Page`]),
//! validation errors as `{"message", "errors": {field: [messages]}}`. Ids arrive as numbers or numeric strings
//! and are accepted either way; booleans the API takes as `0`/`1` are [`IntBool`].

mod account;
mod common;
mod contact;
mod ids;
mod message;
mod messenger;
mod page;
pub mod sister;
mod tag;
mod variable;
pub mod webhook;

pub use account::Account;
pub use common::{Data, ErrorBody};
pub use contact::{Contact, Utm};
pub use ids::{BotId, ContactId, FlexibleId, IntBool, TextId};
pub use message::{ActionResult, QueuedMessage};
pub use messenger::Messenger;
pub use page::{Links, Meta, Page};
pub use tag::Tag;
pub use variable::{ContactVariable, VariableDef};
