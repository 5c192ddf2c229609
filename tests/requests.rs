//! Every built request as an insta snapshot, straight from the sans-IO layer: no socket. The token must show as
//! `<redacted>` in every one (the Authorization header is sensitive; `api_token` is scrubbed from URLs).

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use botwire_core_types::max::{BotCommand, BotCommands};
use botwire_max::Endpoint as _;
use botwire_onebot::Endpoint as _;
use botwire_tests::{max, onebot};
use botwire_transport::{HttpRequest, describe_request};

const TOKEN: &str = "SECRET-TOKEN-must-not-appear";

fn max_cfg() -> max::Config {
    max::Config::new(TOKEN)
}

fn onebot_cfg() -> onebot::Config {
    onebot::Config::new(TOKEN)
}

fn show(req: &HttpRequest) -> String {
    let text = describe_request(req);
    assert!(
        !text.contains(TOKEN),
        "token leaked into a request description:\n{text}"
    );
    text
}

#[test]
fn max_get_me() {
    let req = max::endpoints::GetMe.request(&max_cfg()).unwrap();
    // The header itself carries the raw token (no "Bearer"), marked sensitive.
    assert_eq!(req.headers()["authorization"], TOKEN);
    assert!(req.headers()["authorization"].is_sensitive());
    assert!(!format!("{req:?}").contains(TOKEN));
    insta::assert_snapshot!(show(&req));
}

#[test]
fn max_edit_my_commands() {
    let commands = BotCommands::new(vec![
        BotCommand::new("start", Some("Main menu".into())).unwrap(),
        BotCommand::new("help", None).unwrap(),
    ])
    .unwrap();
    let req = max::endpoints::EditMyCommands::new(commands)
        .request(&max_cfg())
        .unwrap();
    insta::assert_snapshot!(show(&req));
}

#[test]
fn max_edit_my_commands_clear() {
    let req = max::endpoints::EditMyCommands::new(BotCommands::clear())
        .request(&max_cfg())
        .unwrap();
    insta::assert_snapshot!(show(&req));
}

#[test]
fn onebot_get_me() {
    let req = onebot::endpoints::GetMe.request(&onebot_cfg()).unwrap();
    assert_eq!(
        req.uri().query(),
        Some(format!("api_token={TOKEN}").as_str())
    );
    insta::assert_snapshot!(show(&req));
}
