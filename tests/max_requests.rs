//! The built request of every MAX endpoint as an insta snapshot, straight from the sans-IO layer (no socket).
//! The token must show as `<redacted>` in every one.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use botwire_core_types::max::{
    AttachmentRequest, Button, CallbackAnswer, ChatAdmin, ChatAdminPermission, ChatAdminsList,
    ChatId, ChatPatch, Keyboard, NewCommentBody, NewMessageBody, NewMessageLink, SenderAction,
    SubscriptionRequestBody, TextFormat, UserId,
};
use botwire_max::Endpoint;
use botwire_max::endpoints::*;
use botwire_tests::max;
use botwire_transport::{RequestOptions, describe_request};

const TOKEN: &str = "SECRET-TOKEN-must-not-appear";
const CHAT: i64 = -70_801_090_403_050;
const MID: &str = "mid.000000000adf429c019d47b1ce4600ff";

/// Builds the request, checks the token stays out of its description, and notes whether it may be retried.
fn show(endpoint: &impl Endpoint) -> String {
    let req = endpoint.request(&max::Config::new(TOKEN)).unwrap();
    assert_eq!(req.headers()["authorization"], TOKEN);
    assert!(req.headers()["authorization"].is_sensitive());
    assert!(!format!("{req:?}").contains(TOKEN));
    let text = describe_request(&req);
    assert!(
        !text.contains(TOKEN),
        "token leaked into a request description:\n{text}"
    );
    format!(
        "{text}\n-- idempotent: {}",
        RequestOptions::is_idempotent(&req)
    )
}

#[test]
fn get_chat() {
    insta::assert_snapshot!(show(&GetChat::new(CHAT)));
}

#[test]
fn edit_chat() {
    let mut patch = ChatPatch::default();
    patch.title = Some("Новое имя".into());
    patch.description = Some(String::new());
    patch.notify = Some(false);
    insta::assert_snapshot!(show(&EditChat::new(CHAT, patch)));
}

#[test]
fn send_action() {
    insta::assert_snapshot!(show(&SendAction::new(CHAT, SenderAction::TypingOn)));
}

#[test]
fn get_pinned_message() {
    insta::assert_snapshot!(show(&GetPinnedMessage::new(CHAT)));
}

#[test]
fn pin_message() {
    insta::assert_snapshot!(show(&PinMessage::new(CHAT, MID).notify(false)));
}

#[test]
fn unpin_message() {
    insta::assert_snapshot!(show(&UnpinMessage::new(CHAT)));
}

#[test]
fn get_membership() {
    insta::assert_snapshot!(show(&GetMembership::new(CHAT)));
}

#[test]
fn leave_chat() {
    insta::assert_snapshot!(show(&LeaveChat::new(CHAT)));
}

#[test]
fn get_admins() {
    insta::assert_snapshot!(show(&GetAdmins::new(CHAT)));
}

#[test]
fn add_admins() {
    let mut admin = ChatAdmin::new(
        123_456_789,
        vec![
            ChatAdminPermission::ReadAllMessages,
            ChatAdminPermission::Write,
        ],
    );
    admin.alias = Some("editor".into());
    insta::assert_snapshot!(show(&AddAdmins::new(
        CHAT,
        ChatAdminsList::new(vec![admin])
    )));
}

#[test]
fn remove_admin() {
    insta::assert_snapshot!(show(&RemoveAdmin::new(CHAT, 123_456_789)));
}

#[test]
fn get_members_page() {
    insta::assert_snapshot!(show(&GetMembers::page(CHAT, Some(40), Some(20))));
}

#[test]
fn get_members_users() {
    insta::assert_snapshot!(show(&GetMembers::users(CHAT, [1_i64, 2, 3])));
}

#[test]
fn add_members() {
    insta::assert_snapshot!(show(&AddMembers::new(CHAT, [1_i64, 2])));
}

#[test]
fn remove_member() {
    insta::assert_snapshot!(show(&RemoveMember::new(CHAT, 123_456_789).block(true)));
}

#[test]
fn get_subscriptions() {
    insta::assert_snapshot!(show(&GetSubscriptions));
}

#[test]
fn subscribe() {
    let body = SubscriptionRequestBody::new("https://bot.example.com/hook")
        .with_update_types(["message_created", "message_callback"])
        .with_secret("s3cret_value");
    insta::assert_snapshot!(show(&Subscribe::new(body)));
}

#[test]
fn unsubscribe() {
    insta::assert_snapshot!(show(&Unsubscribe::new(
        "https://bot.example.com/hook?a=1&b=2"
    )));
}

#[test]
fn get_messages_in_chat() {
    insta::assert_snapshot!(show(
        &GetMessages::in_chat(CHAT)
            .after(1_775_000_000_000)
            .before(1_775_100_000_000)
            .count(10)
    ));
}

#[test]
fn get_messages_by_ids_deprecated_bounds() {
    let mut q = GetMessages::by_ids([MID, "mid.b"]);
    q.from = Some(1_775_100_000_000);
    q.to = Some(1_775_000_000_000);
    insta::assert_snapshot!(show(&q));
}

#[test]
fn send_message_to_chat() {
    let mut body = NewMessageBody::text("**Choose** one");
    body.format = Some(TextFormat::Markdown);
    body.link = Some(NewMessageLink::reply(MID));
    body.notify = Some(false);
    body.attachments = Some(vec![
        AttachmentRequest::image_url("https://example.com/a.png"),
        AttachmentRequest::inline_keyboard(Keyboard::new(vec![
            vec![
                Button::callback("Yes", "vote:yes"),
                Button::callback("No", "vote:no"),
            ],
            vec![Button::link("Site", "https://example.com")],
        ])),
    ]);
    insta::assert_snapshot!(show(
        &SendMessage::new(ChatId(CHAT), body).disable_link_preview(true)
    ));
}

#[test]
fn send_message_to_user() {
    insta::assert_snapshot!(show(&SendMessage::new(
        UserId(123_456_789),
        NewMessageBody::text("hi")
    )));
}

#[test]
fn edit_message() {
    let mut body = NewMessageBody::text("edited");
    body.attachments = Some(Vec::new());
    insta::assert_snapshot!(show(&EditMessage::new(MID, body)));
}

#[test]
fn delete_message() {
    insta::assert_snapshot!(show(&DeleteMessage::new(MID)));
}

#[test]
fn get_message_by_id() {
    // A slash in an id cannot change the path.
    insta::assert_snapshot!(show(&GetMessageById::new("mid.a/b?c")));
}

#[test]
fn get_comments() {
    let mut q = GetComments::new(MID).count(5);
    q.comment_ids = vec!["mid.c1".into(), "mid.c2".into()];
    q.after = Some(1_775_000_000_000);
    insta::assert_snapshot!(show(&q));
}

#[test]
fn send_comment() {
    let mut body = NewCommentBody::text("Nice post");
    body.link = Some(NewMessageLink::reply("mid.c1"));
    body.format = Some(TextFormat::Html);
    insta::assert_snapshot!(show(&SendComment::new(MID, body)));
}

#[test]
fn edit_comment() {
    insta::assert_snapshot!(show(&EditComment::new(
        MID,
        "mid.c1",
        NewCommentBody::text("fixed")
    )));
}

#[test]
fn delete_comment() {
    insta::assert_snapshot!(show(&DeleteComment::new(MID, "mid.c1")));
}

#[test]
fn get_comment_by_id() {
    insta::assert_snapshot!(show(&GetCommentById::new(MID, "mid.c1")));
}

#[test]
fn get_video() {
    insta::assert_snapshot!(show(&GetVideo::new("vid-Token_1")));
}

#[test]
fn answer_callback() {
    let mut answer = CallbackAnswer::message(NewMessageBody::text("Thanks for voting"));
    answer.notification = Some("Vote counted".into());
    insta::assert_snapshot!(show(
        &AnswerCallback::new("f9LHodD0cOI", answer).disable_link_preview(false)
    ));
}

#[test]
fn get_updates() {
    use botwire_core_types::max::UpdateType;
    let poll = GetUpdates {
        limit: Some(100),
        timeout: Some(30),
        marker: Some(25_493_970),
        types: vec![UpdateType::MessageCreated, UpdateType::MessageCallback],
    };
    let req = poll.request(&max::Config::new(TOKEN)).unwrap();
    // The client waits longer than the server holds the poll.
    assert_eq!(
        RequestOptions::of(&req).get_timeout(),
        Some(std::time::Duration::from_secs(45))
    );
    insta::assert_snapshot!(show(&poll));
}

#[test]
fn get_upload_url() {
    use botwire_core_types::max::UploadType;
    insta::assert_snapshot!(show(&GetUploadUrl::new(UploadType::Video)));
}
