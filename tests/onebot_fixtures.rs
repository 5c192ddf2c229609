//! Every file in `tests/fixtures/onebot/` decodes (the truncated ones exactly as far as their text goes, with an
//! error that names where it broke) and its decoded form is snapshotted. Round trips keep every field.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use botwire_core_types::decode::from_slice;
use botwire_core_types::onebot::webhook::{HttpBlockPayload, InnerWebhookRequest};
use botwire_core_types::onebot::{
    Account, Contact, ContactVariable, Data, ErrorBody, FlexibleId, Messenger, Page, Tag,
};
use botwire_onebot::Endpoint as _;
use botwire_onebot::endpoints::{GetContactVariables, GetContacts, SetContactVariable};
use botwire_tests::{fixture, fixtures_dir};

fn text(name: &str) -> String {
    String::from_utf8(fixture(&format!("onebot/{name}"))).unwrap()
}

/// Re-serialising keeps every non-null field of the original, recursively (compared as JSON).
#[track_caller]
fn assert_round_trip<T: serde::Serialize>(raw: &str, decoded: &T) {
    fn strip_nulls(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => serde_json::Value::Object(
                m.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), strip_nulls(v)))
                    .collect(),
            ),
            serde_json::Value::Array(a) => {
                serde_json::Value::Array(a.iter().map(strip_nulls).collect())
            }
            other => other.clone(),
        }
    }
    let original: serde_json::Value = serde_json::from_str(raw).unwrap();
    let again = serde_json::to_value(decoded).unwrap();
    assert_eq!(strip_nulls(&again), strip_nulls(&original));
}

/// The fixtures every test below reads; a new file without a test fails here.
const COVERED: &[&str] = &[
    "INDEX.md",
    "cleverapp_getContactVariables_200_items.json",
    "cleverapp_setContactVariable_200_truncated_raw.txt",
    "getMe_200_documented_shape.json",
    "leadteh_inner_webhook_request.json",
    "onebot_getContactVariables_200.json",
    "sister_getBotTags_200_normalized.json",
    "sister_getBotTags_200_raw.txt",
    "sister_getContactTags_200.json",
    "sister_getContacts_200_first_two.json",
    "sister_getContacts_200_truncated_raw.txt",
    "validation_error_422_contact_id.json",
    "watbot_http_request_block_payload.json",
];

#[test]
fn every_fixture_has_a_test() {
    let mut files: Vec<String> = std::fs::read_dir(fixtures_dir().join("onebot"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, COVERED);
}

#[test]
fn get_me_documented_shape() {
    let raw = text("getMe_200_documented_shape.json");
    let me: Data<Account> = from_slice(raw.as_bytes()).unwrap();
    assert_eq!(me.data.id.0, 4217);
    assert_round_trip(&raw, &me);
}

#[test]
fn onebot_get_contact_variables_paginated_old_shape() {
    let raw = text("onebot_getContactVariables_200.json");
    let resp = http::Response::new(raw.clone().into_bytes());
    let page = GetContactVariables::new(1).parse(resp).unwrap();
    assert_eq!(page.data.len(), 2);
    assert_eq!(page.data[0].name(), Some("Имя переменной"));
    assert_eq!(page.data[1].name(), Some("Город"));
    assert_eq!(page.data[1].value.as_deref(), Some("Киев"));
    assert_eq!(
        page.data[1].id,
        Some(FlexibleId(2)),
        "the value record's id"
    );
    assert_eq!(
        page.data[1].variable.as_ref().unwrap().id,
        Some(FlexibleId(25))
    );
    let meta = page.meta.as_ref().unwrap();
    assert_eq!((meta.per_page, meta.total), (Some(100), Some(2)));
    assert_eq!(
        page.links.as_ref().unwrap().first.as_deref(),
        Some("https://onebot.tech/api/v1/getContactVariables?page=1"),
        "links point at another host than the API: never followed"
    );
    assert_eq!(page.next_page(), None);
    assert_round_trip(&raw, &page);
    insta::assert_debug_snapshot!(page);
}

#[test]
fn cleverapp_get_contact_variables_plain_new_shape() {
    let raw = text("cleverapp_getContactVariables_200_items.json");
    let page: Page<ContactVariable> = from_slice(raw.as_bytes()).unwrap();
    assert_eq!(
        page.data[0].id,
        Some(FlexibleId(16_497_876_867_449)),
        "14-digit ids stay exact"
    );
    assert_eq!(page.data[1].name(), Some("Город"));
    assert_eq!(page.data[1].deletable.map(|d| d.0), Some(false));
    assert!(page.links.is_none() && page.meta.is_none());
    // A plain list is a single page: nothing more to fetch.
    assert_eq!(page.next_page(), None);
    insta::assert_debug_snapshot!(page);
}

#[test]
fn cleverapp_set_contact_variable_truncated() {
    let raw = text("cleverapp_setContactVariable_200_truncated_raw.txt");
    // Decoding the text as it is fails inside the string that was cut off (the line break after the cut is
    // where the parser stops), and the error names the JSON path and the line.
    let err = from_slice::<Data<ContactVariable>>(raw.as_bytes()).unwrap_err();
    assert_eq!(err.path(), "data.value");
    assert!(
        err.message().starts_with(
            "control character (\\u0000-\\u001F) found while parsing a string at line 6 column 0"
        ),
        "{err}"
    );
    // Through the endpoint it is a decode error naming the same place.
    let resp = http::Response::new(raw.clone().into_bytes());
    let endpoint_err = SetContactVariable::new(1, "n", "v")
        .parse(resp)
        .unwrap_err();
    assert!(
        endpoint_err.to_string().contains("`data.value`"),
        "{endpoint_err}"
    );
    // Everything before the cut decodes: the envelope and the fields the source kept whole.
    let cut = raw.find(",\n    \"value\"").unwrap();
    let complete = format!("{}}}}}", &raw[..cut]);
    let kept: Data<ContactVariable> = from_slice(complete.as_bytes()).unwrap();
    assert_eq!(kept.data.id, Some(FlexibleId(16_498_385_181_301)));
    assert_eq!(kept.data.name(), Some("Имя переменной"));
    insta::assert_snapshot!(format!("{err}\n\n{kept:#?}"));
}

#[test]
fn sister_get_contacts_first_two() {
    let raw = text("sister_getContacts_200_first_two.json");
    let resp = http::Response::new(raw.clone().into_bytes());
    let page: Page<Contact> = GetContacts::new().parse(resp).unwrap();
    assert_eq!(page.data.len(), 2);
    let (ivan, petr) = (&page.data[0], &page.data[1]);
    assert_eq!(ivan.messenger, Some(Messenger::WhatsApp));
    assert_eq!(ivan.external_id().as_deref(), Some("79991234567"));
    assert_eq!(
        ivan.utm.as_ref().unwrap().utm_source.as_deref(),
        Some("landing")
    );
    assert_eq!(petr.telegram_id.as_ref().unwrap().as_str(), "123456");
    assert_eq!(petr.external_id().as_deref(), Some("123456"));
    assert_eq!(petr.email, None);
    assert_round_trip(&raw, &page);
    insta::assert_debug_snapshot!(page);
}

#[test]
fn sister_get_contacts_truncated() {
    let raw = text("sister_getContacts_200_truncated_raw.txt");
    let err = from_slice::<Page<Contact>>(raw.as_bytes()).unwrap_err();
    assert_eq!(err.path(), "data[2].name", "{err}");
    assert!(
        err.message().starts_with(
            "control character (\\u0000-\\u001F) found while parsing a string at line 39 column 0"
        ),
        "{err}"
    );
    // The two complete contacts are exactly the first_two fixture: cut before the third, close the brackets.
    let cut = raw.find(",\n    {\n      \"id\": 3").unwrap();
    let complete = format!("{}\n  ]\n}}", &raw[..cut]);
    let first_two: Page<Contact> = from_slice(complete.as_bytes()).unwrap();
    let reference: Page<Contact> =
        from_slice(text("sister_getContacts_200_first_two.json").as_bytes()).unwrap();
    assert_eq!(first_two, reference);
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn sister_contact_and_bot_tags() {
    let raw = text("sister_getContactTags_200.json");
    let tags: Data<Vec<Tag>> = from_slice(raw.as_bytes()).unwrap();
    assert_eq!(tags.data, [Tag::named("Горячий"), Tag::named("Реклама")]);
    assert_round_trip(&raw, &tags);

    let normalized = text("sister_getBotTags_200_normalized.json");
    let bot_tags: Data<Vec<Tag>> = from_slice(normalized.as_bytes()).unwrap();
    assert_eq!(bot_tags.data.len(), 3);
    assert_round_trip(&normalized, &bot_tags);

    // The doc's example has no outer braces: the raw text is not a JSON document, and the error says where.
    let raw_bot = text("sister_getBotTags_200_raw.txt");
    let err = from_slice::<Data<Vec<Tag>>>(raw_bot.as_bytes()).unwrap_err();
    assert_eq!(err.path(), ".");
    assert!(err.message().contains("invalid type: string"), "{err}");
    // Wrapped in braces it is the normalized fixture.
    let wrapped: Data<Vec<Tag>> = from_slice(format!("{{{}}}", raw_bot.trim()).as_bytes()).unwrap();
    assert_eq!(wrapped, bot_tags);
    insta::assert_debug_snapshot!((tags, bot_tags, err.to_string()));
}

#[test]
fn validation_error_422() {
    let raw = text("validation_error_422_contact_id.json");
    let body: ErrorBody = from_slice(raw.as_bytes()).unwrap();
    assert_eq!(
        body.errors["contact_id"],
        ["Поле contact id обязательно для заполнения."]
    );
    let resp = http::Response::builder()
        .status(422)
        .body(raw.clone().into_bytes())
        .unwrap();
    let err = GetContactVariables::new(1).parse(resp).unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422));
    assert_eq!(
        err.field_errors().unwrap()["contact_id"][0],
        "Поле contact id обязательно для заполнения."
    );
    assert_round_trip(&raw, &body);
    insta::assert_debug_snapshot!((body, err.to_string()));
}

#[test]
fn watbot_http_request_block_payload() {
    let raw = text("watbot_http_request_block_payload.json");
    let payload: HttpBlockPayload = from_slice(raw.as_bytes()).unwrap();
    assert_eq!(payload.variables[0].name, "Город");
    assert_eq!(
        payload.contact.as_ref().unwrap().messenger,
        Some(Messenger::WhatsApp)
    );
    assert_round_trip(&raw, &payload);
    insta::assert_debug_snapshot!(payload);
}

#[test]
fn leadteh_inner_webhook_request() {
    let raw = text("leadteh_inner_webhook_request.json");
    let req: InnerWebhookRequest = from_slice(raw.as_bytes()).unwrap();
    assert_eq!(req.contact_by, "telegram_id");
    assert_eq!(req.variables["telegram_id"], 123_456_789);
    assert_round_trip(&raw, &req);
    insta::assert_debug_snapshot!(req);
}
