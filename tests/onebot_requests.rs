//! The built request of every OneBot method as an insta snapshot, straight from the sans-IO layer (no socket):
//! verb, URL with `api_token` redacted, headers, pretty JSON body. Also: GET parameters travel in the query and
//! POST parameters in a JSON body, unset optionals are absent, booleans are 0/1, writes that are safe to repeat
//! are marked idempotent and sends are not, and missing required parameters fail before anything is built.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use botwire_onebot::endpoints::sister::*;
use botwire_onebot::endpoints::*;
use botwire_onebot::types::{FlexibleId, Messenger};
use botwire_onebot::{Config, Endpoint as _, Error};
use botwire_transport::{HttpRequest, RequestOptions, describe_request};
use serde_json::json;

const TOKEN: &str = "SECRET-TOKEN-must-not-appear";

fn cfg() -> Config {
    Config::new(TOKEN)
}

/// No `null` and no `""` anywhere in a body: unset optionals are omitted (reference §1.4).
fn assert_no_unset_values(value: &serde_json::Value, path: &str) {
    match value {
        serde_json::Value::Null => panic!("`{path}` is null: unset optionals must be omitted"),
        serde_json::Value::String(s) => assert!(!s.is_empty(), "`{path}` is an empty string"),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                assert_no_unset_values(item, &format!("{path}[{i}]"));
            }
        }
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                assert_no_unset_values(v, &format!("{path}.{k}"));
            }
        }
        _ => {}
    }
}

fn show(req: &HttpRequest) -> String {
    let text = describe_request(req);
    assert!(
        !text.contains(TOKEN),
        "token leaked into a request description:\n{text}"
    );
    // The token travels in the query (the platform's rule), first, and nowhere else.
    let query = req.uri().query().unwrap();
    assert_eq!(
        query.split('&').next().unwrap(),
        format!("api_token={TOKEN}")
    );
    assert!(!String::from_utf8_lossy(req.body()).contains(TOKEN));
    assert!(
        req.headers()
            .iter()
            .all(|(_, v)| !String::from_utf8_lossy(v.as_bytes()).contains(TOKEN))
    );
    if req.method() == "GET" {
        assert!(req.body().is_empty(), "GET carries no body");
        for pair in query.split('&') {
            assert!(!pair.ends_with('='), "empty query parameter `{pair}`");
        }
    } else {
        let body: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
        assert!(body.is_object(), "POST parameters are a JSON object");
        assert_no_unset_values(&body, "body");
        assert_eq!(req.headers()["content-type"], "application/json");
        assert_eq!(
            query.matches('=').count(),
            1,
            "only api_token in a POST query"
        );
    }
    assert_eq!(req.headers()["x-requested-with"], "XMLHttpRequest");
    assert_eq!(req.headers()["accept"], "application/json");
    text
}

macro_rules! snapshots {
    ($($name:ident: $endpoint:expr => idempotent $idem:expr;)*) => {
        $(
            #[test]
            fn $name() {
                let req = $endpoint.request(&cfg()).unwrap();
                assert_eq!(RequestOptions::is_idempotent(&req), $idem, "idempotency of {}", stringify!($name));
                insta::assert_snapshot!(show(&req));
            }
        )*

        /// Every request above, built.
        fn all_requests() -> Vec<HttpRequest> {
            vec![$($endpoint.request(&cfg()).unwrap()),*]
        }
    };
}

fn map(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    value.as_object().unwrap().clone()
}

snapshots! {
    get_me: GetMe => idempotent true;
    send_message_text_to_contact: SendMessage::text(MessageTarget::contact(42), "Привет! Ваш заказ готов.") => idempotent false;
    send_message_image_by_external_id: SendMessage::image(
        MessageTarget::external(7, Messenger::WhatsApp, "79991234567"),
        "https://example.com/cat.jpg",
    ) => idempotent false;
    send_message_file_by_external_id: SendMessage::file(
        MessageTarget::external(7, Messenger::Telegram, "123456789"),
        "https://example.com/price.pdf",
    ) => idempotent false;
    send_message_to_whatsapp: SendMessageToWhatsApp::new("79991234567", "Здравствуйте!").bot_id(7).name("Иван") => idempotent false;
    send_message_to_whatsapp_minimal: SendMessageToWhatsApp::new("79991234567", "Здравствуйте!") => idempotent false;
    send_message_to_queue_contact: SendMessageToQueue::new(QueueRecipient::ContactId(42.into()), "Акция!")
        .with_message_id("promo-1") => idempotent false;
    send_message_to_queue_bitrix: SendMessageToQueue::new(QueueRecipient::BitrixContactId(FlexibleId(9001)), "Акция!")
        .with_message_id("promo-2") => idempotent false;
    send_message_to_queue_phone: SendMessageToQueue::new(QueueRecipient::Phone("79991234567".into()), "Акция!")
        .with_message_id("promo-3") => idempotent false;
    get_contacts_all_filters: GetContacts::new().bot_id(7).date_from(1_700_000_000).date_to(1_800_000_000)
        .count(500).page(3).with_tags().with_variables() => idempotent true;
    get_contacts_no_filters: GetContacts::new() => idempotent true;
    create_or_update_contact_telegram: CreateOrUpdateContact::new(7, Messenger::Telegram, "Петр Петров")
        .telegram_id(123456).telegram_username("superman").email("petr@example.com").tag("VIP").tag("Горячий") => idempotent true;
    create_or_update_contact_whatsapp: CreateOrUpdateContact::new(7, Messenger::WhatsApp, "Иван Иванов")
        .phone("79991234567").address("г. Москва").email("") => idempotent true;
    create_or_update_contact_viber: CreateOrUpdateContact::new(7, Messenger::Viber, "Анна").viber_id("v-1") => idempotent true;
    create_or_update_contact_vk: CreateOrUpdateContact::new(7, Messenger::Vk, "Олег").vk_id(100500) => idempotent true;
    get_contact_variables: GetContactVariables::new(42) => idempotent true;
    get_contact_variables_page_2: GetContactVariables::new(42).page(2) => idempotent true;
    set_contact_variable: SetContactVariable::new(42, "Город", "Москва") => idempotent true;
    set_contact_variable_deletable: SetContactVariable::new(42, "Город", "Москва").deletable(true) => idempotent true;
    set_contact_variable_kept: SetContactVariable::new(42, "Город", "Москва").deletable(false) => idempotent true;
    delete_contact_variable_by_name: DeleteContactVariable::new(42, "Город") => idempotent true;
    delete_contact_variable_by_id: DeleteContactVariable::new(42, FlexibleId(16497893703850)) => idempotent true;
    get_bot_tags: GetBotTags::new(7) => idempotent true;
    get_contact_tags: GetContactTags::new(42) => idempotent true;
    attach_tag_by_name: AttachTagToContact::new(42, "Горячий") => idempotent true;
    attach_tag_by_id: AttachTagToContact::new(42, FlexibleId(5)) => idempotent true;
    detach_tag_by_name: DetachTagFromContact::new(42, "Горячий") => idempotent true;
    detach_tag_by_id: DetachTagFromContact::new(42, FlexibleId(5)) => idempotent true;
    sister_get_contact_accounts: GetContactAccounts::new(42) => idempotent true;
    sister_add_contact_account: AddContactAccount::new(42, "RUB") => idempotent false;
    sister_add_funds_to_contact_account: AddFundsToContactAccount::new(3, 15_000).description("Бонус") => idempotent false;
    sister_withdraw_funds_from_contact_account: WithdrawFundsFromContactAccount::new(3, 500) => idempotent false;
    sister_delete_contact_account: DeleteContactAccount::new(3) => idempotent true;
    sister_get_contact_crypto_accounts: GetContactCryptoAccounts::new(42) => idempotent true;
    sister_add_contact_crypto_account: AddContactCryptoAccount::new(42, "BTC") => idempotent false;
    sister_add_funds_to_contact_crypto_account: AddFundsToContactCryptoAccount::new(4, serde_json::Number::from_f64(0.0015).unwrap()) => idempotent false;
    sister_withdraw_funds_from_contact_crypto_account: WithdrawFundsFromContactCryptoAccount::new(4, serde_json::Number::from(1)).description("Вывод") => idempotent false;
    sister_delete_contact_crypto_account: DeleteContactCryptoAccount::new(4) => idempotent true;
    sister_get_referrals: GetReferrals::new(42).page(2).filters(ReferralFilters::new().tag_name("VIP").tag_id(5)) => idempotent true;
    sister_get_referrers: GetReferrers::new(42).depth(3).flat(true) => idempotent true;
    sister_get_count_referrals: GetCountReferrals::new(42) => idempotent true;
    sister_set_ysell_status: SetYsellStatus::new(42, "paid") => idempotent true;
    sister_get_list_schemas: GetListSchemas::new().bot_id(7).page(1) => idempotent true;
    sister_get_list_schema: GetListSchema::new("65f0c0ffee") => idempotent true;
    sister_create_list_schema: CreateListSchema::new("Заказы", map(json!({"price": {"type": "number", "name": "Цена"}})))
        .is_menu(false).bot_id(7) => idempotent false;
    sister_add_list_schema_field: AddListSchemaField::new("65f0c0ffee", map(json!({"slug": "size", "type": "string"}))) => idempotent false;
    sister_delete_list_schema_field: DeleteListSchemaField::new("65f0c0ffee", "size") => idempotent true;
    sister_delete_list_schema: DeleteListSchema::new("65f0c0ffee") => idempotent true;
    sister_get_list_items: GetListItems::new("65f0c0ffee").bot_id(7).contact_id(42).order_by("price,desc")
        .filter("size", "XL").page(2).limit(50) => idempotent true;
    sister_add_list_item: AddListItem::new("65f0c0ffee", map(json!({"price": 100, "size": "XL"}))) => idempotent false;
    sister_update_list_item: UpdateListItem::new("65f0beef", map(json!({"price": 90}))) => idempotent true;
    sister_delete_list_item: DeleteListItem::new("65f0beef") => idempotent true;
    sister_decode_short_link: DecodeShortLink::new("https://s.leadteh.ru/abc") => idempotent true;
}

#[test]
fn every_method_of_the_coverage_table_has_a_snapshot() {
    let wire_names = [
        "getMe",
        "sendMessage",
        "sendMessageToWhatsApp",
        "sendMessageToQueue",
        "getContacts",
        "createOrUpdateContact",
        "getContactVariables",
        "setContactVariable",
        "deleteContactVariable",
        "getBotTags",
        "getContactTags",
        "attachTagToContact",
        "detachTagFromContact",
        "getContactAccounts",
        "addContactAccount",
        "addFundsToContactAccount",
        "withdrawFundsFromContactAccount",
        "deleteContactAccount",
        "getContactCryptoAccounts",
        "addContactCryptoAccount",
        "addFundsToContactCryptoAccount",
        "withdrawFundsFromContactCryptoAccount",
        "deleteContactCryptoAccount",
        "getReferrals",
        "getReferrers",
        "getCountReferrals",
        "setYsellStatus",
        "getListSchemas",
        "getListSchema",
        "createListSchema",
        "addListSchemaField",
        "deleteListSchemaField",
        "deleteListSchema",
        "getListItems",
        "addListItem",
        "updateListItem",
        "deleteListItem",
        "decodeShortLink",
    ];
    let snapshotted: std::collections::BTreeSet<String> = all_requests()
        .iter()
        .map(|r| r.uri().path().rsplit('/').next().unwrap().to_owned())
        .collect();
    let expected: std::collections::BTreeSet<String> =
        wire_names.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(snapshotted, expected);
    assert_eq!(wire_names.len(), 38);
}

#[test]
fn booleans_are_0_or_1_and_lists_php_style_in_queries() {
    let req = GetReferrers::new(1).flat(false).request(&cfg()).unwrap();
    assert!(
        req.uri().query().unwrap().ends_with("&is_flat=0"),
        "{}",
        req.uri()
    );
    let req = SetContactVariable::new(1, "a", "b")
        .deletable(true)
        .request(&cfg())
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
    assert_eq!(body["deletable"], json!(1));
}

#[test]
fn required_parameters_fail_before_anything_is_built() {
    fn field_of(r: Result<HttpRequest, Error>) -> String {
        match r {
            Err(Error::Validation(e)) => {
                assert!(e.to_string().contains(e.field()));
                e.field().to_owned()
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }
    let c = cfg();
    let cases: Vec<(Result<HttpRequest, Error>, &str)> = vec![
        (
            SendMessage::text(MessageTarget::contact(1), " ").request(&c),
            "text",
        ),
        (
            SendMessage::image(MessageTarget::contact(1), "").request(&c),
            "image",
        ),
        (
            SendMessage::file(MessageTarget::contact(1), "").request(&c),
            "file",
        ),
        (
            SendMessage::text(MessageTarget::external(1, Messenger::Telegram, ""), "hi")
                .request(&c),
            "contact_external_id",
        ),
        (
            SendMessage::text(
                MessageTarget::external(1, Messenger::Unknown(String::new()), "5"),
                "hi",
            )
            .request(&c),
            "messenger",
        ),
        (SendMessageToWhatsApp::new("", "hi").request(&c), "phone"),
        (SendMessageToWhatsApp::new("7999", "").request(&c), "text"),
        (
            SendMessageToQueue::new(QueueRecipient::ContactId(1.into()), "").request(&c),
            "text",
        ),
        (
            SendMessageToQueue::new(QueueRecipient::Phone(String::new()), "x").request(&c),
            "phone",
        ),
        (
            SendMessageToQueue::new(QueueRecipient::ContactId(1.into()), "x")
                .with_message_id("")
                .request(&c),
            "message_id",
        ),
        (GetContacts::new().count(501).request(&c), "count"),
        (GetContacts::new().count(0).request(&c), "count"),
        (GetContacts::new().page(0).request(&c), "page"),
        (
            CreateOrUpdateContact::new(1, Messenger::WhatsApp, "A").request(&c),
            "phone",
        ),
        (
            CreateOrUpdateContact::new(1, Messenger::Telegram, "A").request(&c),
            "telegram_id",
        ),
        (
            CreateOrUpdateContact::new(1, Messenger::Viber, "A")
                .viber_id("")
                .request(&c),
            "viber_id",
        ),
        (
            CreateOrUpdateContact::new(1, Messenger::Vk, "A").request(&c),
            "vk_id",
        ),
        (
            CreateOrUpdateContact::new(1, Messenger::Vk, "")
                .vk_id(1)
                .request(&c),
            "name",
        ),
        (SetContactVariable::new(1, "", "v").request(&c), "name"),
        (SetContactVariable::new(1, "n", "").request(&c), "value"),
        (DeleteContactVariable::new(1, "").request(&c), "name"),
        (AttachTagToContact::new(1, "").request(&c), "name"),
        (DetachTagFromContact::new(1, "").request(&c), "name"),
        (AddContactAccount::new(1, "RUBL").request(&c), "currency"),
        (AddFundsToContactAccount::new(1, 0).request(&c), "amount"),
        (
            WithdrawFundsFromContactCryptoAccount::new(1, serde_json::Number::from(0)).request(&c),
            "amount",
        ),
        (GetReferrers::new(1).depth(11).request(&c), "depth"),
        (SetYsellStatus::new(1, "x".repeat(65)).request(&c), "status"),
        (GetListSchema::new("").request(&c), "schema_id"),
        (
            CreateListSchema::new("L", serde_json::Map::new()).request(&c),
            "fields",
        ),
        (
            AddListItem::new("s", serde_json::Map::new()).request(&c),
            "data",
        ),
        (
            UpdateListItem::new("", map(json!({"a": 1}))).request(&c),
            "item_id",
        ),
        (DecodeShortLink::new("").request(&c), "url"),
    ];
    for (result, field) in cases {
        assert_eq!(field_of(result), field);
    }
}
