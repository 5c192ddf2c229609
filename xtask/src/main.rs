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
  bench   every benchmark (cargo bench --workspace --all-features), then a table of criterion's estimates
          (ratio to the group's `bare`/`value` baseline) and the throttle's sustained rate, then the paired
          A/B runs of the GET /me and POST /messages request benches
  conformance
          two MAX clients no one here wrote play a scripted bot against the botwire-sandbox binary, driven
          through its control API: Python `maxapi` (PyPI) and the official TypeScript client
          `@maxhub/max-bot-api` (npm), pinned, installed under the target dir on first run (needs python3,
          node/npm and network to the registries then)
";

/// Crates whose backend features must build alone and together.
const FEATURE_CRATES: &[&str] = &["botwire-transport", "botwire-max", "botwire-onebot"];

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "ci" => ci(),
        "test" => test(),
        "msrv" => msrv(),
        "deps" => deps(),
        "bench" => bench(),
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
    test()
}

fn test() -> Result<(), String> {
    cargo(&["test", "--workspace", "--all-features"], &[])
}

fn metadata() -> Result<serde_json::Value, String> {
    let out = Command::new("cargo")
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

fn bench() -> Result<(), String> {
    cargo(&["bench", "--workspace", "--all-features"], &[])?;
    print!("{}", bench_table()?);
    // Criterion measures one function after another, so load from other processes on a shared machine skews the
    // ratios above; the paired mode interleaves rounds of every variant and reports the median per-round ratio.
    for bench in PAIRED_BENCHES {
        println!("\npaired A/B, botwire-max bench `{bench}` (median per-round ratio to bare):");
        cargo(
            &[
                "bench",
                "--quiet",
                "--package",
                "botwire-max",
                "--all-features",
                "--bench",
                bench,
            ],
            &[("BOTWIRE_AB", "1")],
        )?;
    }
    Ok(())
}

/// Request benches that also have the interleaved A/B mode (`BOTWIRE_AB=1`).
const PAIRED_BENCHES: &[&str] = &["get_me", "send_message"];

/// Functions a group's other members are compared with, when the group has one.
const BASELINES: &[&str] = &["bare", "value"];

/// A table of every criterion estimate under `target/criterion/<group>/<function>/new/estimates.json`, with each
/// function's ratio to its group's baseline, then the sustained-rate results the throttle bench wrote.
fn bench_table() -> Result<String, String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
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
