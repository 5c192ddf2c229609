//! Сообщения and Рассылка: sendMessage, sendMessageToWhatsApp, sendMessageToQueue.

use serde_json::{Value, json};

use super::contacts::Handled;
use super::input::{Check, Input, success};
use super::world::{Contact, OneBotWorld, QueuedMessage, SentMessage};

const SEND_MESSENGERS: &[&str] = &["whatsapp", "telegram", "viber", "vk", "max", "icq"];

pub(crate) fn send_message(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    check.req_without("contact_id", &["bot_id"]);
    check.req_without("bot_id", &["contact_id"]);
    check.req_with("messenger", "bot_id");
    check.req_with("contact_external_id", "bot_id");
    check.req_without("text", &["image", "file"]);
    let contact_id = check.opt_int("contact_id");
    check.exists("contact_id", contact_id, |c| w.contacts.contains_key(&c));
    let bot_id = check.opt_int("bot_id");
    check.exists("bot_id", bot_id, |b| w.bots.contains_key(&b));
    let messenger = check.opt_str("messenger");
    check.one_of("messenger", messenger.as_deref(), SEND_MESSENGERS);
    let external = check.opt_str("contact_external_id");
    let text = check.opt_str("text");
    let image = check.opt_str("image");
    let file = check.opt_str("file");
    check.finish()?;
    let resolved = contact_id.or_else(|| {
        let (b, e) = (bot_id?, external.as_deref()?);
        w.find_by_external(b, e)
    });
    w.tick();
    w.sent.push(SentMessage {
        method: "sendMessage".into(),
        bot_id: bot_id.or_else(|| Some(w.contacts.get(&resolved?)?.bot_id)),
        contact_id: resolved,
        messenger,
        contact_external_id: external,
        text,
        image,
        file,
    });
    Ok(success())
}

pub(crate) fn send_message_to_whatsapp(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let bot_id = check.opt_int("bot_id");
    check.exists("bot_id", bot_id, |b| w.bots.contains_key(&b));
    let phone = check.req_str("phone");
    let text = check.req_str("text");
    let name = check.opt_str("name");
    let bot_id = bot_id.or_else(|| {
        w.bots
            .values()
            .find(|b| b.messenger == "whatsapp")
            .map(|b| b.id)
    });
    if bot_id.is_none() && !check.failed("bot_id") {
        check.fail("bot_id", "Поле bot id обязательно для заполнения.".into());
    }
    check.finish()?;
    let (Some(bot_id), Some(phone)) = (bot_id, phone) else {
        return Ok(Value::Null);
    };
    let id = w.find_or_create_contact(bot_id, &phone, |id, created_at| Contact {
        id,
        bot_id,
        name: name.clone().unwrap_or_else(|| phone.clone()),
        messenger: "whatsapp".into(),
        phone: Some(phone.clone()),
        created_at,
        ..Contact::default()
    });
    w.tick();
    w.sent.push(SentMessage {
        method: "sendMessageToWhatsApp".into(),
        bot_id: Some(bot_id),
        contact_id: Some(id),
        messenger: Some("whatsapp".into()),
        contact_external_id: Some(phone),
        text,
        image: None,
        file: None,
    });
    let c = &w.contacts[&id];
    Ok(json!({ "data": {
        "id": c.id,
        "name": c.name,
        "phone": c.phone,
        "messenger": c.messenger,
        "created_at": super::world::rfc3339(c.created_at),
    }}))
}

pub(crate) fn send_message_to_queue(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let message_id = check.req_str("message_id");
    let text = check.req_str("text");
    check.req_without("contact_id", &["bitrix_contact_id", "phone"]);
    let contact_id = check.opt_int("contact_id");
    check.exists("contact_id", contact_id, |c| w.contacts.contains_key(&c));
    let bitrix = check.opt_int("bitrix_contact_id");
    let phone = check.opt_str("phone");
    check.finish()?;
    let (Some(message_id), Some(text)) = (message_id, text) else {
        return Ok(Value::Null);
    };
    // The caller's message_id deduplicates: a repeat is answered with the queued entry, not queued twice.
    let entry = match w.queue.iter().find(|q| q.message_id == message_id) {
        Some(q) => q.clone(),
        None => {
            let q = QueuedMessage {
                message_id,
                text,
                contact_id,
                bitrix_contact_id: bitrix,
                phone,
            };
            w.tick();
            w.queue.push(q.clone());
            q
        }
    };
    let mut body = json!({
        "success": true,
        "message_id": entry.message_id,
        "text": entry.text,
    });
    if let Some(c) = entry.contact_id {
        body["contact_id"] = json!(c);
    }
    if let Some(b) = entry.bitrix_contact_id {
        body["bitrix_contact_id"] = json!(b);
    }
    if let Some(p) = entry.phone {
        body["phone"] = json!(p);
    }
    Ok(body)
}
