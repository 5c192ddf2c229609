use botwire_core_types::max::{UploadEndpoint, UploadType};
use botwire_transport::HttpRequest;
use http::Method;

use crate::endpoint::{RequestBuilder, json_output};
use crate::{Config, Endpoint, Error};

/// `POST /uploads?type=…` — where to upload a file; for `video` and `audio` also the attachment token.
///
/// The first step of an upload; [`Client::upload`](crate::Client::upload) runs the whole flow. No body is sent.
/// Asking for a URL changes nothing until bytes are uploaded, so the request is marked safe to retry.
///
/// ```
/// use botwire_max::{Config, Endpoint, endpoints::GetUploadUrl, types::UploadType};
///
/// let req = GetUploadUrl::new(UploadType::Video).request(&Config::new("t"))?;
/// assert_eq!(req.uri(), "https://platform-api2.max.ru/uploads?type=video");
/// # Ok::<(), botwire_max::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetUploadUrl {
    /// `image`, `video`, `audio` or `file`.
    pub kind: UploadType,
}

impl GetUploadUrl {
    /// An upload URL for a file of this kind.
    pub fn new(kind: UploadType) -> Self {
        Self { kind }
    }
}

impl Endpoint for GetUploadUrl {
    type Output = UploadEndpoint;

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        // Refuses an unknown kind (e.g. the retired `photo`) before sending.
        botwire_core_types::max::check_upload_size(&self.kind, 0)?;
        RequestBuilder::new(config, Method::POST, "/uploads")
            .query("type", &self.kind)
            .idempotent(true)
            .build()
    }

    json_output!();
}
