//! Routing order, filters, context helpers and dialogues, on the dispatcher without a network
//! (`Dispatcher::dispatch_detached` returns the queued replies instead of sending them).
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::sync::{Arc, Mutex};
use std::time::Duration;

use botwire_bot::dialogue::{ManualClock, MemoryStorage};
use botwire_bot::{
    Action, Context, Dispatcher, Filter, Flow, HandlerError, Outcome, Router, filters,
};
use botwire_core_types::max::{BotInfo, ChatType, Update, UserId};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::json;

fn text_in(chat: i64, chat_type: &str, user: i64, text: &str) -> Update {
    serde_json::from_value(json!({
        "update_type": "message_created", "timestamp": 1,
        "message": {
            "sender": {"user_id": user, "first_name": format!("U{user}"), "is_bot": false},
            "recipient": {"chat_id": chat, "chat_type": chat_type},
            "timestamp": 1,
            "body": {"mid": format!("mid.{chat}.{text}"), "seq": 1, "text": text}
        }
    }))
    .unwrap()
}

fn text(user: i64, text: &str) -> Update {
    text_in(user + 1000, "dialog", user, text)
}

fn press(user: i64, payload: &str) -> Update {
    serde_json::from_value(json!({
        "update_type": "message_callback", "timestamp": 2,
        "callback": {"timestamp": 2, "callback_id": format!("cb.{payload}"), "payload": payload,
                     "user": {"user_id": user, "first_name": "U", "is_bot": false}},
        "message": {"recipient": {"chat_id": user + 1000, "chat_type": "dialog"}, "timestamp": 1,
                    "body": {"mid": "mid.kb", "seq": 1, "text": "menu"}}
    }))
    .unwrap()
}

fn started(user: i64, payload: Option<&str>) -> Update {
    let mut v = json!({"update_type": "bot_started", "timestamp": 3, "chat_id": user + 1000,
        "user": {"user_id": user, "first_name": "U", "is_bot": false}});
    if let Some(p) = payload {
        v["payload"] = json!(p);
    }
    serde_json::from_value(v).unwrap()
}

fn texts(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .map(|a| match a {
            Action::Send(_, body) => body.text.clone().unwrap_or_default(),
            Action::Answer { answer, .. } => {
                format!("answer:{}", answer.notification.clone().unwrap_or_default())
            }
            Action::Edit(mid, _) => format!("edit:{mid}"),
            Action::Delete(mid) => format!("delete:{mid}"),
            _ => "other".into(),
        })
        .collect()
}

fn bot() -> BotInfo {
    let mut info = BotInfo::new(99, "Shop");
    info.username = Some("shop_bot".into());
    info
}

fn says(
    s: &'static str,
) -> impl Fn(&Context) -> botwire_bot::HandlerResult + Send + Sync + 'static {
    move |ctx| ctx.reply(s)
}

#[tokio::test]
async fn first_match_wins_nested_routers_fall_through_and_fallback_takes_the_rest() {
    let admin = Router::named("admin").on(filters::text_eq("stats"), says("admin: stats"));
    let router = Router::new()
        .on(filters::text_prefix("he"), says("prefix he"))
        .on(
            filters::text_eq("hello"),
            says("never: shadowed by the prefix"),
        )
        .nest_when(filters::sender_in([UserId(1)]), admin)
        .on(filters::text_eq("stats"), says("public stats"))
        .fallback(says("fallback"));
    let d = Dispatcher::new(router).bot_info(bot());
    assert_eq!(
        texts(&d.dispatch_detached(text(2, "hello")).await.1),
        ["prefix he"]
    );
    assert_eq!(
        texts(&d.dispatch_detached(text(1, "stats")).await.1),
        ["admin: stats"]
    );
    // Not an admin: the nested router is skipped and routing goes on after it.
    assert_eq!(
        texts(&d.dispatch_detached(text(2, "stats")).await.1),
        ["public stats"]
    );
    assert_eq!(
        texts(&d.dispatch_detached(text(2, "???")).await.1),
        ["fallback"]
    );
}

#[tokio::test]
async fn unhandled_updates_reach_the_hook() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let d = Dispatcher::new(Router::new().on(filters::callback(), says("pressed")))
        .bot_info(bot())
        .on_unhandled({
            let seen = seen.clone();
            move |u| seen.lock().unwrap().push(u.kind().to_owned())
        });
    assert_eq!(
        d.dispatch_detached(text(1, "hi")).await.0,
        Outcome::Unhandled
    );
    let unknown: Update =
        serde_json::from_value(json!({"update_type": "message_teleported", "timestamp": 1}))
            .unwrap();
    assert_eq!(d.dispatch_detached(unknown).await.0, Outcome::Unhandled);
    assert_eq!(d.dispatch_detached(press(1, "x")).await.0, Outcome::Handled);
    assert_eq!(
        *seen.lock().unwrap(),
        ["message_created", "message_teleported"]
    );
    assert_eq!(d.stats().unhandled(), 2);
    assert_eq!(d.stats().handled(), 1);
}

#[tokio::test]
async fn commands_parse_arguments_mentions_and_deep_links() {
    let router = Router::new()
        .command("start", |ctx| {
            let cmd = ctx.command().ok_or("no command")?;
            ctx.reply(format!("start[{}]", cmd.args))
        })
        .command("add", |ctx| {
            let cmd = ctx.command().ok_or("no command")?;
            let (a, b): (i64, i64) = (cmd.arg(0).ok_or("a")?, cmd.arg(1).ok_or("b")?);
            ctx.reply(format!("{}", a + b))
        })
        .on(
            filters::deep_link("ref-"),
            says("never: /start comes first"),
        )
        .fallback(says("fallback"));
    let d = Dispatcher::new(router).bot_info(bot());
    assert_eq!(
        texts(&d.dispatch_detached(text(1, "/add 2 40")).await.1),
        ["42"]
    );
    assert_eq!(
        texts(&d.dispatch_detached(text(1, "/add@shop_bot 1 1")).await.1),
        ["2"]
    );
    assert_eq!(
        texts(&d.dispatch_detached(text(1, "/add@OTHER_bot 1 1")).await.1),
        ["fallback"]
    );
    assert_eq!(
        texts(&d.dispatch_detached(started(1, Some("ref-42"))).await.1),
        ["start[ref-42]"]
    );
    assert_eq!(
        texts(&d.dispatch_detached(started(1, None)).await.1),
        ["start[]"]
    );
    // A handler error is reported, not a reply.
    assert_eq!(
        d.dispatch_detached(text(1, "/add x")).await.0,
        Outcome::Failed
    );
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
struct Vote {
    item: u32,
    up: bool,
}

enum Size {
    Small,
    Large,
}

impl std::str::FromStr for Size {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "size:s" => Ok(Size::Small),
            "size:l" => Ok(Size::Large),
            _ => Err(()),
        }
    }
}

#[tokio::test]
async fn callback_text_chat_and_composed_filters() {
    let router = Router::new()
        .on(filters::callback_json::<Vote>(), |ctx| {
            let v: Vote = ctx.callback_json().ok_or("vote")?;
            ctx.notify(format!("vote {} {}", v.item, v.up))
        })
        .on(filters::callback_data::<Size>(), |ctx| {
            ctx.notify(match ctx.callback_data::<Size>() {
                Some(Size::Small) => "small",
                Some(Size::Large) => "large",
                None => "?",
            })
        })
        .on(filters::callback_prefix("menu:"), |ctx| ctx.notify("menu"))
        .on(
            filters::text_regex(Regex::new(r"^\d+$").unwrap()),
            says("number"),
        )
        .on(
            filters::chat_type(ChatType::Chat) & filters::text(),
            says("group text"),
        )
        .on(
            !filters::text_prefix("x") & (filters::text_eq("a") | filters::text_eq("b")),
            says("a or b"),
        )
        .on(
            Filter::update(|u| u.timestamp() == 1) & filters::text_eq("xa"),
            says("custom"),
        );
    let d = Dispatcher::new(router).bot_info(bot());
    assert_eq!(
        texts(
            &d.dispatch_detached(press(1, r#"{"item":7,"up":true}"#))
                .await
                .1
        ),
        ["answer:vote 7 true"]
    );
    assert_eq!(
        texts(&d.dispatch_detached(press(1, "size:l")).await.1),
        ["answer:large"]
    );
    assert_eq!(
        texts(&d.dispatch_detached(press(1, "menu:main")).await.1),
        ["answer:menu"]
    );
    assert_eq!(
        d.dispatch_detached(press(1, "nothing")).await.0,
        Outcome::Unhandled
    );
    assert_eq!(
        texts(&d.dispatch_detached(text(1, "12345")).await.1),
        ["number"]
    );
    assert_eq!(
        texts(
            &d.dispatch_detached(text_in(-5, "chat", 1, "hey all"))
                .await
                .1
        ),
        ["group text"]
    );
    assert_eq!(
        d.dispatch_detached(text(1, "hey all")).await.0,
        Outcome::Unhandled
    );
    assert_eq!(
        texts(&d.dispatch_detached(text(1, "b")).await.1),
        ["a or b"]
    );
    assert_eq!(
        texts(&d.dispatch_detached(text(1, "xa")).await.1),
        ["custom"]
    );
}

#[tokio::test]
async fn callback_answers_carry_the_chat_rate_key() {
    let d = Dispatcher::new(Router::new().on(filters::callback(), |ctx| ctx.notify("ok")))
        .bot_info(bot());
    let (_, sent) = d.dispatch_detached(press(7, "p")).await;
    let Action::Answer { rate_key, .. } = &sent[0] else {
        panic!("{sent:?}")
    };
    assert_eq!(
        rate_key.as_ref().map(|k| k.0.as_str()),
        Some("chat_id=1007")
    );
}

#[tokio::test]
async fn middleware_runs_first_and_can_stop_an_update() {
    let allowed = filters::sender_in([UserId(1)]);
    let router = Router::new()
        .middleware(move |ctx| {
            if allowed.check(ctx) {
                Ok(Flow::Continue)
            } else {
                ctx.reply("not allowed")?;
                Ok(Flow::Stop)
            }
        })
        .on(filters::text(), says("hello member"));
    let d = Dispatcher::new(router).bot_info(bot());
    assert_eq!(
        texts(&d.dispatch_detached(text(1, "hi")).await.1),
        ["hello member"]
    );
    let (outcome, sent) = d.dispatch_detached(text(2, "hi")).await;
    assert_eq!(
        (outcome, texts(&sent)),
        (Outcome::Handled, vec!["not allowed".to_owned()])
    );
}

#[tokio::test]
async fn errors_and_panics_reach_the_error_hook_and_the_bot_goes_on() {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let router = Router::new()
        .on(filters::text_eq("boom"), |_ctx| panic!("kaboom"))
        .on_async(filters::text_eq("async boom"), |_ctx| async {
            panic!("async kaboom")
        })
        .on(filters::text_eq("err"), |ctx| {
            ctx.reply("discarded with the error")?;
            Err("bad input".into())
        })
        .on(filters::text(), says("fine"));
    let d = Dispatcher::new(router).bot_info(bot()).on_error({
        let errors = errors.clone();
        move |u, e| {
            let kind = match e {
                HandlerError::Panic(m) => format!("panic:{m}"),
                HandlerError::Handler(m) => format!("error:{m}"),
                other => format!("other:{other}"),
            };
            errors.lock().unwrap().push((u.kind().to_owned(), kind));
        }
    });
    assert_eq!(
        d.dispatch_detached(text(1, "boom")).await,
        (Outcome::Failed, vec![])
    );
    assert_eq!(
        d.dispatch_detached(text(1, "async boom")).await,
        (Outcome::Failed, vec![])
    );
    assert_eq!(
        d.dispatch_detached(text(1, "err")).await,
        (Outcome::Failed, vec![])
    );
    assert_eq!(texts(&d.dispatch_detached(text(1, "ok")).await.1), ["fine"]);
    let errors = errors.lock().unwrap();
    assert_eq!(errors.len(), 3);
    assert_eq!(errors[0], ("message_created".into(), "panic:kaboom".into()));
    assert_eq!(errors[1].1, "panic:async kaboom");
    assert_eq!(errors[2].1, "error:bad input");
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Signup {
    Name,
    Age { name: String },
}

fn signup_router() -> Router {
    Router::new()
        .command("cancel", |ctx| {
            ctx.dialogue::<Signup>().reset();
            ctx.reply("cancelled")
        })
        .command("signup", |ctx| {
            ctx.dialogue().set(Signup::Name)?;
            ctx.reply("name?")
        })
        .on(filters::in_state(Signup::Name) & filters::text(), |ctx| {
            let name = ctx.text().unwrap_or_default().to_owned();
            ctx.reply(format!("age, {name}?"))?;
            ctx.dialogue().set(Signup::Age { name })?;
            Ok(())
        })
        .on(
            filters::state(|s: &Signup| matches!(s, Signup::Age { .. })) & filters::text(),
            |ctx| {
                let dialogue = ctx.dialogue::<Signup>();
                let Some(Signup::Age { name }) = dialogue.get() else {
                    return Ok(());
                };
                let age: u32 = ctx.text().unwrap_or_default().parse()?;
                dialogue.reset();
                ctx.reply(format!("{name} is {age}"))
            },
        )
        .on(filters::no_state() & filters::text(), says("say /signup"))
}

#[tokio::test]
async fn dialogues_of_two_users_interleave_without_mixing() {
    let d = Dispatcher::new(signup_router()).bot_info(bot());
    let mut log = Vec::new();
    for (user, msg) in [
        (1, "/signup"),
        (2, "/signup"),
        (2, "Bob"),
        (1, "Ann"),
        (1, "31"),
        (2, "not a number"),
        (2, "42"),
        (1, "x"),
    ] {
        log.push(format!(
            "{user}:{msg} -> {:?}",
            texts(&d.dispatch_detached(text(user, msg)).await.1)
        ));
    }
    assert_eq!(
        log,
        [
            "1:/signup -> [\"name?\"]",
            "2:/signup -> [\"name?\"]",
            "2:Bob -> [\"age, Bob?\"]",
            "1:Ann -> [\"age, Ann?\"]",
            "1:31 -> [\"Ann is 31\"]",
            // The handler failed: its state change (the reset) was discarded, Bob is still asked his age.
            "2:not a number -> []",
            "2:42 -> [\"Bob is 42\"]",
            "1:x -> [\"say /signup\"]",
        ]
    );
}

#[tokio::test]
async fn a_conversation_times_out_on_the_injected_clock() {
    let clock = ManualClock::new();
    let d = Dispatcher::new(signup_router())
        .bot_info(bot())
        .storage(MemoryStorage::with_clock(100, clock.clone()))
        .dialogue_timeout(Some(Duration::from_secs(600)));
    assert_eq!(
        texts(&d.dispatch_detached(text(1, "/signup")).await.1),
        ["name?"]
    );
    clock.advance(Duration::from_secs(599));
    assert_eq!(
        texts(&d.dispatch_detached(text(1, "Ann")).await.1),
        ["age, Ann?"]
    );
    // Every write renews the timeout; 600 s of silence drops the conversation.
    clock.advance(Duration::from_secs(600));
    assert_eq!(
        texts(&d.dispatch_detached(text(1, "31")).await.1),
        ["say /signup"]
    );
}

#[tokio::test]
async fn user_state_is_injected_by_type() {
    struct Greeting(&'static str);
    let d = Dispatcher::new(Router::new().on(filters::text(), |ctx| {
        let g = ctx.state::<Greeting>().ok_or("no greeting")?;
        ctx.reply(g.0)
    }))
    .bot_info(bot())
    .state(Greeting("hej"));
    assert_eq!(texts(&d.dispatch_detached(text(1, "x")).await.1), ["hej"]);
}

/// An anti-flood middleware written with the same tools as handlers: typed state and a queued reply.
#[derive(Default)]
struct Flood(Mutex<std::collections::HashMap<UserId, u32>>);

#[tokio::test]
async fn anti_flood_middleware_stops_a_user_after_three_messages() {
    let router = Router::new()
        .middleware(|ctx| {
            let (Some(flood), Some(user)) = (ctx.state::<Flood>(), ctx.sender_id()) else {
                return Ok(Flow::Continue);
            };
            let mut counts = flood.0.lock().unwrap();
            let n = counts.entry(user).or_default();
            *n += 1;
            match *n {
                1..=3 => Ok(Flow::Continue),
                4 => {
                    ctx.reply("slow down")?;
                    Ok(Flow::Stop)
                }
                _ => Ok(Flow::Stop),
            }
        })
        .on(filters::text(), says("ok"));
    let d = Dispatcher::new(router)
        .bot_info(bot())
        .state(Flood::default());
    let mut got = Vec::new();
    for _ in 0..5 {
        got.extend(texts(&d.dispatch_detached(text(1, "spam")).await.1));
    }
    got.extend(texts(&d.dispatch_detached(text(2, "hi")).await.1));
    assert_eq!(got, ["ok", "ok", "ok", "slow down", "ok"]);
}

#[tokio::test]
async fn a_press_without_a_chat_id_continues_the_dialog_of_its_user() {
    let router = signup_router().on(filters::callback_eq("skip"), |ctx| {
        let state = ctx.dialogue::<Signup>().get();
        ctx.dialogue().set(Signup::Age {
            name: "anonymous".into(),
        })?;
        ctx.notify(format!("{state:?}"))
    });
    let d = Dispatcher::new(router).bot_info(bot());
    d.dispatch_detached(text(1, "/signup")).await;
    // As observed from private dialogs: the callback has no message (hence no chat id).
    let bare: Update = serde_json::from_value(json!({
        "update_type": "message_callback", "timestamp": 2,
        "callback": {"timestamp": 2, "callback_id": "cb.1", "payload": "skip",
                     "user": {"user_id": 1, "first_name": "U", "is_bot": false}}
    }))
    .unwrap();
    assert_eq!(
        texts(&d.dispatch_detached(bare).await.1),
        ["answer:Some(Name)"]
    );
    assert_eq!(
        texts(&d.dispatch_detached(text(1, "30")).await.1),
        ["anonymous is 30"]
    );
}
