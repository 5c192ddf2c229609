//! Rate limits, safe retries and faults on both backends against the sandbox. Every assertion counts (sandbox
//! counters, recorded waits); none measures wall-clock time.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use botwire_core_types::max::{BotCommand, BotCommands};
use botwire_sandbox::{Fault, MaxSandbox, OneBotSandbox, RetryHint};
use botwire_tests::*;
use botwire_transport::{
    AsyncTransport, BlockingTransport, Delivery, HttpRequest, RequestOptions, ReqwestTransport,
    Retry, RetryPolicy, Throttle, ThrottleConfig, Timer, UreqTransport,
};
use max::Endpoint as _;

type BlockingStack = Retry<Throttle<UreqTransport>>;
type AsyncStack = Retry<Throttle<ReqwestTransport>>;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Retries that back off in milliseconds, so fault scenarios stay quick.
fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .backoff(ms(2), ms(40))
        .max_attempts(8)
        .seed(11)
}

fn blocking_stack(throttle: ThrottleConfig, retry: RetryPolicy) -> BlockingStack {
    Retry::new(
        Throttle::new(UreqTransport::new(test_transport_config()), throttle),
        retry,
    )
}

fn async_stack(throttle: ThrottleConfig, retry: RetryPolicy) -> AsyncStack {
    Retry::new(Throttle::new(reqwest_transport(), throttle), retry)
}

fn commands(n: usize) -> BotCommands {
    BotCommands::new(
        (0..n)
            .map(|i| BotCommand::new(format!("cmd{i}"), None::<String>).unwrap())
            .collect(),
    )
    .unwrap()
}

/// A raw `PATCH /me/commands` request, declared NOT safe to repeat (the endpoint itself marks it idempotent).
fn non_idempotent_patch(sb: &MaxSandbox, n: usize) -> HttpRequest {
    let mut req = max::endpoints::EditMyCommands::new(commands(n))
        .request(&max_config(sb))
        .unwrap();
    RequestOptions::of(&req).idempotent(false).apply(&mut req);
    assert!(!RequestOptions::is_idempotent(&req));
    req
}

// ------------------------------------------------------------------------------------ limits: 0 × 429

/// The scale applied to both sides in the long OneBot run: 2 per 50 ms instead of 2 per second.
const ONEBOT_SCALE: f64 = 20.0;

fn onebot_scaled_limits() -> std::io::Result<OneBotSandbox> {
    let sb = OneBotSandbox::start()?;
    sb.faults().limits().enforce(true).scale(ONEBOT_SCALE);
    Ok(sb)
}

fn onebot_scaled_blocking(sb: &OneBotSandbox) -> onebot::blocking::Client<BlockingStack> {
    onebot::blocking::Client::new(
        onebot_config(sb),
        blocking_stack(
            ThrottleConfig::onebot().scale(ONEBOT_SCALE),
            RetryPolicy::default(),
        ),
    )
}

fn onebot_scaled_async(sb: &OneBotSandbox) -> onebot::Client<AsyncStack> {
    onebot::Client::new(
        onebot_config(sb),
        async_stack(
            ThrottleConfig::onebot().scale(ONEBOT_SCALE),
            RetryPolicy::default(),
        ),
    )
}

both_backends!(
    onebot_300_calls_with_the_default_stack_get_no_429,
    onebot_scaled_limits,
    onebot_scaled_blocking,
    onebot_scaled_async,
    |sb, client| {
        for _ in 0..300 {
            run!(client.get_me()).unwrap();
        }
        assert_eq!(sb.stats().route("GET getMe"), 300);
        assert_eq!(sb.stats().rate_limited(), 0);
        assert_eq!(sb.stats().status(429), 0);
    }
);

fn onebot_real_limits() -> std::io::Result<OneBotSandbox> {
    let sb = OneBotSandbox::start()?;
    sb.faults().limits().enforce(true);
    Ok(sb)
}

fn onebot_default_blocking(
    sb: &OneBotSandbox,
) -> onebot::blocking::Client<onebot::blocking::DefaultTransport> {
    onebot::blocking::Client::with_config(onebot_config(sb))
}

fn onebot_default_async(sb: &OneBotSandbox) -> onebot::Client<onebot::DefaultTransport> {
    onebot::Client::with_config(onebot_config(sb)).unwrap()
}

both_backends!(
    onebot_default_client_keeps_the_real_limit,
    onebot_real_limits,
    onebot_default_blocking,
    onebot_default_async,
    |sb, client| {
        for _ in 0..6 {
            run!(client.get_me()).unwrap();
        }
        assert_eq!(sb.stats().route("GET getMe"), 6);
        assert_eq!(sb.stats().rate_limited(), 0);
    }
);

fn max_real_limits() -> std::io::Result<MaxSandbox> {
    let sb = MaxSandbox::start()?;
    sb.faults().limits().enforce(true);
    Ok(sb)
}

fn max_default_blocking(sb: &MaxSandbox) -> max::blocking::Client<max::blocking::DefaultTransport> {
    max::blocking::Client::with_config(max_config(sb))
}

fn max_default_async(sb: &MaxSandbox) -> max::Client<max::DefaultTransport> {
    max::Client::with_config(max_config(sb)).unwrap()
}

both_backends!(
    max_get_me_burst_under_30_rps_gets_no_429,
    max_real_limits,
    max_default_blocking,
    max_default_async,
    |sb, client| {
        for _ in 0..75 {
            run!(client.get_me()).unwrap();
        }
        assert_eq!(sb.stats().route("GET /me"), 75);
        assert_eq!(sb.stats().rate_limited(), 0);
        assert_eq!(sb.stats().status(429), 0);
    }
);

#[test]
fn max_concurrent_bursts_from_threads_share_one_throttle() {
    let sb = MaxSandbox::start().unwrap();
    sb.faults().limits().enforce(true).scale(5.0);
    let client = max::blocking::Client::new(
        max_config(&sb),
        blocking_stack(ThrottleConfig::max().scale(5.0), RetryPolicy::never()),
    );
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..40 {
                    client.get_me().unwrap();
                }
            });
        }
    });
    assert_eq!(sb.stats().route("GET /me"), 160);
    assert_eq!(sb.stats().rate_limited(), 0);
}

// ------------------------------------------------------------------------------------ 10 % faults

fn max_faulty() -> std::io::Result<MaxSandbox> {
    let sb = MaxSandbox::start()?;
    sb.faults().at_rate(2026, 0.10, Fault::transport_kinds());
    Ok(sb)
}

fn onebot_faulty() -> std::io::Result<OneBotSandbox> {
    let sb = OneBotSandbox::start()?;
    sb.faults().at_rate(2026, 0.10, Fault::transport_kinds());
    Ok(sb)
}

fn max_retrying_blocking(sb: &MaxSandbox) -> max::blocking::Client<BlockingStack> {
    max::blocking::Client::new(
        max_config(sb),
        blocking_stack(ThrottleConfig::unlimited(), fast_retry()),
    )
}

fn max_retrying_async(sb: &MaxSandbox) -> max::Client<AsyncStack> {
    max::Client::new(
        max_config(sb),
        async_stack(ThrottleConfig::unlimited(), fast_retry()),
    )
}

fn onebot_retrying_blocking(sb: &OneBotSandbox) -> onebot::blocking::Client<BlockingStack> {
    onebot::blocking::Client::new(
        onebot_config(sb),
        blocking_stack(ThrottleConfig::unlimited(), fast_retry()),
    )
}

fn onebot_retrying_async(sb: &OneBotSandbox) -> onebot::Client<AsyncStack> {
    onebot::Client::new(
        onebot_config(sb),
        async_stack(ThrottleConfig::unlimited(), fast_retry()),
    )
}

both_backends!(
    max_every_read_survives_ten_percent_faults,
    max_faulty,
    max_retrying_blocking,
    max_retrying_async,
    |sb, client| {
        for i in 0..200 {
            let me = run!(client.get_me()).unwrap_or_else(|e| panic!("read {i}: {e}"));
            assert_eq!(me.first_name, "Sandbox Bot");
        }
        let stats = sb.stats();
        assert!(
            stats.injected() >= 10,
            "faults injected: {}",
            stats.injected()
        );
        assert!(stats.dropped() > 0);
        // Each fault spoils one attempt (a delay spoils none), and every spoiled attempt was repeated.
        assert!(stats.route("GET /me") > 200 && stats.route("GET /me") <= 200 + stats.injected());
    }
);

both_backends!(
    onebot_every_read_survives_ten_percent_faults,
    onebot_faulty,
    onebot_retrying_blocking,
    onebot_retrying_async,
    |sb, client| {
        for i in 0..200 {
            run!(client.get_me()).unwrap_or_else(|e| panic!("read {i}: {e}"));
        }
        let stats = sb.stats();
        assert!(
            stats.injected() >= 10,
            "faults injected: {}",
            stats.injected()
        );
        assert!(
            stats.route("GET getMe") > 200 && stats.route("GET getMe") <= 200 + stats.injected()
        );
    }
);

// ------------------------------------------------------------------------------------ unknown outcomes

fn max_fast_blocking(sb: &MaxSandbox) -> BlockingStack {
    let _ = sb;
    blocking_stack(ThrottleConfig::max(), fast_retry())
}

fn max_fast_async(sb: &MaxSandbox) -> AsyncStack {
    let _ = sb;
    async_stack(ThrottleConfig::max(), fast_retry())
}

both_backends!(
    lost_answer_of_a_non_idempotent_write_is_not_repeated,
    MaxSandbox::start,
    max_fast_blocking,
    max_fast_async,
    |sb, transport| {
        sb.faults().push(Fault::DropAfterHandler);
        let err = run!(transport.execute(non_idempotent_patch(&sb, 3))).unwrap_err();
        assert_eq!(err.delivery(), Delivery::Unknown, "{err:?}");
        let err = max::Error::from(err);
        assert!(err.outcome_unknown());
        // Transient, but not safe to repeat: `is_retryable()` says no, as the Retry layer did (issue 9, item 4).
        assert!(!err.is_retryable(), "{err:?}");
        assert!(
            err.to_string().contains("may have received the request"),
            "{err}"
        );
        assert_no_leak(&err, sb.token());
        // Sent once, and it was processed: repeating it would have been a second write.
        assert_eq!(sb.stats().route("PATCH /me/commands"), 1);
        assert_eq!(sb.world().commands.len(), 3);
        assert_eq!(sb.stats().dropped(), 1);
    }
);

both_backends!(
    lost_connection_before_processing_is_still_an_unknown_outcome,
    MaxSandbox::start,
    max_fast_blocking,
    max_fast_async,
    |sb, transport| {
        sb.faults().push(Fault::DropBeforeHandler);
        let err = run!(transport.execute(non_idempotent_patch(&sb, 2))).unwrap_err();
        // The client cannot tell the two drops apart, so it must not repeat this one either.
        assert!(max::Error::from(err).outcome_unknown());
        assert_eq!(sb.stats().route("PATCH /me/commands"), 1);
        assert!(sb.world().commands.is_empty(), "the handler never ran");
    }
);

both_backends!(
    server_error_on_a_non_idempotent_write_is_not_repeated,
    MaxSandbox::start,
    max_fast_blocking,
    max_fast_async,
    |sb, transport| {
        sb.faults().push(Fault::StatusAfterHandler(
            502,
            r#"{"code":"bad.gateway","message":"upstream"}"#.into(),
        ));
        let resp = run!(transport.execute(non_idempotent_patch(&sb, 1))).unwrap();
        assert_eq!(resp.status(), 502);
        assert_eq!(sb.stats().route("PATCH /me/commands"), 1);
        assert_eq!(sb.world().commands.len(), 1, "processed before the 502");
    }
);

fn max_opt_in_blocking(sb: &MaxSandbox) -> BlockingStack {
    let _ = sb;
    blocking_stack(
        ThrottleConfig::max(),
        fast_retry().retry_unknown_outcomes(true),
    )
}

fn max_opt_in_async(sb: &MaxSandbox) -> AsyncStack {
    let _ = sb;
    async_stack(
        ThrottleConfig::max(),
        fast_retry().retry_unknown_outcomes(true),
    )
}

both_backends!(
    opting_in_repeats_a_write_with_lost_answer,
    MaxSandbox::start,
    max_opt_in_blocking,
    max_opt_in_async,
    |sb, transport| {
        sb.faults().push(Fault::DropAfterHandler);
        let resp = run!(transport.execute(non_idempotent_patch(&sb, 4))).unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(sb.stats().route("PATCH /me/commands"), 2);
    }
);

both_backends!(
    idempotent_write_with_lost_answer_is_repeated_by_the_client,
    MaxSandbox::start,
    max_retrying_blocking,
    max_retrying_async,
    |sb, client| {
        sb.faults().push(Fault::DropAfterHandler);
        let set = run!(client.set_my_commands(commands(2))).unwrap();
        assert_eq!(set.commands.map(|c| c.len()), Some(2));
        assert_eq!(sb.stats().route("PATCH /me/commands"), 2);
    }
);

both_backends!(
    truncated_and_headless_answers_of_reads_are_retried,
    MaxSandbox::start,
    max_retrying_blocking,
    max_retrying_async,
    |sb, client| {
        sb.faults().push(Fault::TruncatedBody);
        sb.faults().push(Fault::DropAfterHead);
        sb.faults().push(Fault::Delay(ms(30)));
        run!(client.get_me()).unwrap();
        assert_eq!(sb.stats().route("GET /me"), 3);
        assert_eq!(sb.stats().dropped(), 2);
        assert_eq!(sb.faults().pending(), 0);
    }
);

both_backends!(
    malformed_json_is_a_decode_error_not_retried,
    MaxSandbox::start,
    max_retrying_blocking,
    max_retrying_async,
    |sb, client| {
        sb.faults().push(Fault::MalformedJson);
        let err = run!(client.get_me()).unwrap_err();
        assert!(
            matches!(err, max::Error::Decode { status: 200, .. }),
            "{err:?}"
        );
        assert!(!err.is_retryable());
        assert_eq!(sb.stats().route("GET /me"), 1);
    }
);

// ------------------------------------------------------------------------------------ 429 and its hint

fn max_bare_blocking(sb: &MaxSandbox) -> max::blocking::Client<UreqTransport> {
    max_blocking(sb)
}

fn max_bare_async(sb: &MaxSandbox) -> max::Client<ReqwestTransport> {
    max_async(sb)
}

both_backends!(
    too_many_requests_surfaces_the_hint_or_its_absence,
    MaxSandbox::start,
    max_bare_blocking,
    max_bare_async,
    |sb, client| {
        sb.faults().push(Fault::TooManyRequests {
            retry_after: Some(ms(1500)),
        });
        let err = run!(client.get_me()).unwrap_err();
        assert!(matches!(err, max::Error::RateLimited { .. }), "{err:?}");
        assert!(err.is_retryable());
        assert_eq!(err.retry_after(), Some(ms(1500)));
        assert_eq!(err.code(), Some("too.many.requests"));

        sb.faults()
            .push(Fault::TooManyRequests { retry_after: None });
        let err = run!(client.get_me()).unwrap_err();
        assert!(err.is_retryable());
        assert_eq!(err.retry_after(), None);

        // Enforced limits hint in whole seconds when asked to.
        sb.faults()
            .limits()
            .enforce(true)
            .hint(RetryHint::WholeSeconds)
            .set_global(Some((1, Duration::from_secs(1))));
        run!(client.get_me()).unwrap();
        let err = run!(client.get_me()).unwrap_err();
        assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
        assert_eq!(sb.stats().rate_limited(), 1);
        assert_eq!(sb.stats().status(429), 3);
    }
);

/// Waits the retry layer asked for, recorded, then really slept (they are a few milliseconds each).
#[derive(Clone, Default)]
struct Recorded(Arc<Mutex<Vec<Duration>>>);

impl Recorded {
    fn timer(&self) -> Timer {
        let start = Instant::now();
        let (a, b) = (self.0.clone(), self.0.clone());
        Timer::custom(
            move || start.elapsed(),
            move |d| {
                a.lock().unwrap().push(d);
                std::thread::sleep(d);
            },
            move |d| {
                b.lock().unwrap().push(d);
                Box::pin(tokio::time::sleep(d))
            },
        )
    }

    fn waits(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }
}

/// 30 per 100 ms on the server; the client has no throttle, so a quick run of reads must hit the limit.
fn max_fast_limits(hint: RetryHint) -> std::io::Result<MaxSandbox> {
    let sb = MaxSandbox::start()?;
    sb.faults().limits().enforce(true).scale(10.0).hint(hint);
    Ok(sb)
}

fn retry_only() -> RetryPolicy {
    RetryPolicy::default()
        .backoff(ms(5), ms(100))
        .max_attempts(20)
        .seed(5)
}

#[test]
fn retry_honours_the_server_hint_on_429() {
    let sb = max_fast_limits(RetryHint::Precise).unwrap();
    let recorded = Recorded::default();
    let transport = Retry::new(UreqTransport::new(test_transport_config()), retry_only())
        .with_timer(recorded.timer());
    let client = max::blocking::Client::new(max_config(&sb), transport);
    for _ in 0..90 {
        client.get_me().unwrap();
    }
    let limited = sb.stats().rate_limited();
    assert!(
        limited > 0,
        "the unthrottled client must have hit the limit"
    );
    assert_eq!(sb.stats().route("GET /me"), 90 + limited);
    let waits = recorded.waits();
    assert_eq!(waits.len() as u64, limited, "one wait per 429");
    // Every wait is the server's hint: inside the 100 ms window, never a backoff draw past it.
    assert!(
        waits.iter().all(|w| *w > Duration::ZERO && *w <= ms(100)),
        "{waits:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_backs_off_on_429_without_a_hint() {
    let sb = max_fast_limits(RetryHint::None).unwrap();
    let recorded = Recorded::default();
    let transport = Retry::new(reqwest_transport(), retry_only()).with_timer(recorded.timer());
    let client = max::Client::new(max_config(&sb), transport);
    for _ in 0..90 {
        client.get_me().await.unwrap();
    }
    let limited = sb.stats().rate_limited();
    assert!(
        limited > 0,
        "the unthrottled client must have hit the limit"
    );
    assert_eq!(sb.stats().route("GET /me"), 90 + limited);
    assert_eq!(recorded.waits().len() as u64, limited);
}

// ------------------------------------------------------------------------------------ determinism

#[test]
fn seeded_faults_repeat_exactly() {
    let pattern = |seed| {
        let sb = MaxSandbox::start().unwrap();
        sb.faults()
            .at_rate(seed, 0.3, vec![Fault::Status(500, "{}".into())]);
        let client = max_blocking(&sb);
        (0..40)
            .map(|_| client.get_me().is_ok())
            .collect::<Vec<bool>>()
    };
    let a = pattern(7);
    assert_eq!(a, pattern(7));
    assert_ne!(a, pattern(8));
    assert!(a.iter().any(|ok| !ok) && a.iter().any(|ok| *ok));
}

#[test]
fn a_burst_of_429s_is_ridden_out() {
    let sb = MaxSandbox::start().unwrap();
    sb.faults().push_burst(
        Fault::TooManyRequests {
            retry_after: Some(ms(3)),
        },
        5,
    );
    let recorded = Recorded::default();
    let transport = Retry::new(UreqTransport::new(test_transport_config()), fast_retry())
        .with_timer(recorded.timer());
    let client = max::blocking::Client::new(max_config(&sb), transport);
    client.get_me().unwrap();
    assert_eq!(sb.stats().status(429), 5);
    assert_eq!(recorded.waits(), vec![ms(3); 5]);
}

// ------------------------------------------------------------------------------------ timeouts

fn short_timeout_blocking(sb: &MaxSandbox) -> max::blocking::Client<UreqTransport> {
    max::blocking::Client::new(
        max_config(sb),
        UreqTransport::new(test_transport_config().timeout(ms(150))),
    )
}

fn short_timeout_async(sb: &MaxSandbox) -> max::Client<ReqwestTransport> {
    max::Client::new(
        max_config(sb),
        ReqwestTransport::new(test_transport_config().timeout(ms(150))).unwrap(),
    )
}

both_backends!(
    a_slow_answer_times_out_as_an_unknown_outcome,
    MaxSandbox::start,
    short_timeout_blocking,
    short_timeout_async,
    |sb, client| {
        sb.faults().push(Fault::Delay(Duration::from_secs(2)));
        let err = run!(client.get_me()).unwrap_err();
        assert!(err.outcome_unknown(), "{err:?}");
        assert!(
            matches!(&err, max::Error::Transport(e) if e.kind() == botwire_transport::TransportErrorKind::Timeout),
            "{err:?}"
        );
        assert!(run!(client.get_me()).is_ok());
    }
);

// ------------------------------------------------------------------------------------ borrowed requests

both_backends!(
    a_borrowed_request_is_sent_whole_with_its_options,
    MaxSandbox::start,
    max_fast_blocking,
    max_fast_async,
    |sb, transport| {
        // What the Retry layer does before its last attempt: the backend sends a view of the request it keeps.
        let backend = transport.inner().inner();
        let req = max::endpoints::EditMyCommands::new(commands(3))
            .request(&max_config(&sb))
            .unwrap();
        for _ in 0..2 {
            let resp = run!(backend.execute_ref(&req)).unwrap();
            assert_eq!(resp.status(), 200);
            let body: serde_json::Value = serde_json::from_slice(resp.body()).unwrap();
            assert_eq!(body["commands"][2]["name"], "cmd2", "{body}");
        }
        // The request is intact after being lent, and still sends by value.
        assert_eq!(run!(backend.execute(req)).unwrap().status(), 200);
        assert_eq!(sb.stats().route("PATCH /me/commands"), 3);

        // Its options travel with it: a per-request timeout cuts a slow answer on a borrowed request too.
        let mut slow = max::endpoints::GetMe.request(&max_config(&sb)).unwrap();
        RequestOptions::default().timeout(ms(150)).apply(&mut slow);
        sb.faults().push(Fault::Delay(Duration::from_secs(2)));
        let err = run!(backend.execute_ref(&slow)).unwrap_err();
        assert_eq!(
            err.kind(),
            botwire_transport::TransportErrorKind::Timeout,
            "{err:?}"
        );
        assert_no_leak(&err, sb.token());
        // Through the whole stack (Retry, Throttle, backend) a lent request is answered too. A fresh request: the
        // 150 ms one above is a deadline only a quiet machine would be sure to meet.
        let me = max::endpoints::GetMe.request(&max_config(&sb)).unwrap();
        assert_eq!(run!(transport.execute_ref(&me)).unwrap().status(), 200);
        assert_eq!(run!(transport.execute(me)).unwrap().status(), 200);
    }
);
