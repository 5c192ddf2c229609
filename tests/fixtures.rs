//! Reference fixtures decode, and their decoded form is snapshotted. Re-serialising keeps every field the model
//! knows (checked recursively; the fields a fixture carries beyond the schema are listed per fixture).

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use botwire_core_types::decode::from_slice;
use botwire_core_types::max::{
    ApiErrorBody, BotInfo, Chat, ChatMember, ChatMembersList, GetPinnedMessageResult, Update,
    UpdateBatch, UpdateList,
};
use botwire_core_types::onebot::{Account, Data};
use botwire_tests::fixture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Every field of `original` is in `again` with the same value, except paths matching `ignored` (a path is like
/// `updates[0].user_id`; `*` in a pattern matches one segment). `null`s may be dropped.
#[track_caller]
fn assert_known_fields_kept(original: &Value, again: &Value, ignored: &[&str]) {
    fn walk(
        path: &str,
        orig: &Value,
        again: Option<&Value>,
        ignored: &[&str],
        lost: &mut Vec<String>,
    ) {
        if ignored.iter().any(|p| matches(p, path)) {
            return;
        }
        match (orig, again) {
            (Value::Null, None) => {}
            (Value::Object(o), Some(Value::Object(a))) => {
                for (k, v) in o {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(&p, v, a.get(k), ignored, lost);
                }
            }
            (Value::Array(o), Some(Value::Array(a))) if o.len() == a.len() => {
                for (i, (x, y)) in o.iter().zip(a).enumerate() {
                    walk(&format!("{path}[{i}]"), x, Some(y), ignored, lost);
                }
            }
            (o, Some(a)) if o == a => {}
            (o, a) => lost.push(format!(
                "{path}: {o} became {}",
                a.map_or("nothing".into(), Value::to_string)
            )),
        }
    }
    fn matches(pattern: &str, path: &str) -> bool {
        let norm = |s: &str| {
            s.replace('[', ".[")
                .split('.')
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let (p, s) = (norm(pattern), norm(path));
        p.len() == s.len()
            && p.iter()
                .zip(&s)
                .all(|(a, b)| a == "*" || a == b || (a == "[*]" && b.starts_with('[')))
    }
    let mut lost = Vec::new();
    walk("", original, Some(again), ignored, &mut lost);
    assert!(
        lost.is_empty(),
        "fields lost in the round trip:\n{}",
        lost.join("\n")
    );
}

fn decode_and_check<T: DeserializeOwned + Serialize>(raw: &[u8], ignored: &[&str]) -> T {
    let decoded: T = from_slice(raw).unwrap_or_else(|e| panic!("{e}"));
    let original: Value = serde_json::from_slice(raw).unwrap();
    assert_known_fields_kept(&original, &serde_json::to_value(&decoded).unwrap(), ignored);
    decoded
}

/// Fields real payloads carry that schema 0.0.33 does not list (the extra top-level `user_id` of several updates).
const EXTRA_UPDATE_FIELDS: &[&str] = &["updates[*].user_id"];

macro_rules! max_fixture {
    ($name:ident, $file:literal, $ty:ty, $ignored:expr) => {
        #[test]
        fn $name() {
            let raw = fixture(concat!("max/go-client-stabs/", $file));
            let decoded: $ty = decode_and_check(&raw, $ignored);
            insta::assert_debug_snapshot!(decoded);
        }
    };
}

max_fixture!(max_bot_info, "botInfo.ok.json", BotInfo, &[]);
max_fixture!(
    max_chat_path_result,
    "chats_chat-path-result.json",
    Chat,
    &[]
);
max_fixture!(
    max_chat_dialog_with_user,
    "chats_dialog-with-user.json",
    Chat,
    &[]
);
max_fixture!(max_chat_by_id, "chats_get-chat-by-id.json", Chat, &[]);
max_fixture!(
    max_chat_members,
    "chats_get-members.json",
    ChatMembersList,
    &[]
);
max_fixture!(
    max_chat_membership,
    "chats_get-membership.json",
    ChatMember,
    &[]
);
max_fixture!(
    max_chat_pin,
    "chats_get-pin-message.json",
    GetPinnedMessageResult,
    &[]
);
max_fixture!(
    max_error_attachment_not_ready,
    "error.attachment.not.ready.json",
    ApiErrorBody,
    &[]
);
max_fixture!(
    max_error_invalid_token,
    "error.invalid-token.json",
    ApiErrorBody,
    &[]
);
max_fixture!(
    max_update_bot_added,
    "update.bot_added.json",
    UpdateList,
    EXTRA_UPDATE_FIELDS
);
max_fixture!(
    max_update_bot_started,
    "update.bot_started.json",
    UpdateList,
    EXTRA_UPDATE_FIELDS
);
max_fixture!(
    max_update_bot_stopped,
    "update.bot_stopped.json",
    UpdateList,
    EXTRA_UPDATE_FIELDS
);
max_fixture!(
    max_update_chat_title_changed,
    "update.chat_title_changed.json",
    UpdateList,
    EXTRA_UPDATE_FIELDS
);
max_fixture!(
    max_update_dialog_muted,
    "update.dialog_muted.json",
    UpdateList,
    EXTRA_UPDATE_FIELDS
);
max_fixture!(
    max_update_message_callback,
    "update.message_callback.json",
    UpdateList,
    EXTRA_UPDATE_FIELDS
);
max_fixture!(
    max_update_message_created,
    "update.message_created.json",
    UpdateList,
    EXTRA_UPDATE_FIELDS
);
max_fixture!(
    max_update_message_edited,
    "update.message_edited.json",
    UpdateList,
    EXTRA_UPDATE_FIELDS
);
max_fixture!(
    max_update_message_removed,
    "update.message_removed.json",
    UpdateList,
    EXTRA_UPDATE_FIELDS
);
max_fixture!(
    max_update_user_added,
    "update.user_added.json",
    UpdateList,
    EXTRA_UPDATE_FIELDS
);
max_fixture!(
    max_update_user_removed,
    "update.user_removed.json",
    UpdateList,
    EXTRA_UPDATE_FIELDS
);
max_fixture!(
    max_webhook_bot_started,
    "webhook.bot_started.json",
    Update,
    &["user_id"]
);
max_fixture!(
    max_webhook_message_callback,
    "webhook.message_callback.json",
    Update,
    &[]
);
max_fixture!(
    max_webhook_message_created,
    "webhook.message_created.json",
    Update,
    &[]
);

#[test]
fn max_every_json_fixture_is_covered() {
    let dir = botwire_tests::fixtures_dir().join("max/go-client-stabs");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    let source = include_str!("fixtures.rs");
    for f in &files {
        assert!(
            source.contains(&format!("\"{f}\"")),
            "fixture {f} has no test"
        );
    }
    assert_eq!(files.len(), 23);
}

#[test]
fn max_update_lists_also_decode_leniently() {
    for file in ["update.message_callback.json", "update.user_removed.json"] {
        let raw = fixture(&format!("max/go-client-stabs/{file}"));
        let batch = UpdateBatch::from_slice(&raw).unwrap();
        assert_eq!(batch.marker, Some(25_493_970));
        assert!(batch.updates.iter().all(Result::is_ok));
    }
}

#[test]
fn max_seq_above_2_pow_53_stays_exact() {
    let raw = fixture("max/go-client-stabs/update.message_callback.json");
    let list: UpdateList = from_slice(&raw).unwrap();
    let Update::MessageCallback(cb) = &list.updates[0] else {
        panic!("{:?}", list.updates[0])
    };
    assert_eq!(
        cb.message.as_ref().unwrap().body.as_ref().unwrap().seq,
        116_328_147_937_082_782
    );
}

#[test]
fn max_upload_video_response_is_xml() {
    let raw = fixture("max/go-client-stabs/upload.video.response.xml");
    let text = String::from_utf8(raw).unwrap();
    assert!(text.contains("<retval>1</retval>"));
}

/// The JSON payloads embedded in the 2026 capture (`MAX_API_Real_Payloads_2026.md`).
fn capture_payloads() -> Vec<Value> {
    let text = String::from_utf8(fixture(
        "max/go-client-real-payloads/MAX_API_Real_Payloads_2026.md",
    ))
    .unwrap();
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "{" {
            let mut stream =
                serde_json::Deserializer::from_str(&text[offset..]).into_iter::<Value>();
            out.push(stream.next().unwrap().unwrap());
        }
        offset += line.len();
    }
    out
}

#[test]
fn max_real_payload_capture() {
    let payloads = capture_payloads();
    assert_eq!(payloads.len(), 5, "bot info + 4 updates");
    let raw = serde_json::to_vec(&payloads[0]).unwrap();
    let info: BotInfo = decode_and_check(&raw, &[]);
    assert_eq!(info.commands.as_ref().unwrap().len(), 3);
    let mut updates = Vec::new();
    for payload in &payloads[1..] {
        let raw = serde_json::to_vec(payload).unwrap();
        let update: Update = decode_and_check(&raw, &[]);
        assert!(!matches!(update, Update::Unknown(_)), "{update:?}");
        updates.push(update);
    }
    insta::assert_debug_snapshot!((info, updates));
}

#[test]
fn onebot_get_me() {
    let raw = fixture("onebot/getMe_200_documented_shape.json");
    let account: Data<Account> = decode_and_check(&raw, &[]);
    assert_eq!(account.data.id.0, 4217);
    insta::assert_debug_snapshot!(account);
}
