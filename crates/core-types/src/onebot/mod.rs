//! Models of the onebot.tech chatbot-builder API (`https://app.onebot.tech/api/v1/<method>`), the same API that
//! LEADTEX, CleverApp, Watbot and JetBot serve on their own hosts. Not the Chinese "OneBot" QQ standard.
//!
//! The backend is Laravel: single objects come wrapped in `{"data": …}`, lists in a paginator, validation
//! errors as `{"message", "errors": {field: [messages]}}`. Ids arrive as numbers or numeric strings and are
//! accepted either way.

mod account;
mod common;
mod ids;

pub use account::Account;
pub use common::{Data, ErrorBody};
pub use ids::{BotId, ContactId, FlexibleId};
