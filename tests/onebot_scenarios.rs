//! OneBot scenarios on both backends (ureq blocking, reqwest async) against the stateful sandbox: upsert a
//! contact, variables, tags, sends, the queue, paging through 1,234 contacts, finding one, the sister-only
//! methods — plus validation before sending, the platform's 422 bodies, and no token in any error.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::future::Future;
use std::pin::Pin;

use botwire_onebot::endpoints::sister::*;
use botwire_onebot::endpoints::*;
use botwire_onebot::types::{Contact, FlexibleId, Messenger};
use botwire_sandbox::onebot::VariableShape;
use botwire_sandbox::{Fault, OneBotSandbox};
use botwire_tests::*;
use botwire_transport::{BlockingTransport, ReqwestTransport, UreqTransport};
use serde_json::json;

/// Walks every contact of a query: an iterator on the blocking client, a `Stream` on the async one, so one
/// scenario body (`run!(client.walk(q))`) drives both.
trait Walk {
    type Out<'a>
    where
        Self: 'a;
    fn walk(&self, query: GetContacts) -> Self::Out<'_>;
}

impl Walk for onebot::blocking::Client<UreqTransport> {
    type Out<'a> = Result<Vec<Contact>, onebot::Error>;
    fn walk(&self, query: GetContacts) -> Self::Out<'_> {
        self.contacts(query).collect()
    }
}

impl Walk for onebot::Client<ReqwestTransport> {
    type Out<'a> = Pin<Box<dyn Future<Output = Result<Vec<Contact>, onebot::Error>> + Send + 'a>>;
    fn walk(&self, query: GetContacts) -> Self::Out<'_> {
        use futures_util::TryStreamExt as _;
        Box::pin(self.contacts(query).try_collect())
    }
}

fn map(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    value.as_object().unwrap().clone()
}

both_backends!(
    upsert_contact,
    OneBotSandbox::start,
    onebot_blocking,
    onebot_async,
    |sb, client| {
        let bot = sb.add_bot("Shop", "telegram");
        let created = run!(
            client.create_or_update_contact(
                CreateOrUpdateContact::new(bot, Messenger::Telegram, "Петр")
                    .telegram_id(123_456)
                    .telegram_username("superman")
                    .tag("VIP")
            )
        )
        .unwrap();
        assert_eq!(created.bot_id.map(|b| b.get()), Some(bot));
        assert_eq!(created.telegram_id.as_ref().unwrap().as_str(), "123456");
        // Same messenger id: the same contact, updated.
        let updated = run!(
            client.create_or_update_contact(
                CreateOrUpdateContact::new(bot, Messenger::Telegram, "Пётр Петров")
                    .telegram_id(123_456)
                    .email("petr@example.com")
            )
        )
        .unwrap();
        assert_eq!(updated.id, created.id);
        assert_eq!(updated.name.as_deref(), Some("Пётр Петров"));
        assert_eq!(updated.email.as_deref(), Some("petr@example.com"));
        assert_eq!(sb.world().contacts.len(), 1);
        assert_eq!(sb.world().contacts[&created.id.get()].tags, ["VIP"]);

        // WhatsApp without a phone: refused before sending.
        let before = sb.stats().requests();
        let err = run!(client.create_or_update_contact(CreateOrUpdateContact::new(
            bot,
            Messenger::WhatsApp,
            "Иван"
        )))
        .unwrap_err();
        assert!(matches!(err, onebot::Error::Validation(_)), "{err:?}");
        assert_eq!(
            sb.stats().requests(),
            before,
            "nothing may reach the server"
        );

        // An unknown bot: the platform's 422 in Russian, decoded into field → messages.
        let err = run!(client.create_or_update_contact(
            CreateOrUpdateContact::new(999_999, Messenger::Vk, "Олег").vk_id(5)
        ))
        .unwrap_err();
        assert_eq!(
            err.field_errors().unwrap()["bot_id"],
            ["Выбранное значение для bot id некорректно."]
        );
        assert_no_leak(&err, sb.token());
        assert_eq!(sb.stats().route("POST createOrUpdateContact"), 3);
    }
);

both_backends!(
    variables_set_read_delete,
    OneBotSandbox::start,
    onebot_blocking,
    onebot_async,
    |sb, client| {
        let contact = sb.add_contacts(1, 1)[0];
        let city = run!(client.set_contact_variable(contact, "Город", "Москва")).unwrap();
        assert_eq!(city.name(), Some("Город"));
        assert_eq!(city.value.as_deref(), Some("Москва"));
        run!(client.send(&SetContactVariable::new(contact, "Имя", "Иван").deletable(true)))
            .unwrap();
        let city2 = run!(client.set_contact_variable(contact, "Город", "Киев")).unwrap();
        assert_eq!(city2.id, city.id, "overwritten, not added");

        // OneBot's shape: a paginator, names only under `variable`.
        let page = run!(client.get_contact_variables(contact)).unwrap();
        assert_eq!(page.meta.as_ref().unwrap().per_page, Some(100));
        let names: Vec<_> = page
            .data
            .iter()
            .map(|v| v.name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["Город", "Имя"]);
        assert_eq!(page.data[0].value.as_deref(), Some("Киев"));
        assert!(page.data[0].name.is_none() && page.data[0].created_at.is_some());

        // The sisters' newer shape decodes into the same type.
        sb.world().variable_shape = VariableShape::CleverApp;
        let plain = run!(client.get_contact_variables(contact)).unwrap();
        assert!(plain.meta.is_none());
        assert_eq!(plain.data[1].name.as_deref(), Some("Имя"));
        assert_eq!(plain.data[1].deletable.map(|d| d.0), Some(true));

        // Delete by name, then by id.
        run!(client.delete_contact_variable(contact, "Город")).unwrap();
        let id = plain.data[1].id.expect("the sisters send the variable id");
        run!(client.delete_contact_variable(contact, id)).unwrap();
        assert!(
            run!(client.get_contact_variables(contact))
                .unwrap()
                .data
                .is_empty()
        );
        // Deleting again is harmless (an idempotent write).
        run!(client.delete_contact_variable(contact, "Город")).unwrap();

        // Server-side refusal of an unknown contact, in the platform's words.
        let err = run!(client.get_contact_variables(987_654_321)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "OneBot rejected the parameters: contact_id: Выбранное значение для contact id некорректно."
        );
    }
);

both_backends!(
    tag_and_untag,
    OneBotSandbox::start,
    onebot_blocking,
    onebot_async,
    |sb, client| {
        let contact = sb.add_contacts(1, 1)[0];
        run!(client.attach_tag_to_contact(contact, "Горячий")).unwrap();
        run!(client.attach_tag_to_contact(contact, "Реклама")).unwrap();
        run!(client.attach_tag_to_contact(contact, "Реклама")).unwrap(); // idempotent
        let tags = run!(client.get_contact_tags(contact)).unwrap();
        let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["Горячий", "Реклама"]);
        let bot_tags = run!(client.get_bot_tags(1)).unwrap();
        assert_eq!(bot_tags.len(), 2);

        // By id (the sandbox knows the bot's tag ids; the API only lists names).
        let id = *sb.world().bots[&1]
            .tags
            .iter()
            .find(|(_, n)| *n == "Горячий")
            .unwrap()
            .0;
        run!(client.detach_tag_from_contact(contact, FlexibleId(id))).unwrap();
        run!(client.detach_tag_from_contact(contact, "Реклама")).unwrap();
        assert!(run!(client.get_contact_tags(contact)).unwrap().is_empty());
        assert_eq!(
            run!(client.get_bot_tags(1)).unwrap().len(),
            2,
            "bot tags stay"
        );

        let err = run!(client.attach_tag_to_contact(contact, FlexibleId(424_242))).unwrap_err();
        assert_eq!(
            err.field_errors().unwrap()["tag_id"],
            ["Выбранное значение для tag id некорректно."]
        );
    }
);

both_backends!(
    send_to_contact_and_by_external_id,
    OneBotSandbox::start,
    onebot_blocking,
    onebot_async,
    |sb, client| {
        let contact = sb.add_contacts(1, 1)[0];
        let tg_id = sb.world().contacts[&contact].telegram_id.clone().unwrap();
        run!(client.send_message(SendMessage::text(
            MessageTarget::contact(contact),
            "Привет!"
        )))
        .unwrap();
        run!(client.send_message(SendMessage::image(
            MessageTarget::contact(contact),
            "https://example.com/a.jpg"
        )))
        .unwrap();
        run!(client.send_message(SendMessage::file(
            MessageTarget::external(1, Messenger::Telegram, tg_id.clone()),
            "https://example.com/price.pdf"
        )))
        .unwrap();
        let wa = sb.add_bot("WA", "whatsapp");
        let new_contact = run!(
            client.send_message_to_whatsapp(
                SendMessageToWhatsApp::new("79990001122", "Здравствуйте!")
                    .bot_id(wa)
                    .name("Анна")
            )
        )
        .unwrap();
        assert_eq!(new_contact.name.as_deref(), Some("Анна"));
        assert_eq!(new_contact.messenger, Some(Messenger::WhatsApp));

        let sent = sb.sent();
        assert_eq!(sent.len(), 4);
        assert_eq!(sent[0].contact_id, Some(contact));
        assert_eq!(sent[0].text.as_deref(), Some("Привет!"));
        assert_eq!(sent[1].image.as_deref(), Some("https://example.com/a.jpg"));
        assert_eq!(sent[2].contact_id, Some(contact), "resolved by external id");
        assert_eq!(sent[2].contact_external_id.as_deref(), Some(tg_id.as_str()));
        assert_eq!(sent[2].messenger.as_deref(), Some("telegram"));
        assert_eq!(sent[3].contact_id, Some(new_contact.id.get()));

        // Empty text: refused locally, nothing sent.
        let before = sb.stats().requests();
        let err = run!(client.send_message(SendMessage::text(MessageTarget::contact(contact), "")))
            .unwrap_err();
        assert!(matches!(err, onebot::Error::Validation(_)));
        assert_eq!(sb.stats().requests(), before);
        // A 200 {"success": false} is an error, not a silent success.
        sb.faults().push(Fault::Status(
            200,
            r#"{"success":false,"message":"Бот не подключен"}"#.into(),
        ));
        let err =
            run!(client.send_message(SendMessage::text(MessageTarget::contact(contact), "x")))
                .unwrap_err();
        assert_eq!(
            err.to_string(),
            "OneBot refused the operation: Бот не подключен"
        );
    }
);

both_backends!(
    enqueue,
    OneBotSandbox::start,
    onebot_blocking,
    onebot_async,
    |sb, client| {
        let contact = sb.add_contacts(1, 1)[0];
        let msg = SendMessageToQueue::new(QueueRecipient::ContactId(contact.into()), "Акция!");
        let generated = msg.message_id().to_owned();
        let queued = run!(client.send(&msg)).unwrap();
        assert_eq!(queued.message_id.as_deref(), Some(generated.as_str()));
        assert_eq!(queued.contact_id.map(|c| c.get()), Some(contact));
        // The same value again (a retry) carries the same id: the platform can deduplicate.
        run!(client.send(&msg)).unwrap();
        run!(client.send_message_to_queue(SendMessageToQueue::new(
            QueueRecipient::Phone("79991234567".into()),
            "Акция!"
        )))
        .unwrap();
        let bitrix = run!(
            client.send_message_to_queue(
                SendMessageToQueue::new(QueueRecipient::BitrixContactId(FlexibleId(77)), "Акция!")
                    .with_message_id("crm-77")
            )
        )
        .unwrap();
        assert_eq!(bitrix.bitrix_contact_id, Some(FlexibleId(77)));
        let queue = sb.queue();
        assert_eq!(queue.len(), 3, "the repeat was deduplicated");
        assert_eq!(queue[1].phone.as_deref(), Some("79991234567"));
        assert_ne!(queue[0].message_id, queue[1].message_id);
        assert_eq!(sb.stats().route("POST sendMessageToQueue"), 4);
    }
);

both_backends!(
    page_through_1234_contacts_and_find_one,
    OneBotSandbox::start,
    onebot_blocking,
    onebot_async,
    |sb, client| {
        let bot = sb.add_bot("Big", "telegram");
        let ids = sb.add_contacts(bot, 1_234);
        sb.add_contacts(1, 5); // another bot's contacts must not show up

        let all = run!(client.walk(GetContacts::new().bot_id(bot))).unwrap();
        let got: Vec<i64> = all.iter().map(|c| c.id.get()).collect();
        assert_eq!(got, ids, "every contact once, in order");
        assert_eq!(sb.stats().route("GET getContacts"), 3, "500 + 500 + 234");

        // A smaller page size: more pages, same contacts; the walk ends on meta.last_page.
        let small =
            run!(client.walk(GetContacts::new().bot_id(bot).count(100).with_tags())).unwrap();
        assert_eq!(small.len(), 1_234);
        assert!(small.iter().all(|c| c.tags.as_deref() == Some(&[])));
        assert_eq!(sb.stats().route("GET getContacts"), 3 + 13);

        // One page by hand: the paginator's links point at onebot.tech, which the helpers never follow.
        let page =
            run!(client.get_contacts(GetContacts::new().bot_id(bot).count(500).page(3))).unwrap();
        assert_eq!(page.data.len(), 234);
        assert_eq!(page.meta.as_ref().unwrap().total, Some(1_234));
        assert_eq!(
            page.links.as_ref().unwrap().first.as_deref(),
            Some("https://onebot.tech/api/v1/getContacts?page=1")
        );
        assert_eq!(page.next_page(), None);

        // find_contact pages until the predicate matches: contact #1000 is on page 2 of 500.
        let wanted = sb.world().contacts[&ids[999]].telegram_id.clone().unwrap();
        let before = sb.stats().route("GET getContacts");
        let found = run!(client.find_contact(GetContacts::new().bot_id(bot), |c| {
            c.telegram_id.as_ref().map(|t| t.as_str()) == Some(wanted.as_str())
        }))
        .unwrap()
        .unwrap();
        assert_eq!(found.id.get(), ids[999]);
        assert_eq!(sb.stats().route("GET getContacts") - before, 2);
        let none = run!(client.find_contact(GetContacts::new().bot_id(bot), |c| c.name.is_none()))
            .unwrap();
        assert!(none.is_none());

        // A failing page ends the walk with the error (and no token in it).
        sb.faults()
            .push(Fault::Status(500, r#"{"message":"Server Error"}"#.into()));
        let err = run!(client.walk(GetContacts::new().bot_id(bot))).unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
        assert_no_leak(&err, sb.token());
    }
);

both_backends!(
    date_filters_and_count_limit,
    OneBotSandbox::start,
    onebot_blocking,
    onebot_async,
    |sb, client| {
        let ids = sb.add_contacts(1, 10);
        let (from, to) = {
            let w = sb.world();
            (
                w.contacts[&ids[2]].created_at,
                w.contacts[&ids[5]].created_at,
            )
        };
        let page =
            run!(client.get_contacts(GetContacts::new().bot_id(1).date_from(from).date_to(to)))
                .unwrap();
        let got: Vec<i64> = page.data.iter().map(|c| c.id.get()).collect();
        assert_eq!(got, ids[2..=5]);
        let before = sb.stats().requests();
        let err = run!(client.get_contacts(GetContacts::new().count(501))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid request, nothing sent: `count` must be between 1 and 500, but has 501"
        );
        assert_eq!(sb.stats().requests(), before);
    }
);

both_backends!(
    required_parameters_fail_before_sending,
    OneBotSandbox::start,
    onebot_blocking,
    onebot_async,
    |sb, client| {
        let failures = [
            run!(client.send_message(SendMessage::text(
                MessageTarget::external(1, Messenger::Telegram, ""),
                "x"
            )))
            .unwrap_err(),
            run!(client.send_message_to_whatsapp(SendMessageToWhatsApp::new("", "x"))).unwrap_err(),
            run!(client.send_message_to_queue(SendMessageToQueue::new(
                QueueRecipient::Phone("1".into()),
                ""
            )))
            .unwrap_err(),
            run!(client.create_or_update_contact(CreateOrUpdateContact::new(
                1,
                Messenger::Viber,
                "A"
            )))
            .unwrap_err(),
            run!(client.set_contact_variable(1, "", "v")).unwrap_err(),
            run!(client.set_contact_variable(1, "n", "")).unwrap_err(),
            run!(client.delete_contact_variable(1, "")).unwrap_err(),
            run!(client.attach_tag_to_contact(1, " ")).unwrap_err(),
            run!(client.detach_tag_from_contact(1, "")).unwrap_err(),
            run!(client.add_contact_account(AddContactAccount::new(1, "рубли"))).unwrap_err(),
            run!(client.set_ysell_status(1, "")).unwrap_err(),
            run!(client.decode_short_link("")).unwrap_err(),
        ];
        for err in &failures {
            assert!(matches!(err, onebot::Error::Validation(_)), "{err:?}");
            assert!(
                err.to_string()
                    .starts_with("invalid request, nothing sent: "),
                "{err}"
            );
        }
        assert_eq!(sb.stats().requests(), 0, "nothing may reach the server");
    }
);

both_backends!(
    sister_accounts_and_crypto,
    OneBotSandbox::start,
    onebot_blocking,
    onebot_async,
    |sb, client| {
        let contact = sb.add_contacts(1, 1)[0];
        let rub = run!(client.add_contact_account(AddContactAccount::new(contact, "RUB"))).unwrap();
        let rub = rub.id;
        let after = run!(client.add_funds_to_contact_account(
            AddFundsToContactAccount::new(rub, 15_050).description("Бонус")
        ))
        .unwrap();
        assert_eq!(after.amount, Some(15_050));
        assert_eq!(after.amount_note.as_deref(), Some("150.50 RUB"));
        let after = run!(
            client
                .withdraw_funds_from_contact_account(WithdrawFundsFromContactAccount::new(rub, 50))
        )
        .unwrap();
        assert_eq!(after.amount, Some(15_000));
        let err = run!(client.withdraw_funds_from_contact_account(
            WithdrawFundsFromContactAccount::new(rub, 1_000_000)
        ))
        .unwrap_err();
        assert_eq!(
            err.field_errors().unwrap()["amount"],
            ["Недостаточно средств на счёте."]
        );
        let list = run!(client.get_contact_accounts(contact)).unwrap();
        assert_eq!(list.len(), 1);
        run!(client.delete_contact_account(rub)).unwrap();
        assert!(
            run!(client.get_contact_accounts(contact))
                .unwrap()
                .is_empty()
        );

        let btc =
            run!(client.add_contact_crypto_account(AddContactCryptoAccount::new(contact, "BTC")))
                .unwrap()
                .id;
        let half = serde_json::Number::from_f64(0.5).unwrap();
        let after = run!(
            client.add_funds_to_contact_crypto_account(AddFundsToContactCryptoAccount::new(
                btc, half
            ))
        )
        .unwrap();
        assert_eq!(after.amount.as_ref().and_then(|a| a.as_f64()), Some(0.5));
        let quarter = serde_json::Number::from_f64(0.25).unwrap();
        let after = run!(client.withdraw_funds_from_contact_crypto_account(
            WithdrawFundsFromContactCryptoAccount::new(btc, quarter)
        ))
        .unwrap();
        assert_eq!(after.amount.as_ref().and_then(|a| a.as_f64()), Some(0.25));
        assert_eq!(
            run!(client.get_contact_crypto_accounts(contact))
                .unwrap()
                .len(),
            1
        );
        run!(client.delete_contact_crypto_account(btc)).unwrap();
        assert!(
            run!(client.get_contact_crypto_accounts(contact))
                .unwrap()
                .is_empty()
        );
    }
);

both_backends!(
    sister_referrals_and_ysell,
    OneBotSandbox::start,
    onebot_blocking,
    onebot_async,
    |sb, client| {
        let ids = sb.add_contacts(1, 5);
        let (root, mid, leaf) = (ids[0], ids[1], ids[2]);
        sb.set_referrer(mid, root);
        sb.set_referrer(leaf, mid);
        sb.set_referrer(ids[3], root);
        sb.world().attach_tag(ids[3], "VIP");

        let page = run!(client.get_referrals(GetReferrals::new(root))).unwrap();
        let got: Vec<i64> = page.data.iter().map(|r| r.id.get()).collect();
        assert_eq!(got, [mid, ids[3]]);
        let vip = run!(client.get_referrals(
            GetReferrals::new(root).filters(ReferralFilters::new().tag_name("VIP"))
        ))
        .unwrap();
        assert_eq!(vip.data.len(), 1);
        let count = run!(client.get_count_referrals(GetCountReferrals::new(root))).unwrap();
        assert_eq!(count.value(), Some(2));

        let tree = run!(client.get_referrers(GetReferrers::new(leaf).depth(10))).unwrap();
        let chain: Vec<i64> = tree.chain().iter().map(|r| r.id.get()).collect();
        assert_eq!(chain, [mid, root]);
        let flat =
            run!(client.get_referrers(GetReferrers::new(leaf).depth(10).flat(true))).unwrap();
        assert!(matches!(
            flat,
            botwire_onebot::types::sister::Referrers::Flat(_)
        ));
        assert_eq!(flat.chain().len(), 2);
        let one = run!(client.get_referrers(GetReferrers::new(leaf).depth(1))).unwrap();
        assert_eq!(one.chain().len(), 1);

        run!(client.set_ysell_status(leaf, "paid")).unwrap();
        assert_eq!(
            sb.world().contacts[&leaf].ysell_status.as_deref(),
            Some("paid")
        );
    }
);

both_backends!(
    sister_lists_and_short_links,
    OneBotSandbox::start,
    onebot_blocking,
    onebot_async,
    |sb, client| {
        let contact = sb.add_contacts(1, 1)[0];
        let schema = run!(client.create_list_schema(
            CreateListSchema::new("Заказы", map(json!({"price": {"type": "number"}}))).bot_id(1)
        ))
        .unwrap();
        let id = schema.id.clone();
        assert_eq!(schema.is_menu.map(|m| m.0), Some(false));
        run!(client.add_list_schema_field(AddListSchemaField::new(
            id.clone(),
            map(json!({"slug": "size", "type": "string"}))
        )))
        .unwrap();
        let schema = run!(client.get_list_schema(id.clone())).unwrap();
        assert!(schema.fields.as_ref().unwrap().contains_key("size"));
        run!(client.delete_list_schema_field(id.clone(), "size")).unwrap();
        let schemas = run!(client.get_list_schemas(GetListSchemas::new().bot_id(1))).unwrap();
        assert_eq!(schemas.data.len(), 1);
        assert!(
            !schemas.data[0]
                .fields
                .as_ref()
                .unwrap()
                .contains_key("size")
        );

        let mut item_ids = Vec::new();
        for (price, size) in [(300, "M"), (100, "XL"), (200, "XL")] {
            let item = run!(client.add_list_item(AddListItem::new(
                id.clone(),
                map(json!({"price": price, "size": size}))
            )))
            .unwrap();
            assert_eq!(item.get("size"), Some(&json!(size)));
            item_ids.push(item.id);
        }
        let xl = run!(
            client.get_list_items(
                GetListItems::new(id.clone())
                    .filter("size", "XL")
                    .order_by("price,desc")
            )
        )
        .unwrap();
        let prices: Vec<_> = xl
            .data
            .iter()
            .map(|i| i.get("price").cloned().unwrap())
            .collect();
        assert_eq!(prices, [json!(200), json!(100)]);
        let updated = run!(client.update_list_item(UpdateListItem::new(
            item_ids[0].clone(),
            map(json!({"price": 250}))
        )))
        .unwrap();
        assert_eq!(updated.get("price"), Some(&json!(250)));
        assert_eq!(updated.get("size"), Some(&json!("M")));
        run!(client.delete_list_item(item_ids[0].clone())).unwrap();
        let rest = run!(client.get_list_items(GetListItems::new(id.clone()).limit(1))).unwrap();
        assert_eq!(rest.data.len(), 1);
        assert_eq!(rest.meta.as_ref().unwrap().total, Some(2));
        run!(client.delete_list_schema(id.clone())).unwrap();
        assert!(
            run!(client.get_list_schemas(GetListSchemas::new()))
                .unwrap()
                .data
                .is_empty()
        );
        let _ = contact;

        sb.add_short_link("https://s.example/abc", "https://cdn.example/photo.jpg");
        let link = run!(client.decode_short_link("https://s.example/abc")).unwrap();
        assert_eq!(link.url, "https://cdn.example/photo.jpg");
        let err = run!(client.decode_short_link("https://s.example/nope")).unwrap_err();
        assert_eq!(
            err.field_errors().unwrap()["url"],
            ["Выбранное значение для url некорректно."]
        );
    }
);

both_backends!(
    token_never_in_errors_or_debug,
    OneBotSandbox::start,
    onebot_blocking,
    onebot_async,
    |sb, client| {
        assert_debug_no_leak(&client, sb.token());
        let contact = sb.add_contacts(1, 1)[0];
        let errors = [
            run!(client.get_contact_variables(1_000_000)).unwrap_err(),
            run!(client.get_bot_tags(1_000_000)).unwrap_err(),
            run!(client.send_message(SendMessage::text(MessageTarget::contact(1_000_000), "x")))
                .unwrap_err(),
            run!(client.decode_short_link("https://nope")).unwrap_err(),
        ];
        for err in &errors {
            assert_eq!(err.status().map(|s| s.as_u16()), Some(422), "{err}");
            assert_no_leak(err, sb.token());
            assert_debug_no_leak(err, sb.token());
        }
        // A body that does not decode: the decode error quotes the body, never the URL.
        sb.faults().push(Fault::Status(
            200,
            r#"{"data":{"id":"not a number"}}"#.into(),
        ));
        let err = run!(client.get_me()).unwrap_err();
        assert!(err.to_string().contains("`data.id`"), "{err}");
        assert_no_leak(&err, sb.token());
        let _ = contact;
    }
);

// ------------------------------------------------------------------ the sandbox itself, by raw HTTP

fn raw(
    sb: &OneBotSandbox,
    method: &str,
    path_and_query: &str,
    content_type: &str,
    body: &str,
) -> (u16, serde_json::Value) {
    let transport = UreqTransport::new(test_transport_config());
    let req = http::Request::builder()
        .method(method)
        .uri(format!("{}/{path_and_query}", sb.base_url()))
        .header("x-requested-with", "XMLHttpRequest")
        .header("content-type", content_type)
        .body(body.as_bytes().to_vec())
        .unwrap();
    let resp = transport.execute(req).unwrap();
    let status = resp.status().as_u16();
    (
        status,
        serde_json::from_slice(resp.body()).unwrap_or(serde_json::Value::Null),
    )
}

#[test]
fn sandbox_422_matches_the_documented_body_exactly() {
    let sb = OneBotSandbox::start().unwrap();
    let (status, body) = raw(
        &sb,
        "GET",
        &format!("getContactVariables?api_token={}", sb.token()),
        "",
        "",
    );
    assert_eq!(status, 422);
    let documented: serde_json::Value =
        serde_json::from_slice(&fixture("onebot/validation_error_422_contact_id.json")).unwrap();
    assert_eq!(body, documented);
}

#[test]
fn sandbox_reads_post_parameters_from_json_form_or_query() {
    let sb = OneBotSandbox::start().unwrap();
    let contact = sb.add_contacts(1, 1)[0];
    let t = sb.token().to_owned();
    let (s1, _) = raw(
        &sb,
        "POST",
        &format!("setContactVariable?api_token={t}"),
        "application/json",
        &json!({"contact_id": contact, "name": "a", "value": "json"}).to_string(),
    );
    let (s2, _) = raw(
        &sb,
        "POST",
        &format!("setContactVariable?api_token={t}"),
        "application/x-www-form-urlencoded",
        &format!("contact_id={contact}&name=b&value=form"),
    );
    let (s3, _) = raw(
        &sb,
        "POST",
        &format!("setContactVariable?api_token={t}&contact_id={contact}&name=c&value=query"),
        "",
        "",
    );
    // PHP-style arrays in a form body.
    let (s4, created) = raw(
        &sb,
        "POST",
        &format!("createOrUpdateContact?api_token={t}"),
        "application/x-www-form-urlencoded",
        "bot_id=1&messenger=telegram&name=X&telegram_id=77&tags[]=A&tags[]=B",
    );
    assert_eq!((s1, s2, s3, s4), (200, 200, 200, 200));
    let values: Vec<String> = sb.world().contacts[&contact]
        .variables
        .iter()
        .map(|v| v.value.clone())
        .collect();
    assert_eq!(values, ["json", "form", "query"]);
    let id = created["data"]["id"].as_i64().unwrap();
    assert_eq!(sb.world().contacts[&id].tags, ["A", "B"]);
    // Wrong verb and unknown method, Laravel style.
    let (status, body) = raw(
        &sb,
        "POST",
        &format!("getContacts?api_token={t}"),
        "application/json",
        "{}",
    );
    assert_eq!(status, 405);
    assert_eq!(
        body["message"],
        "The POST method is not supported for this route. Supported methods: GET, HEAD."
    );
    let (status, _) = raw(&sb, "GET", &format!("getBots?api_token={t}"), "", "");
    assert_eq!(status, 404);
    // Missing required parameters, several at once, in Russian.
    let (status, body) = raw(
        &sb,
        "POST",
        &format!("sendMessage?api_token={t}"),
        "application/json",
        "{}",
    );
    assert_eq!(status, 422);
    assert_eq!(
        body["errors"]["contact_id"][0],
        "Поле contact id обязательно для заполнения, когда bot id не указано."
    );
    assert_eq!(
        body["errors"]["text"][0],
        "Поле text обязательно для заполнения, когда ни одно из image / file не указано."
    );
    let (status, body) = raw(
        &sb,
        "POST",
        &format!("createOrUpdateContact?api_token={t}"),
        "application/json",
        &json!({"bot_id": 1, "messenger": "whatsapp", "name": "A"}).to_string(),
    );
    assert_eq!(status, 422);
    assert_eq!(
        body["errors"]["phone"][0],
        "Поле phone обязательно для заполнения, когда messenger равно whatsapp."
    );
    let (status, body) = raw(
        &sb,
        "GET",
        &format!("getContacts?api_token={t}&count=501"),
        "",
        "",
    );
    assert_eq!(status, 422);
    assert_eq!(
        body["errors"]["count"][0],
        "Значение поля count не может быть больше 500."
    );
}

// ------------------------------------------------- paging over a dead connection: no token in the error

const DEAD_SECRET: &str = "paging-secret-token-789";

fn dead_config() -> onebot::Config {
    onebot::Config::new(DEAD_SECRET).with_base_url(format!("{}/api/v1", closed_port_url()))
}

fn check_dead(err: &onebot::Error) {
    let onebot::Error::Transport(t) = err else {
        panic!("expected a transport error, got {err:?}")
    };
    assert_eq!(
        t.kind(),
        botwire_transport::TransportErrorKind::Connect,
        "{t:?}"
    );
    assert_no_leak(err, DEAD_SECRET);
}

#[test]
fn paging_over_a_closed_port_ureq() {
    let client =
        onebot::blocking::Client::new(dead_config(), UreqTransport::new(test_transport_config()));
    let mut walk = client.contacts(GetContacts::new().bot_id(1));
    check_dead(&walk.next().unwrap().unwrap_err());
    assert!(walk.next().is_none(), "the walk ends after its error");
    check_dead(
        &client
            .find_contact(GetContacts::new(), |_| true)
            .unwrap_err(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_over_a_closed_port_reqwest() {
    use futures_util::StreamExt as _;
    let client = onebot::Client::new(dead_config(), reqwest_transport());
    let mut walk = std::pin::pin!(client.contacts(GetContacts::new().bot_id(1)));
    check_dead(&walk.next().await.unwrap().unwrap_err());
    assert!(
        walk.next().await.is_none(),
        "the stream ends after its error"
    );
    check_dead(
        &client
            .find_contact(GetContacts::new(), |_| true)
            .await
            .unwrap_err(),
    );
}
