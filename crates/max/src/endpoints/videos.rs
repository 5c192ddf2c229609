//! Video details.

use botwire_core_types::max::VideoAttachmentDetails;
use botwire_transport::{HttpRequest, url::path_segment};
use http::Method;

use super::non_blank;
use crate::endpoint::{RequestBuilder, json_output};
use crate::{Config, Endpoint, Error};

/// `GET /videos/{videoToken}` — size, duration, thumbnail and the direct playback URLs (MP4 per resolution,
/// HLS) of a video, by the `token` of a video attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetVideo {
    /// The video attachment's token.
    pub token: String,
}

impl GetVideo {
    /// Details of the video `token`.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
        }
    }
}

impl Endpoint for GetVideo {
    type Output = VideoAttachmentDetails;

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        non_blank("token", &self.token)?;
        let path = format!("/videos/{}", path_segment(&self.token));
        RequestBuilder::new(config, Method::GET, path).build()
    }

    json_output!();
}
