//! The bodies the benchmarks' servers answer with.

/// How many updates [`updates_body`] holds.
pub const UPDATES_PER_BODY: usize = 100;

/// The marker [`updates_body`] carries.
pub const MARKER: i64 = 25493970;

/// A typical short bot answer: the text every `POST /messages` benchmark sends.
pub const TEXT: &str =
    "Hello from the benchmark: your order #12345 has shipped and will arrive on Tuesday.";

/// The chat the `POST /messages` benchmarks write to.
pub const CHAT_ID: i64 = -70801090403050;

/// A `GET /me` answer (the official Go client's `botInfo.ok.json`, on one line).
pub const BOT_INFO: &str = r#"{"user_id":123123123,"first_name":"unit bot","username":"test-bot","is_bot":true,"last_activity_time":1774677196913,"description":"bot for testing","avatar_url":"https://localhost/i?r=hash1","full_avatar_url":"https://localhost/i?r=hash1","name":"bot name"}"#;

/// A `POST /messages` answer: the sent message ([`TEXT`] to [`CHAT_ID`], from the bot of [`BOT_INFO`]).
pub fn sent_message() -> String {
    format!(
        r#"{{"message":{{"recipient":{{"chat_id":{CHAT_ID},"chat_type":"chat"}},"timestamp":1775626919577,"body":{{"mid":"mid.ffffbdb48e6c3775019d496b34394b01","seq":116328127605864690,"text":"{TEXT}"}},"sender":{{"user_id":123123123,"first_name":"unit bot","username":"test-bot","is_bot":true,"last_activity_time":1774677196913,"name":"bot name"}}}}}}"#
    )
}

/// Element `i` of [`updates_body`]: five shapes in turn.
pub fn update_element(i: usize) -> String {
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

/// A 100-update `GET /updates` body: text messages with a forward, callbacks on a message with an inline
/// keyboard, an image and markup (the shapes of the 2026 capture), `user_added`, `message_removed`, and an
/// update type the models do not know (`message_reaction_added`, kept as JSON). Every element decodes.
pub fn updates_body() -> Vec<u8> {
    let updates: Vec<String> = (0..UPDATES_PER_BODY).map(update_element).collect();
    format!(r#"{{"updates":[{}],"marker":{MARKER}}}"#, updates.join(",")).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use botwire_core_types::max::{BotInfo, SendMessageResult, UpdateBatch};

    #[test]
    fn botwire_reads_every_fixture_without_a_malformed_element() {
        let bot: BotInfo = serde_json::from_str(BOT_INFO).expect("bot decodes");
        assert_eq!(bot.username.as_deref(), Some("test-bot"));
        let sent: SendMessageResult =
            serde_json::from_str(&sent_message()).expect("sent message decodes");
        assert_eq!(sent.message.text(), Some(TEXT));
        let batch = UpdateBatch::from_slice(&updates_body()).expect("batch decodes");
        assert_eq!(batch.updates.len(), UPDATES_PER_BODY);
        assert!(batch.updates.iter().all(Result::is_ok));
        assert_eq!(batch.marker, Some(MARKER));
    }

    #[test]
    fn the_botwire_clients_talk_to_the_fixed_server() {
        use botwire_max::polling::{PollConfig, Polled};
        let addr = crate::server::spawn().expect("server");
        let config = botwire_max::Config::new("t").with_base_url(format!("http://{addr}"));
        let client = botwire_max::blocking::Client::new(
            config,
            crate::stack::default_stack(botwire_transport::UreqTransport::new(
                botwire_transport::TransportConfig::default(),
            )),
        );
        assert!(client.get_me().expect("get_me").is_bot);
        let sent = client
            .send_message(
                botwire_core_types::max::ChatId::from(CHAT_ID),
                botwire_core_types::max::NewMessageBody::text(TEXT),
            )
            .expect("send_message");
        assert_eq!(sent.text(), Some(TEXT));
        let delivered = client
            .updates(PollConfig::default())
            .take(UPDATES_PER_BODY + 1)
            .filter(|item| matches!(item, Ok(Polled::Update(_))))
            .count();
        assert_eq!(delivered, UPDATES_PER_BODY + 1);
    }
}
