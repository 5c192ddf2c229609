//! Filters: when a route applies. They compose with `&` (and), `|` (or) and `!` (not), or the methods of the
//! same names; write your own with [`Filter::new`] (on the whole [`Context`]) or [`Filter::update`].

use std::str::FromStr;
use std::sync::Arc;

use botwire_core_types::max::{ChatType, Update, UserId};
use regex::Regex;
use serde::de::DeserializeOwned;

use crate::context::Context;

/// A predicate on a [`Context`]. Cheap to clone.
#[derive(Clone)]
pub struct Filter(Arc<dyn Fn(&Context) -> bool + Send + Sync>);

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Filter")
    }
}

impl Filter {
    /// A filter from any predicate on the context.
    pub fn new(f: impl Fn(&Context) -> bool + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// A filter from a predicate on the update alone.
    pub fn update(f: impl Fn(&Update) -> bool + Send + Sync + 'static) -> Self {
        Self::new(move |ctx| f(ctx.update()))
    }

    /// Matches everything.
    pub fn any() -> Self {
        Self::new(|_| true)
    }

    /// Whether the update passes.
    pub fn check(&self, ctx: &Context) -> bool {
        (self.0)(ctx)
    }

    /// Both must pass (the second is not evaluated when the first fails).
    #[must_use]
    pub fn and(self, other: Filter) -> Self {
        Self::new(move |ctx| self.check(ctx) && other.check(ctx))
    }

    /// Either passes.
    #[must_use]
    pub fn or(self, other: Filter) -> Self {
        Self::new(move |ctx| self.check(ctx) || other.check(ctx))
    }

    /// The opposite.
    #[must_use]
    #[allow(clippy::should_implement_trait)] // also `!filter`
    pub fn not(self) -> Self {
        Self::new(move |ctx| !self.check(ctx))
    }
}

impl std::ops::BitAnd for Filter {
    type Output = Filter;
    fn bitand(self, rhs: Filter) -> Filter {
        self.and(rhs)
    }
}

impl std::ops::BitOr for Filter {
    type Output = Filter;
    fn bitor(self, rhs: Filter) -> Filter {
        self.or(rhs)
    }
}

impl std::ops::Not for Filter {
    type Output = Filter;
    fn not(self) -> Filter {
        Filter::not(self)
    }
}

/// Updates of this kind (`"message_created"`, `"bot_started"`, … or an unknown type's name).
pub fn kind(kind: &'static str) -> Filter {
    Filter::update(move |u| u.kind() == kind)
}

/// `message_created`.
pub fn message() -> Filter {
    Filter::update(|u| matches!(u, Update::MessageCreated(_)))
}

/// `message_callback`.
pub fn callback() -> Filter {
    Filter::update(|u| matches!(u, Update::MessageCallback(_)))
}

/// `bot_started` (with or without a deep-link payload).
pub fn bot_started() -> Filter {
    Filter::update(|u| matches!(u, Update::BotStarted(_)))
}

/// `/name` (also `/name@this_bot`, and `bot_started` for `start`). Names compare case-insensitively.
pub fn command(name: &'static str) -> Filter {
    Filter::new(move |ctx| {
        ctx.command()
            .is_some_and(|c| c.name.eq_ignore_ascii_case(name))
    })
}

/// Any `/command` for this bot.
pub fn any_command() -> Filter {
    Filter::new(|ctx| ctx.command().is_some())
}

/// `bot_started` through a deep link whose payload starts with `prefix` (`""`: any payload).
pub fn deep_link(prefix: &'static str) -> Filter {
    Filter::update(
        move |u| matches!(u, Update::BotStarted(s) if s.payload.as_deref().is_some_and(|p| p.starts_with(prefix))),
    )
}

/// A new message with a text.
pub fn text() -> Filter {
    Filter::new(|ctx| ctx.text().is_some())
}

/// A new message whose text is exactly `text`.
pub fn text_eq(text: &'static str) -> Filter {
    Filter::new(move |ctx| ctx.text() == Some(text))
}

/// A new message whose text starts with `prefix`.
pub fn text_prefix(prefix: &'static str) -> Filter {
    Filter::new(move |ctx| ctx.text().is_some_and(|t| t.starts_with(prefix)))
}

/// A new message whose text matches `regex` (compile it once: `Regex::new(r"^\d+$")?`).
pub fn text_regex(regex: Regex) -> Filter {
    Filter::new(move |ctx| ctx.text().is_some_and(|t| regex.is_match(t)))
}

/// A button press with exactly this payload.
pub fn callback_eq(payload: &'static str) -> Filter {
    Filter::new(move |ctx| ctx.callback_payload() == Some(payload))
}

/// A button press whose payload starts with `prefix`.
pub fn callback_prefix(prefix: &'static str) -> Filter {
    Filter::new(move |ctx| {
        ctx.callback_payload()
            .is_some_and(|p| p.starts_with(prefix))
    })
}

/// A button press whose payload parses as `T` (`FromStr`); read it with `ctx.callback_data::<T>()`.
pub fn callback_data<T: FromStr + 'static>() -> Filter {
    Filter::new(|ctx| ctx.callback_data::<T>().is_some())
}

/// A button press whose payload decodes from JSON as `T`; read it with `ctx.callback_json::<T>()`.
pub fn callback_json<T: DeserializeOwned + 'static>() -> Filter {
    Filter::new(|ctx| ctx.callback_json::<T>().is_some())
}

/// A message with an attachment of this kind (`"image"`, `"file"`, `"contact"`, …).
pub fn attachment(kind: &'static str) -> Filter {
    Filter::new(move |ctx| {
        ctx.message()
            .is_some_and(|m| m.attachments().iter().any(|a| a.kind() == kind))
    })
}

/// Updates from a chat of this type.
pub fn chat_type(chat_type: ChatType) -> Filter {
    Filter::new(move |ctx| ctx.chat_type().as_ref() == Some(&chat_type))
}

/// Updates caused by one of these users.
pub fn sender_in(users: impl IntoIterator<Item = UserId>) -> Filter {
    let users: std::collections::HashSet<UserId> = users.into_iter().collect();
    Filter::new(move |ctx| ctx.sender_id().is_some_and(|u| users.contains(&u)))
}

/// Messages written by bots (including this one, in groups).
pub fn from_bot() -> Filter {
    Filter::new(|ctx| ctx.sender().is_some_and(|u| u.is_bot))
}

/// The (chat, user) dialogue is in a state of type `S` for which `pred` holds.
pub fn state<S: DeserializeOwned + 'static>(
    pred: impl Fn(&S) -> bool + Send + Sync + 'static,
) -> Filter {
    Filter::new(move |ctx| {
        ctx.with_raw_state(|v| {
            v.and_then(|v| S::deserialize(v).ok())
                .is_some_and(|s| pred(&s))
        })
    })
}

/// The dialogue is exactly `expected`.
pub fn in_state<S: DeserializeOwned + PartialEq + Send + Sync + 'static>(expected: S) -> Filter {
    state(move |s: &S| *s == expected)
}

/// No conversation is going on (no state, or it timed out).
pub fn no_state() -> Filter {
    Filter::new(|ctx| ctx.with_raw_state(|v| v.is_none()))
}
