//! Issue 9.6: the per-chat limits apply to requests that do not name their chat. `POST /answers` carries only
//! a `callback_id`, and a dialog can be written to by `chat_id` or by `user_id`; the client learns both from
//! the updates it delivered (`Config::chats`) and the default throttle paces them per chat.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::sync::{Arc, Mutex};
use std::time::Duration;

use botwire_max::Config;
use botwire_max::blocking::Client;
use botwire_max::types::{CallbackAnswer, ChatId, NewMessageBody, Update, UserId};
use botwire_transport::{
    HttpRequest, HttpResponse, ManualClock, Throttle, ThrottleConfig, Timer, TransportError,
};

type Log = Arc<Mutex<Vec<(Duration, String)>>>;

/// A blocking client over the MAX throttle preset on a manual clock, whose "server" records when each request
/// left and answers what `POST /messages` and `POST /answers` answer.
fn client() -> (
    Client<Throttle<impl botwire_transport::BlockingTransport>>,
    ManualClock,
    Log,
) {
    let (timer, clock) = Timer::manual();
    let log: Log = Arc::default();
    let (c, l) = (clock.clone(), log.clone());
    let server = move |req: HttpRequest| -> Result<HttpResponse, TransportError> {
        l.lock().unwrap().push((c.now(), req.uri().to_string()));
        let body: &[u8] = if req.uri().path() == "/answers" {
            br#"{"success":true}"#
        } else {
            br#"{"message":{"recipient":{"chat_id":42,"chat_type":"dialog","user_id":7},"timestamp":1,"body":{"mid":"m","seq":1,"text":"ok"}}}"#
        };
        Ok(http::Response::new(body.to_vec()))
    };
    let throttle = Throttle::new(server, ThrottleConfig::max().global(None)).with_timer(timer);
    (Client::new(Config::new("t0ken"), throttle), clock, log)
}

fn press(callback_id: &str, chat: Option<i64>, user: i64) -> Update {
    let recipient = match chat {
        Some(chat) => format!(r#"{{"chat_id":{chat},"chat_type":"dialog","user_id":{user}}}"#),
        None => format!(r#"{{"chat_type":"dialog","user_id":{user}}}"#),
    };
    serde_json::from_str(&format!(
        r#"{{"update_type":"message_callback","timestamp":1,
            "callback":{{"timestamp":1,"callback_id":"{callback_id}","payload":"p","user":{{"user_id":{user},"first_name":"U","is_bot":false,"last_activity_time":0}}}},
            "message":{{"recipient":{recipient},"timestamp":1,"body":{{"mid":"m","seq":1,"text":"menu"}}}}}}"#
    ))
    .unwrap()
}

fn max_in_window(times: &[Duration], window: Duration) -> usize {
    times
        .iter()
        .map(|&s| times.iter().filter(|&&t| t >= s && t < s + window).count())
        .max()
        .unwrap_or(0)
}

fn times_of(log: &Log, needle: &str) -> Vec<Duration> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|(_, u)| u.contains(needle))
        .map(|(t, _)| *t)
        .collect()
}

#[test]
fn answers_to_one_chats_presses_are_paced_per_chat() {
    let (client, _clock, log) = client();
    for i in 0..5 {
        client
            .config()
            .chats()
            .observe(&press(&format!("a{i}"), Some(42), 7));
        client
            .config()
            .chats()
            .observe(&press(&format!("b{i}"), Some(43), 8));
    }
    for i in 0..5 {
        client
            .answer_callback(format!("a{i}"), CallbackAnswer::notification("ok"))
            .unwrap();
        client
            .answer_callback(format!("b{i}"), CallbackAnswer::notification("ok"))
            .unwrap();
    }
    let all = times_of(&log, "/answers");
    assert_eq!(all.len(), 10);
    let chat_a: Vec<Duration> = all.iter().step_by(2).copied().collect();
    let chat_b: Vec<Duration> = all.iter().skip(1).step_by(2).copied().collect();
    assert_eq!(max_in_window(&chat_a, Duration::from_secs(1)), 2);
    assert_eq!(max_in_window(&chat_b, Duration::from_secs(1)), 2);
    // Before the fix all five answers of a chat left at once (35 ms apart behind the global rate).
    assert!(chat_a[4] - chat_a[0] >= Duration::from_secs(2));
    // The other chat is not held back by the first one: each of its answers leaves with its twin.
    assert!(chat_a.iter().zip(&chat_b).all(|(a, b)| a == b));
}

#[test]
fn a_press_without_a_chat_id_is_paced_with_the_users_dialog() {
    let (client, _clock, log) = client();
    // The dialog is learned from a press that names it; a later press in the same dialog arrives without
    // `recipient.chat_id` (as observed from private dialogs) and still shares its budget.
    client
        .config()
        .chats()
        .observe(&press("first", Some(42), 7));
    client.config().chats().observe(&press("second", None, 7));
    assert_eq!(
        client.config().chats().callback_key("second").as_deref(),
        Some("chat_id=42")
    );
    for id in ["first", "second"] {
        client
            .answer_callback(id, CallbackAnswer::notification("ok"))
            .unwrap();
    }
    client
        .send_message(ChatId(42), NewMessageBody::text("x"))
        .unwrap();
    let answers = times_of(&log, "/answers");
    assert_eq!(answers, vec![Duration::ZERO, Duration::from_millis(500)]);
}

#[test]
fn a_dialog_written_by_user_id_and_chat_id_is_one_chat() {
    let (client, _clock, log) = client();
    client.config().chats().observe(&press("p", Some(42), 7));
    for i in 0..6 {
        if i % 2 == 0 {
            client
                .send_message(UserId(7), NewMessageBody::text("by user"))
                .unwrap();
        } else {
            client
                .send_message(ChatId(42), NewMessageBody::text("by chat"))
                .unwrap();
        }
    }
    let sends = times_of(&log, "/messages");
    assert_eq!(sends.len(), 6);
    assert_eq!(max_in_window(&sends, Duration::from_secs(1)), 2);
    // A user whose dialog is unknown keeps their own key, and is not held back by chat 42.
    let before = sends.len();
    client
        .send_message(UserId(99), NewMessageBody::text("new"))
        .unwrap();
    let sends = times_of(&log, "/messages");
    assert_eq!(sends.len(), before + 1);
    assert_eq!(sends[before], sends[before - 1], "user 99 left at once");
}

/// End to end: a press in the sandbox, delivered by long polling, teaches the client the chat of its
/// callback, so the answer is paced with that chat.
#[test]
fn long_polling_feeds_the_directory() {
    use botwire_max::polling::{PollConfig, Polled};
    use botwire_max::types::Update as U;

    let sandbox = botwire_sandbox::MaxSandbox::start().unwrap();
    let alice = sandbox.add_user("Alice");
    let dialog = sandbox.user_starts_bot(alice.user_id, None).unwrap();
    let config = Config::new(sandbox.token()).with_base_url(sandbox.base_url());
    let client = botwire_max::blocking::Client::with_config(config);
    let keyboard = botwire_max::builders::KeyboardBuilder::new()
        .callback("Go", "go")
        .build()
        .unwrap();
    let menu = client
        .send_message(
            ChatId(dialog.0),
            botwire_max::builders::MessageBuilder::text("menu")
                .keyboard(keyboard)
                .build()
                .unwrap()
                .body,
        )
        .unwrap();
    let mid = menu.body.unwrap().mid;
    sandbox
        .user_presses_button(alice.user_id, &mid, "go")
        .unwrap();
    let poll = PollConfig::default().timeout_secs(1);
    let callback_id = client
        .updates(poll)
        .find_map(|item| match item {
            Ok(Polled::Update(U::MessageCallback(press))) => Some(press.callback.callback_id),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        client.config().chats().callback_key(&callback_id),
        Some(format!("chat_id={}", dialog.0))
    );
    assert_eq!(
        client.config().chats().user_key(alice.user_id),
        format!("chat_id={}", dialog.0)
    );
}
