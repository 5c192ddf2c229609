//! Attachments: as received in messages ([`Attachment`]) and as sent ([`AttachmentRequest`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Keyboard, User};
use crate::raw::tagged_enum;

tagged_enum! {
    /// An attachment of a received message (discriminator `type`). Unknown and legacy kinds (`data`,
    /// `reply_keyboard`) are kept as JSON in `Unknown`.
    pub enum Attachment (tag = "type") {
        /// A photo.
        "image" => Image(ImageAttachment),
        /// A video; details and playback URLs via `GET /videos/{token}`.
        "video" => Video(VideoAttachment),
        /// Audio, including voice messages.
        "audio" => Audio(AudioAttachment),
        /// A file.
        "file" => File(FileAttachment),
        /// A sticker.
        "sticker" => Sticker(StickerAttachment),
        /// A shared contact.
        "contact" => Contact(ContactAttachment),
        /// An inline keyboard (the bot's own, echoed back).
        "inline_keyboard" => InlineKeyboard(InlineKeyboardAttachment),
        /// A link preview.
        "share" => Share(ShareAttachment),
        /// A location (flat: no `payload`).
        "location" => Location(Location),
    }
}

/// Payload of a received photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PhotoAttachmentPayload {
    /// Photo id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_id: Option<i64>,
    /// Token to re-send the photo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A received photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ImageAttachment {
    /// The photo.
    pub payload: PhotoAttachmentPayload,
}

/// URL and token of received media.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MediaPayload {
    /// Media URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Token to re-send the media (for video also the `videoToken` of `GET /videos/{token}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// A thumbnail image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Image {
    /// Image URL.
    pub url: String,
}

/// A received video.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VideoAttachment {
    /// URL and token.
    pub payload: MediaPayload,
    /// Preview image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<Image>,
    /// Width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<i32>,
    /// Height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<i32>,
    /// Duration in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<i32>,
}

/// Received audio (voice messages arrive as audio).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AudioAttachment {
    /// URL and token.
    pub payload: MediaPayload,
    /// Speech-to-text transcription, when available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcription: Option<String>,
}

/// A received file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FileAttachment {
    /// URL and token.
    pub payload: MediaPayload,
    /// File name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
}

/// Payload of a received sticker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StickerPayload {
    /// Sticker image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Sticker code (to send it again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// A received sticker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StickerAttachment {
    /// URL and code.
    pub payload: StickerPayload,
    /// Width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<i32>,
    /// Height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<i32>,
}

/// Payload of a received contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactPayload {
    /// The vCard text (`BEGIN:VCARD…`, real CR LF line ends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcf_info: Option<String>,
    /// `hex(HMAC-SHA256(key = bot token, vcf_info))` when the user shared their own verified number through a
    /// `request_contact` button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// The MAX user behind the contact (older data: `tam_info`).
    #[serde(default, alias = "tam_info", skip_serializing_if = "Option::is_none")]
    pub max_info: Option<User>,
}

impl ContactPayload {
    /// The phone number from the vCard's `TEL` line, if any.
    pub fn phone(&self) -> Option<&str> {
        self.vcf_info
            .as_deref()?
            .lines()
            .find(|l| l.starts_with("TEL"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// A received contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactAttachment {
    /// vCard, hash and MAX user.
    pub payload: ContactPayload,
}

/// A received inline keyboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InlineKeyboardAttachment {
    /// The rows of buttons.
    pub payload: Keyboard,
    /// Observed next to `payload` on received keyboards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_id: Option<String>,
}

/// A received link preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ShareAttachment {
    /// URL and token.
    pub payload: MediaPayload,
    /// Preview title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Preview description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Preview image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

/// A location, received or sent (flat: `{"type":"location","latitude":…,"longitude":…}`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Location {
    /// Latitude in degrees.
    pub latitude: f64,
    /// Longitude in degrees.
    pub longitude: f64,
}

impl Location {
    /// A location.
    pub fn new(latitude: f64, longitude: f64) -> Self {
        Self {
            latitude,
            longitude,
        }
    }
}

tagged_enum! {
    /// An attachment to send (`AttachmentRequest`, discriminator `type`).
    ///
    /// Video, audio and files can only be sent by upload token; images by URL, token or the `photos` map of an
    /// upload. Audio, files, stickers and contacts must be the only attachment (a keyboard may accompany a
    /// contact or a file).
    pub enum AttachmentRequest (tag = "type") {
        /// A photo.
        "image" => Image(ImageRequest),
        /// A video from an upload token.
        "video" => Video(UploadedRequest),
        /// Audio from an upload token.
        "audio" => Audio(UploadedRequest),
        /// A file from an upload token.
        "file" => File(UploadedRequest),
        /// A sticker by code.
        "sticker" => Sticker(StickerRequest),
        /// A contact card.
        "contact" => Contact(ContactRequest),
        /// An inline keyboard.
        "inline_keyboard" => InlineKeyboard(InlineKeyboardRequest),
        /// A location.
        "location" => Location(Location),
        /// A link preview.
        "share" => Share(ShareRequest),
    }
}

/// `{"token": "…"}` for one photo of an upload's `photos` map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PhotoToken {
    /// The photo token.
    pub token: String,
}

/// The three mutually exclusive ways to name an image to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum PhotoRequestPayload {
    /// Any external image URL (no upload needed).
    Url {
        /// The image URL.
        url: String,
    },
    /// The token of an uploaded or earlier sent photo.
    Token {
        /// The token.
        token: String,
    },
    /// The `photos` object an image upload returned, passed through unchanged.
    Photos {
        /// Opaque key → token.
        photos: BTreeMap<String, PhotoToken>,
    },
}

/// An image to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ImageRequest {
    /// URL, token or photos map.
    pub payload: PhotoRequestPayload,
}

/// The token of uploaded video, audio or file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UploadedInfo {
    /// Upload token.
    pub token: String,
}

/// Video, audio or file to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UploadedRequest {
    /// The upload token.
    pub payload: UploadedInfo,
}

/// A sticker code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StickerRequestPayload {
    /// Sticker code, e.g. `2fd04f94e`.
    pub code: String,
}

/// A sticker to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StickerRequest {
    /// The code.
    pub payload: StickerRequestPayload,
}

/// A contact card to send.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactRequestPayload {
    /// Contact name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A MAX user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<i64>,
    /// vCard text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcf_info: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcf_phone: Option<String>,
}

/// A contact to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactRequest {
    /// The card.
    pub payload: ContactRequestPayload,
}

/// An inline keyboard to send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InlineKeyboardRequest {
    /// The rows.
    pub payload: Keyboard,
}

/// What to preview: a URL or a token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ShareRequestPayload {
    /// External URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Token of an earlier share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// A link preview to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ShareRequest {
    /// URL or token.
    pub payload: ShareRequestPayload,
}

impl AttachmentRequest {
    /// An image by external URL.
    pub fn image_url(url: impl Into<String>) -> Self {
        Self::Image(ImageRequest {
            payload: PhotoRequestPayload::Url { url: url.into() },
        })
    }

    /// An image by token.
    pub fn image_token(token: impl Into<String>) -> Self {
        Self::Image(ImageRequest {
            payload: PhotoRequestPayload::Token {
                token: token.into(),
            },
        })
    }

    /// An image from the `photos` map an upload returned.
    pub fn image_photos(photos: BTreeMap<String, PhotoToken>) -> Self {
        Self::Image(ImageRequest {
            payload: PhotoRequestPayload::Photos { photos },
        })
    }

    fn uploaded(token: impl Into<String>) -> UploadedRequest {
        UploadedRequest {
            payload: UploadedInfo {
                token: token.into(),
            },
        }
    }

    /// A video by upload token.
    pub fn video(token: impl Into<String>) -> Self {
        Self::Video(Self::uploaded(token))
    }

    /// Audio by upload token.
    pub fn audio(token: impl Into<String>) -> Self {
        Self::Audio(Self::uploaded(token))
    }

    /// A file by upload token.
    pub fn file(token: impl Into<String>) -> Self {
        Self::File(Self::uploaded(token))
    }

    /// A sticker by code.
    pub fn sticker(code: impl Into<String>) -> Self {
        Self::Sticker(StickerRequest {
            payload: StickerRequestPayload { code: code.into() },
        })
    }

    /// A contact card.
    pub fn contact(payload: ContactRequestPayload) -> Self {
        Self::Contact(ContactRequest { payload })
    }

    /// An inline keyboard.
    pub fn inline_keyboard(keyboard: Keyboard) -> Self {
        Self::InlineKeyboard(InlineKeyboardRequest { payload: keyboard })
    }

    /// A location.
    pub fn location(latitude: f64, longitude: f64) -> Self {
        Self::Location(Location::new(latitude, longitude))
    }

    /// A link preview of an external URL.
    pub fn share_url(url: impl Into<String>) -> Self {
        Self::Share(ShareRequest {
            payload: ShareRequestPayload {
                url: Some(url.into()),
                token: None,
            },
        })
    }
}
