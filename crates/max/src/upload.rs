//! Uploads: image, video, audio and file, from bytes or a path, ending in an attachment ready to send.
//!
//! The flow (reference §9) is written once, as the sans-IO state machine [`UploadFlow`], and both clients drive
//! it with the same three-line loop:
//!
//! 1. `POST /uploads?type=…` ([`GetUploadUrl`]) → `{"url", "token"?}` (`token` for video and audio only);
//! 2. `POST <url>` as `multipart/form-data` with the file in the field `data` (built here, not by a backend);
//! 3. the upload host's answer → an [`AttachmentRequest`]: an image's `photos` map, a file's `{"token"}`, or for
//!    video and audio the XML `<retval>1</retval>` plus the token of step 1.
//!
//! Sizes are checked before anything is sent (image ≤ 50 MB, video ≤ 250 MB, audio ≤ 256 MB, file ≤ 4 GB; see
//! [`check_upload_size`]). The whole file is held in memory once (the transport seam moves whole bodies); the
//! multipart envelope is added around it in place.
//!
//! The upload request carries **no `Authorization` header**: it goes to another host (`*.oneme.ru`,
//! `*.okcdn.ru`), and the official Go client sends none there (reference §1.3, §14.10; the docs' curl example
//! for resumable uploads does send it, so either seems accepted). Not handing the bot token to a second host is
//! the safer choice.
//!
//! A message with a fresh upload may fail with `attachment.not.ready` while the server processes the file; send
//! it with [`Client::send_retrying_not_ready`](crate::Client::send_retrying_not_ready) (policy:
//! [`NotReadyRetry`]).
//!
//! ```
//! use botwire_max::blocking::Client;
//! use botwire_max::upload::UploadSource;
//! use botwire_max::{Config, types::{AttachmentRequest, UploadType}};
//! use botwire_transport::{HttpRequest, HttpResponse, TransportError};
//!
//! // A stand-in for the API and the upload host.
//! let transport = |req: HttpRequest| -> Result<HttpResponse, TransportError> {
//!     let body: &[u8] = if req.uri().path() == "/uploads" {
//!         br#"{"url":"https://fu.example/upload/1"}"#
//!     } else {
//!         assert!(req.headers().get("authorization").is_none());
//!         br#"{"token":"file-token"}"#
//!     };
//!     Ok(http::Response::new(body.to_vec()))
//! };
//! let client = Client::new(Config::new("token"), transport);
//! let attachment = client.upload(UploadType::File, UploadSource::bytes("report.pdf", b"%PDF-1.7".to_vec()))?;
//! assert_eq!(attachment, AttachmentRequest::file("file-token"));
//! # Ok::<(), botwire_max::Error>(())
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use botwire_core_types::decode::{self, DecodeError};
use botwire_core_types::max::{
    AttachmentRequest, FileUploadResult, PhotoUploadResult, UploadEndpoint, UploadType,
    check_upload_size,
};
use botwire_transport::{
    AsyncTransport, BlockingTransport, HttpRequest, HttpResponse, RequestOptions,
};
use http::{Method, header};

use crate::endpoint::check_status;
use crate::endpoints::GetUploadUrl;
use crate::{ApiError, Client, Config, Endpoint, Error, blocking};

mod multipart;
mod retry;

pub use multipart::{MultipartForm, content_type_for, multipart_form};
pub use retry::{NotReadyRetry, NotReadyState, RetryStep, is_not_ready};

/// What to upload: bytes with a file name, or a file on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadSource {
    /// The file's bytes and the name to send (its extension also picks the content type).
    Bytes {
        /// File name sent in the multipart part, e.g. `photo.jpg`.
        name: String,
        /// The content.
        data: Vec<u8>,
    },
    /// A file to read. The async client reads it with `std::fs` inside the call, blocking that thread for the
    /// read; read it with your runtime's file API and pass [`UploadSource::Bytes`] to avoid that.
    Path(PathBuf),
}

impl UploadSource {
    /// Bytes with a file name.
    pub fn bytes(name: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        Self::Bytes {
            name: name.into(),
            data: data.into(),
        }
    }

    /// A file on disk.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Self::Path(path.into())
    }

    /// The name and the bytes; a path is size-checked against `kind` *before* it is read.
    fn load(self, kind: &UploadType) -> Result<(String, Vec<u8>), Error> {
        match self {
            UploadSource::Bytes { name, data } => Ok((name, data)),
            UploadSource::Path(path) => {
                let io = |source| Error::File {
                    path: path.clone(),
                    source,
                };
                let len = std::fs::metadata(&path).map_err(io)?.len();
                check_upload_size(kind, len)?;
                let data = std::fs::read(&path).map_err(io)?;
                Ok((file_name(&path), data))
            }
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_owned())
}

/// One step of an [`UploadFlow`]: a request to send, or the finished attachment.
#[derive(Debug)]
#[non_exhaustive]
pub enum UploadStep {
    /// Send this request and [`feed`](UploadFlow::feed) the response back.
    Send(HttpRequest),
    /// The upload is complete.
    Done(AttachmentRequest),
}

#[derive(Debug)]
enum State {
    NeedUrl,
    AwaitUrl,
    HaveUrl(UploadEndpoint),
    AwaitUpload {
        token: Option<String>,
    },
    Done(AttachmentRequest),
    /// The data went out with a failed upload request: the flow cannot go on.
    Failed,
}

/// The upload flow as a state machine without I/O: ask [`UploadFlow::next`] for a request, send it, give the
/// response to [`UploadFlow::feed`], until `next` says [`UploadStep::Done`].
///
/// ```
/// use botwire_max::upload::{UploadFlow, UploadStep};
/// use botwire_max::{Config, types::{AttachmentRequest, UploadType}};
///
/// let config = Config::new("token");
/// let mut flow = UploadFlow::new(UploadType::Video, "clip.mp4", b"....".to_vec())?;
/// let answers = [
///     &br#"{"url":"https://vu.example/upload.do?id=1","token":"video-token"}"#[..],
///     b"<retval>1</retval>",
/// ];
/// let mut answers = answers.into_iter();
/// let attachment = loop {
///     match flow.next(&config)? {
///         UploadStep::Send(_request) => flow.feed(http::Response::new(answers.next().unwrap().to_vec()))?,
///         UploadStep::Done(attachment) => break attachment,
///         _ => unreachable!(),
///     }
/// };
/// assert_eq!(attachment, AttachmentRequest::video("video-token"));
/// # Ok::<(), botwire_max::Error>(())
/// ```
#[derive(Debug)]
pub struct UploadFlow {
    kind: UploadType,
    name: String,
    data: Vec<u8>,
    timeout: Option<Duration>,
    boundary: Option<String>,
    state: State,
}

impl UploadFlow {
    /// A flow for `data` named `name`; checks the kind and the size first (nothing is sent when this fails).
    pub fn new(kind: UploadType, name: impl Into<String>, data: Vec<u8>) -> Result<Self, Error> {
        check_upload_size(&kind, data.len() as u64)?;
        Ok(Self {
            kind,
            name: name.into(),
            data,
            timeout: None,
            boundary: None,
            state: State::NeedUrl,
        })
    }

    /// A flow for an [`UploadSource`] (a path is size-checked before it is read).
    pub fn from_source(kind: UploadType, source: UploadSource) -> Result<Self, Error> {
        let (name, data) = source.load(&kind)?;
        Self::new(kind, name, data)
    }

    /// A timeout for the upload request alone (big files take longer than the transport's default).
    #[must_use]
    pub fn upload_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Uses this multipart boundary instead of a random one (for reproducible requests, e.g. snapshots). It is
    /// still refused, and a random one used, if it occurs in the data.
    #[must_use]
    pub fn boundary(mut self, boundary: impl Into<String>) -> Self {
        self.boundary = Some(boundary.into());
        self
    }

    /// The next request to send, or the finished attachment.
    ///
    /// After an error fed in by [`UploadFlow::feed`], a flow whose first request failed starts over; one whose
    /// upload failed is finished (its bytes went with the request) and returns an error.
    pub fn next(&mut self, config: &Config) -> Result<UploadStep, Error> {
        match std::mem::replace(&mut self.state, State::Failed) {
            State::NeedUrl => match GetUploadUrl::new(self.kind.clone()).request(config) {
                Ok(request) => {
                    self.state = State::AwaitUrl;
                    Ok(UploadStep::Send(request))
                }
                Err(e) => {
                    self.state = State::NeedUrl;
                    Err(e)
                }
            },
            State::HaveUrl(endpoint) => match self.upload_request(&endpoint.url) {
                Ok(request) => {
                    self.state = State::AwaitUpload {
                        token: endpoint.token,
                    };
                    Ok(UploadStep::Send(request))
                }
                Err(e) => {
                    self.state = State::HaveUrl(endpoint);
                    Err(e)
                }
            },
            State::Done(attachment) => {
                self.state = State::Done(attachment.clone());
                Ok(UploadStep::Done(attachment))
            }
            State::Failed => Err(Error::Config(
                "upload flow: the upload failed and its data is spent; start a new flow".into(),
            )),
            waiting => {
                self.state = waiting;
                Err(Error::Config(
                    "upload flow: feed the response of the last request first".into(),
                ))
            }
        }
    }

    /// Takes the response to the request [`UploadFlow::next`] returned.
    pub fn feed(&mut self, response: HttpResponse) -> Result<(), Error> {
        match std::mem::replace(&mut self.state, State::Failed) {
            State::AwaitUrl => {
                // A refused `POST /uploads` sent no data: the flow may start over.
                self.state = State::NeedUrl;
                let endpoint = GetUploadUrl::new(self.kind.clone()).parse(response)?;
                self.state = State::HaveUrl(endpoint);
                Ok(())
            }
            State::AwaitUpload { token } => {
                let attachment = parse_upload_answer(&self.kind, token, response)?;
                self.state = State::Done(attachment);
                Ok(())
            }
            other => {
                self.state = other;
                Err(Error::Config(
                    "upload flow: no request is waiting for a response".into(),
                ))
            }
        }
    }

    fn upload_request(&mut self, url: &str) -> Result<HttpRequest, Error> {
        let uri: http::Uri = url.parse().map_err(|_| Error::Decode {
            status: 200,
            source: DecodeError::new("url", "not a valid upload URL", url.as_bytes()),
        })?;
        let data = std::mem::take(&mut self.data);
        let form = multipart_form(
            "data",
            &self.name,
            content_type_for(&self.name),
            data,
            self.boundary.take(),
        );
        let content_type = form.content_type();
        // Deliberately no Authorization: the upload host is not the API host (module docs).
        let mut request = http::Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::CONTENT_TYPE, content_type)
            .body(form.into_body())
            .map_err(|e| Error::Config(format!("cannot build the upload request: {e}")))?;
        if let Some(t) = self.timeout {
            RequestOptions::default().timeout(t).apply(&mut request);
        }
        Ok(request)
    }
}

/// Turns the upload host's answer into the attachment to send (reference §9.1, §14.9: parse defensively).
fn parse_upload_answer(
    kind: &UploadType,
    step1_token: Option<String>,
    response: HttpResponse,
) -> Result<AttachmentRequest, Error> {
    let status = check_status(&response)?.as_u16();
    let body = response.body();
    let missing = |what: &str| Error::Decode {
        status,
        source: DecodeError::new("token", format!("the upload answer has no {what}"), body),
    };
    let json_token = || {
        decode::from_slice::<FileUploadResult>(body)
            .ok()
            .map(|r| r.token)
    };
    match kind {
        UploadType::Image => {
            let photos = decode::from_slice::<PhotoUploadResult>(body)
                .map_err(|source| Error::Decode { status, source })?
                .photos;
            // One photo: send its token, as the official Go client does; several: pass the map through
            // unchanged, which the schema also allows.
            match photos.len() {
                0 => json_token()
                    .map(AttachmentRequest::image_token)
                    .ok_or_else(|| missing("`photos` and no `token`")),
                1 => Ok(AttachmentRequest::image_token(
                    photos
                        .into_values()
                        .next()
                        .map(|p| p.token)
                        .unwrap_or_default(),
                )),
                _ => Ok(AttachmentRequest::image_photos(photos)),
            }
        }
        UploadType::File => json_token()
            .or(step1_token)
            .map(AttachmentRequest::file)
            .ok_or_else(|| missing("`token`")),
        UploadType::Video | UploadType::Audio => {
            if let Some(retval) = xml_retval(body)
                && retval != "1"
            {
                return Err(Error::Api(ApiError {
                    status: response.status(),
                    code: None,
                    message: Some(format!(
                        "the upload host answered <retval>{retval}</retval>"
                    )),
                    idempotent: false,
                }));
            }
            let token = step1_token
                .or_else(json_token)
                .ok_or_else(|| missing("`token`"))?;
            Ok(if *kind == UploadType::Video {
                AttachmentRequest::video(token)
            } else {
                AttachmentRequest::audio(token)
            })
        }
        other => {
            // `UploadFlow::new` refuses unknown kinds already; this keeps the match total.
            check_upload_size(other, 0)?;
            Err(missing("`token`"))
        }
    }
}

/// The text of `<retval>…</retval>`, if the body has one.
fn xml_retval(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<retval>")? + "<retval>".len();
    let end = text[start..].find("</retval>")? + start;
    Some(text[start..end].trim().to_owned())
}

impl<T: AsyncTransport> Client<T> {
    /// Uploads a file and returns the attachment to send (see the [module docs](crate::upload)).
    ///
    /// A [`UploadSource::Path`] is read with `std::fs` inside this call.
    pub async fn upload(
        &self,
        kind: UploadType,
        source: UploadSource,
    ) -> Result<AttachmentRequest, Error> {
        self.upload_flow(UploadFlow::from_source(kind, source)?)
            .await
    }

    /// Drives a prepared [`UploadFlow`] (e.g. with [`UploadFlow::upload_timeout`]).
    pub async fn upload_flow(&self, mut flow: UploadFlow) -> Result<AttachmentRequest, Error> {
        loop {
            match flow.next(self.config())? {
                UploadStep::Send(request) => flow.feed(self.execute(request).await?)?,
                UploadStep::Done(attachment) => return Ok(attachment),
            }
        }
    }
}

impl<T: BlockingTransport> blocking::Client<T> {
    /// Uploads a file and returns the attachment to send (see the [module docs](crate::upload)).
    pub fn upload(
        &self,
        kind: UploadType,
        source: UploadSource,
    ) -> Result<AttachmentRequest, Error> {
        self.upload_flow(UploadFlow::from_source(kind, source)?)
    }

    /// Drives a prepared [`UploadFlow`] (e.g. with [`UploadFlow::upload_timeout`]).
    pub fn upload_flow(&self, mut flow: UploadFlow) -> Result<AttachmentRequest, Error> {
        loop {
            match flow.next(self.config())? {
                UploadStep::Send(request) => flow.feed(self.execute(request)?)?,
                UploadStep::Done(attachment) => return Ok(attachment),
            }
        }
    }
}

#[cfg(test)]
mod tests;
