#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

//! One test per documented limit (reference §12) on what the client sends, each showing the exact error.

use botwire_core_types::max::{BotCommand, BotCommands, ContactRequestPayload, UploadType};

use super::*;
use crate::format::TextBuilder;

fn err_text<T: std::fmt::Debug>(r: Result<T, ValidationError>) -> String {
    r.unwrap_err().to_string()
}

fn callbacks(n: usize) -> KeyboardBuilder {
    (0..n).fold(KeyboardBuilder::new(), |k, i| {
        k.callback(format!("b{i}"), "p")
    })
}

#[test]
fn message_builder_produces_the_body() {
    let kb = KeyboardBuilder::new().callback("Yes", "y").build().unwrap();
    let m = MessageBuilder::html("<b>hi</b>")
        .attachment(AttachmentRequest::image_url("https://e.com/a.png"))
        .keyboard(kb)
        .reply_to("mid.1")
        .notify(false)
        .disable_link_preview(true)
        .build()
        .unwrap();
    assert!(m.disable_link_preview);
    assert_eq!(
        serde_json::to_value(&m.body).unwrap(),
        serde_json::json!({
            "text": "<b>hi</b>",
            "format": "html",
            "notify": false,
            "link": {"type": "reply", "mid": "mid.1"},
            "attachments": [
                {"type": "image", "payload": {"url": "https://e.com/a.png"}},
                {"type": "inline_keyboard", "payload": {"buttons": [[{"type": "callback", "text": "Yes", "payload": "y"}]]}}
            ]
        })
    );
    // Nothing set: nothing serialised (an edit keeps the attachments).
    let m = MessageBuilder::text("plain").build().unwrap();
    assert_eq!(
        serde_json::to_string(&m.body).unwrap(),
        r#"{"text":"plain"}"#
    );
    assert!(!m.disable_link_preview);
    // clear_attachments: `[]` removes them on an edit.
    let body = MessageBuilder::text("x")
        .clear_attachments()
        .build_body()
        .unwrap();
    assert_eq!(
        serde_json::to_string(&body).unwrap(),
        r#"{"text":"x","attachments":[]}"#
    );
    let fwd = MessageBuilder::new().forward("mid.9").build_body().unwrap();
    assert_eq!(
        serde_json::to_string(&fwd).unwrap(),
        r#"{"link":{"type":"forward","mid":"mid.9"}}"#
    );
}

#[test]
fn message_builder_takes_formatted_text() {
    let text = TextBuilder::markdown().bold("a*b").build().unwrap();
    let body = MessageBuilder::formatted(text).build_body().unwrap();
    assert_eq!(body.text.as_deref(), Some(r"**a\*b**"));
    assert_eq!(body.format, Some(TextFormat::Markdown));
}

#[test]
fn limit_message_text_4000() {
    assert!(MessageBuilder::text("я".repeat(4000)).build().is_ok());
    assert_eq!(
        err_text(MessageBuilder::markdown("я".repeat(4001)).build()),
        "`text` must be at most 4000 characters, but has 4001 characters"
    );
}

#[test]
fn limit_comment_text_4000() {
    assert!(CommentBuilder::text("я".repeat(4000)).build().is_ok());
    assert_eq!(
        err_text(
            CommentBuilder::html("я".repeat(4001))
                .reply_to("mid.c")
                .build()
        ),
        "`text` must be at most 4000 characters, but has 4001 characters"
    );
    let c = CommentBuilder::formatted(TextBuilder::html().italic("x").build().unwrap())
        .reply_to("mid.c")
        .build()
        .unwrap();
    assert_eq!(
        serde_json::to_string(&c).unwrap(),
        r#"{"text":"<i>x</i>","link":{"type":"reply","mid":"mid.c"},"format":"html"}"#
    );
}

#[test]
fn limit_callback_answer() {
    assert_eq!(
        err_text(CallbackAnswerBuilder::new().build()),
        "`message/notification` must be at least one of them, but has neither"
    );
    assert_eq!(
        err_text(
            CallbackAnswerBuilder::new()
                .message(MessageBuilder::text("я".repeat(4001)))
                .build()
        ),
        "`message.text` must be at most 4000 characters, but has 4001 characters"
    );
    let a = CallbackAnswerBuilder::new()
        .notification("Saved")
        .message(MessageBuilder::text("Done"))
        .build()
        .unwrap();
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        r#"{"message":{"text":"Done"},"notification":"Saved"}"#
    );
}

#[test]
fn limit_chat_title_1_to_200_and_description_16000() {
    assert_eq!(
        err_text(ChatPatchBuilder::new().title("").build()),
        "`title` must be 1 to 200 characters, but has 0 characters"
    );
    assert_eq!(
        err_text(ChatPatchBuilder::new().title("t".repeat(201)).build()),
        "`title` must be 1 to 200 characters, but has 201 characters"
    );
    assert_eq!(
        err_text(
            ChatPatchBuilder::new()
                .description("d".repeat(16001))
                .build()
        ),
        "`description` must be at most 16000 characters, but has 16001 characters"
    );
    let p = ChatPatchBuilder::new()
        .title("t".repeat(200))
        .description("")
        .pin("mid.1")
        .notify(false)
        .icon(PhotoRequestPayload::Url {
            url: "https://e.com/i.png".into(),
        })
        .build()
        .unwrap();
    assert_eq!(p.title.as_deref().map(str::len), Some(200));
}

#[test]
fn limit_bot_commands_32_name_64_description_128() {
    let cmd = |i: usize| BotCommand::new(format!("c{i}"), None).unwrap();
    assert!(BotCommands::new((0..32).map(cmd).collect()).is_ok());
    assert_eq!(
        err_text(BotCommands::new((0..33).map(cmd).collect())),
        "`commands` must be at most 32 items, but has 33 items"
    );
    assert_eq!(
        err_text(BotCommand::new("n".repeat(65), None)),
        "`name` must be 1 to 64 characters, but has 65 characters"
    );
    assert_eq!(
        err_text(BotCommand::new("", None)),
        "`name` must be 1 to 64 characters, but has 0 characters"
    );
    assert_eq!(
        err_text(BotCommand::new("help", Some("d".repeat(129)))),
        "`description` must be 1 to 128 characters, but has 129 characters"
    );
}

#[test]
fn limit_keyboard_rows_30() {
    let kb = (0..30).fold(KeyboardBuilder::new(), |k, i| {
        k.callback(format!("{i}"), "p").row()
    });
    assert_eq!(kb.clone().build().unwrap().buttons.len(), 30);
    assert_eq!(
        err_text(kb.callback("31", "p").build()),
        "`buttons` must be 1 to 30 rows, but has 31 rows"
    );
    assert_eq!(
        err_text(KeyboardBuilder::new().build()),
        "`buttons` must be 1 to 30 rows, but has 0 rows"
    );
}

#[test]
fn limit_keyboard_buttons_210_and_7_per_row() {
    // 30 full rows of 7 = the 210-button maximum.
    let full = (0..30).fold(KeyboardBuilder::new(), |k, _| {
        (0..7).fold(k, |k, i| k.callback(format!("{i}"), "p")).row()
    });
    let kb = full.build().unwrap();
    assert_eq!(kb.buttons.iter().map(Vec::len).sum::<usize>(), 210);
    assert_eq!(
        err_text(callbacks(8).build()),
        "`buttons[0]` must be 1 to 7 buttons, but has 8 buttons"
    );
    // 211 buttons cannot fit 30 × 7, so a hand-made model value is needed to reach the total check.
    let rows: Vec<Vec<Button>> = (0..30)
        .map(|r| {
            let n = if r == 0 { 8 } else { 7 };
            (0..n)
                .map(|i| Button::callback(format!("{i}"), "p"))
                .collect()
        })
        .collect();
    assert_eq!(
        err_text(Keyboard::new(rows).validate()),
        "`buttons` must be at most 210 buttons in all, but has 211 buttons"
    );
}

#[test]
fn limit_three_per_row_with_link_open_app_contact_geo() {
    type Add = fn(KeyboardBuilder) -> KeyboardBuilder;
    let wide: [(&str, Add); 4] = [
        ("link", |k| k.link("l", "https://e.com")),
        ("open_app", |k| k.open_app("o", "bot", None)),
        ("request_contact", |k| k.request_contact("c")),
        ("request_geo_location", |k| {
            k.request_geo_location("g", true)
        }),
    ];
    for (kind, add) in wide {
        assert!(add(callbacks(2)).build().is_ok(), "{kind}");
        assert_eq!(
            err_text(add(callbacks(3)).build()),
            format!(
                "`buttons[0]` must be 1 to 3 buttons (the row has a `{kind}` button), but has 4 buttons"
            )
        );
    }
    // Other kinds keep the 7-per-row limit.
    let kb = callbacks(5)
        .message("m")
        .clipboard("c", "x")
        .build()
        .unwrap();
    assert_eq!(kb.buttons[0].len(), 7);
}

#[test]
fn limit_button_text_1_to_128() {
    assert_eq!(
        err_text(KeyboardBuilder::new().message("").build()),
        "`buttons[0][0].text` must be 1 to 128 characters, but has 0 characters"
    );
    assert_eq!(
        err_text(
            KeyboardBuilder::new()
                .callback("t".repeat(129), "p")
                .build()
        ),
        "`buttons[0][0].text` must be 1 to 128 characters, but has 129 characters"
    );
    assert!(
        KeyboardBuilder::new()
            .callback("t".repeat(128), "p")
            .build()
            .is_ok()
    );
}

#[test]
fn limit_callback_payload_1024() {
    assert!(
        KeyboardBuilder::new()
            .callback("t", "p".repeat(1024))
            .build()
            .is_ok()
    );
    assert_eq!(
        err_text(
            KeyboardBuilder::new()
                .row()
                .callback("t", "p".repeat(1025))
                .build()
        ),
        "`buttons[0][0].payload` must be at most 1024 characters, but has 1025 characters"
    );
}

#[test]
fn limit_clipboard_payload_1024() {
    assert!(
        KeyboardBuilder::new()
            .clipboard("t", "p".repeat(1024))
            .build()
            .is_ok()
    );
    assert_eq!(
        err_text(
            KeyboardBuilder::new()
                .clipboard("t", "p".repeat(1025))
                .build()
        ),
        "`buttons[0][0].payload` must be 1 to 1024 characters, but has 1025 characters"
    );
}

#[test]
fn limit_link_url_2048() {
    assert!(
        KeyboardBuilder::new()
            .link("t", "u".repeat(2048))
            .build()
            .is_ok()
    );
    assert_eq!(
        err_text(
            KeyboardBuilder::new()
                .callback("a", "b")
                .row()
                .link("t", "u".repeat(2049))
                .build()
        ),
        "`buttons[1][0].url` must be 1 to 2048 characters, but has 2049 characters"
    );
}

#[test]
fn limit_open_app_payload_512_and_pattern() {
    assert!(
        KeyboardBuilder::new()
            .open_app_of("t", "bot", 7, Some("a".repeat(512)))
            .build()
            .is_ok()
    );
    assert_eq!(
        err_text(
            KeyboardBuilder::new()
                .open_app("t", "bot", Some("a".repeat(513)))
                .build()
        ),
        "`buttons[0][0].payload` must be at most 512 characters, but has 513 characters"
    );
    assert_eq!(
        err_text(
            KeyboardBuilder::new()
                .open_app("t", "bot", Some("a b".into()))
                .build()
        ),
        "`buttons[0][0].payload` must be only letters, digits, `_` and `-`, but has \"a b\""
    );
    assert_eq!(
        err_text(KeyboardBuilder::new().open_app("t", " ", None).build()),
        "`buttons[0][0].web_app` must be the bot whose mini-app to open (the server rejects a missing one), but has none"
    );
    let kb = KeyboardBuilder::new()
        .open_app_of("t", "bot", 7, None)
        .build()
        .unwrap();
    assert_eq!(
        serde_json::to_string(&kb).unwrap(),
        r#"{"buttons":[[{"type":"open_app","text":"t","web_app":"bot","contact_id":7}]]}"#
    );
}

#[test]
fn keyboard_errors_inside_a_message_name_the_attachment() {
    let kb = Keyboard::new(vec![vec![Button::callback("", "p")]]);
    assert_eq!(
        err_text(MessageBuilder::text("x").keyboard(kb).build()),
        "`attachments[0].payload.buttons[0][0].text` must be 1 to 128 characters, but has 0 characters"
    );
}

#[test]
fn every_button_kind_serialises_as_documented() {
    let kb = KeyboardBuilder::new()
        .callback("Yes", "vote:yes")
        .callback("No", "vote:no")
        .row()
        .link("Site", "https://example.com")
        .row()
        .request_contact("Share phone")
        .request_geo_location("Where", false)
        .row()
        .clipboard("Copy code", "PROMO-123")
        .message("Hi")
        .row_of([Button::open_app(
            "Open app",
            "my_bot",
            Some("start-1".into()),
        )])
        .build()
        .unwrap();
    assert_eq!(
        serde_json::to_value(&kb).unwrap(),
        serde_json::json!({"buttons": [
            [{"type":"callback","text":"Yes","payload":"vote:yes"},{"type":"callback","text":"No","payload":"vote:no"}],
            [{"type":"link","text":"Site","url":"https://example.com"}],
            [{"type":"request_contact","text":"Share phone"},{"type":"request_geo_location","text":"Where"}],
            [{"type":"clipboard","text":"Copy code","payload":"PROMO-123"},{"type":"message","text":"Hi"}],
            [{"type":"open_app","text":"Open app","web_app":"my_bot","payload":"start-1"}]
        ]})
    );
}

#[test]
fn limit_deep_link_payload_128() {
    assert_eq!(
        deep_link("@my_bot", &"p".repeat(128)).unwrap(),
        format!("https://max.ru/my_bot?start={}", "p".repeat(128))
    );
    assert_eq!(
        err_text(deep_link("my_bot", &"p".repeat(129))),
        "`payload` must be at most 128 characters, but has 129 characters"
    );
    assert_eq!(
        deep_link("b", "a b&c").unwrap(),
        "https://max.ru/b?start=a+b%26c"
    );
}

#[test]
fn attachment_rules_apply_to_built_messages() {
    // Audio, files, stickers and contacts go alone (a keyboard may accompany them).
    assert_eq!(
        err_text(
            MessageBuilder::new()
                .attachment(AttachmentRequest::audio("t"))
                .attachment(AttachmentRequest::image_token("i"))
                .build()
        ),
        "`attachments[0]` must be the only attachment besides an inline keyboard (`audio` goes alone), but has 1 other attachments"
    );
    assert!(
        MessageBuilder::new()
            .attachment(AttachmentRequest::contact(ContactRequestPayload::default()))
            .keyboard(KeyboardBuilder::new().message("ok").build().unwrap())
            .build()
            .is_ok()
    );
    // "≤ 12 media per message" is an unconfirmed third-party claim (reference §4.10, §14.15): not enforced.
    let images = (0..13).map(|i| AttachmentRequest::image_token(format!("t{i}")));
    assert!(MessageBuilder::new().attachments(images).build().is_ok());
    // Sizes of uploads are checked by the upload flow; the upload type names stay the wire values.
    assert_eq!(UploadType::Image.to_string(), "image");
}
