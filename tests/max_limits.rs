//! Every limit the MAX endpoints check: the validation error names the field, the limit and the value, and
//! nothing reaches the sandbox. The last test shows the sandbox itself refusing what the server refuses.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use botwire_core_types::max::{
    AttachmentRequest, Button, CallbackAnswer, ChatAdmin, ChatAdminPermission, ChatAdminsList,
    ChatId, ChatPatch, Keyboard, NewCommentBody, NewMessageBody, NewMessageLink,
    SubscriptionRequestBody, UserId,
};
use botwire_max::endpoints::*;
use botwire_sandbox::MaxSandbox;
use botwire_sandbox::max::BotRole;
use botwire_tests::*;
use botwire_transport::BlockingTransport;

const CHAT: ChatId = ChatId(-70_801_090_403_050);

/// Asserts a validation error with exactly this field, limit and value.
#[track_caller]
fn invalid<T: std::fmt::Debug>(
    result: Result<T, max::Error>,
    field: &str,
    limit: &str,
    actual: &str,
) {
    match result {
        Err(max::Error::Validation(v)) => {
            assert_eq!((v.field(), v.limit(), v.actual()), (field, limit, actual));
        }
        other => panic!("expected a validation error on `{field}`, got {other:?}"),
    }
}

fn text(n: usize) -> String {
    "я".repeat(n)
}

fn with_keyboard(rows: Vec<Vec<Button>>) -> NewMessageBody {
    let mut body = NewMessageBody::text("pick");
    body.attachments = Some(vec![AttachmentRequest::inline_keyboard(Keyboard::new(
        rows,
    ))]);
    body
}

fn row(n: usize) -> Vec<Button> {
    (0..n)
        .map(|i| Button::callback(format!("b{i}"), "p"))
        .collect()
}

const BLANK: &str = "a non-blank value";

both_backends!(
    chats_and_members,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let patch = |f: &dyn Fn(&mut ChatPatch)| {
            let mut p = ChatPatch::default();
            f(&mut p);
            p
        };
        let title_empty = patch(&|p| p.title = Some(String::new()));
        invalid(
            run!(client.edit_chat(CHAT, title_empty)),
            "title",
            "1 to 200 characters",
            "0 characters",
        );
        let title_long = patch(&|p| p.title = Some(text(201)));
        invalid(
            run!(client.edit_chat(CHAT, title_long)),
            "title",
            "1 to 200 characters",
            "201 characters",
        );
        let desc = patch(&|p| p.description = Some(text(16_001)));
        invalid(
            run!(client.edit_chat(CHAT, desc)),
            "description",
            "at most 16000 characters",
            "16001 characters",
        );
        let pin = patch(&|p| p.pin = Some(" ".into()));
        invalid(run!(client.edit_chat(CHAT, pin)), "pin", BLANK, "\" \"");
        invalid(
            run!(client.pin_message(CHAT, "")),
            "message_id",
            BLANK,
            "\"\"",
        );

        invalid(
            run!(client.add_admins(CHAT, vec![])),
            "admins",
            "1 to 50 items",
            "0 items",
        );
        let many: Vec<ChatAdmin> = (0..51)
            .map(|i| ChatAdmin::new(i, vec![ChatAdminPermission::ReadAllMessages]))
            .collect();
        invalid(
            run!(client.add_admins(CHAT, many)),
            "admins",
            "1 to 50 items",
            "51 items",
        );
        let twice = ChatAdmin::new(
            1,
            vec![
                ChatAdminPermission::AddAdmins,
                ChatAdminPermission::AddAdmins,
            ],
        );
        invalid(
            run!(client.add_admins(CHAT, vec![twice])),
            "admins[0].permissions",
            "unique rights",
            "`add_admins` twice",
        );
        let unread = ChatAdmin::new(1, vec![ChatAdminPermission::Write]);
        invalid(
            run!(client.add_admins(CHAT, vec![unread])),
            "admins[0].permissions",
            "granted with `read_all_messages` when it holds `write`",
            "no `read_all_messages`",
        );
        let list = ChatAdminsList::new(vec![]);
        invalid(
            run!(client.send(&AddAdmins::new(CHAT, list))),
            "admins",
            "1 to 50 items",
            "0 items",
        );

        let page = |count| MembersQuery::Page {
            marker: None,
            count: Some(count),
        };
        invalid(
            run!(client.get_members(CHAT, page(0))),
            "count",
            "between 1 and 100",
            "0",
        );
        invalid(
            run!(client.get_members(CHAT, page(101))),
            "count",
            "between 1 and 100",
            "101",
        );
        invalid(
            run!(client.get_members(CHAT, MembersQuery::Users(vec![]))),
            "user_ids",
            "at least 1 items",
            "0 items",
        );
        invalid(
            run!(client.add_members(CHAT, vec![])),
            "user_ids",
            "1 to 100 items",
            "0 items",
        );
        let ids: Vec<UserId> = (0..101).map(UserId).collect();
        invalid(
            run!(client.add_members(CHAT, ids)),
            "user_ids",
            "1 to 100 items",
            "101 items",
        );

        assert_eq!(sb.stats().requests(), 0, "nothing may reach the server");
    }
);

both_backends!(
    subscriptions,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let http = "http://bot.example.com/hook";
        invalid(
            run!(client.subscribe(SubscriptionRequestBody::new(http))),
            "url",
            "an https:// URL (plain HTTP is not delivered to)",
            http,
        );
        invalid(
            run!(client.subscribe(SubscriptionRequestBody::new(
                "https://bot.example.com:8443/hook"
            ))),
            "url",
            "port 443 (the only one the platform delivers to)",
            "port 8443",
        );
        let ok_url = "https://bot.example.com/hook";
        invalid(
            run!(client.subscribe(SubscriptionRequestBody::new(ok_url).with_secret("abcd"))),
            "secret",
            "5 to 256 characters",
            "4 characters",
        );
        invalid(
            run!(
                client.subscribe(SubscriptionRequestBody::new(ok_url).with_secret("a".repeat(257)))
            ),
            "secret",
            "5 to 256 characters",
            "257 characters",
        );
        invalid(
            run!(client.subscribe(SubscriptionRequestBody::new(ok_url).with_secret("has space"))),
            "secret",
            "only letters, digits, `_` and `-`",
            "other characters",
        );
        invalid(run!(client.unsubscribe(" ")), "url", BLANK, "\" \"");
        assert_eq!(sb.stats().requests(), 0, "nothing may reach the server");
    }
);

both_backends!(
    messages,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        invalid(
            run!(client.get_messages(GetMessages::default())),
            "chat_id/message_ids",
            "at least one of them",
            "neither",
        );
        invalid(
            run!(client.get_messages(GetMessages::in_chat(CHAT).count(0))),
            "count",
            "between 1 and 100",
            "0",
        );
        invalid(
            run!(client.get_messages(GetMessages::in_chat(CHAT).count(101))),
            "count",
            "between 1 and 100",
            "101",
        );
        invalid(
            run!(client.get_messages(GetMessages::in_chat(CHAT).before(-1))),
            "before",
            "a Unix time in ms, at least 0",
            "-1",
        );
        invalid(
            run!(client.get_messages(GetMessages::in_chat(CHAT).after(-5))),
            "after",
            "a Unix time in ms, at least 0",
            "-5",
        );
        invalid(
            run!(client.get_messages(GetMessages::by_ids(["mid.a", ""]))),
            "message_ids[1]",
            BLANK,
            "\"\"",
        );

        let long = NewMessageBody::text(text(4001));
        invalid(
            run!(client.send_message(CHAT, long.clone())),
            "text",
            "at most 4000 characters",
            "4001 characters",
        );
        invalid(
            run!(client.edit_message("mid.a", long)),
            "text",
            "at most 4000 characters",
            "4001 characters",
        );
        invalid(
            run!(client.send_message(CHAT, with_keyboard(vec![row(8)]))),
            "attachments[0].payload.buttons[0]",
            "1 to 7 buttons",
            "8 buttons",
        );
        invalid(
            run!(client.send_message(CHAT, with_keyboard(vec![row(1); 31]))),
            "attachments[0].payload.buttons",
            "1 to 30 rows",
            "31 rows",
        );
        let mut wide = row(3);
        wide.push(Button::link("site", "https://example.com"));
        invalid(
            run!(client.send_message(CHAT, with_keyboard(vec![wide]))),
            "attachments[0].payload.buttons[0]",
            "1 to 3 buttons (the row has a `link` button)",
            "4 buttons",
        );
        invalid(
            run!(client.send_message(CHAT, with_keyboard(vec![vec![Button::callback("", "p")]]))),
            "attachments[0].payload.buttons[0][0].text",
            "1 to 128 characters",
            "0 characters",
        );
        invalid(
            run!(client.send_message(
                CHAT,
                with_keyboard(vec![vec![Button::callback("x", "p".repeat(1025))]])
            )),
            "attachments[0].payload.buttons[0][0].payload",
            "at most 1024 characters",
            "1025 characters",
        );
        invalid(
            run!(client.send_message(
                CHAT,
                with_keyboard(vec![vec![Button::link(
                    "x",
                    format!("https://{}", "a".repeat(2041))
                )]])
            )),
            "attachments[0].payload.buttons[0][0].url",
            "1 to 2048 characters",
            "2049 characters",
        );
        let mut blank_link = NewMessageBody::text("x");
        blank_link.link = Some(NewMessageLink::forward(""));
        invalid(
            run!(client.send_message(UserId(1), blank_link)),
            "link.mid",
            "a message id",
            "an empty string",
        );
        invalid(
            run!(client.edit_message("", NewMessageBody::text("x"))),
            "message_id",
            BLANK,
            "\"\"",
        );
        invalid(
            run!(client.delete_message("  ")),
            "message_id",
            BLANK,
            "\"  \"",
        );
        invalid(run!(client.get_message("")), "message_id", BLANK, "\"\"");
        invalid(run!(client.get_video("")), "token", BLANK, "\"\"");
        assert_eq!(sb.stats().requests(), 0, "nothing may reach the server");
    }
);

both_backends!(
    comments_and_callbacks,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let mut q = GetComments::new("mid.post").count(101);
        invalid(run!(client.send(&q)), "count", "between 1 and 100", "101");
        q.count = Some(0);
        invalid(run!(client.send(&q)), "count", "between 1 and 100", "0");
        q.count = None;
        q.before = Some(-1);
        invalid(
            run!(client.send(&q)),
            "before",
            "a Unix time in ms, at least 0",
            "-1",
        );
        q.before = None;
        q.comment_ids = vec![" ".into()];
        invalid(run!(client.send(&q)), "comment_ids[0]", BLANK, "\" \"");
        invalid(run!(client.get_comments("")), "post_id", BLANK, "\"\"");
        invalid(
            run!(client.send_comment("mid.post", NewCommentBody::text(text(4001)))),
            "text",
            "at most 4000 characters",
            "4001 characters",
        );
        let mut forward = NewCommentBody::text("fwd");
        forward.link = Some(NewMessageLink::forward("mid.c"));
        invalid(
            run!(client.send_comment("mid.post", forward)),
            "link.type",
            "`reply` (comments cannot be forwards)",
            "forward",
        );
        invalid(
            run!(client.edit_comment("mid.post", "", NewCommentBody::text("x"))),
            "comment_id",
            BLANK,
            "\"\"",
        );
        invalid(
            run!(client.edit_comment("mid.post", "mid.c", NewCommentBody::text(text(4001)))),
            "text",
            "at most 4000 characters",
            "4001 characters",
        );
        invalid(
            run!(client.delete_comment("mid.post", "")),
            "comment_id",
            BLANK,
            "\"\"",
        );
        invalid(
            run!(client.get_comment("", "mid.c")),
            "post_id",
            BLANK,
            "\"\"",
        );

        invalid(
            run!(client.answer_callback(" ", CallbackAnswer::notification("ok"))),
            "callback_id",
            BLANK,
            "\" \"",
        );
        invalid(
            run!(client.answer_callback("cb", CallbackAnswer::default())),
            "message/notification",
            "at least one of them",
            "neither",
        );
        invalid(
            run!(client.answer_callback("cb", CallbackAnswer::notification(""))),
            "notification",
            "1 to 4000 characters",
            "0 characters",
        );
        invalid(
            run!(client.answer_callback(
                "cb",
                CallbackAnswer::message(NewMessageBody::text(text(4001)))
            )),
            "message.text",
            "at most 4000 characters",
            "4001 characters",
        );
        assert_eq!(sb.stats().requests(), 0, "nothing may reach the server");
    }
);

/// The sandbox refuses what the server refuses, for clients that skip validation: raw requests.
#[test]
fn sandbox_enforces_the_server_limits() {
    let sb = MaxSandbox::start().unwrap();
    let alice = sb.add_user("Alice");
    let group = sb.add_group_chat("Team", alice.user_id, BotRole::full_admin());
    let channel = sb.add_channel("News", alice.user_id, BotRole::full_admin());
    let transport = botwire_transport::UreqTransport::new(test_transport_config());
    let call = |method: &str, path: &str, body: serde_json::Value| {
        let req = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", sb.base_url()))
            .header("authorization", sb.token())
            .header("content-type", "application/json")
            .body(body.to_string().into_bytes())
            .unwrap();
        let resp = transport.execute(req).unwrap();
        let status = resp.status().as_u16();
        let body: serde_json::Value = serde_json::from_slice(resp.body()).unwrap();
        (
            status,
            body["code"].as_str().unwrap_or("-").to_owned(),
            body["message"].as_str().unwrap_or("").to_owned(),
        )
    };
    let messages = format!("/messages?chat_id={group}");
    let (s, c, m) = call(
        "POST",
        &messages,
        serde_json::json!({"text": "я".repeat(4001)}),
    );
    assert_eq!((s, c.as_str()), (400, "proto.payload"), "{m}");
    assert!(m.contains("at most 4000 characters"), "{m}");
    let buttons: Vec<_> = (0..8)
        .map(|i| serde_json::json!({"type": "callback", "text": format!("b{i}"), "payload": "p"}))
        .collect();
    let kb = serde_json::json!({"text": "k", "attachments": [{"type": "inline_keyboard", "payload": {"buttons": [buttons]}}]});
    let (s, _, m) = call("POST", &messages, kb);
    assert_eq!(s, 400, "{m}");
    assert!(m.contains("1 to 7 buttons"), "{m}");
    let (s, _, m) = call("POST", &messages, serde_json::json!({}));
    assert_eq!(s, 400, "an empty message: {m}");
    let (s, _, m) = call(
        "POST",
        &format!("/messages?chat_id={channel}"),
        serde_json::json!({"text": "x", "notify": false}),
    );
    assert_eq!(s, 400, "{m}");
    let (s, _, _) = call(
        "POST",
        &format!("/messages?chat_id={group}&user_id=1"),
        serde_json::json!({"text": "x"}),
    );
    assert_eq!(s, 400, "both chat_id and user_id");
    let (s, c, _) = call("POST", &messages, serde_json::json!("not an object"));
    assert_eq!((s, c.as_str()), (400, "proto.payload"));

    let ids: Vec<i64> = (0..101).collect();
    let (s, _, m) = call(
        "POST",
        &format!("/chats/{group}/members"),
        serde_json::json!({"user_ids": ids}),
    );
    assert_eq!(s, 400, "{m}");
    assert!(m.contains("101 items"), "{m}");
    for path in [
        format!("/messages?chat_id={group}&count=0"),
        format!("/messages?chat_id={group}&count=101"),
        format!("/chats/{group}/members?count=101"),
        "/messages/mid.x/comments?count=0".to_owned(),
    ] {
        let (s, c, m) = call("GET", &path, serde_json::Value::Null);
        assert_eq!((s, c.as_str()), (400, "proto.payload"), "{path}: {m}");
    }
    let (s, _, m) = call("GET", "/messages", serde_json::Value::Null);
    assert_eq!(s, 400, "neither chat_id nor message_ids: {m}");
    let (s, _, m) = call(
        "PATCH",
        &format!("/chats/{group}"),
        serde_json::json!({"title": ""}),
    );
    assert_eq!(s, 400, "{m}");
    let admins: Vec<_> = (0..51)
        .map(|i| serde_json::json!({"user_id": i, "permissions": ["read_all_messages"]}))
        .collect();
    let (s, _, m) = call(
        "POST",
        &format!("/chats/{group}/members/admins"),
        serde_json::json!({"admins": admins}),
    );
    assert_eq!(s, 400, "{m}");
    let (s, _, m) = call(
        "POST",
        "/subscriptions",
        serde_json::json!({"url": "http://x.example"}),
    );
    assert_eq!(s, 400, "{m}");
    let (s, _, m) = call("POST", "/answers?callback_id=cb", serde_json::json!({}));
    assert_eq!(s, 400, "{m}");
    let (s, _, _) = call("POST", "/answers", serde_json::json!({"notification": "x"}));
    assert_eq!(s, 400, "callback_id is required");
    let (s, c, _) = call("GET", "/chats/abc", serde_json::Value::Null);
    assert_eq!((s, c.as_str()), (400, "proto.payload"));
    assert_eq!(sb.stats().status(400), 18);
}
