//! Decoding a 100-update `GET /updates` body into typed updates vs into `serde_json::Value` and into minimal
//! hand-written structs (same bytes; `floor_structs` is the floor of the instruction-count bench).
//!
//! The batch ([`botwire_benches::fixtures::updates_body`]) mixes the real shapes: text messages with forwards,
//! messages with an inline keyboard, an image and markup (from the 2026 capture), callbacks, membership events,
//! and a few update types the models do not know (kept as JSON).

#![allow(clippy::unwrap_used)] // bench code: a panic is the failure report
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;

use botwire_benches::{fixtures, floor};
use botwire_core_types::max::{UpdateBatch, UpdateList};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn decode(c: &mut Criterion) {
    let body = fixtures::updates_body();
    // The inputs must decode the way the benchmark claims.
    let batch = UpdateBatch::from_slice(&body).expect("the bench batch decodes");
    assert!(batch.updates.iter().all(Result::is_ok));
    let mut group = c.benchmark_group("decode_100_updates");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("value", |b| {
        b.iter(|| black_box(serde_json::from_slice::<serde_json::Value>(black_box(&body)).unwrap()))
    });
    group.bench_function("floor_structs", |b| {
        b.iter(|| black_box(serde_json::from_slice::<floor::Updates>(black_box(&body)).unwrap()))
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
