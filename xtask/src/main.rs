//! Project automation. Run `cargo xtask help`.

use std::process::{Command, ExitCode};
use std::time::Instant;

const HELP: &str = "\
cargo xtask <task>

  ci      fmt check, clippy -D warnings (all targets, all features), each backend feature alone and
          together, the MSRV check, rustdoc with warnings denied, then the whole test suite
  test    the whole test suite (cargo test --workspace --all-features)
  msrv    check that no locked dependency needs a newer compiler than the declared rust-version
  deps    dependency counts of botwire-max with only ureq and with only reqwest
  publish-check
          packages every published crate (publish != false) of the working tree in dependency order and
          builds each from its package against the others' packages, as crates.io would
  bench   every benchmark of crates/benches (botwire-benches): the criterion benches, then a table of
          criterion's estimates (ratio to the group's `bare`/`value` baseline) and the throttle's sustained
          rate, the paired A/B runs of the GET /me and POST /messages request benches, the two memory
          figures, and the instruction table. One part only:
            --instructions  instructions per op under valgrind's callgrind, botwire against bare ureq 3 /
                            bare reqwest 0.13 decoding into minimal structs (the floor), with the ratio;
                            client side only, one fixed-response loopback server (~1 min)
            --sustained     10 s through the default throttle at the real limits: % of limit and 429s
            --memory        RSS and tracked_keys() after sends to 1,000,000 chats (mocked clock), then
                            the upload bench below
            --upload        peak RSS above the baseline of a 1 GiB upload from a path (sparse file, to a
                            loopback sink) through each client's default stack: ureq and reqwest streamed,
                            and the old read-it-into-memory path for comparison; one process per case
                            (BOTWIRE_UPLOAD_MIB, BOTWIRE_UPLOAD_CASES narrow it; ~1 min, 1 GiB of RAM for
                            the in-memory cases)
            --fleet         3 replicas sharing a RedisPacer for 10 s at the real limits: % of limit, 429s,
                            Redis round trips per request, the pacer's added latency (needs redis-server)
          Results also land in target/botwire-bench/*.json; the benches' own docs say how to read them.
  conformance
          two MAX clients no one here wrote play a scripted bot against the botwire-sandbox binary, driven
          through its control API: Python `maxapi` (PyPI) and the official TypeScript client
          `@maxhub/max-bot-api` (npm), pinned, installed under the target dir on first run (needs python3,
          node/npm and network to the registries then)
";

/// Crates whose backend features must build alone and together.
const FEATURE_CRATES: &[&str] = &[
    "botwire-transport",
    "botwire-max",
    "botwire-onebot",
    "botwire-bot",
];

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "ci" => ci(),
        "test" => test(),
        "msrv" => msrv(),
        "deps" => deps(),
        "bench" => bench(std::env::args().nth(2).as_deref()),
        "publish-check" => publish_check(),
        "conformance" => conformance(),
        "" | "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(format!("unknown task `{other}`\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn cargo(args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    eprintln!("==> cargo {}", args.join(" "));
    let started = Instant::now();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .envs(env.iter().copied())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    eprintln!("    ({:.1}s)", started.elapsed().as_secs_f64());
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}

fn ci() -> Result<(), String> {
    let started = Instant::now();
    let outcome = ci_steps();
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    match &outcome {
        Ok(counts) => {
            eprintln!(
                "xtask ci: ok in {minutes:.1} min: fmt, clippy, {} feature checks, msrv, rustdoc, {} test binaries",
                4 * FEATURE_CRATES.len() + 2,
                counts.binaries
            );
            println!(
                "tests: {} passed, {} failed, {} skipped",
                counts.passed, counts.failed, counts.ignored
            );
        }
        Err(e) => eprintln!("xtask ci: FAILED after {minutes:.1} min: {e}"),
    }
    outcome.map(drop)
}

fn ci_steps() -> Result<TestCounts, String> {
    cargo(&["fmt", "--all", "--check"], &[])?;
    cargo(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    // botwire-core-types builds with no HTTP stack at all.
    cargo(&["check", "-p", "botwire-core-types"], &[])?;
    // The sandbox library builds without clap: its flags (shared by `botwire-sandbox` and `botwire sandbox`,
    // the botwire-cli binary) are behind the `cli` feature.
    cargo(
        &["check", "-p", "botwire-sandbox", "--no-default-features"],
        &[],
    )?;
    for krate in FEATURE_CRATES {
        for features in ["", "ureq", "reqwest", "ureq,reqwest"] {
            let mut args = vec!["check", "-p", krate, "--no-default-features"];
            if !features.is_empty() {
                args.extend(["--features", features]);
            }
            cargo(&args, &[])?;
        }
    }
    msrv()?;
    cargo(
        &["doc", "--workspace", "--all-features", "--no-deps"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    run_tests()
}

fn test() -> Result<(), String> {
    let counts = run_tests()?;
    println!(
        "tests: {} passed, {} failed, {} skipped",
        counts.passed, counts.failed, counts.ignored
    );
    Ok(())
}

/// The sums of cargo's `test result:` lines.
#[derive(Debug, Default)]
struct TestCounts {
    binaries: u32,
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl TestCounts {
    /// Adds one `test result: ok. 12 passed; 0 failed; 1 ignored; …` line (other lines are ignored).
    fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        self.binaries += 1;
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(what), Some(n)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(n) = n.parse::<u64>() else { continue };
            match what {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.ignored += n,
                _ => {}
            }
        }
    }
}

/// `cargo test --workspace --all-features`, its output passed through as it comes, its results summed.
fn run_tests() -> Result<TestCounts, String> {
    use std::io::BufRead;

    let args = ["test", "--workspace", "--all-features"];
    eprintln!("==> cargo {}", args.join(" "));
    let started = Instant::now();
    let mut child = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let mut counts = TestCounts::default();
    if let Some(stdout) = child.stdout.take() {
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.map_err(|e| format!("reading cargo test's output: {e}"))?;
            println!("{line}");
            counts.add_line(&line);
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for cargo test: {e}"))?;
    eprintln!("    ({:.1}s)", started.elapsed().as_secs_f64());
    if status.success() {
        Ok(counts)
    } else {
        Err(format!(
            "`cargo test` failed ({status}): {} passed, {} failed",
            counts.passed, counts.failed
        ))
    }
}

/// Packages every crate that is published (`publish` not `false`), in dependency order, and verifies each by
/// building it from its package against the others' packages (cargo's temporary local registry), exactly as
/// crates.io would; the working tree is packaged as it is (`--allow-dirty`).
fn publish_check() -> Result<(), String> {
    let meta = metadata()?;
    let members: Vec<&str> = meta["workspace_members"]
        .as_array()
        .ok_or("no workspace members in metadata")?
        .iter()
        .filter_map(|m| m.as_str())
        .collect();
    let mut published: Vec<String> = meta["packages"]
        .as_array()
        .ok_or("no packages in metadata")?
        .iter()
        .filter(|p| p["id"].as_str().is_some_and(|id| members.contains(&id)))
        // `publish = false` is an empty list of registries in the metadata.
        .filter(|p| p["publish"].as_array().is_none_or(|r| !r.is_empty()))
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    published.sort();
    if published.is_empty() {
        return Err("no published crates found".into());
    }
    eprintln!("publish-check: {}", published.join(", "));
    let mut args = vec!["package", "--allow-dirty", "--locked"];
    for name in &published {
        args.extend(["-p", name.as_str()]);
    }
    cargo(&args, &[])?;
    eprintln!(
        "publish-check: {} crates packaged and verified",
        published.len()
    );
    Ok(())
}

fn metadata() -> Result<serde_json::Value, String> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--locked"])
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata output: {e}"))
}

fn parse_version(v: &str) -> [u64; 3] {
    let mut out = [0; 3];
    for (slot, part) in out.iter_mut().zip(v.split('.')) {
        *slot = part.parse().unwrap_or(0);
    }
    out
}

/// The declared MSRV must be at least every resolved dependency's own `rust-version`. (This machine has a
/// single toolchain, so the check is on declarations; see the foundation issue note.)
fn msrv() -> Result<(), String> {
    let meta = metadata()?;
    let packages = meta["packages"]
        .as_array()
        .ok_or("no packages in metadata")?;
    let ours = packages
        .iter()
        .find(|p| p["name"] == "botwire-max")
        .and_then(|p| p["rust_version"].as_str())
        .ok_or("botwire-max declares no rust-version")?
        .to_owned();
    let mut offenders: Vec<String> = packages
        .iter()
        .filter_map(|p| {
            let rv = p["rust_version"].as_str()?;
            (parse_version(rv) > parse_version(&ours)).then(|| {
                format!(
                    "{} {} needs rustc {rv}",
                    p["name"].as_str().unwrap_or("?"),
                    p["version"]
                )
            })
        })
        .collect();
    offenders.sort();
    if offenders.is_empty() {
        eprintln!("msrv: every locked package builds with the declared rust-version {ours}");
        Ok(())
    } else {
        Err(format!(
            "declared rust-version {ours} is too old for:\n  {}",
            offenders.join("\n  ")
        ))
    }
}

fn deps() -> Result<(), String> {
    for features in ["ureq", "reqwest"] {
        let out = Command::new("cargo")
            .args([
                "tree",
                "-p",
                "botwire-max",
                "--no-default-features",
                "--features",
                features,
                "-e",
                "normal",
                "--prefix",
                "none",
            ])
            .output()
            .map_err(|e| format!("cannot run cargo tree: {e}"))?;
        let mut lines: Vec<&str> = std::str::from_utf8(&out.stdout)
            .unwrap_or_default()
            .lines()
            .collect();
        lines.sort_unstable();
        lines.dedup();
        println!(
            "botwire-max with only {features:<8} {} unique crates (incl. itself)",
            lines.len()
        );
    }
    Ok(())
}

/// The benchmarks' package: nothing else in the workspace carries benchmarks.
const BENCH_PACKAGE: &str = "botwire-benches";

/// `cargo bench -p botwire-benches --bench <name>…`, with extra environment.
fn run_benches(names: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let mut args = vec!["bench", "--package", BENCH_PACKAGE];
    for name in names {
        args.extend(["--bench", name]);
    }
    cargo(&args, env)
}

fn bench(part: Option<&str>) -> Result<(), String> {
    match part {
        None => {}
        Some("--instructions") => return run_benches(&["instructions"], &[]),
        Some("--sustained") => return run_benches(&["sustained_rate"], &[]),
        Some("--memory") => return run_benches(&["throttle_memory", "upload_memory"], &[]),
        Some("--upload") => return run_benches(&["upload_memory"], &[]),
        Some("--fleet") => return run_benches(&["fleet"], &[]),
        Some(other) => return Err(format!("unknown bench option `{other}`\n\n{HELP}")),
    }
    run_benches(
        &[
            "decode",
            "get_me",
            "send_message",
            "long_poll",
            "sustained_rate",
        ],
        &[],
    )?;
    print!("{}", bench_table()?);
    // Criterion measures one function after another, so load from other processes on a shared machine skews the
    // ratios above; the paired mode interleaves rounds of every variant and reports the median per-round ratio.
    for bench in PAIRED_BENCHES {
        println!("\npaired A/B, bench `{bench}` (median per-round ratio to bare):");
        cargo(
            &[
                "bench",
                "--quiet",
                "--package",
                BENCH_PACKAGE,
                "--bench",
                bench,
            ],
            &[("BOTWIRE_AB", "1")],
        )?;
    }
    run_benches(&["throttle_memory", "upload_memory", "fleet"], &[])?;
    // Last: the figures issue 13 asks for, and the slowest part (valgrind).
    run_benches(&["instructions"], &[])
}

/// Request benches that also have the interleaved A/B mode (`BOTWIRE_AB=1`).
const PAIRED_BENCHES: &[&str] = &["get_me", "send_message"];

/// Functions a group's other members are compared with, when the group has one.
const BASELINES: &[&str] = &["bare", "value"];

/// A table of every criterion estimate under `target/criterion/<group>/<function>/new/estimates.json`, with each
/// function's ratio to its group's baseline, then the sustained-rate results the throttle bench wrote.
fn bench_table() -> Result<String, String> {
    let root = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let criterion = root.join("criterion");
    let mut rows: Vec<(String, String, f64, f64, f64)> = Vec::new();
    let groups = std::fs::read_dir(&criterion)
        .map_err(|e| format!("{}: {e} (did the benches run?)", criterion.display()))?;
    for group in groups.flatten() {
        let Ok(functions) = std::fs::read_dir(group.path()) else {
            continue;
        };
        for function in functions.flatten() {
            let file = function.path().join("new/estimates.json");
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let json: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            let point = |what: &str| json[what]["point_estimate"].as_f64();
            let (Some(mean), Some(median)) = (point("mean"), point("median")) else {
                continue;
            };
            let ci = json["mean"]["confidence_interval"]["upper_bound"]
                .as_f64()
                .unwrap_or(mean)
                - mean;
            rows.push((
                group.file_name().to_string_lossy().into_owned(),
                function.file_name().to_string_lossy().into_owned(),
                mean,
                median,
                ci,
            ));
        }
    }
    rows.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let mut out = format!(
        "\n{:<24} {:<18} {:>14} {:>14} {:>12} {:>9}\n",
        "group", "function", "mean", "median", "±(95% CI)", "ratio"
    );
    for (group, function, mean, median, ci) in &rows {
        let baseline = rows
            .iter()
            .find(|r| &r.0 == group && BASELINES.contains(&r.1.as_str()))
            .map(|r| r.2);
        let ratio = baseline
            .map(|b| format!("{:.3}x", mean / b))
            .unwrap_or_default();
        out.push_str(&format!(
            "{group:<24} {function:<18} {:>14} {:>14} {:>12} {ratio:>9}\n",
            human(*mean),
            human(*median),
            human(*ci)
        ));
    }
    let sustained = root.join("botwire-bench/sustained_rate.json");
    if let Ok(text) = std::fs::read_to_string(&sustained) {
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", sustained.display()))?;
        out.push_str(&format!(
            "\n{:<24} {:>10} {:>10} {:>9} {:>8} {:>8}\n",
            "sustained (10 s)", "limit/s", "rate/s", "% limit", "sent", "429s"
        ));
        for row in json.as_array().into_iter().flatten() {
            out.push_str(&format!(
                "{:<24} {:>10} {:>10.2} {:>8.1}% {:>8} {:>8}\n",
                row["name"].as_str().unwrap_or("?"),
                row["limit_rps"],
                row["rate_rps"].as_f64().unwrap_or(0.0),
                row["percent_of_limit"].as_f64().unwrap_or(0.0),
                row["sent"],
                row["status_429"],
            ));
        }
    }
    Ok(out)
}

/// Nanoseconds as the largest unit that keeps the number above 1.
fn human(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.3} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

/// `cargo xtask conformance`: builds the sandbox binary, installs two third-party MAX clients (pinned) under the
/// target dir once, then for each starts a fresh binary and runs its scenario from `crates/sandbox/conformance/`
/// (get_me, a user starts the bot, writes, presses a button; the client's own polling loop answers; the TS
/// scenario also uploads a video through the client's resumable Content-Range upload; each script checks the
/// sandbox's state through the control API).
fn conformance() -> Result<(), String> {
    const MAXAPI: &str = "maxapi==1.2.3";
    const TS_CLIENT: &str = "@maxhub/max-bot-api@0.3.1";
    cargo(
        &["build", "-p", "botwire-sandbox", "--bin", "botwire-sandbox"],
        &[],
    )?;
    let meta = metadata()?;
    let target = std::path::PathBuf::from(
        meta["target_directory"]
            .as_str()
            .ok_or("cargo metadata has no target_directory")?,
    );
    let root =
        std::path::PathBuf::from(meta["workspace_root"].as_str().ok_or("no workspace_root")?);
    let scripts = root.join("crates/sandbox/conformance");
    let exe = target
        .join("debug")
        .join(format!("botwire-sandbox{}", std::env::consts::EXE_SUFFIX));
    let dir = target.join("conformance");
    let run = |cmd: &mut Command| -> Result<(), String> {
        eprintln!("==> {cmd:?}");
        let status = cmd
            .status()
            .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
        status
            .success()
            .then_some(())
            .ok_or_else(|| format!("{cmd:?} failed ({status})"))
    };
    // Python maxapi in a venv.
    let venv = dir.join("maxapi-venv");
    let python = venv.join("bin").join("python");
    if !python.exists() {
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    }
    let installed = Command::new(&python)
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('maxapi'))",
        ])
        .output()
        .is_ok_and(|o| {
            o.status.success() && MAXAPI.ends_with(String::from_utf8_lossy(&o.stdout).trim())
        });
    if !installed {
        run(Command::new(&python).args(["-m", "pip", "install", "--quiet", MAXAPI]))?;
    }
    // The official TypeScript client in its own node_modules.
    let ts = dir.join("ts-client");
    let ts_package = ts.join("node_modules/@maxhub/max-bot-api/package.json");
    let ts_installed = std::fs::read_to_string(&ts_package).is_ok_and(|p| {
        p.contains(&format!(
            "\"version\": \"{}\"",
            TS_CLIENT.rsplit('@').next().unwrap_or_default()
        ))
    });
    if !ts_installed {
        std::fs::create_dir_all(&ts).map_err(|e| format!("cannot create {}: {e}", ts.display()))?;
        run(Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(&ts)
            .arg(TS_CLIENT))?;
    }
    let scenarios: [(&str, Command); 2] = [
        ("maxapi", {
            let mut c = Command::new(&python);
            c.arg(scripts.join("maxapi_scenario.py"));
            c
        }),
        ("@maxhub/max-bot-api", {
            let mut c = Command::new("node");
            c.arg(scripts.join("ts_client_scenario.js"))
                .env("NODE_PATH", ts.join("node_modules"));
            c
        }),
    ];
    for (name, mut scenario) in scenarios {
        let mut sandbox = Command::new(&exe)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        let mut first = String::new();
        let read = sandbox.stdout.take().ok_or("no stdout").and_then(|out| {
            std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut first)
                .map_err(|_| "cannot read the sandbox's first line")
        });
        let result = read.map_err(str::to_owned).and_then(|_| {
            eprintln!("==> {name} against {}", first.trim());
            run(scenario.env("SANDBOX_INFO", first.trim()))
        });
        let _ = sandbox.kill();
        let _ = sandbox.wait();
        result?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::TestCounts;

    #[test]
    fn test_result_lines_are_summed() {
        let mut counts = TestCounts::default();
        for line in [
            "test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 3 filtered out; finished in 0.01s",
            "running 2 tests",
            "test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1s",
        ] {
            counts.add_line(line);
        }
        assert_eq!(
            (
                counts.binaries,
                counts.passed,
                counts.failed,
                counts.ignored
            ),
            (2, 13, 1, 1)
        );
    }
}
