//! Testing a bot (feature `testing`): run the dispatcher against the in-process MAX sandbox, act as users,
//! and snapshot the transcript with `insta`.
//!
//! Each action (`start_bot`, `send`, `press`) queues one update in the sandbox; [`BotTest::settle`] waits
//! until the dispatcher finished every queued update (an event, not a sleep) and appends what happened to the
//! transcript: first the users' actions since the last settle in the order they were made, then, user by
//! user in the order they were created, what the bot did in their dialog (new messages with their buttons,
//! edits, deletions, callback notifications). Ids and timestamps never appear, so a transcript is the same on
//! every run even when several users act at once.
//!
//! ```no_run
//! use botwire_bot::testing::BotTest;
//! use botwire_bot::{Dispatcher, Router, filters};
//!
//! #[test]
//! fn greets() -> Result<(), botwire_bot::BoxError> {
//!     let router = Router::new().command("start", |ctx| ctx.reply("Hi!"));
//!     let mut test = BotTest::start(Dispatcher::new(router))?;
//!     let alice = test.user("Alice");
//!     test.start_bot(alice, None)?;
//!     insta::assert_snapshot!(test.finish()?, @r"
//!     Alice starts the bot
//!       Bot → Alice: Hi!
//!     ");
//!     Ok(())
//! }
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use botwire_core_types::max::{Attachment, Button, ChatId, Message, User};
use botwire_max::polling::{PollConfig, StopHandle};
use botwire_max::{Client, Config};
use botwire_sandbox::MaxSandbox;
use botwire_transport::{ReqwestTransport, TransportConfig};

use crate::error::{BoxError, RunError};
use crate::runtime::{DispatchStats, Dispatcher, RunSummary};

/// Longest wait for the bot to finish the queued updates: a hang guard, not a speed requirement.
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A user the test acts as (an index into the test's users).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestUser(usize);

struct UserState {
    name: String,
    user: User,
    dialog: Option<ChatId>,
}

enum Runner {
    Async(tokio::task::JoinHandle<Result<RunSummary, RunError>>),
    #[cfg_attr(not(feature = "ureq"), allow(dead_code))] // built only by `start_blocking`
    Blocking(std::thread::JoinHandle<Result<RunSummary, RunError>>),
}

impl Runner {
    fn is_finished(&self) -> bool {
        match self {
            Runner::Async(t) => t.is_finished(),
            Runner::Blocking(t) => t.is_finished(),
        }
    }
}

/// A bot under test: the sandbox, the dispatcher on long polling in a background runtime, and the transcript.
pub struct BotTest {
    sandbox: MaxSandbox,
    runtime: tokio::runtime::Runtime,
    stop: StopHandle,
    stats: Arc<DispatchStats>,
    task: Option<Runner>,
    pushed: u64,
    users: Vec<UserState>,
    seen: HashMap<ChatId, Vec<(String, String)>>,
    presses: Vec<(usize, String, usize)>,
    actions: Vec<String>,
    transcript: Vec<String>,
}

impl std::fmt::Debug for BotTest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotTest")
            .field("pushed", &self.pushed)
            .field("users", &self.users.len())
            .finish_non_exhaustive()
    }
}

impl BotTest {
    /// Starts a sandbox (its rate limits off, so tests run at full speed) and runs `dispatcher` on long
    /// polling against it.
    pub fn start(dispatcher: Dispatcher) -> Result<Self, BoxError> {
        Self::start_with(dispatcher, false)
    }

    /// The same on the blocking runner (`Dispatcher::run_blocking` on ureq, on its own threads): for a
    /// router of plain-function handlers, to check it behaves the same on both runners.
    #[cfg(feature = "ureq")]
    pub fn start_blocking(dispatcher: Dispatcher) -> Result<Self, BoxError> {
        Self::start_with(dispatcher, true)
    }

    fn start_with(dispatcher: Dispatcher, blocking: bool) -> Result<Self, BoxError> {
        let sandbox = MaxSandbox::start()?;
        sandbox.faults().limits().enforce(false);
        let config = Config::new(sandbox.token()).with_base_url(sandbox.base_url());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let stop = StopHandle::new();
        let stats = dispatcher.stats();
        let poll = PollConfig::default()
            .min_interval(Duration::ZERO)
            .jitter_seed(1);
        let task = if blocking {
            Self::spawn_blocking(dispatcher, config, poll, stop.clone())?
        } else {
            let client = Client::new(config, ReqwestTransport::new(TransportConfig::default())?);
            Runner::Async(runtime.spawn(dispatcher.run_polling(client, poll, stop.clone())))
        };
        Ok(Self {
            sandbox,
            runtime,
            stop,
            stats,
            task: Some(task),
            pushed: 0,
            users: Vec::new(),
            seen: HashMap::new(),
            presses: Vec::new(),
            actions: Vec::new(),
            transcript: Vec::new(),
        })
    }

    #[cfg(feature = "ureq")]
    fn spawn_blocking(
        dispatcher: Dispatcher,
        config: Config,
        poll: PollConfig,
        stop: StopHandle,
    ) -> Result<Runner, BoxError> {
        let transport = botwire_transport::UreqTransport::new(TransportConfig::default());
        let client = botwire_max::blocking::Client::new(config, transport);
        // A short hold, so that `finish` does not wait long for the poll in progress.
        let poll = poll.timeout_secs(1);
        let handle = std::thread::Builder::new()
            .name("botwire-bot-test".into())
            .spawn(move || dispatcher.run_blocking(client, poll, stop))?;
        Ok(Runner::Blocking(handle))
    }

    #[cfg(not(feature = "ureq"))]
    fn spawn_blocking(
        _dispatcher: Dispatcher,
        _config: Config,
        _poll: PollConfig,
        _stop: StopHandle,
    ) -> Result<Runner, BoxError> {
        Err("the blocking runner needs the `ureq` feature".into())
    }

    /// The sandbox (to seed chats, inspect the world, inject faults).
    pub fn sandbox(&self) -> &MaxSandbox {
        &self.sandbox
    }

    /// The dispatcher's counters.
    pub fn stats(&self) -> &DispatchStats {
        &self.stats
    }

    /// Adds a user.
    pub fn user(&mut self, name: &str) -> TestUser {
        let user = self.sandbox.add_user(name);
        self.users.push(UserState {
            name: name.to_owned(),
            user,
            dialog: None,
        });
        TestUser(self.users.len() - 1)
    }

    /// The user as the sandbox knows them.
    pub fn user_info(&self, user: TestUser) -> &User {
        &self.users[user.0].user
    }

    /// The user presses Start (through a deep link when `payload` is given).
    pub fn start_bot(&mut self, user: TestUser, payload: Option<&str>) -> Result<(), BoxError> {
        let id = self.users[user.0].user.user_id;
        let chat = self.sandbox.user_starts_bot(id, payload)?;
        self.users[user.0].dialog = Some(chat);
        self.seen.entry(chat).or_default();
        self.acted(match payload {
            Some(p) => format!(
                "{} starts the bot (deep link \"{p}\")",
                self.users[user.0].name
            ),
            None => format!("{} starts the bot", self.users[user.0].name),
        });
        Ok(())
    }

    /// The user writes `text` in their dialog with the bot (starting it first if needed).
    pub fn send(&mut self, user: TestUser, text: &str) -> Result<(), BoxError> {
        let chat = self.dialog_of(user)?;
        let id = self.users[user.0].user.user_id;
        self.sandbox.user_sends_text(id, chat, text)?;
        self.acted(format!("{}: {text}", self.users[user.0].name));
        Ok(())
    }

    /// The user presses the callback button labelled `label` on the newest bot message that has one. Settles
    /// first, so the button the bot just sent is there.
    pub fn press(&mut self, user: TestUser, label: &str) -> Result<(), BoxError> {
        self.settle()?;
        let chat = self.dialog_of(user)?;
        let found = {
            let world = self.sandbox.world();
            let bot = world.bot_id();
            world
                .messages(chat)
                .iter()
                .rev()
                .filter(|m| m.author == bot)
                .find_map(|m| {
                    let payload = buttons(&m.message).into_iter().find_map(|b| match b {
                        Button::Callback(c) if c.text == label => Some(c.payload.clone()),
                        _ => None,
                    })?;
                    Some((m.message.mid()?.to_owned(), payload))
                })
        };
        let (mid, payload) =
            found.ok_or_else(|| format!("no bot message with a button {label:?} for this user"))?;
        let id = self.users[user.0].user.user_id;
        let callback = self.sandbox.user_presses_button(id, &mid, &payload)?;
        self.presses.push((user.0, callback.callback_id, 0));
        self.acted(format!("{} presses [{label}]", self.users[user.0].name));
        Ok(())
    }

    /// MAX sends an update of a type this SDK does not know (`update_type` plus `fields`).
    pub fn push_unknown(&mut self, update_type: &str, fields: serde_json::Value) {
        self.sandbox.push_unknown_update(update_type, fields);
        self.acted(format!(
            "(MAX sends an update of unknown type {update_type})"
        ));
    }

    /// The user's dialog with the bot (created when needed).
    pub fn dialog(&mut self, user: TestUser) -> Result<ChatId, BoxError> {
        self.dialog_of(user)
    }

    fn dialog_of(&mut self, user: TestUser) -> Result<ChatId, BoxError> {
        if let Some(c) = self.users[user.0].dialog {
            return Ok(c);
        }
        let id = self.users[user.0].user.user_id;
        let chat = self.sandbox.world().add_dialog(id)?;
        self.users[user.0].dialog = Some(chat);
        self.seen.entry(chat).or_default();
        Ok(chat)
    }

    fn acted(&mut self, line: String) {
        self.pushed += 1;
        self.actions.push(line);
    }

    /// Waits until the bot finished every update queued so far, then appends the new actions and the bot's
    /// doings to the transcript.
    pub fn settle(&mut self) -> Result<(), BoxError> {
        if !self.stats.wait_finished(self.pushed, SETTLE_TIMEOUT) {
            return Err(format!(
                "the bot finished {} of {} updates within {SETTLE_TIMEOUT:?}",
                self.stats.finished(),
                self.pushed
            )
            .into());
        }
        if let Some(task) = &self.task
            && task.is_finished()
        {
            return Err("the dispatcher stopped".into());
        }
        self.transcript.append(&mut self.actions);
        let world = self.sandbox.world();
        let bot = world.bot_id();
        for (index, user) in self.users.iter().enumerate() {
            let Some(chat) = user.dialog else { continue };
            let now: Vec<(String, String)> = world
                .messages(chat)
                .iter()
                .filter(|m| m.author == bot)
                .filter_map(|m| Some((m.message.mid()?.to_owned(), render(&m.message))))
                .collect();
            let before = self.seen.entry(chat).or_default();
            for (mid, text) in before.iter() {
                match now.iter().find(|(m, _)| m == mid) {
                    None => self
                        .transcript
                        .push(format!("  Bot deletes for {}: {text}", user.name)),
                    Some((_, new)) if new != text => self
                        .transcript
                        .push(format!("  Bot edits for {}: {new}", user.name)),
                    Some(_) => {}
                }
            }
            for (mid, text) in &now {
                if !before.iter().any(|(m, _)| m == mid) {
                    self.transcript
                        .push(format!("  Bot → {}: {text}", user.name));
                }
            }
            *before = now;
            for (who, callback_id, shown) in &mut self.presses {
                if *who != index {
                    continue;
                }
                if let Some(state) = world.callback(callback_id) {
                    for note in state.notifications.iter().skip(*shown) {
                        self.transcript
                            .push(format!("  (notification for {}: {note})", user.name));
                    }
                    *shown = state.notifications.len();
                }
            }
        }
        Ok(())
    }

    /// Settles and returns the transcript so far, one line per event.
    pub fn transcript(&mut self) -> Result<String, BoxError> {
        self.settle()?;
        Ok(self.transcript.join("\n"))
    }

    /// Settles, stops the dispatcher (draining it) and returns the transcript.
    pub fn finish(mut self) -> Result<String, BoxError> {
        let transcript = self.transcript()?;
        self.stop.stop();
        match self.task.take() {
            Some(Runner::Async(task)) => drop(self.runtime.block_on(task)??),
            Some(Runner::Blocking(thread)) => drop(
                thread
                    .join()
                    .map_err(|_| "the blocking runner panicked")??,
            ),
            None => {}
        }
        Ok(transcript)
    }
}

fn buttons(message: &Message) -> Vec<&Button> {
    message
        .attachments()
        .iter()
        .filter_map(|a| match a {
            Attachment::InlineKeyboard(kb) => Some(kb.payload.buttons.iter().flatten()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn render(message: &Message) -> String {
    let mut line = message.text().unwrap_or("").to_owned();
    let labels: Vec<&str> = buttons(message)
        .into_iter()
        .filter_map(Button::text)
        .collect();
    if !labels.is_empty() {
        line.push_str(&format!("  [{}]", labels.join(" | ")));
    }
    line
}

/// Checks that `store` keeps the [`Storage`](crate::Storage) contract the runners rely on, panicking with what
/// broke: a missing dialogue reads as `None`; `set` returns the version `get` then shows; `compare_and_set`
/// refuses a stale, wrong or absent expectation and hands back what is stored, writes with the right one, removes
/// with `None`, creates an absent dialogue with `expected == None`; a version is never handed out twice for a key
/// (not even after a removal, so an old reader cannot overwrite a newer dialogue); `remove` of nothing is fine.
///
/// For the authors of a store (it is what `botwire-redis` and `botwire-sqlite` run): call it on an empty store;
/// it uses the dialogue key (chat 42, user 42) and leaves it removed.
///
/// ```
/// # async fn check() {
/// botwire_bot::testing::check_storage_contract(&botwire_bot::MemoryStorage::default()).await;
/// # }
/// ```
#[allow(clippy::panic)] // a test helper: a panic is the report
pub async fn check_storage_contract(store: &dyn crate::Storage) {
    use crate::DialogueKey;
    use crate::dialogue::CasOutcome;
    use botwire_core_types::max::{ChatId, UserId};
    use serde_json::json;

    let k = DialogueKey {
        chat_id: ChatId(42),
        user_id: UserId(42),
    };
    let expect = |what: &str, r: Result<CasOutcome, crate::StorageError>| {
        r.unwrap_or_else(|e| panic!("{what}: {e}"))
    };
    assert_eq!(
        store.get(&k).await.unwrap_or_else(|e| panic!("get: {e}")),
        None,
        "a dialogue never written reads as None"
    );
    let v1 = store
        .set(&k, json!({"step": "name"}), None)
        .await
        .unwrap_or_else(|e| panic!("set: {e}"));
    let got = store
        .get(&k)
        .await
        .unwrap_or_else(|e| panic!("get: {e}"))
        .unwrap_or_else(|| panic!("the dialogue just set is gone"));
    assert_eq!(
        (got.value, got.version),
        (json!({"step": "name"}), v1),
        "get shows what set wrote, with its version"
    );

    match expect(
        "CAS expecting nothing",
        store
            .compare_and_set(&k, None, Some(json!("x")), None)
            .await,
    ) {
        CasOutcome::Conflict(Some(current)) => {
            assert_eq!(current.version, v1, "a conflict hands back what is stored");
        }
        other => {
            panic!("a CAS expecting nothing over a stored dialogue must conflict, got {other:?}")
        }
    }
    let wrong = expect(
        "CAS with a wrong version",
        store
            .compare_and_set(&k, Some(v1.wrapping_add(100)), Some(json!("x")), None)
            .await,
    );
    assert!(
        matches!(wrong, CasOutcome::Conflict(Some(_))),
        "a wrong version must conflict, got {wrong:?}"
    );
    let v2 = match expect(
        "CAS with the right version",
        store
            .compare_and_set(
                &k,
                Some(v1),
                Some(json!({"step": "age", "name": "Ann"})),
                None,
            )
            .await,
    ) {
        CasOutcome::Written(Some(v2)) => v2,
        other => panic!("the right version must write, got {other:?}"),
    };
    assert_ne!(v2, v1, "a write must change the version");
    let got = store.get(&k).await.unwrap_or_else(|e| panic!("get: {e}"));
    assert_eq!(
        got.map(|v| v.value["name"].clone()),
        Some(json!("Ann")),
        "the CAS wrote its value"
    );

    assert_eq!(
        expect(
            "CAS removal",
            store.compare_and_set(&k, Some(v2), None, None).await
        ),
        CasOutcome::Written(None),
        "a CAS with None removes"
    );
    assert_eq!(
        store.get(&k).await.unwrap_or_else(|e| panic!("get: {e}")),
        None,
        "removed"
    );
    assert_eq!(
        expect(
            "CAS on a removed dialogue",
            store
                .compare_and_set(&k, Some(v2), Some(json!(1)), None)
                .await
        ),
        CasOutcome::Conflict(None),
        "a version over nothing stored conflicts with nothing"
    );
    let v3 = match expect(
        "CAS creating",
        store
            .compare_and_set(&k, None, Some(json!("again")), None)
            .await,
    ) {
        CasOutcome::Written(Some(v3)) => v3,
        other => panic!("an absent dialogue must be creatable, got {other:?}"),
    };
    assert!(
        v3 != v1 && v3 != v2,
        "a version was handed out twice for one key ({v3}): an old reader could overwrite a newer dialogue"
    );
    store
        .remove(&k)
        .await
        .unwrap_or_else(|e| panic!("remove: {e}"));
    assert_eq!(
        store.get(&k).await.unwrap_or_else(|e| panic!("get: {e}")),
        None,
        "removed"
    );
    store
        .remove(&k)
        .await
        .unwrap_or_else(|e| panic!("removing nothing: {e}"));
}

// ------------------------------------------------------------------- scenarios for dialogue stores

/// A text message from `user` in their dialog with the bot (chat id = user id), numbered `n`: its timestamp,
/// `seq` and `mid` (`mid.<user>.<n>`). The update a store's scenario tests hand a [`Dispatcher`] directly.
///
/// ```
/// use botwire_core_types::max::Update;
///
/// let Update::MessageCreated(created) = botwire_bot::testing::text_update(7, "hi", 1) else {
///     unreachable!()
/// };
/// assert_eq!(created.message.and_then(|m| m.text().map(str::to_owned)).as_deref(), Some("hi"));
/// ```
#[allow(clippy::panic)] // a test helper: a panic is the report
pub fn text_update(user: i64, text: &str, n: usize) -> botwire_core_types::max::Update {
    serde_json::from_value(serde_json::json!({
        "update_type": "message_created", "timestamp": n,
        "message": {
            "sender": {"user_id": user, "first_name": "U", "is_bot": false},
            "recipient": {"chat_id": user, "chat_type": "dialog"},
            "timestamp": n,
            "body": {"mid": format!("mid.{user}.{n}"), "seq": n, "text": text}
        }
    }))
    .unwrap_or_else(|e| panic!("the text update does not decode: {e}"))
}

/// The texts of the messages the bot sent among `actions`, in order.
pub fn sent_texts(actions: &[crate::Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            crate::Action::Send(_, body) => body.text.clone(),
            _ => None,
        })
        .collect()
}

/// The dialogue state of [`order_form`]: which answer the form waits for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OrderStep {
    /// Waits for the product.
    Product,
    /// Waits for the quantity of `product`.
    Quantity {
        /// The product named.
        product: String,
    },
    /// Waits for the address.
    Address {
        /// The product named.
        product: String,
        /// The quantity given.
        quantity: u32,
    },
}

/// A three-step form kept in the dialogue store: `/order`, then the product, the quantity and the address,
/// each answer moving [`OrderStep`] on; the last one replies `<quantity> × <product> to <address>: ordered` and
/// ends the dialogue. What a store must carry across replicas and restarts, one step per update.
pub fn order_form() -> crate::Router {
    use crate::{Context, HandlerResult, filters};
    crate::Router::new()
        .command("order", |ctx: &Context| -> HandlerResult {
            ctx.dialogue().set(OrderStep::Product)?;
            ctx.reply("What would you like?")
        })
        .on(
            filters::text() & !filters::any_command(),
            |ctx: &Context| -> HandlerResult {
                let text = ctx.text().unwrap_or_default().to_owned();
                let dialogue = ctx.dialogue::<OrderStep>();
                match dialogue.get() {
                    Some(OrderStep::Product) => {
                        dialogue.set(OrderStep::Quantity { product: text })?;
                        ctx.reply("How many?")
                    }
                    Some(OrderStep::Quantity { product }) => {
                        let quantity = text.parse()?;
                        dialogue.set(OrderStep::Address { product, quantity })?;
                        ctx.reply("Where to?")
                    }
                    Some(OrderStep::Address { product, quantity }) => {
                        dialogue.reset();
                        ctx.reply(format!("{quantity} × {product} to {text}: ordered"))
                    }
                    None => ctx.reply("Send /order first"),
                }
            },
        )
}

/// A router that counts each conversation's texts in the dialogue store (`{"count": n}`) and replies
/// `count <n>`; `runs` counts the handler's runs, re-runs after a compare-and-set conflict included. Concurrent
/// updates of one conversation must end at `count` = the number of updates: no increment lost.
pub fn counting_router(runs: Arc<std::sync::atomic::AtomicU32>) -> crate::Router {
    use crate::{Context, HandlerResult, filters};
    crate::Router::new().on(filters::text(), move |ctx: &Context| -> HandlerResult {
        runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let count = ctx
            .dialogue::<serde_json::Value>()
            .get()
            .and_then(|v| v["count"].as_u64())
            .unwrap_or(0)
            + 1;
        ctx.dialogue().set(serde_json::json!({ "count": count }))?;
        ctx.reply(format!("count {count}"))
    })
}

/// Runs `future` to completion on this thread exactly as the blocking runner runs its storage calls: no async
/// runtime, the thread parked until woken. A store that bots on the blocking runner can use must make progress
/// under it (no reliance on an ambient tokio runtime).
///
/// ```
/// # use botwire_bot::Storage as _;
/// let store = botwire_bot::MemoryStorage::default();
/// let key = botwire_bot::DialogueKey { chat_id: 1.into(), user_id: 1.into() };
/// botwire_bot::testing::block_on(store.set(&key, serde_json::json!(1), None)).unwrap();
/// ```
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    crate::runtime::block_on(future)
}
