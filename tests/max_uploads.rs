//! The upload flow against the sandbox's upload host, on both backends: every kind of file from bytes and from
//! a path, ending in a ready attachment that a message can carry; and `attachment.not.ready` ridden out by the
//! bounded retry (a fake sleeper records the waits instead of sleeping). Streamed uploads: multi-MiB files from
//! a path and from readers arrive byte for byte (the sandbox's SHA-256 of what it received), with monotonic
//! progress ending at the size, through the bare backends and the default stack; a source that fails, ends
//! early or changes size mid-way is a clear body error and no upload is answered 200.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::time::Duration;

use botwire_core_types::max::{Attachment, AttachmentRequest, NewMessageBody, UploadType};
use botwire_max::endpoints::SendMessage;
use botwire_max::upload::{NotReadyRetry, UploadSource};
use botwire_sandbox::MaxSandbox;
use botwire_tests::*;

fn with_attachment(attachment: AttachmentRequest) -> NewMessageBody {
    let mut body = NewMessageBody::text("here it is");
    body.attachments = Some(vec![attachment]);
    body
}

both_backends!(
    every_kind_uploads_and_sends,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let alice = sb.add_user("Alice");
        let chat = sb.add_dialog(alice.user_id);
        for (kind, name, expected) in [
            (UploadType::Image, "cat.png", "image"),
            (UploadType::Video, "clip.mp4", "video"),
            (UploadType::Audio, "note.mp3", "audio"),
            (UploadType::File, "report.pdf", "file"),
        ] {
            let attachment =
                run!(client.upload(kind, UploadSource::bytes(name, vec![7u8; 2048]))).unwrap();
            assert_eq!(attachment.kind(), expected);
            let sent = run!(client.send_message(chat, with_attachment(attachment))).unwrap();
            let got = sent.attachments();
            assert_eq!(got.len(), 1, "{sent:?}");
            assert_eq!(got[0].kind(), expected);
        }
        // The sandbox saw 4 × (POST /uploads + upload host) and 4 sends.
        assert_eq!(sb.stats().route("POST /uploads"), 4);
        assert_eq!(sb.stats().route("POST /messages"), 4);
        assert!(matches!(
            sb.world().messages(chat)[0].message.attachments()[0],
            Attachment::Image(_)
        ));
    }
);

both_backends!(
    uploads_from_a_path,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        let path = dir.join("invoice.pdf");
        std::fs::write(&path, b"%PDF-1.4 sandbox").unwrap();
        let attachment = run!(client.upload(UploadType::File, UploadSource::path(&path))).unwrap();
        assert_eq!(attachment.kind(), "file");
        let missing =
            run!(client.upload(UploadType::File, UploadSource::path(dir.join("nope.pdf"))));
        assert!(missing.is_err());
        assert_eq!(
            sb.stats().route("POST /uploads"),
            1,
            "a missing file is refused before anything is sent"
        );
    }
);

#[test]
fn not_ready_is_retried_blocking() {
    let sb = MaxSandbox::start().unwrap();
    let alice = sb.add_user("Alice");
    let chat = sb.add_dialog(alice.user_id);
    sb.world().attachment_ready_after = 2;
    let client = max_blocking(&sb);
    let video = client
        .upload(
            UploadType::Video,
            UploadSource::bytes("v.mp4", vec![1u8; 512]),
        )
        .unwrap();
    let send = SendMessage::new(chat, with_attachment(video));
    let mut waits = Vec::new();
    let policy = NotReadyRetry::new(3, Duration::from_secs(1));
    let sent = client
        .send_retrying_not_ready_with(&send, &policy, |d| waits.push(d))
        .unwrap();
    assert_eq!(sent.attachments()[0].kind(), "video");
    assert_eq!(waits, [Duration::from_secs(1), Duration::from_secs(2)]);
    assert_eq!(sb.stats().route("POST /messages"), 3);
    assert_eq!(
        sb.stats().status(400),
        2,
        "two attachment.not.ready answers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_ready_is_retried_async_and_gives_up_when_told() {
    let sb = MaxSandbox::start().unwrap();
    let alice = sb.add_user("Alice");
    let chat = sb.add_dialog(alice.user_id);
    sb.world().attachment_ready_after = 5;
    let client = max_async(&sb);
    let audio = client
        .upload(
            UploadType::Audio,
            UploadSource::bytes("a.mp3", vec![1u8; 512]),
        )
        .await
        .unwrap();
    let send = SendMessage::new(chat, with_attachment(audio));
    let waits = std::sync::Mutex::new(Vec::new());
    let policy = NotReadyRetry::new(3, Duration::from_secs(1));
    let err = client
        .send_retrying_not_ready_with(&send, &policy, |d| {
            waits.lock().unwrap().push(d);
            std::future::ready(())
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("attachment.not.ready"));
    assert_eq!(
        waits.lock().unwrap().len(),
        2,
        "3 attempts, 2 waits, then the last error"
    );
    assert_eq!(sb.stats().route("POST /messages"), 3);
    assert!(sb.world().messages(chat).is_empty(), "nothing was posted");
}

/// Pseudo-random bytes (xorshift), so a misplaced chunk cannot go unnoticed.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The sandbox's record of the file behind an attachment's token.
fn stored(sb: &MaxSandbox, attachment: &AttachmentRequest) -> botwire_sandbox::max::Media {
    let json = serde_json::to_value(attachment).unwrap();
    let token = json["payload"]["token"].as_str().unwrap().to_owned();
    sb.world().media(&token).cloned().unwrap()
}

/// A progress log that checks its own shape: `sent` never decreases, `total` never changes.
#[derive(Clone, Default)]
struct ProgressLog(std::sync::Arc<std::sync::Mutex<Vec<(u64, u64)>>>);

impl ProgressLog {
    fn callback(&self) -> impl Fn(u64, u64) + Send + Sync + 'static {
        let log = self.0.clone();
        move |sent, total| log.lock().unwrap().push((sent, total))
    }

    #[track_caller]
    fn assert_complete(&self, total: u64) {
        let log = self.0.lock().unwrap();
        assert!(log.len() > 2, "progress called {} times", log.len());
        assert!(log.iter().all(|&(_, t)| t == total), "totals: {log:?}");
        assert!(log.windows(2).all(|w| w[0].0 <= w[1].0), "not monotonic");
        assert_eq!(log.last().map(|p| p.0), Some(total));
    }
}

const MIB: usize = 1024 * 1024;

both_backends!(
    a_multi_mib_file_streams_from_a_path_byte_identical,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("backup.tar");
        let data = noise(5 * MIB + 12_345, 7);
        std::fs::write(&path, &data).unwrap();
        let progress = ProgressLog::default();
        let attachment = run!(client.upload_with_progress(
            UploadType::File,
            UploadSource::path(&path),
            progress.callback()
        ))
        .unwrap();
        progress.assert_complete(data.len() as u64);
        let media = stored(&sb, &attachment);
        assert_eq!(media.size, data.len() as i64);
        assert_eq!(media.filename.as_deref(), Some("backup.tar"));
        assert_eq!(media.sha256.as_deref(), Some(sha256_hex(&data).as_str()));
    }
);

both_backends!(
    uploads_from_readers,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        // A plain reader of known length, read once.
        let data = noise(3 * MIB, 11);
        let source = UploadSource::reader(
            "dump.bin",
            std::io::Cursor::new(data.clone()),
            data.len() as u64,
        );
        let attachment = run!(client.upload(UploadType::File, source)).unwrap();
        assert_eq!(
            stored(&sb, &attachment).sha256.as_deref(),
            Some(sha256_hex(&data).as_str())
        );
        // A seekable reader: from its current position to the end.
        let mut cursor = std::io::Cursor::new(data.clone());
        std::io::Seek::seek(&mut cursor, std::io::SeekFrom::Start(1000)).unwrap();
        let source = UploadSource::seekable("tail.bin", cursor).unwrap();
        let attachment = run!(client.upload(UploadType::File, source)).unwrap();
        let media = stored(&sb, &attachment);
        assert_eq!(media.size, data.len() as i64 - 1000);
        assert_eq!(
            media.sha256.as_deref(),
            Some(sha256_hex(&data[1000..]).as_str())
        );
    }
);

/// A reader that fails after `good` bytes.
struct FailingReader {
    good: usize,
}

impl std::io::Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.good == 0 {
            return Err(std::io::Error::other("the disk went away"));
        }
        let n = buf.len().min(self.good);
        buf[..n].fill(b'x');
        self.good -= n;
        Ok(n)
    }
}

/// Checks that a failed upload is a clear body error and that the sandbox registered no file for it.
#[track_caller]
fn assert_torn(sb: &MaxSandbox, result: Result<AttachmentRequest, botwire_max::Error>, says: &str) {
    let err = result.unwrap_err();
    let text = err.to_string();
    assert!(text.contains(says), "{text}");
    assert!(text.contains("no complete request"), "{text}");
    match &err {
        botwire_max::Error::Transport(e) => {
            assert_eq!(
                e.kind(),
                botwire_transport::TransportErrorKind::Body,
                "{e:?}"
            );
            assert!(!e.is_retryable());
        }
        other => panic!("not a transport error: {other:?}"),
    }
    assert!(!err.is_retryable());
    assert_eq!(
        sb.stats().status(200),
        sb.stats().route("POST /uploads"),
        "an upload was answered 200"
    );
}

both_backends!(
    a_source_that_fails_or_changes_size_mid_way_is_a_clear_error,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        // A reader that errors after 1 MiB of 4.
        let source = UploadSource::reader("a.bin", FailingReader { good: MIB }, 4 * MIB as u64);
        assert_torn(
            &sb,
            run!(client.upload(UploadType::File, source)),
            "the disk went away",
        );
        // A reader shorter than announced.
        let short = UploadSource::reader(
            "b.bin",
            std::io::Cursor::new(vec![1u8; MIB]),
            2 * MIB as u64,
        );
        assert_torn(
            &sb,
            run!(client.upload(UploadType::File, short)),
            "bytes early",
        );
        // A file that shrinks mid-way: the progress callback truncates it after the first chunk.
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("shrinks.bin");
        std::fs::write(&path, noise(4 * MIB, 3)).unwrap();
        let target = path.clone();
        let shrink = move |sent: u64, _total: u64| {
            if sent > 0 {
                let _ = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&target)
                    .and_then(|f| f.set_len(10));
            }
        };
        let result =
            run!(client.upload_with_progress(UploadType::File, UploadSource::path(&path), shrink));
        assert_torn(&sb, result, "shrank");
        // A file that grows mid-way: appended to after the first chunk.
        let path = temp.path().join("grows.bin");
        std::fs::write(&path, noise(2 * MIB, 5)).unwrap();
        let target = path.clone();
        let once = std::sync::atomic::AtomicBool::new(false);
        let grow = move |sent: u64, _total: u64| {
            if sent > 0 && !once.swap(true, std::sync::atomic::Ordering::SeqCst) {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&target)
                    .unwrap();
                f.write_all(b"more").unwrap();
            }
        };
        let result =
            run!(client.upload_with_progress(UploadType::File, UploadSource::path(&path), grow));
        assert_torn(&sb, result, "more bytes than announced");
        // After all that, the same client still uploads.
        let ok = run!(client.upload(
            UploadType::File,
            UploadSource::bytes("ok.txt", b"fine".to_vec())
        ));
        assert!(ok.is_ok(), "{ok:?}");
    }
);

fn default_blocking(
    sb: &MaxSandbox,
) -> botwire_max::blocking::Client<botwire_max::blocking::DefaultTransport> {
    botwire_max::blocking::Client::with_config(max_config(sb))
}

fn default_async(sb: &MaxSandbox) -> botwire_max::Client<botwire_max::DefaultTransport> {
    botwire_max::Client::with_config(max_config(sb)).unwrap()
}

both_backends!(
    the_default_stack_streams_uploads_through_its_layers,
    MaxSandbox::start,
    default_blocking,
    default_async,
    |sb, client| {
        // Retry<Throttle<backend>>: both layers forward the streamed body (a layer that did not would fall
        // back to buffering, which this test cannot see; the upload benchmark measures it).
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("clip.mp4");
        let data = noise(3 * MIB + 1, 13);
        std::fs::write(&path, &data).unwrap();
        let progress = ProgressLog::default();
        let attachment = run!(client.upload_with_progress(
            UploadType::Video,
            UploadSource::path(&path),
            progress.callback()
        ))
        .unwrap();
        progress.assert_complete(data.len() as u64);
        let media = stored(&sb, &attachment);
        assert_eq!(media.sha256.as_deref(), Some(sha256_hex(&data).as_str()));
        let alice = sb.add_user("Alice");
        let chat = sb.add_dialog(alice.user_id);
        let sent = run!(client.send_retrying_not_ready(
            &SendMessage::new(chat, with_attachment(attachment)),
            &NotReadyRetry::new(5, Duration::from_millis(10))
        ))
        .unwrap();
        assert_eq!(sent.attachments()[0].kind(), "video");
    }
);

both_backends!(
    resumable_uploads_send_chunks_of_the_file,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("talk.mp4");
        let data = noise(3 * MIB + MIB / 2, 17);
        std::fs::write(&path, &data).unwrap();
        let progress = ProgressLog::default();
        let flow = botwire_max::upload::UploadFlow::from_source(
            UploadType::Video,
            UploadSource::path(&path),
        )
        .unwrap()
        .resumable(MIB as u64)
        .on_progress(progress.callback());
        let attachment = run!(client.upload_flow(flow)).unwrap();
        assert_eq!(attachment.kind(), "video");
        progress.assert_complete(data.len() as u64);
        let media = stored(&sb, &attachment);
        assert_eq!(media.size, data.len() as i64);
        assert_eq!(media.filename.as_deref(), Some("talk.mp4"));
        // Four chunks to the upload host, after the one POST /uploads.
        let host: u64 = sb
            .stats()
            .by_route()
            .iter()
            .filter(|(route, _)| route.starts_with("POST /upload/"))
            .map(|(_, n)| n)
            .sum();
        assert_eq!(host, 4, "{:?}", sb.stats().by_route());
    }
);
