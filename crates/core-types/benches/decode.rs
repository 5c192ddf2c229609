//! Decoding a 100-update `GET /updates` body into typed updates vs into `serde_json::Value` (same bytes).
//!
//! The batch mixes the real shapes: text messages with forwards, messages with an inline keyboard, an image and
//! markup (from the 2026 capture), callbacks, membership events, and a few update types the models do not know
//! (kept as JSON).

#![allow(clippy::unwrap_used)] // bench code: a panic is the failure report
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;

use botwire_core_types::max::{UpdateBatch, UpdateList};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn element(i: usize) -> String {
    match i % 5 {
        0 => format!(
            r#"{{"message":{{"recipient":{{"chat_id":-70801090403050,"chat_type":"chat"}},"timestamp":1775053255737,"body":{{"mid":"mid.ffffbdb48e6c3775019d496b34394b{i:02x}","seq":1163279943769786{i:02},"text":"Привет, как дела? Сообщение номер {i}"}},"sender":{{"user_id":123456789,"first_name":"John","last_name":"Doe","is_bot":false,"last_activity_time":1775053249000,"name":"John Doe"}},"link":{{"type":"forward","message":{{"mid":"mid.sha-more","seq":116327994376978687,"text":"Лада седан - баклажан"}},"sender":{{"user_id":398398398,"first_name":"Tod","last_name":"V","is_bot":false,"last_activity_time":1775755269000,"name":"Tod V"}},"chat_id":-695695695695}}}},"timestamp":1775025604499,"update_type":"message_created"}}"#
        ),
        1 => format!(
            r#"{{"callback":{{"timestamp":1775026702210,"callback_id":"f9LHodD0cOJf4_DkJGeq8BkDgc5vgSwZocVrn44oirfMzUQ4mv5k_h1-yQvExmZNjV7gVcaO2Z3Gv6LJpZQ-nj_0HTcX7NwSdT4fDtXou9i0A51TjSj9","user":{{"user_id":123456789,"first_name":"John","last_name":"Doe","is_bot":false,"last_activity_time":1775026693000,"name":"John Doe"}},"payload":"picture-{i}"}},"message":{{"recipient":{{"chat_id":182182182,"chat_type":"dialog","user_id":123456789}},"timestamp":1775026671403,"body":{{"mid":"mid.000000000adf429c019d47d58f2b3d9e","seq":116328147937082782,"text":"Hello, John Doe!","attachments":[{{"type":"inline_keyboard","payload":{{"buttons":[[{{"type":"callback","text":"Yes","payload":"vote:yes","intent":"default"}},{{"type":"callback","text":"No","payload":"vote:no","intent":"default"}}],[{{"type":"link","text":"Site","url":"https://example.com"}}]]}},"callback_id":"cb-{i}"}},{{"type":"image","payload":{{"photo_id":4512345,"token":"tok-{i}","url":"https://i.oneme.ru/i?r=abc"}}}}],"markup":[{{"from":0,"length":5,"type":"strong"}},{{"from":7,"length":4,"type":"link","url":"https://max.ru"}}]}},"sender":{{"user_id":229229229,"first_name":"UniBot","username":"unit_bot","is_bot":true,"last_activity_time":1775026702261,"name":"UniBot"}}}},"timestamp":1775025604499,"user_locale":"ru","update_type":"message_callback"}}"#
        ),
        2 => format!(
            r#"{{"timestamp":1775025604499,"chat_id":-70801090403050,"user":{{"user_id":123456789,"first_name":"John","last_name":"Doe","is_bot":false,"last_activity_time":1775025580000,"avatar_url":"avatar.png","full_avatar_url":"avatar.full.png","name":"John Doe"}},"inviter_id":123456789,"user_id":2345678{i:02},"is_channel":false,"update_type":"user_added"}}"#
        ),
        3 => format!(
            r#"{{"message_id":"mid.000000000adf429c019d47b1ce4600{i:02x}","chat_id":182182182,"user_id":123456789,"timestamp":1775025604499,"update_type":"message_removed"}}"#
        ),
        _ => format!(
            r#"{{"update_type":"message_reaction_added","timestamp":1775025604499,"chat_id":-7080109,"reaction":{{"emoji":"🔥","count":{i}}},"user":{{"user_id":1,"first_name":"A","is_bot":false}}}}"#
        ),
    }
}

fn body() -> Vec<u8> {
    let updates: Vec<String> = (0..100).map(element).collect();
    format!(r#"{{"updates":[{}],"marker":25493970}}"#, updates.join(",")).into_bytes()
}

fn decode(c: &mut Criterion) {
    let body = body();
    // The inputs must decode the way the benchmark claims.
    let batch = UpdateBatch::from_slice(&body).expect("the bench batch decodes");
    assert!(batch.updates.iter().all(Result::is_ok));
    let mut group = c.benchmark_group("decode_100_updates");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("value", |b| {
        b.iter(|| black_box(serde_json::from_slice::<serde_json::Value>(black_box(&body)).unwrap()))
    });
    group.bench_function("typed_update_batch", |b| {
        b.iter(|| black_box(UpdateBatch::from_slice(black_box(&body)).unwrap()))
    });
    group.bench_function("typed_update_list_strict", |b| {
        b.iter(|| black_box(serde_json::from_slice::<UpdateList>(black_box(&body)).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
