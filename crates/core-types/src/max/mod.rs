//! Models of the MAX messenger Bot API (schema 0.0.33, `https://platform-api2.max.ru`).
//!
//! Timestamps are Unix milliseconds (`i64`); ids are exact 64-bit integers (`seq` exceeds 2^53 and never goes
//! through `f64`). Every closed set of wire strings has an `Unknown(String)` variant; updates, attachments,
//! buttons and markup of an unknown `type` decode to an `Unknown` variant that keeps the JSON. These models are
//! for JSON (they use `serde_json`'s raw values to decode tagged elements quickly).

mod attachment;
mod bot;
mod button;
mod chat;
mod enums;
mod error;
mod ids;
mod markup;
mod message;
mod misc;
mod update;
mod user;
mod validate;

pub use attachment::{
    Attachment, AttachmentRequest, AudioAttachment, ContactAttachment, ContactPayload,
    ContactRequest, ContactRequestPayload, FileAttachment, Image, ImageAttachment, ImageRequest,
    InlineKeyboardAttachment, InlineKeyboardRequest, Location, MediaPayload,
    PhotoAttachmentPayload, PhotoRequestPayload, PhotoToken, ShareAttachment, ShareRequest,
    ShareRequestPayload, StickerAttachment, StickerPayload, StickerRequest, StickerRequestPayload,
    UploadedInfo, UploadedRequest, VideoAttachment,
};
pub use bot::{BotCommand, BotCommands, BotCommandsInfo, BotInfo};
pub use button::{
    Button, CallbackButton, ClipboardButton, Keyboard, LinkButton, MessageButton, OpenAppButton,
    RequestContactButton, RequestGeoLocationButton,
};
pub use chat::{
    ActionRequestBody, Chat, ChatAdmin, ChatAdminsList, ChatMember, ChatMembersList, ChatPatch,
    FailedUserDetails, ModifyMembersResult, PinMessageBody, UserIdsList,
};
pub use enums::{
    ChatAdminPermission, ChatStatus, ChatType, Intent, MessageLinkType, SenderAction, TextFormat,
    UpdateType, UploadType,
};
pub use error::ApiErrorBody;
pub use ids::{ChatId, UserId};
pub use markup::{LinkMarkup, MarkupElement, Span, UserMentionMarkup};
pub use message::{
    Callback, CallbackAnswer, CommentLinkedMessage, CommentMessage, CommentMessageBody,
    CommentMessageList, GetPinnedMessageResult, LinkedMessage, Message, MessageBody, MessageList,
    MessageStat, NewCommentBody, NewMessageBody, NewMessageLink, Recipient, SendCommentResult,
    SendMessageResult, SimpleQueryResult,
};
pub use misc::{
    FileUploadResult, GetSubscriptionsResult, PhotoUploadResult, Subscription,
    SubscriptionRequestBody, UploadEndpoint, VideoAttachmentDetails, VideoUrls,
};
pub use update::{
    BotAdminPermissionsChanged, BotStarted, ChatMembership, ChatTitleChanged, CommentEvent,
    CommentRemoved, DialogEvent, DialogMuted, MalformedUpdate, MessageCallback, MessageChatCreated,
    MessageCreated, MessageEdited, MessageRemoved, ReplyTarget, Update, UpdateBatch, UpdateList,
    UserAdded, UserRemoved,
};
pub use user::User;
pub use validate::{check_upload_size, check_webhook_secret, check_webhook_url};
