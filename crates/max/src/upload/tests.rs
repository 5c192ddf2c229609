#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use botwire_core_types::max::PhotoToken;
use botwire_transport::{TransportError, describe_request};

use super::*;
use crate::endpoints::GetMe;

const TOKEN: &str = "SECRET-TOKEN-must-not-appear";

fn config() -> Config {
    Config::new(TOKEN).with_base_url("http://api.test")
}

fn respond(status: u16, body: &[u8]) -> HttpResponse {
    http::Response::builder()
        .status(status)
        .body(body.to_vec())
        .unwrap()
}

fn show(req: &HttpRequest) -> String {
    let text = describe_request(req);
    assert!(!text.contains(TOKEN), "token leaked:\n{text}");
    text
}

/// A fake API + upload host following the sandbox contract of the issue; records every request.
struct Fake {
    kind: &'static str,
    upload_answer: (u16, Vec<u8>),
    seen: Mutex<Vec<HttpRequest>>,
}

impl Fake {
    fn new(kind: &'static str, status: u16, answer: &[u8]) -> Self {
        Self {
            kind,
            upload_answer: (status, answer.to_vec()),
            seen: Mutex::new(Vec::new()),
        }
    }

    fn answer(&self, req: HttpRequest) -> HttpResponse {
        let path = req.uri().path().to_owned();
        self.seen.lock().unwrap().push(req);
        if path == "/uploads" {
            let token = matches!(self.kind, "video" | "audio");
            let body = if token {
                format!(
                    r#"{{"url":"http://up.test/upload/{0}/1","token":"{0}-token"}}"#,
                    self.kind
                )
            } else {
                format!(r#"{{"url":"http://up.test/upload/{}/1"}}"#, self.kind)
            };
            return respond(200, body.as_bytes());
        }
        respond(self.upload_answer.0, &self.upload_answer.1)
    }

    fn requests(&self) -> Vec<HttpRequest> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

fn blocking_client(fake: &Fake) -> blocking::Client<impl BlockingTransport + '_> {
    blocking::Client::new(
        config(),
        move |req| -> Result<HttpResponse, TransportError> { Ok(fake.answer(req)) },
    )
}

/// Checks the two requests of a complete upload: API call with the token, upload call without it.
fn check_exchange(fake: &Fake, kind: &str, file_name: &str) -> Vec<u8> {
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].method(), Method::POST);
    assert_eq!(
        reqs[0].uri().to_string(),
        format!("http://api.test/uploads?type={kind}")
    );
    assert_eq!(reqs[0].headers()["authorization"], TOKEN);
    assert!(reqs[0].body().is_empty());
    assert_eq!(
        reqs[1].uri().to_string(),
        format!("http://up.test/upload/{kind}/1")
    );
    assert!(reqs[1].headers().get("authorization").is_none());
    let body = reqs[1].body().clone();
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains(&format!(
            "Content-Disposition: form-data; name=\"data\"; filename=\"{file_name}\""
        )),
        "{text}"
    );
    assert!(!text.contains(TOKEN));
    body
}

#[test]
fn snapshot_post_uploads() {
    let req = GetUploadUrl::new(UploadType::Image)
        .request(&Config::new(TOKEN))
        .unwrap();
    assert!(req.headers()["authorization"].is_sensitive());
    insta::assert_snapshot!(show(&req));
    for kind in ["video", "audio", "file"] {
        let req = GetUploadUrl::new(kind.parse().unwrap())
            .request(&Config::new(TOKEN))
            .unwrap();
        assert_eq!(
            req.uri().to_string(),
            format!("https://platform-api2.max.ru/uploads?type={kind}")
        );
    }
}

#[test]
fn snapshot_multipart_upload_request() {
    let mut flow = UploadFlow::new(
        UploadType::File,
        "отчёт \"Q3\".txt",
        b"line 1\nline 2\n".to_vec(),
    )
    .unwrap()
    .boundary("botwire-snapshot-boundary");
    let UploadStep::Send(_) = flow.next(&Config::new(TOKEN)).unwrap() else {
        panic!("first step sends")
    };
    flow.feed(respond(
        200,
        br#"{"url":"https://fu.oneme.ru/api/upload.do?sig=abc&id=1"}"#,
    ))
    .unwrap();
    let UploadStep::Send(req) = flow.next(&Config::new(TOKEN)).unwrap() else {
        panic!("second step sends")
    };
    assert!(req.headers().get("authorization").is_none());
    insta::assert_snapshot!(show(&req));
}

#[test]
fn image_upload_sends_the_single_photo_token() {
    let fake = Fake::new("image", 200, br#"{"photos":{"k1":{"token":"img-token"}}}"#);
    let att = blocking_client(&fake)
        .upload(
            UploadType::Image,
            UploadSource::bytes("cat.PNG", vec![0x89, b'P', 0, 1]),
        )
        .unwrap();
    assert_eq!(att, AttachmentRequest::image_token("img-token"));
    let body = check_exchange(&fake, "image", "cat.PNG");
    assert!(String::from_utf8_lossy(&body).contains("Content-Type: image/png\r\n"));
    assert!(body.windows(4).any(|w| w == [0x89, b'P', 0, 1]));
}

#[test]
fn image_upload_with_several_photos_passes_the_map_through() {
    let fake = Fake::new(
        "image",
        200,
        br#"{"photos":{"a":{"token":"t1"},"b":{"token":"t2"}}}"#,
    );
    let att = blocking_client(&fake)
        .upload(
            UploadType::Image,
            UploadSource::bytes("a.jpg", b"jpg".to_vec()),
        )
        .unwrap();
    let photos = [("a", "t1"), ("b", "t2")]
        .into_iter()
        .map(|(k, t)| {
            let p: PhotoToken = serde_json::from_value(serde_json::json!({ "token": t })).unwrap();
            (k.to_owned(), p)
        })
        .collect();
    assert_eq!(att, AttachmentRequest::image_photos(photos));
}

#[test]
fn file_upload_takes_the_token_of_the_answer() {
    let fake = Fake::new("file", 200, br#"{"token":"file-token","file_id":5}"#);
    let att = blocking_client(&fake)
        .upload(
            UploadType::File,
            UploadSource::bytes("r.pdf", b"%PDF".to_vec()),
        )
        .unwrap();
    assert_eq!(att, AttachmentRequest::file("file-token"));
    let body = check_exchange(&fake, "file", "r.pdf");
    assert!(String::from_utf8_lossy(&body).contains("Content-Type: application/pdf\r\n"));
}

#[test]
fn video_and_audio_take_the_token_of_post_uploads() {
    for (kind, name, expected) in [
        ("video", "clip.mp4", AttachmentRequest::video("video-token")),
        ("audio", "song.mp3", AttachmentRequest::audio("audio-token")),
    ] {
        let fake = Fake::new(kind, 200, b"<retval>1</retval>");
        let att = blocking_client(&fake)
            .upload(
                kind.parse().unwrap(),
                UploadSource::bytes(name, b"media".to_vec()),
            )
            .unwrap();
        assert_eq!(att, expected);
        check_exchange(&fake, kind, name);
    }
}

#[test]
fn the_async_client_runs_the_same_flow() {
    let fake = Fake::new("audio", 200, b"<?xml version=\"1.0\"?><retval>1</retval>");
    let client = Client::new(config(), |req| {
        let resp = fake.answer(req);
        async move { Ok::<_, TransportError>(resp) }
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let att = rt
        .block_on(client.upload(
            UploadType::Audio,
            UploadSource::bytes("v.m4a", b"m4a".to_vec()),
        ))
        .unwrap();
    assert_eq!(att, AttachmentRequest::audio("audio-token"));
    check_exchange(&fake, "audio", "v.m4a");
}

/// A file path in a fresh temporary directory, removed with the returned guard (so runs leave nothing behind).
fn temp_path(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    (dir, path)
}

#[test]
fn uploads_a_file_from_a_path() {
    let (_dir, path) = temp_path("notes.txt");
    std::fs::write(&path, b"from disk").unwrap();
    let fake = Fake::new("file", 200, br#"{"token":"t"}"#);
    let att = blocking_client(&fake)
        .upload(UploadType::File, UploadSource::path(&path))
        .unwrap();
    assert_eq!(att, AttachmentRequest::file("t"));
    let body = check_exchange(&fake, "file", "notes.txt");
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains("Content-Type: text/plain\r\n\r\nfrom disk\r\n--"),
        "{text}"
    );
    let err = blocking_client(&fake)
        .upload(
            UploadType::File,
            UploadSource::path(path.with_file_name("missing.txt")),
        )
        .unwrap_err();
    assert!(matches!(err, Error::File { .. }), "{err}");
    assert!(fake.requests().is_empty());
}

#[test]
fn sizes_are_checked_before_anything_is_sent_or_read() {
    let fake = Fake::new("image", 200, b"{}");
    let client = blocking_client(&fake);
    // A sparse file just over 4 GiB: refused from its metadata, never read.
    let (_dir, path) = temp_path("huge.bin");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(4 * 1024 * 1024 * 1024 + 1).unwrap();
    let err = client
        .upload(UploadType::File, UploadSource::path(&path))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid request, nothing sent: `data` must be at most 4 GB (4294967296 bytes) for an upload of type `file`, but has 4294967297 bytes"
    );
    // The same for bytes: an image one byte over 50 MiB.
    let err = client
        .upload(
            UploadType::Image,
            UploadSource::bytes("big.png", vec![0; 50 * 1024 * 1024 + 1]),
        )
        .unwrap_err();
    let Error::Validation(v) = err else {
        panic!("validation error expected")
    };
    assert_eq!(v.actual(), "52428801 bytes");
    for (kind, max) in [("video", 250u64), ("audio", 256)] {
        let (_dir, path) = temp_path("big.media");
        std::fs::File::create(&path)
            .unwrap()
            .set_len(max * 1024 * 1024 + 1)
            .unwrap();
        let err = client
            .upload(kind.parse().unwrap(), UploadSource::path(&path))
            .unwrap_err();
        assert!(
            err.to_string().contains(&format!("at most {max} MB")),
            "{err}"
        );
    }
    // The retired `photo` type is refused too.
    let err = client
        .upload(
            UploadType::Unknown("photo".into()),
            UploadSource::bytes("a", vec![1]),
        )
        .unwrap_err();
    assert!(err.to_string().contains("`type` must be one of"), "{err}");
    assert!(fake.requests().is_empty(), "nothing may reach the server");
}

#[test]
fn error_answers_become_errors() {
    // The upload host fails.
    let fake = Fake::new("file", 500, b"oops");
    let err = blocking_client(&fake)
        .upload(
            UploadType::File,
            UploadSource::bytes("a.txt", b"x".to_vec()),
        )
        .unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::INTERNAL_SERVER_ERROR));
    // Video processing refused.
    let fake = Fake::new("video", 200, b"<retval>0</retval>");
    let err = blocking_client(&fake)
        .upload(
            UploadType::Video,
            UploadSource::bytes("a.mp4", b"x".to_vec()),
        )
        .unwrap_err();
    assert!(err.to_string().contains("<retval>0</retval>"), "{err}");
    // A file answer without a token.
    let fake = Fake::new("file", 200, br#"{"ok":true}"#);
    let err = blocking_client(&fake)
        .upload(
            UploadType::File,
            UploadSource::bytes("a.txt", b"x".to_vec()),
        )
        .unwrap_err();
    let Error::Decode { source, .. } = &err else {
        panic!("decode error expected: {err}")
    };
    assert_eq!(source.path(), "token");
    // An image answer that is not JSON.
    let fake = Fake::new("image", 200, b"<html>");
    let err = blocking_client(&fake)
        .upload(
            UploadType::Image,
            UploadSource::bytes("a.png", b"x".to_vec()),
        )
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");
    // POST /uploads refused: no upload is attempted.
    let seen = AtomicUsize::new(0);
    let client = blocking::Client::new(config(), |_req: HttpRequest| {
        seen.fetch_add(1, Ordering::Relaxed);
        Ok::<_, TransportError>(respond(
            401,
            br#"{"code":"verify.token","message":"Invalid access_token"}"#,
        ))
    });
    let err = client
        .upload(
            UploadType::File,
            UploadSource::bytes("a.txt", b"x".to_vec()),
        )
        .unwrap_err();
    assert!(err.is_unauthorized());
    assert_eq!(seen.load(Ordering::Relaxed), 1);
}

#[test]
fn a_file_answer_without_token_falls_back_to_the_step_one_token() {
    // §14.9: parse defensively — if POST /uploads gave a token, a non-JSON answer still completes.
    let answer = parse_upload_answer(
        &UploadType::File,
        Some("pre".into()),
        respond(200, b"<retval>1</retval>"),
    )
    .unwrap();
    assert_eq!(answer, AttachmentRequest::file("pre"));
    // And video without a step-one token takes a JSON token from the host.
    let answer =
        parse_upload_answer(&UploadType::Video, None, respond(200, br#"{"token":"v"}"#)).unwrap();
    assert_eq!(answer, AttachmentRequest::video("v"));
}

#[test]
fn the_flow_refuses_misuse() {
    let mut flow = UploadFlow::new(UploadType::File, "a", vec![1]).unwrap();
    assert!(matches!(
        flow.feed(respond(200, b"{}")),
        Err(Error::Config(_))
    ));
    let UploadStep::Send(_) = flow.next(&config()).unwrap() else {
        panic!()
    };
    assert!(matches!(flow.next(&config()), Err(Error::Config(_))));
    flow.feed(respond(200, br#"{"url":"not a url"}"#)).unwrap();
    let err = flow.next(&config()).unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");

    // A refused POST /uploads: the flow starts over.
    let mut flow = UploadFlow::new(UploadType::File, "a", vec![1]).unwrap();
    flow.next(&config()).unwrap();
    assert!(flow.feed(respond(503, b"")).is_err());
    let UploadStep::Send(req) = flow.next(&config()).unwrap() else {
        panic!()
    };
    assert_eq!(req.uri().path(), "/uploads");
    // A failed upload: its bytes are spent, the flow says so.
    flow.feed(respond(200, br#"{"url":"http://up.test/u"}"#))
        .unwrap();
    flow.next(&config()).unwrap();
    assert!(flow.feed(respond(500, b"")).is_err());
    let err = flow.next(&config()).unwrap_err();
    assert!(err.to_string().contains("start a new flow"), "{err}");
}

// --- attachment.not.ready ---

const NOT_READY: &[u8] =
    br#"{"code":"attachment.not.ready","message":"Key: errors.process.attachment.file.not.processed"}"#;
const ME: &[u8] = br#"{"user_id":1,"first_name":"Bot","is_bot":true}"#;

/// A transport that answers `attachment.not.ready` `failures` times, then succeeds; counts attempts.
fn flaky(failures: usize, attempts: &AtomicUsize) -> impl Fn(HttpRequest) -> HttpResponse + '_ {
    move |_req| {
        let n = attempts.fetch_add(1, Ordering::Relaxed);
        if n < failures {
            respond(400, NOT_READY)
        } else {
            respond(200, ME)
        }
    }
}

#[test]
fn blocking_send_retries_not_ready_with_backoff() {
    for (failures, expect_ok, expect_attempts, expect_sleeps) in [
        (0, true, 1, vec![]),
        (1, true, 2, vec![1]),
        (2, true, 3, vec![1, 2]),
        (3, false, 3, vec![1, 2]),
        (9, false, 3, vec![1, 2]),
    ] {
        let attempts = AtomicUsize::new(0);
        let answer = flaky(failures, &attempts);
        let client = blocking::Client::new(config(), |req| Ok::<_, TransportError>(answer(req)));
        let mut slept = Vec::new();
        let result = client.send_retrying_not_ready_with(&GetMe, &NotReadyRetry::default(), |d| {
            slept.push(d.as_secs())
        });
        assert_eq!(result.is_ok(), expect_ok, "{failures} failures");
        if let Err(e) = result {
            assert!(is_not_ready(&e), "the last error is returned: {e}");
        }
        assert_eq!(attempts.load(Ordering::Relaxed), expect_attempts);
        assert_eq!(slept, expect_sleeps);
    }
}

#[test]
fn other_errors_are_not_retried() {
    let attempts = AtomicUsize::new(0);
    let client = blocking::Client::new(config(), |_req: HttpRequest| {
        attempts.fetch_add(1, Ordering::Relaxed);
        Ok::<_, TransportError>(respond(403, br#"{"code":"chat.denied","message":"no"}"#))
    });
    let err = client
        .send_retrying_not_ready_with(&GetMe, &NotReadyRetry::default(), |_| {
            panic!("no sleep for other errors")
        })
        .unwrap_err();
    assert_eq!(err.code(), Some("chat.denied"));
    assert_eq!(attempts.load(Ordering::Relaxed), 1);
}

#[test]
fn the_policy_is_configurable() {
    let attempts = AtomicUsize::new(0);
    let answer = flaky(4, &attempts);
    let client = blocking::Client::new(config(), |req| Ok::<_, TransportError>(answer(req)));
    let policy =
        NotReadyRetry::new(5, Duration::from_millis(250)).max_delay(Duration::from_millis(600));
    let mut slept = Vec::new();
    client
        .send_retrying_not_ready_with(&GetMe, &policy, |d| slept.push(d.as_millis()))
        .unwrap();
    assert_eq!(slept, [250, 500, 600, 600]);
    assert_eq!(attempts.load(Ordering::Relaxed), 5);
    let mut run = NotReadyRetry::never().start();
    assert!(matches!(
        run.after::<()>(Err(Error::Api(ApiError {
            status: http::StatusCode::BAD_REQUEST,
            code: Some("attachment.not.ready".into()),
            message: None,
            idempotent: false,
        }))),
        RetryStep::Done(Err(_))
    ));
    assert_eq!(NotReadyRetry::new(0, Duration::ZERO).attempts(), 1);
    assert_eq!(
        NotReadyRetry::new(40, Duration::from_secs(1)).delay_after(40),
        Duration::from_secs(30)
    );
}

#[test]
fn async_send_retries_not_ready_with_an_injected_sleeper() {
    let attempts = AtomicUsize::new(0);
    let answer = flaky(2, &attempts);
    let client = Client::new(config(), |req| {
        let resp = answer(req);
        async move { Ok::<_, TransportError>(resp) }
    });
    let slept = Mutex::new(Vec::new());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let me = rt
        .block_on(
            client.send_retrying_not_ready_with(&GetMe, &NotReadyRetry::default(), |d| {
                slept.lock().unwrap().push(d.as_secs());
                std::future::ready(())
            }),
        )
        .unwrap();
    assert_eq!(me.first_name, "Bot");
    assert_eq!(attempts.load(Ordering::Relaxed), 3);
    assert_eq!(*slept.lock().unwrap(), [1, 2]);
}

#[test]
fn async_default_sleeper_needs_no_tokio_timer() {
    // futures-timer with zero waits: runs on a runtime without tokio's time driver enabled.
    let attempts = AtomicUsize::new(0);
    let answer = flaky(1, &attempts);
    let client = Client::new(config(), |req| {
        let resp = answer(req);
        async move { Ok::<_, TransportError>(resp) }
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(client.send_retrying_not_ready(&GetMe, &NotReadyRetry::new(2, Duration::ZERO)))
        .unwrap();
    assert_eq!(attempts.load(Ordering::Relaxed), 2);
}

/// A stand-in for the SendMessage endpoint being written in parallel: `POST /messages?chat_id=…` with a body.
struct PostMessage {
    chat_id: i64,
    body: botwire_core_types::max::NewMessageBody,
}

impl Endpoint for PostMessage {
    type Output = botwire_core_types::max::SendMessageResult;

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        self.body.validate()?;
        crate::endpoint::RequestBuilder::new(config, Method::POST, "/messages")
            .query("chat_id", self.chat_id)
            .json(&self.body)?
            .build()
    }

    crate::endpoint::json_output!();
}

#[test]
fn upload_then_send_with_the_not_ready_retry() {
    let sent = Mutex::new(Vec::<serde_json::Value>::new());
    let not_ready_left = AtomicUsize::new(1);
    let client = blocking::Client::new(config(), |req: HttpRequest| {
        let resp = match req.uri().path() {
            "/uploads" => respond(
                200,
                br#"{"url":"http://up.test/upload/video/7","token":"vt"}"#,
            ),
            "/upload/video/7" => respond(200, b"<retval>1</retval>"),
            "/messages" => {
                sent.lock()
                    .unwrap()
                    .push(serde_json::from_slice(req.body()).unwrap());
                if not_ready_left.fetch_sub(1, Ordering::Relaxed) > 0 {
                    respond(400, NOT_READY)
                } else {
                    respond(
                        200,
                        br#"{"message":{"recipient":{"chat_id":-5,"chat_type":"chat"},"timestamp":1,"body":{"mid":"mid.1","seq":1}}}"#,
                    )
                }
            }
            other => panic!("unexpected {other}"),
        };
        Ok::<_, TransportError>(resp)
    });
    let video = client
        .upload(
            UploadType::Video,
            UploadSource::bytes("clip.webm", b"webm".to_vec()),
        )
        .unwrap();
    let message = crate::builders::MessageBuilder::text("Here it is")
        .attachment(video)
        .build()
        .unwrap();
    let mut waits = 0;
    let result = client
        .send_retrying_not_ready_with(
            &PostMessage {
                chat_id: -5,
                body: message.body,
            },
            &NotReadyRetry::default(),
            |_| waits += 1,
        )
        .unwrap();
    assert_eq!(result.message.mid(), Some("mid.1"));
    assert_eq!(waits, 1);
    let sent = sent.lock().unwrap();
    assert_eq!(sent.len(), 2, "one not-ready answer, one success");
    assert_eq!(
        sent[1],
        serde_json::json!({"text": "Here it is", "attachments": [{"type": "video", "payload": {"token": "vt"}}]})
    );
}

/// Drives a flow to its upload request, answering `POST /uploads` with a file URL.
fn upload_step(mut flow: UploadFlow) -> (UploadFlow, UploadStep) {
    let UploadStep::Send(_) = flow.next(&config()).unwrap() else {
        panic!("first step sends")
    };
    flow.feed(respond(200, br#"{"url":"http://up.test/upload/file/1"}"#))
        .unwrap();
    let step = flow.next(&config()).unwrap();
    (flow, step)
}

#[test]
fn a_path_is_streamed_with_file_progress() {
    let (_dir, path) = temp_path("big.bin");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let flow = UploadFlow::from_source(UploadType::File, UploadSource::path(&path))
        .unwrap()
        .boundary("fixed-boundary")
        .on_progress(move |sent, total| log.lock().unwrap().push((sent, total)));
    let (_flow, step) = upload_step(flow);
    let UploadStep::SendStreamed(req) = step else {
        panic!("a path is streamed: {step:?}")
    };
    assert!(req.headers().get("authorization").is_none());
    assert_eq!(
        req.headers()["content-type"],
        "multipart/form-data; boundary=fixed-boundary"
    );
    let len = req.body().len();
    let body = req.into_body().into_bytes().unwrap();
    assert_eq!(body.len() as u64, len);
    let head = b"--fixed-boundary\r\nContent-Disposition: form-data; name=\"data\"; filename=\"big.bin\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n";
    assert!(body.starts_with(head));
    assert_eq!(&body[head.len()..head.len() + data.len()], &data[..]);
    assert!(body.ends_with(b"\r\n--fixed-boundary--\r\n"));
    let seen = seen.lock().unwrap();
    assert!(seen.iter().all(|&(_, total)| total == data.len() as u64));
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0));
    assert_eq!(seen.last(), Some(&(data.len() as u64, data.len() as u64)));
}

#[test]
fn bytes_with_progress_stream_and_keep_the_boundary_check() {
    let data = b"xx--AAA--xx".to_vec();
    let flow = UploadFlow::new(UploadType::File, "a.txt", data.clone())
        .unwrap()
        .boundary("AAA")
        .on_progress(|_, _| {});
    let (_flow, step) = upload_step(flow);
    let UploadStep::SendStreamed(req) = step else {
        panic!("progress asks for a streamed body: {step:?}")
    };
    let content_type = req.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.contains("boundary=botwire-"), "{content_type}");
    let body = req.into_body().into_bytes().unwrap();
    assert!(body.windows(data.len()).any(|w| w == &data[..]));
}

#[test]
fn a_reader_upload_through_a_closure_is_buffered_by_the_default() {
    let fake = Fake::new("file", 200, br#"{"token":"file-token"}"#);
    let source = UploadSource::reader("r.bin", std::io::Cursor::new(vec![9u8; 1000]), 1000);
    let att = blocking_client(&fake)
        .upload(UploadType::File, source)
        .unwrap();
    assert_eq!(att, AttachmentRequest::file("file-token"));
    let body = check_exchange(&fake, "file", "r.bin");
    assert!(body.windows(1000).any(|w| w == [9u8; 1000]));
    // Oversized readers are refused before anything is sent.
    let huge = UploadSource::reader("big.png", std::io::empty(), 50 * 1024 * 1024 + 1);
    let err = blocking_client(&fake)
        .upload(UploadType::Image, huge)
        .unwrap_err();
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
    assert!(fake.requests().is_empty());
}

#[test]
fn resumable_uploads_send_file_chunks_read_on_demand() {
    let (_dir, path) = temp_path("clip.mp4");
    let data: Vec<u8> = (0..2500u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let mut flow = UploadFlow::from_source(UploadType::Video, UploadSource::path(&path))
        .unwrap()
        .resumable(1000)
        .on_progress(move |sent, total| log.lock().unwrap().push((sent, total)));
    let UploadStep::Send(_) = flow.next(&config()).unwrap() else {
        panic!("first step sends")
    };
    flow.feed(respond(
        200,
        br#"{"url":"http://up.test/upload/video/1","token":"video-token"}"#,
    ))
    .unwrap();
    let mut received = Vec::new();
    let mut ranges = Vec::new();
    let attachment = loop {
        match flow.next(&config()).unwrap() {
            UploadStep::SendStreamed(req) => {
                assert!(req.headers().get("authorization").is_none());
                assert_eq!(
                    req.headers()["content-type"],
                    "application/x-binary; charset=x-user-defined"
                );
                assert_eq!(req.headers()["x-file-name"], "clip.mp4");
                let range = req.headers()["content-range"].to_str().unwrap().to_owned();
                let last = range.ends_with("2499/2500");
                assert_eq!(RequestOptions::is_idempotent(&req), !last, "{range}");
                ranges.push(range.clone());
                received.extend(req.into_body().into_bytes().unwrap());
                // A refused middle chunk is sent again.
                if ranges.len() == 2 {
                    assert!(flow.feed(respond(500, b"try again")).is_err());
                    continue;
                }
                let answer: &[u8] = if last { b"<retval>1</retval>" } else { b"ok" };
                flow.feed(respond(200, answer)).unwrap();
            }
            UploadStep::Done(attachment) => break attachment,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(attachment, AttachmentRequest::video("video-token"));
    assert_eq!(
        ranges,
        [
            "bytes 0-999/2500",
            "bytes 1000-1999/2500",
            "bytes 1000-1999/2500",
            "bytes 2000-2499/2500"
        ]
    );
    let mut expected = data[..2000].to_vec();
    expected.extend_from_slice(&data[1000..]);
    assert_eq!(received, expected);
    assert_eq!(seen.lock().unwrap().last(), Some(&(2500, 2500)));
    // Only a path can be read in chunks: refused before anything is sent.
    let mut flow = UploadFlow::from_source(
        UploadType::Video,
        UploadSource::bytes("a.mp4", b"x".to_vec()),
    )
    .unwrap()
    .resumable(10);
    assert!(matches!(flow.next(&config()), Err(Error::Config(_))));
}
