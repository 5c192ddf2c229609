//! MAX scenarios per domain on both backends against the stateful sandbox: bot, chats, members, messages,
//! comments, callbacks, subscriptions, videos and the raw upload routes.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use botwire_core_types::max::{
    Attachment, AttachmentRequest, BotCommand, BotCommands, Button, CallbackAnswer, ChatAdmin,
    ChatAdminPermission, ChatId, ChatPatch, ChatStatus, ChatType, Keyboard, NewCommentBody,
    NewMessageBody, NewMessageLink, PhotoUploadResult, SenderAction, SubscriptionRequestBody,
    UploadEndpoint, User, UserId,
};
use botwire_max::endpoint::RequestBuilder;
use botwire_max::endpoints::{GetMessages, MembersQuery, RemoveMember};
use botwire_sandbox::MaxSandbox;
use botwire_sandbox::max::BotRole;
use botwire_tests::*;
#[allow(unused_imports)] // one of the two is used per backend
use botwire_transport::{AsyncTransport, BlockingTransport};
use http::Method;

/// A seeded world: three users, a dialog, a group chat and a channel where the bot is a full admin, and a
/// group chat where it is a plain member.
struct Seed {
    alice: User,
    bob: User,
    carol: User,
    dialog: ChatId,
    group: ChatId,
    plain: ChatId,
    channel: ChatId,
}

fn seed(sb: &MaxSandbox) -> Seed {
    let alice = sb.add_user("Alice");
    let bob = sb.add_user("Bob");
    let carol = sb.add_user("Carol");
    let dialog = sb.add_dialog(alice.user_id);
    let group = sb.add_group_chat("Team", alice.user_id, BotRole::full_admin());
    sb.add_member(group, bob.user_id);
    let plain = sb.add_group_chat("Lounge", alice.user_id, BotRole::Member);
    let channel = sb.add_channel("News", alice.user_id, BotRole::full_admin());
    Seed {
        alice,
        bob,
        carol,
        dialog,
        group,
        plain,
        channel,
    }
}

fn api_code(err: &max::Error) -> (u16, &str) {
    (
        err.status().map(|s| s.as_u16()).unwrap_or(0),
        err.code().unwrap_or("-"),
    )
}

fn keyboard(payload: &str) -> NewMessageBody {
    let mut body = NewMessageBody::text("Vote?");
    body.attachments = Some(vec![AttachmentRequest::inline_keyboard(Keyboard::new(
        vec![vec![
            Button::callback("Yes", payload),
            Button::callback("No", "no"),
        ]],
    ))]);
    body
}

/// A `multipart/form-data` body with one `data` file field.
fn multipart(filename: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "botwire-test-boundary-7f3a";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"{filename}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn upload_request(url: &str, filename: &str, bytes: &[u8]) -> botwire_transport::HttpRequest {
    let (content_type, body) = multipart(filename, bytes);
    http::Request::post(url)
        .header("content-type", content_type)
        .body(body)
        .unwrap()
}

fn body_text(resp: &botwire_transport::HttpResponse) -> String {
    String::from_utf8(resp.body().clone()).unwrap()
}

// ---------------------------------------------------------------------------------------------- bot

both_backends!(
    bot,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let me = run!(client.get_me()).unwrap();
        assert_eq!(me.username.as_deref(), Some("sandbox_bot"));
        let commands =
            BotCommands::new(vec![BotCommand::new("start", Some("Menu".into())).unwrap()]).unwrap();
        run!(client.set_my_commands(commands)).unwrap();
        let me = run!(client.get_me()).unwrap();
        assert_eq!(me.commands.unwrap()[0].name(), "start");
        assert_eq!(sb.stats().route("GET /me"), 2);
    }
);

// ---------------------------------------------------------------------------------------------- chats

both_backends!(
    chats,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let s = seed(&sb);
        let chat = run!(client.get_chat(s.group)).unwrap();
        assert_eq!(chat.kind, ChatType::Chat);
        assert_eq!(chat.status, ChatStatus::Active);
        assert_eq!(chat.title.as_deref(), Some("Team"));
        assert_eq!(chat.participants_count, 3);
        assert_eq!(chat.owner_id, Some(s.alice.user_id));
        assert_eq!(chat.participants.as_ref().map(|p| p.len()), Some(3));

        let dialog = run!(client.get_chat(s.dialog)).unwrap();
        assert_eq!(dialog.kind, ChatType::Dialog);
        assert_eq!(dialog.dialog_with_user.unwrap().user_id, s.alice.user_id);

        let mut patch = ChatPatch::default();
        patch.title = Some("Team 2".into());
        patch.description = Some("About us".into());
        let edited = run!(client.edit_chat(s.group, patch)).unwrap();
        assert_eq!(edited.title.as_deref(), Some("Team 2"));
        let mut patch = ChatPatch::default();
        patch.description = Some(String::new());
        let edited = run!(client.edit_chat(s.group, patch)).unwrap();
        assert_eq!(edited.description, None, "an empty description removes it");
        assert_eq!(edited.title.as_deref(), Some("Team 2"));

        run!(client.send_action(s.group, SenderAction::TypingOn)).unwrap();
        run!(client.send_action(s.dialog, SenderAction::MarkSeen)).unwrap();

        assert_eq!(run!(client.get_pinned_message(s.group)).unwrap(), None);
        let msg = sb.post_text(s.group, s.bob.user_id, "pin me");
        run!(client.pin_message(s.group, msg.mid().unwrap())).unwrap();
        let pinned = run!(client.get_pinned_message(s.group)).unwrap().unwrap();
        assert_eq!(pinned.text(), Some("pin me"));
        let chat = run!(client.get_chat(s.group)).unwrap();
        assert_eq!(chat.pinned_message.unwrap().text(), Some("pin me"));
        run!(client.unpin_message(s.group)).unwrap();
        assert_eq!(run!(client.get_pinned_message(s.group)).unwrap(), None);

        // A plain member may not edit, pin or list admins: 403 chat.denied.
        let err = run!(client.edit_chat(s.plain, ChatPatch::default())).unwrap_err();
        assert_eq!(api_code(&err), (403, "chat.denied"), "{err}");
        assert!(err.to_string().contains("change_chat_info"), "{err}");
        let err = run!(client.pin_message(s.plain, msg.mid().unwrap())).unwrap_err();
        assert_eq!(api_code(&err), (403, "chat.denied"));
        let err = run!(client.get_chat(-1_i64)).unwrap_err();
        assert_eq!(api_code(&err), (404, "chat.not.found"));
        let err = run!(client.pin_message(s.group, "mid.unknown")).unwrap_err();
        assert_eq!(api_code(&err), (404, "not.found"));
    }
);

// ---------------------------------------------------------------------------------------------- members

both_backends!(
    members,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let s = seed(&sb);
        let me = run!(client.get_membership(s.group)).unwrap();
        assert!(me.is_admin && me.is_bot);
        assert!(
            me.permissions
                .unwrap()
                .contains(&ChatAdminPermission::AddAdmins)
        );

        let admins = run!(client.get_admins(s.group)).unwrap();
        let ids: Vec<UserId> = admins.members.iter().map(|m| m.user_id).collect();
        assert!(ids.contains(&s.alice.user_id) && !ids.contains(&s.bob.user_id));

        let mut admin = ChatAdmin::new(
            s.bob.user_id,
            vec![
                ChatAdminPermission::ReadAllMessages,
                ChatAdminPermission::PinMessage,
            ],
        );
        admin.alias = Some("moderator".into());
        run!(client.add_admins(s.group, vec![admin])).unwrap();
        let admins = run!(client.get_admins(s.group)).unwrap();
        let bob = admins
            .members
            .iter()
            .find(|m| m.user_id == s.bob.user_id)
            .unwrap();
        assert_eq!(bob.alias.as_deref(), Some("moderator"));
        run!(client.remove_admin(s.group, s.bob.user_id)).unwrap();
        let admins = run!(client.get_admins(s.group)).unwrap();
        assert!(admins.members.iter().all(|m| m.user_id != s.bob.user_id));
        let err = run!(client.remove_admin(s.group, s.bob.user_id)).unwrap_err();
        assert_eq!(api_code(&err), (404, "not.found"));

        // Pages of two: alice, bob, bot (three members) → two pages.
        let page = run!(client.get_members(
            s.group,
            MembersQuery::Page {
                marker: None,
                count: Some(2)
            }
        ))
        .unwrap();
        assert_eq!(page.members.len(), 2);
        let marker = page.marker.unwrap();
        let rest = run!(client.get_members(
            s.group,
            MembersQuery::Page {
                marker: Some(marker),
                count: Some(2)
            }
        ))
        .unwrap();
        assert_eq!((rest.members.len(), rest.marker), (1, None));
        let only =
            run!(client.get_members(s.group, MembersQuery::Users(vec![s.bob.user_id]))).unwrap();
        assert_eq!(only.members[0].user_id, s.bob.user_id);

        let dave = sb.add_user("Dave");
        sb.world().set_user_private(s.carol.user_id, true);
        let result =
            run!(client.add_members(s.group, vec![dave.user_id, s.carol.user_id, UserId(999)]))
                .unwrap();
        assert!(result.success);
        assert_eq!(
            result.failed_user_ids,
            Some(vec![UserId(999), s.carol.user_id])
        );
        let details = result.failed_user_details.unwrap();
        assert_eq!(details[0].error_code, "add.participant.privacy");
        assert_eq!(details[1].error_code, "add.participant.not.found");
        let err = run!(client.add_members(s.group, vec![UserId(999)])).unwrap_err();
        assert!(
            matches!(&err, max::Error::Unsuccessful { message: Some(m) } if m == "No user could be added"),
            "{err:?}"
        );

        run!(client.remove_member(s.group, dave.user_id)).unwrap();
        run!(client.send(&RemoveMember::new(s.group, s.bob.user_id).block(true))).unwrap();
        assert!(
            sb.world()
                .chat(s.group)
                .unwrap()
                .blocked
                .contains(&s.bob.user_id)
        );
        let chat = run!(client.get_chat(s.group)).unwrap();
        assert_eq!(chat.participants_count, 2);
        let err = run!(client.add_members(s.channel, vec![dave.user_id])).unwrap_err();
        assert_eq!(api_code(&err), (400, "proto.payload"));
        let err = run!(client.get_admins(s.plain)).unwrap_err();
        assert_eq!(api_code(&err), (403, "chat.denied"));

        run!(client.leave_chat(s.plain)).unwrap();
        let err = run!(client.get_membership(s.plain)).unwrap_err();
        assert_eq!(api_code(&err), (403, "chat.denied"));
        assert_eq!(sb.world().chat(s.plain).unwrap().status, ChatStatus::Left);
    }
);

// ---------------------------------------------------------------------------------------------- messages

both_backends!(
    messages,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let s = seed(&sb);
        let first = run!(client.send_message(s.group, NewMessageBody::text("one"))).unwrap();
        let mid = first.mid().unwrap().to_owned();
        assert!(mid.starts_with("mid."));
        assert_eq!(first.sender.as_ref().unwrap().user_id, sb.world().bot_id());
        assert_eq!(first.chat_id(), Some(s.group));
        let seq = first.body.as_ref().unwrap().seq;
        assert!(seq > 1_i64 << 53, "seq {seq} must exceed 2^53");

        // To a user by global id: lands in the dialog, addressed to the user.
        let to_user =
            run!(client.send_message(s.alice.user_id, NewMessageBody::text("hi Alice"))).unwrap();
        assert_eq!(to_user.chat_id(), Some(s.dialog));
        assert_eq!(to_user.recipient.user_id, Some(s.alice.user_id));
        // A user never seen before gets a new dialog.
        let to_bob =
            run!(client.send_message(s.bob.user_id, NewMessageBody::text("hi Bob"))).unwrap();
        assert_eq!(to_bob.recipient.chat_type, ChatType::Dialog);

        let mut reply = NewMessageBody::text("two");
        reply.link = Some(NewMessageLink::reply(&mid));
        let second = run!(client.send_message(s.group, reply)).unwrap();
        assert_eq!(second.link.as_ref().unwrap().message.mid, mid);
        assert!(second.body.as_ref().unwrap().seq > seq);

        let got = run!(client.get_message(&mid)).unwrap();
        assert_eq!(got, first);
        run!(client.edit_message(&mid, NewMessageBody::text("one, edited"))).unwrap();
        assert_eq!(
            run!(client.get_message(&mid)).unwrap().text(),
            Some("one, edited")
        );

        let list = run!(client.get_messages(GetMessages::in_chat(s.group))).unwrap();
        let texts: Vec<_> = list.messages.iter().map(|m| m.text().unwrap()).collect();
        assert_eq!(texts, ["two", "one, edited"], "newest first");
        let one = run!(client.get_messages(GetMessages::in_chat(s.group).count(1))).unwrap();
        assert_eq!(one.messages.len(), 1);
        let older =
            run!(client.get_messages(GetMessages::in_chat(s.group).before(second.timestamp)))
                .unwrap();
        assert_eq!(older.messages[0].mid(), Some(mid.as_str()));
        let by_ids = run!(client.get_messages(GetMessages::by_ids([mid.clone()]))).unwrap();
        assert_eq!(by_ids.messages[0].mid(), Some(mid.as_str()));

        // The bot may not edit someone else's message; a user's message in a chat needs `write` to delete.
        let bobs = sb.post_text(s.group, s.bob.user_id, "bob here");
        let err =
            run!(client.edit_message(bobs.mid().unwrap(), NewMessageBody::text("x"))).unwrap_err();
        assert_eq!(api_code(&err), (403, "chat.denied"));
        run!(client.delete_message(bobs.mid().unwrap())).unwrap();

        run!(client.delete_message(&mid)).unwrap();
        let err = run!(client.get_message(&mid)).unwrap_err();
        assert_eq!(api_code(&err), (404, "not.found"));
        let err = run!(client.delete_message(&mid)).unwrap_err();
        assert_eq!(api_code(&err), (404, "not.found"));

        // Channels: posts need `write` and refuse notify=false; plain members cannot read history.
        let post = run!(client.send_message(s.channel, NewMessageBody::text("news"))).unwrap();
        assert_eq!(
            post.sender, None,
            "channel posts are on behalf of the channel"
        );
        assert_eq!(post.stat.map(|s| s.views), Some(0));
        let mut quiet = NewMessageBody::text("psst");
        quiet.notify = Some(false);
        let err = run!(client.send_message(s.channel, quiet)).unwrap_err();
        assert_eq!(api_code(&err), (400, "proto.payload"));
        let err = run!(client.get_messages(GetMessages::in_chat(s.plain))).unwrap_err();
        assert_eq!(api_code(&err), (403, "chat.denied"));
        let err = run!(client.send_message(ChatId(-5), NewMessageBody::text("?"))).unwrap_err();
        assert_eq!(api_code(&err), (404, "chat.not.found"));
        assert_no_leak(&err, sb.token());

        // A user who stopped the bot: the dialog stays readable, sending is refused.
        sb.world().chat_mut(s.dialog).unwrap().status = ChatStatus::Suspended;
        assert_eq!(
            run!(client.get_chat(s.dialog)).unwrap().status,
            ChatStatus::Suspended
        );
        let err =
            run!(client.send_message(s.alice.user_id, NewMessageBody::text("?"))).unwrap_err();
        assert_eq!(api_code(&err), (403, "chat.denied"));
        assert_eq!(sb.stats().route("POST /messages"), 8);
    }
);

// ---------------------------------------------------------------------------------------------- comments

both_backends!(
    comments,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let s = seed(&sb);
        let post = run!(client.send_message(s.channel, NewMessageBody::text("post"))).unwrap();
        let post_id = post.mid().unwrap().to_owned();
        let users = sb
            .world()
            .post_comment(&post_id, s.bob.user_id, &NewCommentBody::text("first!"))
            .unwrap();

        let mut body = NewCommentBody::text("thanks");
        body.link = Some(NewMessageLink::reply(&users.body.mid));
        let mine = run!(client.send_comment(&post_id, body)).unwrap();
        assert_eq!(mine.recipient.post_id.as_deref(), Some(post_id.as_str()));
        assert_eq!(
            mine.link.as_ref().unwrap().message.text.as_deref(),
            Some("first!")
        );

        let list = run!(client.get_comments(&post_id)).unwrap();
        let texts: Vec<_> = list
            .messages
            .iter()
            .map(|c| c.body.text.clone().unwrap())
            .collect();
        assert_eq!(texts, ["thanks", "first!"], "newest first");

        run!(client.edit_comment(&post_id, &mine.body.mid, NewCommentBody::text("thank you")))
            .unwrap();
        let got = run!(client.get_comment(&post_id, &mine.body.mid)).unwrap();
        assert_eq!(got.body.text.as_deref(), Some("thank you"));
        let err = run!(client.edit_comment(&post_id, &users.body.mid, NewCommentBody::text("no")))
            .unwrap_err();
        assert_eq!(api_code(&err), (403, "chat.denied"));

        run!(client.delete_comment(&post_id, &users.body.mid)).unwrap();
        let err = run!(client.get_comment(&post_id, &users.body.mid)).unwrap_err();
        assert_eq!(api_code(&err), (404, "not.found"));
        assert_eq!(
            run!(client.get_comments(&post_id)).unwrap().messages.len(),
            1
        );

        // Comments exist only under channel posts.
        let chat_msg = sb.post_text(s.group, s.bob.user_id, "not a post");
        let err = run!(client.send_comment(chat_msg.mid().unwrap(), NewCommentBody::text("?")))
            .unwrap_err();
        assert_eq!(api_code(&err), (400, "proto.payload"));
        let err = run!(client.get_comments("mid.nothing")).unwrap_err();
        assert_eq!(api_code(&err), (404, "not.found"));
    }
);

// ---------------------------------------------------------------------------------------------- callbacks

both_backends!(
    callbacks,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let s = seed(&sb);
        let msg = run!(client.send_message(s.dialog, keyboard("yes"))).unwrap();
        assert!(matches!(
            msg.attachments()[0],
            Attachment::InlineKeyboard(_)
        ));
        let mid = msg.mid().unwrap().to_owned();
        let callback = sb
            .world()
            .press_button(&mid, s.alice.user_id, "yes")
            .unwrap();
        assert_eq!(callback.payload.as_deref(), Some("yes"));

        run!(client.answer_callback(
            &callback.callback_id,
            CallbackAnswer::notification("Vote counted")
        ))
        .unwrap();
        let mut answer = CallbackAnswer::message(NewMessageBody::text("Thanks!"));
        answer.notification = Some("Done".into());
        run!(client.answer_callback(&callback.callback_id, answer)).unwrap();

        let state = sb.world().callback(&callback.callback_id).cloned().unwrap();
        assert_eq!(state.notifications, ["Vote counted", "Done"]);
        assert_eq!(state.answers, 2);
        let replaced = run!(client.get_message(&mid)).unwrap();
        assert_eq!(replaced.text(), Some("Thanks!"));
        assert!(
            replaced.attachments().is_empty(),
            "the keyboard is replaced"
        );

        let err = run!(client.answer_callback("cb.unknown", CallbackAnswer::notification("?")))
            .unwrap_err();
        assert_eq!(api_code(&err), (404, "not.found"));
        assert_eq!(sb.stats().route("POST /answers"), 3);
    }
);

// ---------------------------------------------------------------------------------------------- subscriptions

both_backends!(
    subscriptions,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        assert!(
            run!(client.get_subscriptions())
                .unwrap()
                .subscriptions
                .is_empty()
        );
        let url = "https://bot.example.com/hook";
        run!(client.subscribe(SubscriptionRequestBody::new(url).with_secret("secret_1"))).unwrap();
        run!(
            client.subscribe(
                SubscriptionRequestBody::new(url).with_update_types(["message_created"])
            )
        )
        .unwrap();
        let subs = run!(client.get_subscriptions()).unwrap().subscriptions;
        assert_eq!(subs.len(), 1, "subscribing the same URL again updates it");
        assert_eq!(
            subs[0].update_types.as_deref(),
            Some(&["message_created".to_owned()][..])
        );
        run!(client.unsubscribe(url)).unwrap();
        assert!(
            run!(client.get_subscriptions())
                .unwrap()
                .subscriptions
                .is_empty()
        );
        let err = run!(client.unsubscribe(url)).unwrap_err();
        assert!(matches!(err, max::Error::Unsuccessful { .. }), "{err:?}");
        assert_eq!(sb.stats().route("DELETE /subscriptions"), 2);
    }
);

// ---------------------------------------------------------------------------------------------- videos

both_backends!(
    videos,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        sb.world().add_video("vid-1", 1920, 1080, 42);
        let video = run!(client.get_video("vid-1")).unwrap();
        assert_eq!(
            (video.width, video.height, video.duration),
            (1920, 1080, 42)
        );
        assert!(video.urls.unwrap().mp4_720.unwrap().contains("vid-1"));
        let err = run!(client.get_video("vid-2")).unwrap_err();
        assert_eq!(api_code(&err), (404, "not.found"));
    }
);

// ---------------------------------------------------------------------------------------------- uploads

both_backends!(
    uploads,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let s = seed(&sb);
        let cfg = client.config();
        let transport = client.transport();
        let get_url = |kind: &str| {
            RequestBuilder::new(cfg, Method::POST, "/uploads")
                .query("type", kind)
                .build()
                .unwrap()
        };

        // Image: the host answers the `photos` map; the message takes it unchanged.
        let resp = run!(transport.execute(get_url("image"))).unwrap();
        let endpoint: UploadEndpoint = serde_json::from_slice(resp.body()).unwrap();
        assert!(endpoint.url.starts_with(&sb.base_url()) && endpoint.token.is_none());
        let resp =
            run!(transport.execute(upload_request(&endpoint.url, "cat.png", b"\x89PNG fake")))
                .unwrap();
        assert_eq!(resp.status(), 200, "{}", body_text(&resp));
        let photos: PhotoUploadResult = serde_json::from_slice(resp.body()).unwrap();
        assert_eq!(photos.photos.len(), 1);
        let mut body = NewMessageBody::text("a cat");
        body.attachments = Some(vec![AttachmentRequest::image_photos(photos.photos)]);
        let sent = run!(client.send_message(s.group, body)).unwrap();
        assert!(matches!(sent.attachments()[0], Attachment::Image(_)));
        // One file per URL.
        let resp =
            run!(transport.execute(upload_request(&endpoint.url, "again.png", b"x"))).unwrap();
        assert_eq!(resp.status(), 400);

        // File: a JSON token; name and size show on the attachment.
        let resp = run!(transport.execute(get_url("file"))).unwrap();
        let endpoint: UploadEndpoint = serde_json::from_slice(resp.body()).unwrap();
        let resp =
            run!(transport.execute(upload_request(&endpoint.url, "report.pdf", &[7u8; 1234])))
                .unwrap();
        let token = serde_json::from_slice::<serde_json::Value>(resp.body()).unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut body = NewMessageBody::default();
        body.attachments = Some(vec![AttachmentRequest::file(&token)]);
        let sent = run!(client.send_message(s.group, body)).unwrap();
        let Attachment::File(file) = &sent.attachments()[0] else {
            panic!("{sent:?}")
        };
        assert_eq!(
            (file.filename.as_deref(), file.size),
            (Some("report.pdf"), Some(1234))
        );

        // Video: the token comes with the URL, the host answers XML; not ready until processed.
        sb.world().attachment_ready_after = 1;
        let resp = run!(transport.execute(get_url("video"))).unwrap();
        let endpoint: UploadEndpoint = serde_json::from_slice(resp.body()).unwrap();
        let token = endpoint.token.unwrap();
        let mut body = NewMessageBody::default();
        body.attachments = Some(vec![AttachmentRequest::video(&token)]);
        let err = run!(client.send_message(s.group, body.clone())).unwrap_err();
        assert_eq!(
            api_code(&err),
            (400, "attachment.not.ready"),
            "announced but not uploaded"
        );
        let resp =
            run!(transport.execute(upload_request(&endpoint.url, "clip.mp4", b"mp4"))).unwrap();
        assert_eq!(
            body_text(&resp),
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<retval>1</retval>"
        );
        let err = run!(client.send_message(s.group, body.clone())).unwrap_err();
        assert_eq!(
            api_code(&err),
            (400, "attachment.not.ready"),
            "still processing"
        );
        assert_eq!(
            err.to_string(),
            "MAX API error: HTTP 400 attachment.not.ready: Key: errors.process.attachment.file.not.processed"
        );
        let sent = run!(client.send_message(s.group, body)).unwrap();
        assert!(matches!(sent.attachments()[0], Attachment::Video(_)));
        assert_eq!(run!(client.get_video(&token)).unwrap().token, token);

        // Audio also answers XML; `photo` is no longer a type; the upload host needs no token.
        let resp = run!(transport.execute(get_url("audio"))).unwrap();
        let endpoint: UploadEndpoint = serde_json::from_slice(resp.body()).unwrap();
        assert!(endpoint.token.is_some());
        let resp = run!(transport.execute(upload_request(&endpoint.url, "a.mp3", b"id3"))).unwrap();
        assert!(body_text(&resp).contains("<retval>1</retval>"));
        let resp = run!(transport.execute(get_url("photo"))).unwrap();
        assert_eq!(resp.status(), 400);
        assert!(body_text(&resp).contains("proto.payload"));
        // Raw (non-multipart) bodies are the resumable protocol of §9.2 now; an unknown upload URL is 404.
        let unknown = http::Request::post(format!("{}/upload/file/424242", sb.base_url()))
            .header("content-type", "text/plain")
            .body(b"raw".to_vec())
            .unwrap();
        assert_eq!(run!(transport.execute(unknown)).unwrap().status(), 404);
        assert_eq!(sb.stats().route("POST /upload/{kind}/{id}"), 6);
        assert_eq!(sb.stats().route("POST /uploads"), 5);
    }
);
