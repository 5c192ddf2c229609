//! Compare-and-set conflicts in the runner: a write that lands between an update's read and its write makes
//! the update run again on the state that won (no lost write, no reply sent twice), a bounded number of times.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use botwire_bot::dialogue::{CasOutcome, Versioned};
use botwire_bot::{
    Action, CAS_ATTEMPTS, Context, DialogueKey, Dispatcher, HandlerError, HandlerResult,
    MemoryStorage, Outcome, Router, Storage, StorageError, filters,
};
use botwire_core_types::max::Update;
use serde_json::{Value, json};

fn text(user: i64, text: &str, n: u32) -> Update {
    serde_json::from_value(json!({
        "update_type": "message_created", "timestamp": 1,
        "message": {
            "sender": {"user_id": user, "first_name": "U", "is_bot": false},
            "recipient": {"chat_id": user + 1000, "chat_type": "dialog"},
            "timestamp": 1,
            "body": {"mid": format!("mid.{user}.{n}"), "seq": 1, "text": text}
        }
    }))
    .unwrap()
}

/// A [`MemoryStorage`] in which "another replica" increments the counter right before each of the first
/// `interfere` compare-and-sets (so each of those conflicts).
struct Interfering {
    inner: MemoryStorage,
    interfere: AtomicU32,
}

#[async_trait::async_trait]
impl Storage for Interfering {
    async fn get(&self, key: &DialogueKey) -> Result<Option<Versioned>, StorageError> {
        self.inner.get(key).await
    }

    async fn set(
        &self,
        key: &DialogueKey,
        value: Value,
        ttl: Option<Duration>,
    ) -> Result<u64, StorageError> {
        self.inner.set(key, value, ttl).await
    }

    async fn remove(&self, key: &DialogueKey) -> Result<(), StorageError> {
        self.inner.remove(key).await
    }

    async fn compare_and_set(
        &self,
        key: &DialogueKey,
        expected: Option<u64>,
        value: Option<Value>,
        ttl: Option<Duration>,
    ) -> Result<CasOutcome, StorageError> {
        let left = self.interfere.load(Ordering::SeqCst);
        if left > 0 {
            self.interfere.store(left - 1, Ordering::SeqCst);
            let now = self.inner.get(key).await?.map_or(0, |v| count(&v.value));
            self.inner
                .set(key, json!({ "count": now + 1 }), ttl)
                .await?;
        }
        self.inner.compare_and_set(key, expected, value, ttl).await
    }
}

fn count(state: &Value) -> u64 {
    state["count"].as_u64().unwrap_or(0)
}

fn counter(runs: Arc<AtomicU32>) -> Router {
    Router::new().on(filters::text(), move |ctx: &Context| -> HandlerResult {
        runs.fetch_add(1, Ordering::SeqCst);
        let next = ctx.dialogue::<Value>().get().map_or(0, |v| count(&v)) + 1;
        ctx.dialogue().set(json!({ "count": next }))?;
        ctx.reply(format!("count {next}"))
    })
}

fn texts(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(_, body) => body.text.clone(),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_conflicting_write_reruns_the_update_on_the_winning_state_and_replies_once() {
    let runs = Arc::new(AtomicU32::new(0));
    let storage = Arc::new(Interfering {
        inner: MemoryStorage::default(),
        interfere: AtomicU32::new(1),
    });
    let d = Dispatcher::new(counter(runs.clone())).storage(storage.clone());
    let (outcome, sent) = d.dispatch_detached(text(1, "+1", 1)).await;
    assert_eq!(outcome, Outcome::Handled);
    // The first attempt read nothing and lost to the injected write of 1; the re-run read 1 and stored 2.
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(texts(&sent), ["count 2"]);
    let key = DialogueKey::of(&text(1, "+1", 1)).unwrap();
    let stored = storage.inner.get(&key).await.unwrap().unwrap();
    assert_eq!(count(&stored.value), 2);
    // The next update sees it and nothing interferes any more.
    let (_, sent) = d.dispatch_detached(text(1, "+1", 2)).await;
    assert_eq!(texts(&sent), ["count 3"]);
    assert_eq!(runs.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn conflicts_on_every_attempt_reach_the_error_hook_with_nothing_sent() {
    let runs = Arc::new(AtomicU32::new(0));
    let storage = Arc::new(Interfering {
        inner: MemoryStorage::default(),
        interfere: AtomicU32::new(u32::MAX),
    });
    let errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let d = Dispatcher::new(counter(runs.clone()))
        .storage(storage.clone())
        .on_error({
            let errors = errors.clone();
            move |_, e| {
                assert!(matches!(
                    e,
                    HandlerError::Storage(StorageError::Conflict(_))
                ));
                errors.lock().unwrap().push(e.to_string());
            }
        });
    let (outcome, sent) = d.dispatch_detached(text(7, "+1", 1)).await;
    assert_eq!(outcome, Outcome::Failed);
    assert!(
        sent.is_empty(),
        "a reply of a lost attempt was sent: {sent:?}"
    );
    assert_eq!(runs.load(Ordering::SeqCst), CAS_ATTEMPTS);
    let errors = errors.lock().unwrap().clone();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("changed concurrently"), "{}", errors[0]);
    // Every injected write was kept: the store holds the other writer's CAS_ATTEMPTS increments.
    let key = DialogueKey::of(&text(7, "+1", 1)).unwrap();
    let stored = storage.inner.get(&key).await.unwrap().unwrap();
    assert_eq!(count(&stored.value), u64::from(CAS_ATTEMPTS));
}
