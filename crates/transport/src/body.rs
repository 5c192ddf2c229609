//! Streamed request bodies: uploads that are read while they are sent (see [`StreamBody`]).

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use crate::{Delivery, TransportError, TransportErrorKind};

/// A request whose body is streamed: what [`BlockingTransport::execute_streamed`](crate::BlockingTransport::execute_streamed)
/// and [`AsyncTransport::execute_streamed`](crate::AsyncTransport::execute_streamed) send.
pub type StreamRequest = http::Request<StreamBody>;

/// The progress callback of a [`StreamBody`]: `(bytes handed to the connection so far, total bytes)`.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// How much a backend reads from a [`StreamBody`] at a time.
pub const CHUNK_SIZE: usize = 64 * 1024;

/// A request body of known length read from its sources while it is sent (uploads). Cheap to clone: the
/// sources are shared.
///
/// It is a sequence of parts — bytes, a file, a reader — whose total length is known before the
/// first byte leaves, so backends send it with a `Content-Length` (no chunked encoding, which upload hosts may
/// refuse). Each attempt [`opens`](StreamBody::open) it afresh: a file is re-opened, a seekable reader rewound,
/// so a retried upload re-reads its source instead of keeping a copy. A plain reader can be read once; such a
/// body is not [replayable](StreamBody::is_replayable) and the [`Retry`](crate::Retry) layer sends it once.
///
/// The body checks its sources as it reads them: a file or reader that ends early, or has bytes left after its
/// announced length, or fails, stops the request with a [`TransportErrorKind::Body`] error *before* the last
/// byte is handed to the connection — so the server never receives a complete request and cannot have
/// accepted a torn upload.
///
/// ```
/// use std::io::Read;
/// use botwire_transport::StreamBody;
///
/// let body = StreamBody::bytes(b"head|".to_vec())
///     .then(StreamBody::reader(&b"payload"[..], 7))
///     .then(StreamBody::bytes(b"|tail".to_vec()));
/// assert_eq!(body.len(), 17);
/// let mut sent = String::new();
/// body.open()?.read_to_string(&mut sent)?;
/// assert_eq!(sent, "head|payload|tail");
/// assert!(!body.is_replayable()); // the reader is spent
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct StreamBody {
    parts: Vec<Part>,
    len: u64,
    progress: Option<Progress>,
}

#[derive(Clone)]
enum Part {
    Bytes(Arc<Vec<u8>>),
    /// `len` bytes from `offset` of a file of `file_len` bytes.
    File {
        path: Arc<Path>,
        offset: u64,
        len: u64,
        file_len: u64,
    },
    /// A reader read once: taken out by the first `open`.
    Once {
        reader: Arc<Mutex<Option<Box<dyn Read + Send>>>>,
        len: u64,
    },
    /// A seekable reader rewound to `start` by every `open`.
    Seekable {
        reader: Arc<Mutex<Box<dyn ReadSeek>>>,
        start: u64,
        len: u64,
    },
}

/// `Read + Seek + Send`, as one object-safe trait.
trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

impl Part {
    fn len(&self) -> u64 {
        match self {
            Part::Bytes(b) => b.len() as u64,
            Part::File { len, .. } | Part::Once { len, .. } | Part::Seekable { len, .. } => *len,
        }
    }
}

impl fmt::Debug for StreamBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(|p| match p {
                Part::Bytes(b) => format!("bytes({})", b.len()),
                Part::File {
                    path, offset, len, ..
                } => format!("file({}, {offset}+{len})", path.display()),
                Part::Once { len, .. } => format!("reader({len})"),
                Part::Seekable { len, .. } => format!("seekable({len})"),
            })
            .collect();
        f.debug_struct("StreamBody")
            .field("len", &self.len)
            .field("parts", &parts)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

fn body_error(message: impl Into<String>) -> TransportError {
    TransportError::new(TransportErrorKind::Body, Delivery::NotSent, message)
}

impl StreamBody {
    /// An empty body.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Bytes already in memory.
    pub fn bytes(data: impl Into<Vec<u8>>) -> Self {
        // `Arc<Vec<u8>>`, not `Arc<[u8]>`: taking the vector over copies nothing.
        Self::of(Part::Bytes(Arc::new(data.into())))
    }

    /// The file at `path`, whose length is read now. Each attempt re-opens it and checks that its length is
    /// still the same; the file is read in [`CHUNK_SIZE`] pieces as it is sent.
    pub fn file(path: impl Into<PathBuf>) -> io::Result<Self> {
        let path = path.into();
        let len = std::fs::metadata(&path)?.len();
        Ok(Self::file_with_len(path, len))
    }

    /// The file at `path`, expected to hold exactly `len` bytes (e.g. a length you checked already).
    pub fn file_with_len(path: impl Into<PathBuf>, len: u64) -> Self {
        Self::file_range(path, 0, len, len)
    }

    /// `len` bytes from `offset` of the file at `path`, which is expected to hold `file_len` bytes (checked by
    /// each attempt, as for [`file`](Self::file)): one chunk of a resumable upload, read on demand. The check
    /// for bytes beyond the announced length applies when the range ends at `file_len`.
    pub fn file_range(path: impl Into<PathBuf>, offset: u64, len: u64, file_len: u64) -> Self {
        Self::of(Part::File {
            path: Arc::from(path.into()),
            offset,
            len,
            file_len,
        })
    }

    /// `len` bytes from `reader`, read once: the body is not [replayable](Self::is_replayable), so a failed
    /// attempt is not retried. The reader must end after exactly `len` bytes (it is read once more to check).
    pub fn reader(reader: impl Read + Send + 'static, len: u64) -> Self {
        Self::of(Part::Once {
            reader: Arc::new(Mutex::new(Some(Box::new(reader)))),
            len,
        })
    }

    /// Everything from the reader's current position to its end; each attempt seeks back to that position, so
    /// the body is replayable. The length is measured now (by seeking to the end and back).
    pub fn seekable(mut reader: impl Read + Seek + Send + 'static) -> io::Result<Self> {
        let start = reader.stream_position()?;
        let end = reader.seek(SeekFrom::End(0))?;
        reader.seek(SeekFrom::Start(start))?;
        Ok(Self::of(Part::Seekable {
            reader: Arc::new(Mutex::new(Box::new(reader))),
            start,
            len: end.saturating_sub(start),
        }))
    }

    fn of(part: Part) -> Self {
        Self {
            len: part.len(),
            parts: vec![part],
            progress: None,
        }
    }

    /// This body followed by `next` (its parts; its progress callback is dropped).
    #[must_use]
    pub fn then(mut self, next: StreamBody) -> Self {
        self.len = self.len.saturating_add(next.len);
        self.parts.extend(next.parts);
        self
    }

    /// Calls `progress(sent, total)` as the body is handed to the connection: after every chunk, with `sent`
    /// growing to `total` ([`len`](Self::len)) within an attempt. A retried attempt starts again from 0.
    /// "Sent" means written to the HTTP stack; the server's answer is what confirms the upload.
    #[must_use]
    pub fn on_progress(mut self, progress: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// [`on_progress`](Self::on_progress) with a shared callback.
    #[must_use]
    pub fn with_progress(mut self, progress: Option<Progress>) -> Self {
        self.progress = progress;
        self
    }

    /// The total length in bytes: the request's `Content-Length`.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// `true` for a body without bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether another attempt can read the body again: `false` once it holds a plain [`reader`](Self::reader)
    /// (spent by the first attempt, or about to be).
    pub fn is_replayable(&self) -> bool {
        !self.parts.iter().any(|p| matches!(p, Part::Once { .. }))
    }

    /// A reader over the whole body from its first byte, for one attempt. Fails if a file cannot be opened or
    /// has changed size, or a plain reader was already used.
    pub fn open(&self) -> Result<BodyReader, TransportError> {
        let mut opened = Vec::with_capacity(self.parts.len());
        for part in &self.parts {
            opened.push(match part {
                Part::Bytes(b) => Source::Bytes(Arc::clone(b), 0),
                Part::File {
                    path,
                    offset,
                    len,
                    file_len,
                } => {
                    let mut file = File::open(path).map_err(|e| {
                        body_error(format!("cannot open {}: {e}", path.display()))
                    })?;
                    let now = file
                        .metadata()
                        .map_err(|e| body_error(format!("cannot read {}: {e}", path.display())))?
                        .len();
                    if now != *file_len {
                        return Err(body_error(format!(
                            "{} changed size before the upload began ({file_len} → {now} bytes); nothing was sent",
                            path.display()
                        )));
                    }
                    if *offset > 0 {
                        file.seek(SeekFrom::Start(*offset)).map_err(|e| {
                            body_error(format!("cannot seek in {}: {e}", path.display()))
                        })?;
                    }
                    Source::Read {
                        what: path.display().to_string(),
                        reader: Box::new(file),
                        left: *len,
                        check_end: offset.saturating_add(*len) >= *file_len,
                    }
                }
                Part::Once { reader, len } => {
                    let taken = reader.lock().unwrap_or_else(PoisonError::into_inner).take();
                    let reader = taken.ok_or_else(|| {
                        body_error(
                            "the upload's reader was consumed by an earlier attempt and cannot be read again",
                        )
                    })?;
                    Source::Read {
                        what: "the reader".to_owned(),
                        reader,
                        left: *len,
                        check_end: true,
                    }
                }
                Part::Seekable { reader, start, len } => {
                    reader
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .seek(SeekFrom::Start(*start))
                        .map_err(|e| body_error(format!("cannot rewind the reader: {e}")))?;
                    Source::Read {
                        what: "the reader".to_owned(),
                        reader: Box::new(Shared(Arc::clone(reader))),
                        left: *len,
                        check_end: true,
                    }
                }
            });
        }
        opened.reverse();
        Ok(BodyReader {
            parts: opened,
            sent: 0,
            total: self.len,
            progress: self.progress.clone(),
            failure: Arc::new(Mutex::new(None)),
        })
    }

    /// The whole body in memory (what the default [`execute_streamed`](crate::BlockingTransport::execute_streamed)
    /// does for transports that cannot stream). Reports progress as it reads.
    pub fn into_bytes(self) -> Result<Vec<u8>, TransportError> {
        let mut reader = self.open()?;
        let capacity = usize::try_from(self.len).map_err(|_| {
            body_error(format!(
                "a body of {} bytes does not fit in memory here",
                self.len
            ))
        })?;
        let mut out = Vec::with_capacity(capacity);
        let failure = reader.failure();
        reader.read_to_end(&mut out).map_err(|e| {
            failure
                .take()
                .unwrap_or_else(|| body_error(format!("reading the body failed: {e}")))
        })?;
        Ok(out)
    }
}

/// A seekable reader shared between the body and its current attempt.
struct Shared(Arc<Mutex<Box<dyn ReadSeek>>>);

impl Read for Shared {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .read(buf)
    }
}

enum Source {
    Bytes(Arc<Vec<u8>>, usize),
    Read {
        what: String,
        reader: Box<dyn Read + Send>,
        left: u64,
        /// Whether the source must end after `left` bytes (not for a range inside a file).
        check_end: bool,
    },
}

/// Where a [`BodyReader`] records why it stopped, for the backend to turn into a [`TransportError`] (an HTTP
/// stack reports only "the body failed").
#[derive(Debug, Clone, Default)]
pub struct BodyFailure(Arc<Mutex<Option<TransportError>>>);

impl BodyFailure {
    /// The failure recorded, if any (taken out).
    pub fn take(&self) -> Option<TransportError> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    fn set(&self, error: TransportError) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
    }
}

/// One attempt's reader over a [`StreamBody`]: yields exactly [`StreamBody::len`] bytes or fails, and reports
/// progress.
pub struct BodyReader {
    /// Parts left, the next one last.
    parts: Vec<Source>,
    sent: u64,
    total: u64,
    progress: Option<Progress>,
    failure: Arc<Mutex<Option<TransportError>>>,
}

impl fmt::Debug for BodyReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyReader")
            .field("sent", &self.sent)
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl BodyReader {
    /// Bytes handed out so far.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// The body's total length.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The slot where this reader records why it failed.
    pub fn failure(&self) -> BodyFailure {
        BodyFailure(Arc::clone(&self.failure))
    }

    fn fail(&self, message: String) -> io::Error {
        let error = body_error(format!(
            "{message}; the upload stopped after {} of {} bytes, so the server has no complete request",
            self.sent, self.total
        ));
        let text = error.message().to_owned();
        BodyFailure(Arc::clone(&self.failure)).set(error);
        io::Error::other(text)
    }

    /// Reads from the next part: `Some(n)` bytes, or `None` when that part just ended.
    fn read_part(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        let Some(part) = self.parts.last_mut() else {
            return Ok(Some(0));
        };
        let (what, reader, left, check_end) = match part {
            Source::Bytes(bytes, at) => {
                let n = (bytes.len() - *at).min(buf.len());
                buf[..n].copy_from_slice(&bytes[*at..*at + n]);
                *at += n;
                if *at == bytes.len() {
                    self.parts.pop();
                }
                return Ok((n > 0).then_some(n));
            }
            Source::Read {
                what,
                reader,
                left,
                check_end,
            } => (what, reader, left, *check_end),
        };
        if *left == 0 {
            self.parts.pop();
            return Ok(None);
        }
        let want = buf.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
        let n = match read_retrying(reader, &mut buf[..want]) {
            Ok(n) => n,
            Err(e) => {
                let message = format!("reading {what} failed: {e}");
                return Err(self.fail(message));
            }
        };
        if n == 0 {
            let message =
                format!("{what} ended {left} bytes early (it shrank while being uploaded?)");
            return Err(self.fail(message));
        }
        *left -= n as u64;
        if *left == 0 && !check_end {
            self.parts.pop();
        } else if *left == 0 {
            // The source must end where it was announced to, checked before its last bytes are handed out:
            // a file that grew must not go out cut, as if complete.
            let mut probe = [0u8; 1];
            match read_retrying(reader, &mut probe) {
                Ok(0) => {}
                Ok(_) => {
                    let message = format!(
                        "{what} has more bytes than announced (it grew while being uploaded?)"
                    );
                    return Err(self.fail(message));
                }
                Err(e) => {
                    let message = format!("reading {what} failed: {e}");
                    return Err(self.fail(message));
                }
            }
            self.parts.pop();
        }
        Ok(Some(n))
    }
}

fn read_retrying(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while !self.parts.is_empty() {
            if let Some(n) = self.read_part(buf)? {
                self.sent += n as u64;
                if let Some(progress) = &self.progress {
                    progress(self.sent, self.total);
                }
                return Ok(n);
            }
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use std::sync::atomic::{AtomicU64, Ordering};

    fn read_all(body: &StreamBody) -> Result<Vec<u8>, (io::Error, Option<TransportError>)> {
        let mut reader = body
            .open()
            .map_err(|e| (io::Error::other("open"), Some(e)))?;
        let failure = reader.failure();
        let mut out = Vec::new();
        // Small reads, to cross part boundaries at odd places.
        let mut buf = [0u8; 7];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return Ok(out),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return Err((e, failure.take())),
            }
        }
    }

    #[test]
    fn parts_concatenate_and_report_progress() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let body = StreamBody::bytes(b"<<".to_vec())
            .then(StreamBody::seekable(Cursor::new(b"0123456789abcdef".to_vec())).unwrap())
            .then(StreamBody::bytes(b">>".to_vec()))
            .on_progress(move |sent, total| log.lock().unwrap().push((sent, total)));
        assert_eq!(body.len(), 20);
        assert_eq!(read_all(&body).unwrap(), b"<<0123456789abcdef>>");
        // Replayable: the seekable part is rewound.
        assert!(body.is_replayable());
        assert_eq!(read_all(&body).unwrap(), b"<<0123456789abcdef>>");
        let seen = seen.lock().unwrap();
        let first: Vec<_> = seen.iter().take_while(|(s, _)| *s < 20).collect();
        assert!(first.windows(2).all(|w| w[0].0 < w[1].0), "{seen:?}");
        assert!(seen.iter().all(|(_, t)| *t == 20));
        assert_eq!(seen.iter().filter(|(s, _)| *s == 20).count(), 2);
    }

    #[test]
    fn a_plain_reader_is_read_once() {
        let body = StreamBody::reader(Cursor::new(b"abc".to_vec()), 3);
        assert!(!body.is_replayable());
        assert_eq!(read_all(&body).unwrap(), b"abc");
        let (_, err) = read_all(&body).unwrap_err();
        let err = err.unwrap();
        assert_eq!(err.kind(), TransportErrorKind::Body);
        assert!(err.message().contains("consumed"), "{err}");
    }

    #[test]
    fn short_and_long_sources_fail_before_their_last_byte() {
        let short = StreamBody::reader(Cursor::new(b"abc".to_vec()), 5);
        let (_, err) = read_all(&short).unwrap_err();
        assert!(err.unwrap().message().contains("2 bytes early"));
        // A longer source: the announced bytes are read, but the last chunk is never handed out.
        let long = StreamBody::reader(Cursor::new(b"abcdefgh".to_vec()), 7)
            .then(StreamBody::bytes(b"tail".to_vec()));
        let mut reader = long.open().unwrap();
        let failure = reader.failure();
        let mut buf = [0u8; 64];
        let got = reader.read(&mut buf);
        assert!(got.is_err(), "{got:?}");
        assert_eq!(reader.sent(), 0);
        let err = failure.take().unwrap();
        assert!(err.message().contains("more bytes than announced"), "{err}");
        assert!(err.is_not_sent() && !err.is_retryable());
    }

    #[test]
    fn a_failing_reader_stops_the_body() {
        struct Failing(u64);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("disk on fire"));
                }
                let n = buf.len().min(self.0 as usize);
                buf[..n].fill(1);
                self.0 -= n as u64;
                Ok(n)
            }
        }
        let body = StreamBody::reader(Failing(10), 100);
        let (_, err) = read_all(&body).unwrap_err();
        let err = err.unwrap();
        assert!(err.message().contains("disk on fire"), "{err}");
        assert!(err.message().contains("after 10 of 100 bytes"), "{err}");
        assert!(StreamBody::reader(Failing(3), 10).into_bytes().is_err());
    }

    #[test]
    fn files_are_reopened_and_size_checked() {
        let dir = std::env::temp_dir().join(format!("botwire-body-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.bin");
        std::fs::write(&path, vec![5u8; 100_000]).unwrap();
        let calls = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&calls);
        let body = StreamBody::file(&path).unwrap().on_progress(move |_, _| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(body.clone().into_bytes().unwrap(), vec![5u8; 100_000]);
        assert!(calls.load(Ordering::Relaxed) > 0);
        std::fs::write(&path, vec![5u8; 10]).unwrap();
        let err = body.open().unwrap_err();
        assert!(err.message().contains("changed size"), "{err}");
        assert!(StreamBody::file(dir.join("missing")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A transport that streams natively: it reads each body itself and records what it got; the first
    /// `refuse` attempts fail as "connection refused" (never sent) after reading the body.
    struct Streaming {
        refuse: u32,
        bodies: Mutex<Vec<Vec<u8>>>,
        buffered: AtomicU64,
    }

    impl crate::BlockingTransport for Streaming {
        fn execute(&self, _: crate::HttpRequest) -> Result<crate::HttpResponse, TransportError> {
            self.buffered.fetch_add(1, Ordering::SeqCst);
            Ok(http::Response::new(Vec::new()))
        }

        fn execute_streamed(
            &self,
            request: StreamRequest,
        ) -> Result<crate::HttpResponse, TransportError> {
            let mut got = Vec::new();
            request
                .body()
                .open()?
                .read_to_end(&mut got)
                .map_err(|e| body_error(e.to_string()))?;
            let mut bodies = self.bodies.lock().unwrap();
            bodies.push(got);
            if bodies.len() as u32 <= self.refuse {
                return Err(TransportError::connect("connection refused"));
            }
            Ok(http::Response::new(b"done".to_vec()))
        }
    }

    fn layered(refuse: u32) -> crate::Retry<crate::Throttle<Streaming>> {
        let inner = Streaming {
            refuse,
            bodies: Mutex::new(Vec::new()),
            buffered: AtomicU64::new(0),
        };
        let (timer, _clock) = crate::Timer::manual();
        crate::Retry::new(
            crate::Throttle::new(inner, crate::ThrottleConfig::max()),
            crate::RetryPolicy::default().seed(1),
        )
        .with_timer(timer)
    }

    fn upload(body: StreamBody) -> StreamRequest {
        http::Request::post("https://fu.example/upload/1")
            .body(body)
            .unwrap()
    }

    #[test]
    fn layers_forward_streamed_bodies_and_retries_reopen_them() {
        use crate::BlockingTransport;
        let dir = std::env::temp_dir().join(format!("botwire-layers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.bin");
        std::fs::write(&path, b"file bytes").unwrap();
        let stack = layered(2);
        let resp = stack
            .execute_streamed(upload(StreamBody::file(&path).unwrap()))
            .unwrap();
        assert_eq!(resp.body(), b"done");
        let inner = stack.inner().inner();
        // Streamed through both layers (never buffered into `execute`), re-read whole on each attempt.
        assert_eq!(inner.buffered.load(Ordering::SeqCst), 0);
        assert_eq!(
            *inner.bodies.lock().unwrap(),
            vec![b"file bytes".to_vec(); 3]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_plain_reader_gets_one_attempt() {
        use crate::BlockingTransport;
        let stack = layered(1);
        let err = stack
            .execute_streamed(upload(StreamBody::reader(&b"once"[..], 4)))
            .unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Connect);
        assert_eq!(stack.inner().inner().bodies.lock().unwrap().len(), 1);
        // A seekable reader is rewound instead.
        let stack = layered(1);
        let body = StreamBody::seekable(Cursor::new(b"again".to_vec())).unwrap();
        assert!(stack.execute_streamed(upload(body)).is_ok());
        assert_eq!(
            *stack.inner().inner().bodies.lock().unwrap(),
            vec![b"again".to_vec(); 2]
        );
    }

    #[tokio::test]
    async fn async_layers_forward_streamed_bodies() {
        struct AsyncStreaming(Mutex<u32>);
        #[async_trait::async_trait]
        impl crate::AsyncTransport for AsyncStreaming {
            async fn execute(
                &self,
                _: crate::HttpRequest,
            ) -> Result<crate::HttpResponse, TransportError> {
                Err(TransportError::invalid_request("buffered"))
            }
            async fn execute_streamed(
                &self,
                request: StreamRequest,
            ) -> Result<crate::HttpResponse, TransportError> {
                let attempt = {
                    let mut n = self.0.lock().unwrap();
                    *n += 1;
                    *n
                };
                let bytes = request.into_body().into_bytes()?;
                if attempt == 1 {
                    return Err(TransportError::connect("connection refused"));
                }
                Ok(http::Response::new(bytes))
            }
        }
        let (timer, _clock) = crate::Timer::manual();
        let stack = crate::Retry::new(
            crate::Throttle::new(AsyncStreaming(Mutex::new(0)), crate::ThrottleConfig::max()),
            crate::RetryPolicy::default().seed(1),
        )
        .with_timer(timer);
        let body = StreamBody::seekable(Cursor::new(b"abc".to_vec())).unwrap();
        let resp = crate::AsyncTransport::execute_streamed(&stack, upload(body))
            .await
            .unwrap();
        assert_eq!(resp.body(), b"abc");
    }
}
