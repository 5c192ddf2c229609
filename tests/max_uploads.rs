//! The upload flow against the sandbox's upload host, on both backends: every kind of file from bytes and from
//! a path, ending in a ready attachment that a message can carry; and `attachment.not.ready` ridden out by the
//! bounded retry (a fake sleeper records the waits instead of sleeping).

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
