//! Контакты: contacts, user variables, tags.

use axum::response::Response;
use serde_json::{Value, json};

use super::input::{Check, Input, paginate, success};
use super::world::{Contact, OneBotWorld, VariableShape};

pub(crate) type Handled = Result<Value, Response>;

const MESSENGERS: &[&str] = &["whatsapp", "telegram", "viber", "vk"];

pub(crate) fn get_contacts(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let bot_id = check.opt_int("bot_id");
    let date_from = check.opt_int("date_from");
    let date_to = check.opt_int("date_to");
    let count = check.opt_int("count");
    check.min("count", count, 1);
    check.max("count", count, 500);
    let page = check.opt_int("page");
    check.min("page", page, 1);
    let with = check.opt_str("with").unwrap_or_default();
    check.finish()?;
    let relations: Vec<&str> = with.split(',').map(str::trim).collect();
    let (tags, vars) = (
        relations.contains(&"tags"),
        relations.contains(&"variables"),
    );
    let items: Vec<Value> = w
        .contacts
        .values()
        .filter(|c| bot_id.is_none_or(|b| c.bot_id == b))
        .filter(|c| date_from.is_none_or(|t| c.created_at >= t))
        .filter(|c| date_to.is_none_or(|t| c.created_at <= t))
        .map(|c| w.contact_json(c, tags, vars))
        .collect();
    let per_page = count.map_or(w.default_contacts_page, |c| c as u32);
    Ok(paginate(
        "getContacts",
        items,
        page.unwrap_or(1) as u32,
        per_page,
    ))
}

pub(crate) fn create_or_update_contact(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let bot_id = check.req_int("bot_id");
    check.exists("bot_id", bot_id, |b| w.bots.contains_key(&b));
    let messenger = check.req_str("messenger");
    check.one_of("messenger", messenger.as_deref(), MESSENGERS);
    let name = check.req_str("name");
    let m = messenger.clone().unwrap_or_default();
    let id_field = match m.as_str() {
        "whatsapp" => Some("phone"),
        "telegram" => Some("telegram_id"),
        "viber" => Some("viber_id"),
        "vk" => Some("vk_id"),
        _ => None,
    };
    if let Some(field) = id_field {
        check.req_if(field, "messenger", &m);
    }
    let phone = check.opt_str("phone");
    let telegram_id = check.opt_int("telegram_id");
    let viber_id = check.opt_str("viber_id");
    let vk_id = check.opt_int("vk_id");
    let telegram_username = check.opt_str("telegram_username");
    let email = check.opt_str("email");
    let address = check.opt_str("address");
    let tags = check.opt_strings("tags");
    check.finish()?;
    let (Some(bot_id), Some(name)) = (bot_id, name) else {
        return Ok(Value::Null);
    };
    let external = match m.as_str() {
        "whatsapp" => phone.clone(),
        "telegram" => telegram_id.map(|t| t.to_string()),
        "viber" => viber_id.clone(),
        _ => vk_id.map(|v| v.to_string()),
    }
    .unwrap_or_default();
    let id = w.find_or_create_contact(bot_id, &external, |id, created_at| Contact {
        id,
        bot_id,
        messenger: m.clone(),
        created_at,
        ..Contact::default()
    });
    if let Some(c) = w.contacts.get_mut(&id) {
        c.name = name;
        if phone.is_some() {
            c.phone = phone;
        }
        if let Some(t) = telegram_id {
            c.telegram_id = Some(t.to_string());
        }
        if telegram_username.is_some() {
            c.telegram_username = telegram_username;
        }
        if viber_id.is_some() {
            c.viber_id = viber_id;
        }
        if vk_id.is_some() {
            c.vk_user_id = vk_id;
        }
        if email.is_some() {
            c.email = email;
        }
        if address.is_some() {
            c.address = address;
        }
    }
    for tag in &tags {
        w.attach_tag(id, tag);
    }
    let c = &w.contacts[&id];
    Ok(json!({ "data": w.contact_json(c, false, false) }))
}

/// `contact_id`: required, an integer, an existing contact.
fn contact_id(check: &mut Check<'_>, w: &OneBotWorld) -> Option<i64> {
    let id = check.req_int("contact_id");
    check.exists("contact_id", id, |c| w.contacts.contains_key(&c));
    id
}

pub(crate) fn get_contact_variables(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let id = contact_id(&mut check, w);
    let page = check.opt_int("page");
    check.min("page", page, 1);
    check.finish()?;
    let c = &w.contacts[&id.unwrap_or_default()];
    let items: Vec<Value> = c
        .variables
        .iter()
        .map(|v| w.variable_json(c.bot_id, v))
        .collect();
    Ok(match w.variable_shape {
        VariableShape::OneBot => {
            paginate("getContactVariables", items, page.unwrap_or(1) as u32, 100)
        }
        VariableShape::CleverApp => json!({ "data": items }),
    })
}

pub(crate) fn set_contact_variable(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let id = contact_id(&mut check, w);
    let name = check.req_str("name");
    let value = check.req_str("value");
    let deletable = check.opt_bool("deletable");
    check.finish()?;
    let (Some(id), Some(name), Some(value)) = (id, name, value) else {
        return Ok(Value::Null);
    };
    let record = w.set_variable(id, &name, &value, deletable);
    let c = &w.contacts[&id];
    let v = c
        .variables
        .iter()
        .find(|v| Some(v.id) == record)
        .map(|v| w.variable_json(c.bot_id, v));
    Ok(json!({ "data": v }))
}

pub(crate) fn delete_contact_variable(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let id = contact_id(&mut check, w);
    check.req_without("id", &["name"]);
    check.req_without("name", &["id"]);
    let var_id = check.opt_int("id");
    let name = check.opt_str("name");
    check.finish()?;
    let Some(id) = id else {
        return Ok(Value::Null);
    };
    let bot_id = w.contacts[&id].bot_id;
    let definition = name.and_then(|n| {
        w.bots
            .get(&bot_id)
            .and_then(|b| b.variables.values().find(|d| d.name == n).map(|d| d.id))
    });
    if let Some(c) = w.contacts.get_mut(&id) {
        // `id` may name the value record or the definition (the two shapes disagree on which id they show).
        c.variables.retain(|v| {
            Some(v.definition) != definition && Some(v.id) != var_id && Some(v.definition) != var_id
        });
    }
    w.tick();
    Ok(success())
}

pub(crate) fn get_bot_tags(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let bot_id = check.req_int("bot_id");
    check.exists("bot_id", bot_id, |b| w.bots.contains_key(&b));
    check.finish()?;
    let tags: Vec<&String> = w.bots[&bot_id.unwrap_or_default()].tags.values().collect();
    Ok(json!({ "data": tags }))
}

pub(crate) fn get_contact_tags(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let id = contact_id(&mut check, w);
    check.finish()?;
    Ok(json!({ "data": w.contacts[&id.unwrap_or_default()].tags }))
}

/// The tag an attach/detach call names: by `name`, or by `tag_id` (which must exist in the contact's bot).
fn tag_name(w: &OneBotWorld, input: &Input) -> Result<(i64, String), Response> {
    let mut check = Check::new(input);
    let id = contact_id(&mut check, w);
    check.req_without("tag_id", &["name"]);
    check.req_without("name", &["tag_id"]);
    let tag_id = check.opt_int("tag_id");
    let name = check.opt_str("name");
    let bot = id.and_then(|c| w.contacts.get(&c)).map(|c| c.bot_id);
    let by_id = tag_id.and_then(|t| bot.and_then(|b| w.bots.get(&b)?.tags.get(&t).cloned()));
    if tag_id.is_some() && name.is_none() && by_id.is_none() && !check.failed("tag_id") {
        check.not_found("tag_id");
    }
    check.finish()?;
    Ok((id.unwrap_or_default(), name.or(by_id).unwrap_or_default()))
}

pub(crate) fn attach_tag_to_contact(w: &mut OneBotWorld, input: &Input) -> Handled {
    let (id, name) = tag_name(w, input)?;
    w.attach_tag(id, &name);
    w.tick();
    Ok(success())
}

pub(crate) fn detach_tag_from_contact(w: &mut OneBotWorld, input: &Input) -> Handled {
    let (id, name) = tag_name(w, input)?;
    if let Some(c) = w.contacts.get_mut(&id) {
        c.tags.retain(|t| *t != name);
    }
    w.tick();
    Ok(success())
}
