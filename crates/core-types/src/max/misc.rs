//! Subscriptions, uploads and videos.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::PhotoAttachmentPayload;
use super::attachment::PhotoToken;

/// A webhook subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Subscription {
    /// The webhook URL.
    pub url: String,
    /// Creation time, Unix ms.
    pub time: i64,
    /// Subscribed update types (`None` = all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_types: Option<Vec<String>>,
}

/// `GET /subscriptions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GetSubscriptionsResult {
    /// Active subscriptions.
    #[serde(default)]
    pub subscriptions: Vec<Subscription>,
}

/// `POST /subscriptions` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubscriptionRequestBody {
    /// `https://…` on port 443.
    pub url: String,
    /// Update types to deliver (omitted: presumably all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_types: Option<Vec<String>>,
    /// 5–256 characters of `[A-Za-z0-9_-]`, sent back in `X-Max-Bot-Api-Secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl SubscriptionRequestBody {
    /// A subscription of `url` to every update type, without a secret.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            update_types: None,
            secret: None,
        }
    }

    /// Only these update types (`message_created`, …).
    #[must_use]
    pub fn with_update_types(mut self, types: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.update_types = Some(types.into_iter().map(Into::into).collect());
        self
    }

    /// The secret sent back in `X-Max-Bot-Api-Secret`.
    #[must_use]
    pub fn with_secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(secret.into());
        self
    }
}

/// `POST /uploads` answer: where to upload, and for video/audio already the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UploadEndpoint {
    /// The upload URL (another host).
    pub url: String,
    /// The attachment token (video and audio only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// What the upload host answers for an image: the `photos` map.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PhotoUploadResult {
    /// Opaque key → token.
    #[serde(default)]
    pub photos: BTreeMap<String, PhotoToken>,
}

/// What the upload host answers for a file: `{"token": …}` (possibly with more fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FileUploadResult {
    /// The attachment token.
    pub token: String,
}

/// Playback URLs of a video.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VideoUrls {
    /// 1080p MP4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mp4_1080: Option<String>,
    /// 720p MP4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mp4_720: Option<String>,
    /// 480p MP4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mp4_480: Option<String>,
    /// 360p MP4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mp4_360: Option<String>,
    /// 240p MP4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mp4_240: Option<String>,
    /// 144p MP4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mp4_144: Option<String>,
    /// HLS stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hls: Option<String>,
}

/// `GET /videos/{token}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VideoAttachmentDetails {
    /// The video token.
    pub token: String,
    /// Playback URLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls: Option<VideoUrls>,
    /// Preview image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<PhotoAttachmentPayload>,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
    /// Duration in seconds.
    pub duration: i32,
}
