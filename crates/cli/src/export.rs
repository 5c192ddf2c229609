//! `botwire onebot contacts export`: every contact of a bot into CSV or JSON Lines, page by page, resumable.
//!
//! After each complete page the output is flushed and a state file (`<output>.export-state`) records the next
//! page and the output's length. A rerun with the same arguments truncates the output to that length (dropping
//! a page half-written when the run was killed), rereads the ids already written, and continues with the next
//! page; a contact seen again (pages shift when contacts are added meanwhile) is not written twice. The state
//! file is removed once the last page is written.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, Write};
use std::path::{Path, PathBuf};

use botwire_core_types::onebot::Contact;
use botwire_onebot::endpoints::GetContacts;
use botwire_onebot::paging::ContactPager;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use crate::cli::{ContactExtra, ExportArgs, ExportFormat};
use crate::error::CliError;
use crate::onebot::OneBotClient;
use crate::output::Out;

/// What an unfinished export remembers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    bot_id: i64,
    format: ExportFormat,
    tags: bool,
    variables: bool,
    page_size: u32,
    /// The first page not yet written.
    next_page: u32,
    /// The output's length after the last complete page.
    bytes: u64,
    /// Contacts written so far.
    contacts: u64,
}

impl State {
    /// Whether an unfinished export was started with the same arguments.
    fn same_job(&self, other: &State) -> bool {
        (
            self.bot_id,
            self.format,
            self.tags,
            self.variables,
            self.page_size,
        ) == (
            other.bot_id,
            other.format,
            other.tags,
            other.variables,
            other.page_size,
        )
    }
}

fn state_path(output: &Path) -> PathBuf {
    let mut name = output
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".export-state");
    output.with_file_name(name)
}

fn save_state(path: &Path, state: &State) -> Result<(), CliError> {
    let json = serde_json::to_vec(state)
        .map_err(|e| CliError::failure(format!("cannot encode the export state: {e}")))?;
    crate::output::write_atomically(path, &json)
        .map_err(|e| CliError::io("cannot write the export state", path, &e))
}

const CSV_COLUMNS: [&str; 13] = [
    "id",
    "bot_id",
    "name",
    "phone",
    "email",
    "messenger",
    "external_id",
    "telegram_id",
    "telegram_username",
    "viber_id",
    "vk_user_id",
    "address",
    "created_at",
];

fn csv_header(state: &State) -> String {
    let mut columns: Vec<&str> = CSV_COLUMNS.to_vec();
    if state.tags {
        columns.push("tags");
    }
    if state.variables {
        columns.push("variables");
    }
    let mut line = columns.join(",");
    line.push('\n');
    line
}

/// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

fn csv_row(c: &Contact, state: &State) -> String {
    let text = |v: Option<String>| v.unwrap_or_default();
    let mut fields = vec![
        c.id.to_string(),
        text(c.bot_id.map(|b| b.to_string())),
        text(c.name.clone()),
        text(c.phone.clone()),
        text(c.email.clone()),
        text(c.messenger.as_ref().map(ToString::to_string)),
        text(c.external_id()),
        text(c.telegram_id.as_ref().map(ToString::to_string)),
        text(c.telegram_username.clone()),
        text(c.viber_id.as_ref().map(ToString::to_string)),
        text(c.vk_user_id.map(|v| v.to_string())),
        text(c.address.clone()),
        text(c.created_at.clone()),
    ];
    if state.tags {
        let tags = c.tags.as_deref().unwrap_or_default();
        fields.push(
            tags.iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(";"),
        );
    }
    if state.variables {
        let map: serde_json::Map<String, serde_json::Value> = c
            .variables
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter_map(|v| Some((v.name()?.to_owned(), serde_json::Value::from(v.value_str()))))
            .collect();
        fields.push(if map.is_empty() {
            String::new()
        } else {
            serde_json::Value::Object(map).to_string()
        });
    }
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

fn record(c: &Contact, state: &State) -> Result<String, CliError> {
    match state.format {
        ExportFormat::Csv => Ok(csv_row(c, state)),
        ExportFormat::Jsonl => {
            let mut line = serde_json::to_string(c)
                .map_err(|e| CliError::failure(format!("cannot encode contact {}: {e}", c.id)))?;
            line.push('\n');
            Ok(line)
        }
    }
}

/// The ids already in an output written by this command (the first field of each CSV record after the header,
/// or each JSON line's `id`).
fn written_ids(file: &mut File, format: ExportFormat) -> std::io::Result<HashSet<i64>> {
    file.rewind()?;
    let mut ids = HashSet::new();
    match format {
        ExportFormat::Jsonl => {
            for line in BufReader::new(file).lines() {
                let line = line?;
                if let Some(id) = serde_json::from_str::<serde_json::Value>(&line)
                    .ok()
                    .and_then(|v| v["id"].as_i64())
                {
                    ids.insert(id);
                }
            }
        }
        ExportFormat::Csv => {
            let mut text = String::new();
            file.read_to_string(&mut text)?;
            // Records end at a line break outside quotes; the id (never quoted) starts each record.
            let (mut in_quotes, mut record_start, mut header) = (false, 0usize, true);
            for (i, ch) in text.char_indices() {
                match ch {
                    '"' => in_quotes = !in_quotes,
                    '\n' if !in_quotes => {
                        let record = &text[record_start..i];
                        if !header
                            && let Some(id) =
                                record.split(',').next().and_then(|f| f.trim().parse().ok())
                        {
                            ids.insert(id);
                        }
                        header = false;
                        record_start = i + 1;
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(ids)
}

pub fn run(client: &OneBotClient, out: Out, args: ExportArgs) -> Result<(), CliError> {
    if !(1..=500).contains(&args.page_size) {
        return Err(CliError::usage(format!(
            "--page-size {} must be 1–500",
            args.page_size
        )));
    }
    let extension = match args.format {
        ExportFormat::Csv => "csv",
        ExportFormat::Jsonl => "jsonl",
    };
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("contacts-{}.{extension}", args.bot_id)));
    let state_file = state_path(&output);
    let fresh = State {
        bot_id: args.bot_id,
        format: args.format,
        tags: args.with.contains(&ContactExtra::Tags),
        variables: args.with.contains(&ContactExtra::Variables),
        page_size: args.page_size,
        next_page: 1,
        bytes: 0,
        contacts: 0,
    };
    let earlier = match std::fs::read(&state_file) {
        _ if args.restart => None,
        Ok(bytes) => Some(serde_json::from_slice::<State>(&bytes).map_err(|e| {
            CliError::usage(format!(
                "{} is not an export state: {e}",
                state_file.display()
            ))
            .hint("run with --restart to start the export over")
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(CliError::io(
                "cannot read the export state",
                &state_file,
                &e,
            ));
        }
    };
    let open_error = |e: std::io::Error| CliError::io("cannot open the output", &output, &e);
    let (mut file, mut state, mut seen) = match earlier {
        Some(earlier) if !earlier.same_job(&fresh) => {
            return Err(CliError::usage(format!(
                "{} holds an unfinished export with other arguments (bot {}, {:?}, page size {})",
                output.display(),
                earlier.bot_id,
                earlier.format,
                earlier.page_size
            ))
            .hint(
                "run it again with those arguments to finish it, or add --restart to start over",
            ));
        }
        Some(earlier) => {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&output)
                .map_err(open_error)?;
            let len = file.metadata().map_err(open_error)?.len();
            if len < earlier.bytes {
                return Err(CliError::usage(format!(
                    "{} is shorter than the unfinished export wrote; it changed since",
                    output.display()
                ))
                .hint("add --restart to start over"));
            }
            // A page cut off by the interruption is dropped; it is fetched again.
            file.set_len(earlier.bytes).map_err(open_error)?;
            let seen = written_ids(&mut file, earlier.format).map_err(open_error)?;
            file.seek(std::io::SeekFrom::End(0)).map_err(open_error)?;
            if !out.json {
                eprintln!(
                    "resuming {}: {} contacts written, continuing at page {}",
                    output.display(),
                    earlier.contacts,
                    earlier.next_page
                );
            }
            (file, earlier, seen)
        }
        None => {
            let mut file = File::create(&output).map_err(open_error)?;
            let mut state = fresh;
            if state.format == ExportFormat::Csv {
                let header = csv_header(&state);
                file.write_all(header.as_bytes()).map_err(open_error)?;
                state.bytes = header.len() as u64;
            }
            save_state(&state_file, &state)?;
            (file, state, HashSet::new())
        }
    };

    let mut query = GetContacts::new()
        .bot_id(state.bot_id)
        .count(state.page_size)
        .page(state.next_page);
    if state.tags {
        query = query.with_tags();
    }
    if state.variables {
        query = query.with_variables();
    }
    let mut pager = ContactPager::new(query);
    // Drawn on stderr only when it is a terminal; the default client paces the pages at 2 requests/s.
    let bar = if out.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new_spinner()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} page {pos}/{len} [{bar:30}] {msg} ({elapsed})")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_position(u64::from(state.next_page.saturating_sub(1)));
    bar.set_message(format!("{} contacts", state.contacts));
    let mut pages_this_run = 0u32;
    let complete =
        loop {
            let Some(request) = pager.next_request() else {
                break true;
            };
            if args.max_pages.is_some_and(|max| pages_this_run >= max) {
                break false;
            }
            let page_number = request.page.unwrap_or(state.next_page);
            let page = client.send(&request).map_err(|e| {
            let e = CliError::from(e);
            let hint = format!(
                "{} contacts are saved; run the same command again to resume at page {page_number}",
                state.contacts
            );
            CliError { hint: Some(e.hint.map_or(hint.clone(), |h| format!("{h}; {hint}"))), ..e }
        })?;
            if let Some(last) = page.meta.as_ref().and_then(|m| m.last_page) {
                bar.set_length(u64::from(last));
            }
            pager.accept(page);
            let mut chunk = String::new();
            let mut added = 0u64;
            while let Some(contact) = pager.pop() {
                if seen.insert(contact.id.get()) {
                    chunk.push_str(&record(&contact, &state)?);
                    added += 1;
                }
            }
            file.write_all(chunk.as_bytes())
                .and_then(|()| file.flush())
                .and_then(|()| file.sync_data())
                .map_err(|e| CliError::io("cannot write", &output, &e))?;
            state.bytes += chunk.len() as u64;
            state.contacts += added;
            state.next_page = page_number + 1;
            save_state(&state_file, &state)?;
            pages_this_run += 1;
            bar.set_position(u64::from(page_number));
            bar.set_message(format!("{} contacts", state.contacts));
        };
    bar.finish_and_clear();
    if complete {
        std::fs::remove_file(&state_file)
            .map_err(|e| CliError::io("cannot remove the export state", &state_file, &e))?;
    }
    let summary = serde_json::json!({
        "output": output.display().to_string(),
        "contacts": state.contacts,
        "pages": state.next_page - 1,
        "complete": complete,
    });
    out.either(&summary, || {
        if complete {
            format!("exported {} contacts ({} pages) to {}", state.contacts, state.next_page - 1, output.display())
        } else {
            format!(
                "stopped after {pages_this_run} pages: {} contacts in {}; run the same command again to continue at page {}",
                state.contacts,
                output.display(),
                state.next_page
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(format: ExportFormat) -> State {
        State {
            bot_id: 1,
            format,
            tags: true,
            variables: true,
            page_size: 10,
            next_page: 1,
            bytes: 0,
            contacts: 0,
        }
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_ids_are_read_back() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        let mut contact = Contact::new(42);
        contact.name = Some("Иван, \"VIP\"".into());
        contact.address = Some("line 1\n7, line 2".into());
        contact.tags = Some(vec![
            botwire_core_types::onebot::Tag::named("a"),
            botwire_core_types::onebot::Tag::named("b"),
        ]);
        let st = state(ExportFormat::Csv);
        let row = csv_row(&contact, &st);
        assert!(row.starts_with("42,,\"Иван, \"\"VIP\"\"\""), "{row}");
        assert!(row.contains(",a;b,"), "{row}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.csv");
        std::fs::write(
            &path,
            format!("{}{row}{}", csv_header(&st), csv_row(&Contact::new(7), &st)),
        )
        .unwrap();
        let ids = written_ids(&mut File::open(&path).unwrap(), ExportFormat::Csv).unwrap();
        // The quoted line break's "7, line 2" is not mistaken for a record.
        assert_eq!(ids, HashSet::from([42, 7]));
    }

    #[test]
    fn jsonl_ids_are_read_back() {
        let st = state(ExportFormat::Jsonl);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let text = format!(
            "{}{}",
            record(&Contact::new(3), &st).unwrap(),
            record(&Contact::new(5), &st).unwrap()
        );
        std::fs::write(&path, text).unwrap();
        let ids = written_ids(&mut File::open(&path).unwrap(), ExportFormat::Jsonl).unwrap();
        assert_eq!(ids, HashSet::from([3, 5]));
    }

    #[test]
    fn the_state_file_sits_next_to_the_output() {
        assert_eq!(
            state_path(Path::new("/tmp/x/contacts.csv")),
            Path::new("/tmp/x/contacts.csv.export-state")
        );
    }
}
