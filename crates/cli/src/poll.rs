//! `botwire max updates` and `botwire max forward`: long polling through the SDK's sans-IO [`Poller`], with a
//! checkpoint file.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use botwire_core_types::max::{Update, UpdateType};
use botwire_max::polling::{Action, Checkpoint, PollConfig, Polled, Poller};
use botwire_transport::{BlockingTransport, TransportConfig, UreqTransport};

use crate::cli::{ForwardArgs, PollOptions, UpdatesArgs};
use crate::error::CliError;
use crate::max::MaxClient;
use crate::output::{Out, utc};

/// The position saved in `--checkpoint`: the SDK's [`Checkpoint`] as JSON (`{"marker":…,"skip":…}`).
struct CheckpointFile {
    path: PathBuf,
    saved: Checkpoint,
}

impl CheckpointFile {
    fn open(path: &Path) -> Result<Self, CliError> {
        let saved = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                CliError::usage(format!(
                    "the checkpoint file {} is not a checkpoint: {e}",
                    path.display()
                ))
                .hint("delete it to start from what the server has pending")
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Checkpoint::default(),
            Err(e) => return Err(CliError::io("cannot read the checkpoint file", path, &e)),
        };
        Ok(Self {
            path: path.to_path_buf(),
            saved,
        })
    }

    /// Writes `checkpoint` when it moved; a rename, so a kill mid-write leaves the old file whole.
    fn save(&mut self, checkpoint: Checkpoint) -> Result<(), CliError> {
        if checkpoint == self.saved {
            return Ok(());
        }
        let json = serde_json::to_vec(&checkpoint)
            .map_err(|e| CliError::failure(format!("cannot encode the checkpoint: {e}")))?;
        crate::output::write_atomically(&self.path, &json)
            .map_err(|e| CliError::io("cannot write the checkpoint file", &self.path, &e))?;
        self.saved = checkpoint;
        Ok(())
    }
}

/// Polls, hands each item (with its JSON as sent) to `handle`, and saves the checkpoint after each item `handle`
/// accepted (an `Err` from it stops the loop with the checkpoint still before that item). Stops after
/// `exit_after` items, at a fatal error, or — without `follow` — at the first answer with nothing new.
fn drive(
    client: &MaxClient,
    options: &PollOptions,
    follow: bool,
    mut handle: impl FnMut(&Polled, &str) -> Result<(), CliError>,
) -> Result<u64, CliError> {
    let mut file = options
        .checkpoint
        .as_deref()
        .map(CheckpointFile::open)
        .transpose()?;
    let types: Vec<UpdateType> = options
        .types
        .iter()
        .map(|t| UpdateType::from(t.trim()))
        .collect();
    let mut config = PollConfig::default().keep_json().types(types);
    if let Some(file) = &file {
        config = config.starting_at(file.saved);
    }
    if !follow {
        // What is pending now: no held request, and the first failure is the answer.
        config = config.timeout_secs(0).reporting_after(1);
    }
    let mut poller = Poller::new(config);
    let mut handled = 0u64;
    let mut answered_empty = false;
    loop {
        if options.exit_after.is_some_and(|n| handled >= n) {
            return Ok(handled);
        }
        match poller.next_action(Instant::now(), client.config())? {
            Action::Deliver(item) => {
                answered_empty = false;
                let json = poller
                    .last_json()
                    .map(str::to_owned)
                    .unwrap_or_else(|| fallback_json(&item));
                handle(&item, &json)?;
                handled += 1;
                if let Some(file) = &mut file {
                    file.save(poller.checkpoint())?;
                }
            }
            Action::Report(e) if !follow => return Err(e.into()),
            Action::Report(e) => eprintln!("warning: {} (still trying)", CliError::from(e).message),
            Action::Wait(_) | Action::Send(_) if answered_empty && !follow => return Ok(handled),
            Action::Wait(d) => std::thread::sleep(d),
            Action::Send(request) => {
                let outcome = client.execute(request);
                poller.on_response(outcome)?;
                answered_empty = poller.failures() == 0;
                if let Some(file) = &mut file {
                    // An empty answer can move the marker too (the server moved on).
                    file.save(poller.checkpoint())?;
                }
            }
        }
    }
}

/// Only when the poller kept no text (never with `keep_json`): the decoded update, re-encoded.
fn fallback_json(item: &Polled) -> String {
    match item {
        Polled::Update(u) => serde_json::to_string(u).unwrap_or_default(),
        Polled::Malformed(bad) => bad.raw.clone(),
    }
}

/// One human line about an update.
fn describe(update: &Update) -> String {
    let chat = update
        .chat_id()
        .map_or_else(String::new, |c| format!(" chat={}", c.get()));
    let detail = match update {
        Update::MessageCreated(u) => u.message.as_ref().map(|m| {
            let who = m.sender.as_ref().map_or("?", |s| s.first_name.as_str());
            format!("{who}: {}", m.text().unwrap_or("(no text)"))
        }),
        Update::MessageEdited(u) => u
            .message
            .as_ref()
            .map(|m| format!("now: {}", m.text().unwrap_or(""))),
        Update::MessageCallback(u) => Some(format!(
            "{} pressed {}",
            u.callback.user.first_name,
            u.callback.payload.as_deref().unwrap_or("(no payload)")
        )),
        Update::BotStarted(u) => Some(match &u.payload {
            Some(p) => format!("{} started the bot (payload {p})", u.user.first_name),
            None => format!("{} started the bot", u.user.first_name),
        }),
        Update::BotStopped(u) => Some(format!("{} stopped the bot", u.user.first_name)),
        Update::BotAdded(u) => Some(format!("added by {}", u.user.first_name)),
        Update::BotRemoved(u) => Some(format!("removed by {}", u.user.first_name)),
        Update::UserAdded(u) => Some(format!("{} joined", u.user.first_name)),
        Update::UserRemoved(u) => Some(format!("{} left", u.user.first_name)),
        Update::MessageRemoved(u) => Some(format!("message {}", u.message_id)),
        _ => None,
    };
    let detail = detail.map(|d| format!("  {d}")).unwrap_or_default();
    format!(
        "{} UTC  {:<18}{chat}{detail}",
        utc(update.timestamp()),
        update.kind()
    )
}

pub fn updates(client: &MaxClient, out: Out, args: UpdatesArgs) -> Result<(), CliError> {
    let count = drive(client, &args.poll, args.follow, |item, json| {
        match item {
            // The update's JSON exactly as the API sent it: stable for scripts, new fields included.
            _ if out.json => out.raw_line(json)?,
            Polled::Update(update) => out.raw_line(&describe(update))?,
            Polled::Malformed(bad) => eprintln!(
                "warning: an update could not be decoded ({}): {}",
                bad.error, bad.raw
            ),
        }
        Ok(())
    })?;
    if !out.json && !args.follow {
        eprintln!("{count} updates");
    }
    Ok(())
}

/// The wait before retry `n` (1-based): the platform's schedule (×2.5 each time) from `first`, capped at `max`.
fn retry_wait(first: Duration, max: Duration, n: u32) -> Duration {
    botwire_core_types::limits::max_webhook_retry_wait(first, n).min(max)
}

pub fn forward(client: &MaxClient, out: Out, args: ForwardArgs) -> Result<(), CliError> {
    let uri: http::Uri = args
        .to
        .parse()
        .map_err(|e| CliError::usage(format!("--to `{}` is not a URL: {e}", args.to)))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(CliError::usage(format!(
            "--to `{}` must be an http:// or https:// URL",
            args.to
        ))
        .hint("e.g. --to http://127.0.0.1:8080/hook"));
    }
    if let Some(secret) = &args.secret {
        // The rule MAX applies to a subscription's secret, so the handler is tested with a secret MAX would send.
        botwire_core_types::max::check_webhook_secret(secret)?;
    }
    // MAX waits 30 s for the answer.
    let hook = UreqTransport::new(
        TransportConfig::default().timeout(botwire_core_types::limits::MAX_WEBHOOK_ANSWER_TIMEOUT),
    );
    let count = drive(client, &args.poll, !args.once, |item, json| {
        let kind = match item {
            Polled::Update(u) => u.kind().to_owned(),
            Polled::Malformed(_) => "(undecodable update)".to_owned(),
        };
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = deliver(&hook, &uri, args.secret.as_deref(), json);
            let failure = match outcome {
                Ok(200) => {
                    out.either(&serde_json::json!({"update_type": kind, "status": 200, "attempts": attempt}), || {
                        format!("→ {kind}: 200 (attempt {attempt})")
                    })?;
                    return Ok(());
                }
                Ok(status) => format!("HTTP {status}"),
                Err(e) => e.to_string(),
            };
            if attempt > args.retries {
                return Err(CliError::failure(format!(
                    "the webhook {} did not accept a {kind} update after {attempt} attempts (last: {failure})",
                    args.to
                ))
                .hint("the checkpoint still points at this update: fix the handler and run the same command again"));
            }
            let wait = retry_wait(args.retry_first, args.retry_max, attempt);
            eprintln!(
                "→ {kind}: {failure}; retry {attempt}/{} in {wait:?}",
                args.retries
            );
            std::thread::sleep(wait);
        }
    })?;
    if !out.json {
        eprintln!("{count} updates forwarded");
    }
    Ok(())
}

/// One delivery as MAX makes it: `POST`, the update alone as the body, JSON, the secret header.
fn deliver(
    hook: &UreqTransport,
    uri: &http::Uri,
    secret: Option<&str>,
    json: &str,
) -> Result<u16, botwire_transport::TransportError> {
    let mut request =
        http::Request::post(uri.clone()).header(http::header::CONTENT_TYPE, "application/json");
    if let Some(secret) = secret {
        request = request.header(botwire_max::webhook::SECRET_HEADER, secret);
    }
    let request = request
        .body(json.as_bytes().to_vec())
        .map_err(|e| botwire_transport::TransportError::invalid_request(e.to_string()))?;
    hook.execute(request)
        .map(|response| response.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_waits_grow_like_the_platform_but_shortened_and_capped() {
        let (first, max) = (Duration::from_secs(1), Duration::from_secs(60));
        assert_eq!(retry_wait(first, max, 1), Duration::from_secs(1));
        assert_eq!(retry_wait(first, max, 2), Duration::from_millis(2500));
        assert_eq!(retry_wait(first, max, 3), Duration::from_millis(6250));
        assert_eq!(retry_wait(first, max, 10), max);
        // The platform's own schedule: 60 s, 150 s, 375 s.
        let hour = Duration::from_secs(3600);
        assert_eq!(
            retry_wait(Duration::from_secs(60), hour, 3),
            Duration::from_secs(375)
        );
    }
}
