//! Methods of the sister platforms (LEADTEX, Watbot): accounts, crypto accounts, referrals, Ysell status,
//! lists, short links. Served here whatever onebot.tech does, so the SDK's `sister-only-methods` can be tested.

use serde_json::{Map, Value, json};

use super::contacts::Handled;
use super::input::{Check, Input, paginate, success, unprocessable};
use super::world::{Account, ListItem, ListSchema, OneBotWorld};

fn contact_id(check: &mut Check<'_>, w: &OneBotWorld) -> Option<i64> {
    let id = check.req_int("contact_id");
    check.exists("contact_id", id, |c| w.contacts.contains_key(&c));
    id
}

fn accounts_of(w: &mut OneBotWorld, input: &Input, crypto: bool) -> Handled {
    let mut check = Check::new(input);
    let id = contact_id(&mut check, w);
    check.finish()?;
    let list: Vec<Value> = w
        .accounts
        .values()
        .filter(|a| Some(a.contact_id) == id && a.crypto == crypto)
        .map(OneBotWorld::account_json)
        .collect();
    Ok(json!({ "data": list }))
}

pub(crate) fn get_contact_accounts(w: &mut OneBotWorld, input: &Input) -> Handled {
    accounts_of(w, input, false)
}

pub(crate) fn get_contact_crypto_accounts(w: &mut OneBotWorld, input: &Input) -> Handled {
    accounts_of(w, input, true)
}

fn open_account(w: &mut OneBotWorld, input: &Input, crypto: bool) -> Handled {
    let mut check = Check::new(input);
    let id = contact_id(&mut check, w);
    let currency = check.req_str("currency");
    if !crypto && currency.as_ref().is_some_and(|c| c.chars().count() != 3) {
        check.fail(
            "currency",
            "Количество символов в поле currency должно быть равным 3.".into(),
        );
    }
    if let (Some(id), Some(cur)) = (id, currency.as_ref())
        && w.accounts
            .values()
            .any(|a| a.contact_id == id && a.crypto == crypto && &a.currency == cur)
    {
        check.fail(
            "currency",
            "Такое значение поля currency уже существует.".into(),
        );
    }
    check.finish()?;
    let (Some(contact_id), Some(currency)) = (id, currency) else {
        return Ok(Value::Null);
    };
    let account_id = w.next_id();
    let now = w.tick();
    let account = Account {
        id: account_id,
        contact_id,
        currency,
        amount: 0.0,
        crypto,
        created_at: now,
        updated_at: now,
    };
    let shown = OneBotWorld::account_json(&account);
    w.accounts.insert(account_id, account);
    Ok(json!({ "data": shown }))
}

pub(crate) fn add_contact_account(w: &mut OneBotWorld, input: &Input) -> Handled {
    open_account(w, input, false)
}

pub(crate) fn add_contact_crypto_account(w: &mut OneBotWorld, input: &Input) -> Handled {
    open_account(w, input, true)
}

fn move_funds(w: &mut OneBotWorld, input: &Input, crypto: bool, sign: f64) -> Handled {
    let mut check = Check::new(input);
    let account_id = check.req_int("account_id");
    check.exists("account_id", account_id, |a| {
        w.accounts.get(&a).is_some_and(|a| a.crypto == crypto)
    });
    let amount = if crypto {
        match input.get("amount") {
            None => {
                check.fail("amount", "Поле amount обязательно для заполнения.".into());
                None
            }
            Some(v) => {
                let n = v
                    .as_f64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()));
                if n.is_none() {
                    check.fail("amount", "Значение поля amount должно быть числом.".into());
                }
                n
            }
        }
    } else {
        let a = check.req_int("amount");
        check.min("amount", a, 1);
        a.map(|a| a as f64)
    };
    if crypto && amount.is_some_and(|a| a <= 0.0) {
        check.fail(
            "amount",
            "Значение поля amount должно быть больше 0.".into(),
        );
    }
    let _description = check.opt_str("description");
    check.finish()?;
    let (Some(account_id), Some(amount)) = (account_id, amount) else {
        return Ok(Value::Null);
    };
    let now = w.tick();
    let Some(account) = w.accounts.get_mut(&account_id) else {
        return Ok(Value::Null);
    };
    let balance = account.amount + sign * amount;
    if balance < 0.0 {
        return Err(unprocessable(
            [(
                "amount".to_owned(),
                vec!["Недостаточно средств на счёте.".to_owned()],
            )]
            .into(),
        ));
    }
    account.amount = balance;
    account.updated_at = now;
    Ok(json!({ "data": OneBotWorld::account_json(account) }))
}

pub(crate) fn add_funds_to_contact_account(w: &mut OneBotWorld, input: &Input) -> Handled {
    move_funds(w, input, false, 1.0)
}

pub(crate) fn withdraw_funds_from_contact_account(w: &mut OneBotWorld, input: &Input) -> Handled {
    move_funds(w, input, false, -1.0)
}

pub(crate) fn add_funds_to_contact_crypto_account(w: &mut OneBotWorld, input: &Input) -> Handled {
    move_funds(w, input, true, 1.0)
}

pub(crate) fn withdraw_funds_from_contact_crypto_account(
    w: &mut OneBotWorld,
    input: &Input,
) -> Handled {
    move_funds(w, input, true, -1.0)
}

fn delete_account(w: &mut OneBotWorld, input: &Input, crypto: bool) -> Handled {
    let mut check = Check::new(input);
    let account_id = check.req_int("account_id");
    check.exists("account_id", account_id, |a| {
        w.accounts.get(&a).is_some_and(|a| a.crypto == crypto)
    });
    check.finish()?;
    if let Some(id) = account_id {
        w.accounts.remove(&id);
    }
    Ok(success())
}

pub(crate) fn delete_contact_account(w: &mut OneBotWorld, input: &Input) -> Handled {
    delete_account(w, input, false)
}

pub(crate) fn delete_contact_crypto_account(w: &mut OneBotWorld, input: &Input) -> Handled {
    delete_account(w, input, true)
}

// ----------------------------------------------------------------------------------------- referrals

fn referral_json(w: &OneBotWorld, id: i64) -> Value {
    let c = &w.contacts[&id];
    json!({
        "id": c.id,
        "name": c.name,
        "messenger": c.messenger,
        "created_at": super::world::rfc3339(c.created_at),
    })
}

/// The referrals of `contact_id` passing `filters[tag_name]` / `filters[tag_id]`.
fn referrals(w: &OneBotWorld, check: &mut Check<'_>, id: i64) -> Vec<i64> {
    let filters = check.opt_object("filters").unwrap_or_default();
    let list = |key: &str| -> Vec<String> {
        match filters.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Number(n)) => vec![n.to_string()],
            _ => Vec::new(),
        }
    };
    let names = list("tag_name");
    let ids: Vec<String> = list("tag_id");
    let bot_tags = w
        .contacts
        .get(&id)
        .and_then(|c| w.bots.get(&c.bot_id))
        .map(|b| b.tags.clone())
        .unwrap_or_default();
    let id_names: Vec<&String> = ids
        .iter()
        .filter_map(|i| i.parse::<i64>().ok())
        .filter_map(|i| bot_tags.get(&i))
        .collect();
    w.contacts
        .values()
        .filter(|c| c.referrer == Some(id))
        .filter(|c| names.is_empty() || c.tags.iter().any(|t| names.contains(t)))
        .filter(|c| ids.is_empty() || c.tags.iter().any(|t| id_names.contains(&t)))
        .map(|c| c.id)
        .collect()
}

pub(crate) fn get_referrals(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let id = contact_id(&mut check, w);
    let page = check.opt_int("page");
    check.min("page", page, 1);
    let found = id
        .map(|id| referrals(w, &mut check, id))
        .unwrap_or_default();
    check.finish()?;
    let items = found.into_iter().map(|i| referral_json(w, i)).collect();
    Ok(paginate(
        "getReferrals",
        items,
        page.unwrap_or(1) as u32,
        100,
    ))
}

pub(crate) fn get_count_referrals(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let id = contact_id(&mut check, w);
    let found = id
        .map(|id| referrals(w, &mut check, id))
        .unwrap_or_default();
    check.finish()?;
    Ok(json!({ "count": found.len() }))
}

pub(crate) fn get_referrers(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let id = contact_id(&mut check, w);
    let depth = check.opt_int("depth");
    check.min("depth", depth, 1);
    check.max("depth", depth, 10);
    let flat = check.opt_bool("is_flat").unwrap_or(false);
    check.finish()?;
    let mut chain = Vec::new();
    let mut cur = id.and_then(|i| w.contacts.get(&i)?.referrer);
    while let Some(r) = cur {
        if chain.len() >= depth.unwrap_or(1) as usize || chain.contains(&r) {
            break;
        }
        chain.push(r);
        cur = w.contacts.get(&r).and_then(|c| c.referrer);
    }
    if flat {
        let list: Vec<Value> = chain.iter().map(|&r| referral_json(w, r)).collect();
        return Ok(json!({ "data": list }));
    }
    let mut tree = Value::Null;
    for &r in chain.iter().rev() {
        let mut node = referral_json(w, r);
        if !tree.is_null() {
            node["referrer"] = tree;
        }
        tree = node;
    }
    Ok(json!({ "data": tree }))
}

pub(crate) fn set_ysell_status(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let id = contact_id(&mut check, w);
    let status = check.req_str("status");
    check.max_chars("status", status.as_deref(), 64);
    check.finish()?;
    if let Some(c) = id.and_then(|i| w.contacts.get_mut(&i)) {
        c.ysell_status = status;
    }
    w.tick();
    Ok(success())
}

// --------------------------------------------------------------------------------------------- lists

fn schema_id(check: &mut Check<'_>, w: &OneBotWorld) -> Option<String> {
    let id = check.req_str("schema_id");
    if id.as_ref().is_some_and(|s| !w.list_schemas.contains_key(s)) {
        check.not_found("schema_id");
    }
    id
}

fn item_id(check: &mut Check<'_>, w: &OneBotWorld) -> Option<String> {
    let id = check.req_str("item_id");
    if id.as_ref().is_some_and(|s| !w.list_items.contains_key(s)) {
        check.not_found("item_id");
    }
    id
}

/// List ids are strings on the platform \[MC\]; the sandbox makes 24-hex-digit ones.
fn string_id(w: &mut OneBotWorld) -> String {
    format!("{:024x}", w.next_id())
}

pub(crate) fn get_list_schemas(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let bot_id = check.opt_int("bot_id");
    let page = check.opt_int("page");
    check.min("page", page, 1);
    check.finish()?;
    let items = w
        .list_schemas
        .values()
        .filter(|s| bot_id.is_none_or(|b| s.bot_id == Some(b)))
        .map(OneBotWorld::schema_json)
        .collect();
    Ok(paginate(
        "getListSchemas",
        items,
        page.unwrap_or(1) as u32,
        100,
    ))
}

pub(crate) fn get_list_schema(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let id = schema_id(&mut check, w);
    check.finish()?;
    Ok(json!({ "data": OneBotWorld::schema_json(&w.list_schemas[&id.unwrap_or_default()]) }))
}

pub(crate) fn create_list_schema(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let name = check.req_str("name");
    let fields = check.req_object("fields");
    let is_menu = check.opt_bool("is_menu");
    let bot_id = check.opt_int("bot_id");
    check.exists("bot_id", bot_id, |b| w.bots.contains_key(&b));
    check.finish()?;
    let (Some(name), Some(fields)) = (name, fields) else {
        return Ok(Value::Null);
    };
    let id = string_id(w);
    let now = w.tick();
    let schema = ListSchema {
        id: id.clone(),
        bot_id,
        name,
        fields,
        is_menu: is_menu.unwrap_or(false),
        created_at: now,
        updated_at: now,
    };
    let shown = OneBotWorld::schema_json(&schema);
    w.list_schemas.insert(id, schema);
    Ok(json!({ "data": shown }))
}

pub(crate) fn add_list_schema_field(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let id = schema_id(&mut check, w);
    let field = check.req_object("field");
    let slug = field.as_ref().and_then(|f| {
        f.get("slug")
            .or_else(|| f.get("name"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    if field.is_some() && slug.is_none() {
        check.fail(
            "field.slug",
            "Поле field.slug обязательно для заполнения.".into(),
        );
    }
    check.finish()?;
    let now = w.tick();
    let (Some(id), Some(field), Some(slug)) = (id, field, slug) else {
        return Ok(Value::Null);
    };
    let Some(schema) = w.list_schemas.get_mut(&id) else {
        return Ok(Value::Null);
    };
    schema.fields.insert(slug, Value::Object(field));
    schema.updated_at = now;
    Ok(json!({"success": true, "data": OneBotWorld::schema_json(schema)}))
}

pub(crate) fn delete_list_schema_field(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let id = schema_id(&mut check, w);
    let slug = check.req_str("slug");
    check.finish()?;
    let now = w.tick();
    if let (Some(schema), Some(slug)) = (id.and_then(|i| w.list_schemas.get_mut(&i)), slug) {
        schema.fields.remove(&slug);
        schema.updated_at = now;
    }
    Ok(success())
}

pub(crate) fn delete_list_schema(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let id = schema_id(&mut check, w);
    check.finish()?;
    if let Some(id) = id {
        w.list_schemas.remove(&id);
        w.list_items.retain(|_, i| i.schema_id != id);
    }
    Ok(success())
}

pub(crate) fn get_list_items(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let id = schema_id(&mut check, w);
    let bot_id = check.opt_int("bot_id");
    let contact = check.opt_int("contact_id");
    let order_by = check.opt_str("order_by");
    let filters = check.opt_object("filters").unwrap_or_default();
    let page = check.opt_int("page");
    check.min("page", page, 1);
    let limit = check.opt_int("limit");
    check.min("limit", limit, 1);
    check.finish()?;
    // Form and query values are strings: compare as text so `price=10` matches a stored number 10.
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    let matches = |i: &ListItem| {
        filters
            .iter()
            .all(|(k, v)| i.data.get(k).is_some_and(|have| text(have) == text(v)))
    };
    let mut rows: Vec<&ListItem> = w
        .list_items
        .values()
        .filter(|i| Some(&i.schema_id) == id.as_ref())
        .filter(|i| bot_id.is_none_or(|b| i.bot_id == Some(b)))
        .filter(|i| contact.is_none_or(|c| i.contact_id == Some(c)))
        .filter(|i| matches(i))
        .collect();
    if let Some(order) = order_by {
        let (field, dir) = order.split_once(',').unwrap_or((order.as_str(), "asc"));
        let field = field.trim().to_owned();
        rows.sort_by(|a, b| {
            let key = |i: &ListItem| i.data.get(&field).map(Value::to_string).unwrap_or_default();
            key(a).cmp(&key(b))
        });
        if dir.trim().eq_ignore_ascii_case("desc") {
            rows.reverse();
        }
    }
    let items = rows.into_iter().map(OneBotWorld::item_json).collect();
    Ok(paginate(
        "getListItems",
        items,
        page.unwrap_or(1) as u32,
        limit.unwrap_or(100) as u32,
    ))
}

pub(crate) fn add_list_item(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let id = schema_id(&mut check, w);
    let data = check.req_object("data");
    let contact = check.opt_int("contact_id");
    let bot_id = check.opt_int("bot_id");
    check.finish()?;
    let (Some(schema_id), Some(data)) = (id, data) else {
        return Ok(Value::Null);
    };
    let id = string_id(w);
    let now = w.tick();
    let item = ListItem {
        id: id.clone(),
        schema_id,
        contact_id: contact,
        bot_id,
        data,
        created_at: now,
        updated_at: now,
    };
    let shown = OneBotWorld::item_json(&item);
    w.list_items.insert(id, item);
    Ok(json!({ "data": shown }))
}

pub(crate) fn update_list_item(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let id = item_id(&mut check, w);
    let data: Map<String, Value> = check.req_object("data").unwrap_or_default();
    check.finish()?;
    let now = w.tick();
    let Some(item) = id.and_then(|i| w.list_items.get_mut(&i)) else {
        return Ok(Value::Null);
    };
    for (k, v) in data {
        item.data.insert(k, v);
    }
    item.updated_at = now;
    Ok(json!({ "data": OneBotWorld::item_json(item) }))
}

pub(crate) fn delete_list_item(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let id = item_id(&mut check, w);
    check.finish()?;
    if let Some(id) = id {
        w.list_items.remove(&id);
    }
    Ok(success())
}

pub(crate) fn decode_short_link(w: &mut OneBotWorld, input: &Input) -> Handled {
    let mut check = Check::new(input);
    let url = check.req_str("url");
    let direct = url.as_ref().and_then(|u| w.short_links.get(u).cloned());
    if url.is_some() && direct.is_none() {
        check.not_found("url");
    }
    check.finish()?;
    Ok(json!({ "data": { "url": direct } }))
}
