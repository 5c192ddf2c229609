use serde::{Deserialize, Serialize};

use crate::raw::tagged_enum;

tagged_enum! {
    /// A formatting span of a received message text (`MessageBody.markup`). `from`/`length` index into the text;
    /// the unit (UTF-16 code units or code points) is not documented.
    pub enum MarkupElement (tag = "type") {
        /// Bold.
        "strong" => Strong(Span),
        /// Italic.
        "emphasized" => Emphasized(Span),
        /// Monospace.
        "monospaced" => Monospaced(Span),
        /// A link.
        "link" => Link(LinkMarkup),
        /// Strikethrough.
        "strikethrough" => Strikethrough(Span),
        /// Underline.
        "underline" => Underline(Span),
        /// A user mention.
        "user_mention" => UserMention(UserMentionMarkup),
        /// A heading.
        "heading" => Heading(Span),
        /// Highlighted (red by default).
        "highlighted" => Highlighted(Span),
        /// A quote.
        "quote" => Quote(Span),
    }
}

/// Where a span starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Span {
    /// Zero-based start index into the text.
    pub from: i32,
    /// Length of the span.
    pub length: i32,
}

/// A link span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LinkMarkup {
    /// Start index.
    pub from: i32,
    /// Length.
    pub length: i32,
    /// Target URL (1–2048 characters).
    pub url: String,
}

/// A user-mention span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserMentionMarkup {
    /// Start index.
    pub from: i32,
    /// Length.
    pub length: i32,
    /// `@username`, when the user has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_link: Option<String>,
    /// The user's id, for users without a username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
}
