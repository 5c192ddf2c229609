//! Uploads: image, video, audio and file, from bytes or a path, ending in an attachment ready to send.
//!
//! The flow (reference §9) is written once, as the sans-IO state machine [`UploadFlow`], and both clients drive
//! it with the same three-line loop:
//!
//! 1. `POST /uploads?type=…` ([`GetUploadUrl`]) → `{"url", "token"?}` (`token` for video and audio only);
//! 2. `POST <url>` as `multipart/form-data` with the file in the field `data` (built here, not by a backend),
//!    or, with [`UploadFlow::resumable`], the raw file in `Content-Range` chunks;
//! 3. the upload host's answer → an [`AttachmentRequest`]: an image's `photos` map, a file's `{"token"}`, or for
//!    video and audio the XML `<retval>1</retval>` plus the token of step 1.
//!
//! Sizes are checked before anything is sent (image ≤ 50 MB, video ≤ 250 MB, audio ≤ 256 MB, file ≤ 4 GB; see
//! [`check_upload_size`]).
//!
//! **Memory.** A file from a [path](UploadSource::path) or a [reader](UploadSource::reader) is *streamed*: the
//! multipart envelope is two small byte parts around it, the `Content-Length` is computed up front, and the
//! file is read in 64 KiB chunks while it is sent
//! ([`execute_streamed`](botwire_transport::BlockingTransport::execute_streamed)). On the ureq and reqwest
//! backends, and through the `Retry` and `Throttle` layers, memory stays flat whatever the size (measured: a
//! 1 GiB upload peaks about 1 MiB above the process's baseline on either; `cargo xtask bench --upload`). A transport
//! of your own (a closure) gets the body buffered unless it overrides `execute_streamed`. [Bytes](UploadSource::bytes)
//! are held once; the envelope is added around them in place.
//!
//! **Time.** On reqwest the transport's whole-request timeout (60 s by default) bounds the whole upload; on
//! ureq each phase is bounded, but sending the body only by a request's own timeout. Give big files on slow
//! links their own with [`UploadFlow::upload_timeout`] (or send them [resumable](UploadFlow::resumable)).
//!
//! **Progress.** [`UploadFlow::on_progress`] and `upload_with_progress` on both clients call `f(sent, total)` in
//! bytes of the file as it is handed to the connection, ending at `sent == total`.
//!
//! **Sources that change.** A file that changes size, a reader that ends early, has bytes left over or fails,
//! stops the upload with a [`TransportErrorKind::Body`](botwire_transport::TransportErrorKind::Body) error
//! before the body's last byte goes out, so the upload host never receives a complete request. A retried
//! upload (only a connection that failed before anything was sent is retried, by the `Retry` layer) re-opens
//! the file or rewinds a [seekable](UploadSource::seekable) reader; a plain reader is read once and not retried.
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

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use botwire_core_types::decode::{self, DecodeError};
use botwire_core_types::max::{
    AttachmentRequest, FileUploadResult, PhotoUploadResult, UploadEndpoint, UploadType,
    check_upload_size,
};
use botwire_transport::{
    AsyncTransport, BlockingTransport, HttpRequest, HttpResponse, Progress, RequestOptions,
    StreamBody, StreamRequest,
};
use http::{Method, header};

use crate::endpoint::check_status;
use crate::endpoints::GetUploadUrl;
use crate::{ApiError, Client, Config, Endpoint, Error, blocking};

mod multipart;
mod retry;

pub use multipart::{
    MultipartForm, StreamedForm, content_type_for, multipart_form, multipart_stream,
};
pub use retry::{NotReadyRetry, NotReadyState, RetryStep, is_not_ready};

/// What to upload: bytes with a file name, a file on disk, or a reader.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum UploadSource {
    /// The file's bytes and the name to send (its extension also picks the content type).
    Bytes {
        /// File name sent in the multipart part, e.g. `photo.jpg`.
        name: String,
        /// The content.
        data: Vec<u8>,
    },
    /// A file to stream: its size is checked first, then it is read while it is sent (see the
    /// [module docs](self)). The name sent is the file's name.
    Path(PathBuf),
    /// A streamed body with the name to send: what [`UploadSource::reader`] and [`UploadSource::seekable`]
    /// build.
    Stream {
        /// File name sent in the multipart part.
        name: String,
        /// The file's bytes, read while they are sent.
        body: StreamBody,
    },
}

impl UploadSource {
    /// Bytes with a file name.
    pub fn bytes(name: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        Self::Bytes {
            name: name.into(),
            data: data.into(),
        }
    }

    /// A file on disk, streamed.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Self::Path(path.into())
    }

    /// `len` bytes from `reader`, streamed and read once: a failed upload is not retried. The reader must end
    /// after exactly `len` bytes; fewer, more, or a read error fail the upload before it completes.
    pub fn reader(name: impl Into<String>, reader: impl Read + Send + 'static, len: u64) -> Self {
        Self::Stream {
            name: name.into(),
            body: StreamBody::reader(reader, len),
        }
    }

    /// Everything from a seekable reader's current position to its end, streamed; a retried upload rewinds
    /// it. Fails if measuring its length (seeking to the end and back) fails.
    pub fn seekable(
        name: impl Into<String>,
        reader: impl Read + Seek + Send + 'static,
    ) -> std::io::Result<Self> {
        Ok(Self::Stream {
            name: name.into(),
            body: StreamBody::seekable(reader)?,
        })
    }

    /// The name and the payload; a path is size-checked against `kind` before anything else.
    fn into_payload(self, kind: &UploadType) -> Result<(String, Payload), Error> {
        match self {
            UploadSource::Bytes { name, data } => Ok((name, Payload::Bytes(data))),
            UploadSource::Path(path) => {
                let io = |source| Error::File {
                    path: path.clone(),
                    source,
                };
                let len = std::fs::metadata(&path).map_err(io)?.len();
                check_upload_size(kind, len)?;
                let name = file_name(&path);
                Ok((name, Payload::File { path, len }))
            }
            UploadSource::Stream { name, body } => Ok((name, Payload::Stream(body))),
        }
    }
}

/// The file's bytes as the flow holds them.
enum Payload {
    Bytes(Vec<u8>),
    /// A file from a path, size-checked: streamed whole, or in resumable chunks.
    File {
        path: PathBuf,
        len: u64,
    },
    Stream(StreamBody),
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Payload::Bytes(data) => write!(f, "Bytes({} bytes)", data.len()),
            Payload::File { path, len } => write!(f, "File({}, {len} bytes)", path.display()),
            Payload::Stream(body) => body.fmt(f),
        }
    }
}

impl Payload {
    fn len(&self) -> u64 {
        match self {
            Payload::Bytes(data) => data.len() as u64,
            Payload::File { len, .. } => *len,
            Payload::Stream(body) => body.len(),
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
    /// Send this upload with a streamed body (a client's `execute_streamed`) and feed the response back.
    SendStreamed(StreamRequest),
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
    /// Resumable: the next chunk starts at byte `next`.
    Chunking {
        token: Option<String>,
        uri: http::Uri,
        next: u64,
    },
    /// Resumable: the chunk `start..end` is out.
    AwaitChunk {
        token: Option<String>,
        uri: http::Uri,
        start: u64,
        end: u64,
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
///         // A file from a path or a reader comes as `SendStreamed`, sent with `execute_streamed`.
///         UploadStep::Send(_) | UploadStep::SendStreamed(_) => {
///             flow.feed(http::Response::new(answers.next().unwrap().to_vec()))?
///         }
///         UploadStep::Done(attachment) => break attachment,
///         _ => unreachable!(),
///     }
/// };
/// assert_eq!(attachment, AttachmentRequest::video("video-token"));
/// # Ok::<(), botwire_max::Error>(())
/// ```
pub struct UploadFlow {
    kind: UploadType,
    name: String,
    payload: Payload,
    timeout: Option<Duration>,
    boundary: Option<String>,
    progress: Option<Progress>,
    chunk: Option<u64>,
    state: State,
}

impl std::fmt::Debug for UploadFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadFlow")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("payload", &self.payload)
            .field("timeout", &self.timeout)
            .field("boundary", &self.boundary)
            .field("progress", &self.progress.is_some())
            .field("chunk", &self.chunk)
            .field("state", &self.state)
            .finish()
    }
}

impl UploadFlow {
    /// A flow for `data` named `name`; checks the kind and the size first (nothing is sent when this fails).
    pub fn new(kind: UploadType, name: impl Into<String>, data: Vec<u8>) -> Result<Self, Error> {
        Self::with_payload(kind, name.into(), Payload::Bytes(data))
    }

    /// A flow for a streamed `body` named `name` (e.g. [`StreamBody::file`]); checks the kind and the size
    /// first.
    pub fn streamed(
        kind: UploadType,
        name: impl Into<String>,
        body: StreamBody,
    ) -> Result<Self, Error> {
        Self::with_payload(kind, name.into(), Payload::Stream(body))
    }

    /// A flow for an [`UploadSource`] (a path is size-checked before it is opened).
    pub fn from_source(kind: UploadType, source: UploadSource) -> Result<Self, Error> {
        let (name, payload) = source.into_payload(&kind)?;
        Self::with_payload(kind, name, payload)
    }

    fn with_payload(kind: UploadType, name: String, payload: Payload) -> Result<Self, Error> {
        check_upload_size(&kind, payload.len())?;
        Ok(Self {
            kind,
            name,
            payload,
            timeout: None,
            boundary: None,
            progress: None,
            chunk: None,
            state: State::NeedUrl,
        })
    }

    /// Calls `progress(sent, total)` while the file is uploaded: bytes of the file handed to the connection so
    /// far, and the file's size; `sent` never decreases within an attempt and ends at `total`. The upload
    /// request then comes as [`UploadStep::SendStreamed`], also for bytes.
    #[must_use]
    pub fn on_progress(mut self, progress: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// Sends a file from a [path](UploadSource::path) with the resumable protocol (reference §9.2) instead of
    /// one multipart request: chunks of `chunk_size` bytes (at least 1), each read from the file when it is
    /// sent, as raw bytes with `Content-Range: bytes <start>-<end>/<total>` (plus the official client's
    /// `Content-Disposition`, `X-File-Name` and `application/x-binary` content type). Every chunk but the last
    /// is idempotent, so the `Retry` layer may repeat one whose answer was lost; after a failed chunk the flow
    /// stays usable and [`next`](Self::next) sends that chunk again (resuming from the last acknowledged
    /// byte). The official TypeScript client uses this protocol for video and audio only; for images and files
    /// it is unconfirmed that the host answers the last chunk with the token. Other sources than a path are
    /// refused with a [`Error::Config`] before anything is sent; an empty file goes as multipart.
    #[must_use]
    pub fn resumable(mut self, chunk_size: u64) -> Self {
        self.chunk = Some(chunk_size.max(1));
        self
    }

    /// A timeout for the upload request alone (big files take longer than the transport's default).
    #[must_use]
    pub fn upload_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Uses this multipart boundary instead of a random one (for reproducible requests, e.g. snapshots). For
    /// bytes it is still refused, and a random one used, if it occurs in the data; a streamed file is not read
    /// in advance, so there it is used unchecked.
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
            State::NeedUrl
                if self.chunk.is_some() && !matches!(self.payload, Payload::File { .. }) =>
            {
                self.state = State::NeedUrl;
                Err(Error::Config(
                    "upload flow: resumable uploads read their chunks from a file; use UploadSource::path"
                        .into(),
                ))
            }
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
            State::HaveUrl(endpoint) if self.chunk.is_some() && self.payload.len() > 0 => {
                match parse_upload_url(&endpoint.url) {
                    Ok(uri) => self.chunk_step(endpoint.token, uri, 0),
                    Err(e) => {
                        self.state = State::HaveUrl(endpoint);
                        Err(e)
                    }
                }
            }
            State::Chunking { token, uri, next } => self.chunk_step(token, uri, next),
            State::HaveUrl(endpoint) => match self.upload_request(&endpoint.url) {
                Ok(step) => {
                    self.state = State::AwaitUpload {
                        token: endpoint.token,
                    };
                    Ok(step)
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
            State::AwaitChunk {
                token,
                uri,
                start,
                end,
            } => {
                if end < self.payload.len() {
                    // A refused chunk can be sent again: the flow resumes from its start.
                    if let Err(e) = check_status(&response) {
                        self.state = State::Chunking {
                            token,
                            uri,
                            next: start,
                        };
                        return Err(e);
                    }
                    self.state = State::Chunking {
                        token,
                        uri,
                        next: end,
                    };
                    return Ok(());
                }
                match parse_upload_answer(&self.kind, token.clone(), response) {
                    Ok(attachment) => {
                        self.state = State::Done(attachment);
                        Ok(())
                    }
                    Err(e) => {
                        self.state = State::Chunking {
                            token,
                            uri,
                            next: start,
                        };
                        Err(e)
                    }
                }
            }
            other => {
                self.state = other;
                Err(Error::Config(
                    "upload flow: no request is waiting for a response".into(),
                ))
            }
        }
    }

    /// The request for the resumable chunk from `start`; the state then awaits its answer.
    fn chunk_step(
        &mut self,
        token: Option<String>,
        uri: http::Uri,
        start: u64,
    ) -> Result<UploadStep, Error> {
        let Payload::File { path, len } = &self.payload else {
            return Err(Error::Config(
                "upload flow: resumable uploads read their chunks from a file".into(),
            ));
        };
        let total = *len;
        let end = start
            .saturating_add(self.chunk.unwrap_or(u64::MAX))
            .min(total);
        let mut body = StreamBody::file_range(path.clone(), start, end - start, total);
        if let Some(progress) = &self.progress {
            let progress = Arc::clone(progress);
            body = body.on_progress(move |sent, _| progress(start + sent, total));
        }
        let name = multipart::quote(&self.name);
        let built = |e: http::Error| Error::Config(format!("cannot build the upload request: {e}"));
        let header_value = |text: String| {
            http::HeaderValue::from_bytes(text.as_bytes())
                .map_err(|e| Error::Config(format!("cannot build the upload request: {e}")))
        };
        // Deliberately no Authorization: the upload host is not the API host (module docs).
        let mut request = http::Request::builder()
            .method(Method::POST)
            .uri(uri.clone())
            .header(
                header::CONTENT_TYPE,
                "application/x-binary; charset=x-user-defined",
            )
            .header(
                header::CONTENT_RANGE,
                format!("bytes {start}-{}/{total}", end - 1),
            )
            .header(
                header::CONTENT_DISPOSITION,
                header_value(format!("attachment; filename=\"{name}\""))?,
            )
            .header("x-file-name", header_value(name)?)
            .body(body)
            .map_err(built)?;
        // Sending a middle chunk twice stores the same bytes twice; the last one completes the upload.
        let mut options = RequestOptions::default().idempotent(end < total);
        if let Some(t) = self.timeout {
            options = options.timeout(t);
        }
        options.apply(&mut request);
        self.state = State::AwaitChunk {
            token,
            uri,
            start,
            end,
        };
        Ok(UploadStep::SendStreamed(request))
    }

    fn upload_request(&mut self, url: &str) -> Result<UploadStep, Error> {
        let uri = parse_upload_url(url)?;
        // Deliberately no Authorization: the upload host is not the API host (module docs).
        let builder = http::Request::builder().method(Method::POST).uri(uri);
        let built = |e: http::Error| Error::Config(format!("cannot build the upload request: {e}"));
        let content_type = content_type_for(&self.name);
        let payload = std::mem::replace(&mut self.payload, Payload::Bytes(Vec::new()));
        let mut step = match (payload, self.progress.take()) {
            (Payload::Bytes(data), None) => {
                let form =
                    multipart_form("data", &self.name, content_type, data, self.boundary.take());
                let request = builder
                    .header(header::CONTENT_TYPE, form.content_type())
                    .body(form.into_body())
                    .map_err(built)?;
                UploadStep::Send(request)
            }
            (payload, progress) => {
                let (file, boundary) = match payload {
                    // In memory: the boundary can still be checked against the data.
                    Payload::Bytes(data) => {
                        let preferred = self
                            .boundary
                            .take()
                            .filter(|b| multipart::valid_boundary(b));
                        let boundary = multipart::choose_boundary(
                            &data,
                            preferred.into_iter().chain(multipart::random_boundaries()),
                        );
                        (StreamBody::bytes(data), Some(boundary))
                    }
                    Payload::File { path, len } => {
                        (StreamBody::file_with_len(path, len), self.boundary.take())
                    }
                    Payload::Stream(body) => (body, self.boundary.take()),
                };
                let form = multipart_stream("data", &self.name, content_type, file, boundary);
                let content_type = form.content_type();
                let (head, file_len) = (form.head_len(), form.file_len());
                let mut body = form.into_body();
                if let Some(progress) = progress {
                    // The body's progress counts the envelope too; report the file's bytes.
                    body = body.on_progress(move |sent, _| {
                        progress(sent.saturating_sub(head).min(file_len), file_len)
                    });
                }
                let request = builder
                    .header(header::CONTENT_TYPE, content_type)
                    .body(body)
                    .map_err(built)?;
                UploadStep::SendStreamed(request)
            }
        };
        if let Some(t) = self.timeout {
            match &mut step {
                UploadStep::Send(request) => RequestOptions::default().timeout(t).apply(request),
                UploadStep::SendStreamed(request) => {
                    RequestOptions::default().timeout(t).apply(request)
                }
                UploadStep::Done(_) => {}
            }
        }
        Ok(step)
    }
}

fn parse_upload_url(url: &str) -> Result<http::Uri, Error> {
    url.parse().map_err(|_| Error::Decode {
        status: 200,
        source: DecodeError::new("url", "not a valid upload URL", url.as_bytes()),
    })
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
    /// Uploads a file and returns the attachment to send (see the [module docs](crate::upload)). A path or a
    /// reader is streamed; on the reqwest backend its reads run on tokio's blocking pool.
    pub async fn upload(
        &self,
        kind: UploadType,
        source: UploadSource,
    ) -> Result<AttachmentRequest, Error> {
        self.upload_flow(UploadFlow::from_source(kind, source)?)
            .await
    }

    /// [`upload`](Self::upload), calling `progress(sent, total)` in bytes of the file as it is sent.
    pub async fn upload_with_progress(
        &self,
        kind: UploadType,
        source: UploadSource,
        progress: impl Fn(u64, u64) + Send + Sync + 'static,
    ) -> Result<AttachmentRequest, Error> {
        self.upload_flow(UploadFlow::from_source(kind, source)?.on_progress(progress))
            .await
    }

    /// Drives a prepared [`UploadFlow`] (e.g. with [`UploadFlow::upload_timeout`]).
    pub async fn upload_flow(&self, mut flow: UploadFlow) -> Result<AttachmentRequest, Error> {
        loop {
            match flow.next(self.config())? {
                UploadStep::Send(request) => flow.feed(self.execute(request).await?)?,
                UploadStep::SendStreamed(request) => {
                    flow.feed(self.execute_streamed(request).await?)?
                }
                UploadStep::Done(attachment) => return Ok(attachment),
            }
        }
    }
}

impl<T: BlockingTransport> blocking::Client<T> {
    /// Uploads a file and returns the attachment to send (see the [module docs](crate::upload)). A path or a
    /// reader is streamed.
    pub fn upload(
        &self,
        kind: UploadType,
        source: UploadSource,
    ) -> Result<AttachmentRequest, Error> {
        self.upload_flow(UploadFlow::from_source(kind, source)?)
    }

    /// [`upload`](Self::upload), calling `progress(sent, total)` in bytes of the file as it is sent.
    pub fn upload_with_progress(
        &self,
        kind: UploadType,
        source: UploadSource,
        progress: impl Fn(u64, u64) + Send + Sync + 'static,
    ) -> Result<AttachmentRequest, Error> {
        self.upload_flow(UploadFlow::from_source(kind, source)?.on_progress(progress))
    }

    /// Drives a prepared [`UploadFlow`] (e.g. with [`UploadFlow::upload_timeout`]).
    pub fn upload_flow(&self, mut flow: UploadFlow) -> Result<AttachmentRequest, Error> {
        loop {
            match flow.next(self.config())? {
                UploadStep::Send(request) => flow.feed(self.execute(request)?)?,
                UploadStep::SendStreamed(request) => flow.feed(self.execute_streamed(request)?)?,
                UploadStep::Done(attachment) => return Ok(attachment),
            }
        }
    }
}

#[cfg(test)]
mod tests;
