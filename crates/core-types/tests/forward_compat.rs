//! New kinds appear every few months: an unknown update, attachment, button or markup type decodes without
//! error, keeps its JSON, and serialises back unchanged.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use botwire_core_types::max::{Attachment, Button, MarkupElement, Message, Update, UpdateBatch};
use serde_json::{Value, json};

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(v: &Value) -> (T, Value) {
    let decoded: T = serde_json::from_value(v.clone()).unwrap();
    let again = serde_json::to_value(&decoded).unwrap();
    (decoded, again)
}

#[test]
fn unknown_update_keeps_its_json() {
    let raw = json!({"update_type": "message_reaction_added", "timestamp": 5, "chat_id": -7, "reaction": {"emoji": "🔥"}});
    let (update, again): (Update, _) = round_trip(&raw);
    let Update::Unknown(unknown) = &update else {
        panic!("{update:?}")
    };
    assert_eq!(unknown.json(), &raw);
    assert_eq!(update.kind(), "message_reaction_added");
    assert_eq!(update.timestamp(), 5);
    assert_eq!(update.chat_id().map(|c| c.get()), Some(-7));
    assert_eq!(again, raw);
}

#[test]
fn unknown_attachment_button_and_markup_keep_their_json() {
    let message = json!({
        "recipient": {"chat_id": 1, "chat_type": "dialog"},
        "timestamp": 1,
        "body": {
            "mid": "mid.1", "seq": 1, "text": "hello",
            "attachments": [
                {"type": "poll", "payload": {"question": "?", "options": ["a", "b"]}},
                {"type": "inline_keyboard", "payload": {"buttons": [[
                    {"type": "pay", "text": "Pay", "amount": 100},
                    {"type": "callback", "text": "ok", "payload": "p", "intent": "default"}
                ]]}}
            ],
            "markup": [{"type": "spoiler", "from": 0, "length": 5}, {"type": "strong", "from": 0, "length": 2}]
        },
        "chat_type_future_field": true
    });
    let decoded: Message = serde_json::from_value(message.clone()).unwrap();
    let body = decoded.body.as_ref().unwrap();
    let attachments = body.attachments.as_ref().unwrap();
    assert!(matches!(&attachments[0], Attachment::Unknown(u) if u.tag("type") == Some("poll")));
    let Attachment::InlineKeyboard(kb) = &attachments[1] else {
        panic!()
    };
    assert!(matches!(&kb.payload.buttons[0][0], Button::Unknown(u) if u.json()["amount"] == 100));
    assert!(matches!(&kb.payload.buttons[0][1], Button::Callback(_)));
    let markup = body.markup.as_ref().unwrap();
    assert_eq!(markup[0].kind(), "spoiler");
    assert!(matches!(markup[1], MarkupElement::Strong(_)));
    let again = serde_json::to_value(&decoded).unwrap();
    assert_eq!(again["body"]["attachments"], message["body"]["attachments"]);
    assert_eq!(again["body"]["markup"], message["body"]["markup"]);
}

#[test]
fn a_malformed_update_does_not_sink_the_batch() {
    let body = json!({
        "updates": [
            {"update_type": "message_removed", "timestamp": 1, "message_id": "m", "chat_id": 1, "user_id": 2},
            {"update_type": "message_created", "timestamp": 2, "message": {"recipient": {"chat_type": "dialog"}, "timestamp": "x"}},
            "not even an object",
            {"update_type": "brand_new", "timestamp": 4},
            {"update_type": "bot_started", "timestamp": 5, "chat_id": 9, "user": {"user_id": 3, "first_name": "A", "is_bot": false}}
        ],
        "marker": 99
    });
    let batch = UpdateBatch::from_slice(body.to_string().as_bytes()).unwrap();
    assert_eq!(batch.marker, Some(99));
    let kinds: Vec<&str> = batch
        .updates
        .iter()
        .map(|u| match u {
            Ok(u) => u.kind(),
            Err(_) => "malformed",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "message_removed",
            "malformed",
            "malformed",
            "brand_new",
            "bot_started"
        ]
    );
    let bad = batch.updates[1].as_ref().unwrap_err();
    assert_eq!(bad.error.path(), "updates[1]");
    assert!(
        bad.error.message().contains("message.timestamp"),
        "{}",
        bad.error
    );
    assert!(bad.raw.contains("\"timestamp\":\"x\""));
}

#[test]
fn message_created_without_message_is_tolerated() {
    let u: Update = serde_json::from_str(
        r#"{"timestamp":1,"user_locale":"ru","update_type":"message_created"}"#,
    )
    .unwrap();
    let Update::MessageCreated(m) = u else {
        panic!()
    };
    assert!(m.message.is_none());
}
