//! Reference fixtures decode, and their decoded form is snapshotted. Round trips keep every field.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use botwire_core_types::decode::from_slice;
use botwire_core_types::max::BotInfo;
use botwire_core_types::onebot::{Account, Data};
use botwire_tests::fixture;

/// Re-serialising a decoded value loses no field the model knows (compared as JSON, order-free).
#[track_caller]
fn assert_round_trip_keeps_known_fields<T: serde::Serialize>(
    raw: &[u8],
    decoded: &T,
    ignored: &[&str],
) {
    let original: serde_json::Value = serde_json::from_slice(raw).unwrap();
    let again = serde_json::to_value(decoded).unwrap();
    let (serde_json::Value::Object(orig), serde_json::Value::Object(back)) = (&original, &again)
    else {
        panic!("not objects");
    };
    for (k, v) in orig {
        if ignored.contains(&k.as_str()) || v.is_null() {
            continue;
        }
        assert_eq!(back.get(k), Some(v), "field `{k}` lost in the round trip");
    }
}

#[test]
fn max_bot_info() {
    let raw = fixture("max/go-client-stabs/botInfo.ok.json");
    let info: BotInfo = from_slice(&raw).unwrap();
    assert_eq!(
        info.name.as_deref(),
        Some("bot name"),
        "deprecated `name` is kept"
    );
    assert_round_trip_keeps_known_fields(&raw, &info, &[]);
    insta::assert_debug_snapshot!(info);
}

#[test]
fn onebot_get_me() {
    let raw = fixture("onebot/getMe_200_documented_shape.json");
    let account: Data<Account> = from_slice(&raw).unwrap();
    assert_eq!(account.data.id.0, 4217);
    assert_round_trip_keeps_known_fields(&raw, &account, &[]);
    insta::assert_debug_snapshot!(account);
}
