//! The state a OneBot sandbox keeps, and how it renders in the platform's shapes.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// Unix time of the sandbox clock's start: 2026-01-01T00:00:00Z.
pub const CLOCK_START: i64 = 1_767_225_600;

/// Which item shape `getContactVariables` answers with (reference §6.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VariableShape {
    /// OneBot's documented shape: paginator, `{id, value, created_at, updated_at, variable{…}}`.
    #[default]
    OneBot,
    /// The newer CleverApp/Watbot shape: plain list, `{id, name, value, deletable, variable{id, name}}`.
    CleverApp,
}

/// A bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bot {
    /// Bot id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Messenger (`telegram`, `whatsapp`, …).
    pub messenger: String,
    /// Tags defined in the bot: id → name.
    pub tags: BTreeMap<i64, String>,
    /// Variables defined in the bot: id → definition.
    pub variables: BTreeMap<i64, VariableDefinition>,
}

/// A bot-level variable definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableDefinition {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Created (Unix seconds).
    pub created_at: i64,
}

/// A contact's value of one variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableValue {
    /// Value record id.
    pub id: i64,
    /// The definition's id in the bot.
    pub definition: i64,
    /// Value.
    pub value: String,
    /// Cleared when a lead is created.
    pub deletable: bool,
    /// Created (Unix seconds).
    pub created_at: i64,
    /// Updated (Unix seconds).
    pub updated_at: i64,
}

/// A contact.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contact {
    /// Contact id.
    pub id: i64,
    /// Bot id.
    pub bot_id: i64,
    /// Name.
    pub name: String,
    /// Messenger.
    pub messenger: String,
    /// Phone (WhatsApp's id).
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Telegram user id.
    pub telegram_id: Option<String>,
    /// Telegram username.
    pub telegram_username: Option<String>,
    /// Viber id.
    pub viber_id: Option<String>,
    /// VK user id.
    pub vk_user_id: Option<i64>,
    /// Address.
    pub address: Option<String>,
    /// UTM object.
    pub utm: Option<Value>,
    /// Created (Unix seconds).
    pub created_at: i64,
    /// Tag names.
    pub tags: Vec<String>,
    /// Variable values.
    pub variables: Vec<VariableValue>,
    /// Who invited this contact.
    pub referrer: Option<i64>,
    /// `setYsellStatus` value.
    pub ysell_status: Option<String>,
}

impl Contact {
    /// The contact's id in its messenger.
    pub fn external_id(&self) -> Option<String> {
        match self.messenger.as_str() {
            "telegram" => self.telegram_id.clone(),
            "whatsapp" => self.phone.clone(),
            "viber" => self.viber_id.clone(),
            "vk" => self.vk_user_id.map(|v| v.to_string()),
            _ => None,
        }
    }
}

/// A message a send method accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// The method (`sendMessage`, `sendMessageToWhatsApp`).
    pub method: String,
    /// The bot, when known.
    pub bot_id: Option<i64>,
    /// The contact, when resolved.
    pub contact_id: Option<i64>,
    /// Messenger, when given.
    pub messenger: Option<String>,
    /// External id (or phone), when given.
    pub contact_external_id: Option<String>,
    /// Text.
    pub text: Option<String>,
    /// Image URL.
    pub image: Option<String>,
    /// File URL.
    pub file: Option<String>,
}

/// A message in the broadcast queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    /// The caller's id.
    pub message_id: String,
    /// Text.
    pub text: String,
    /// Contact id recipient.
    pub contact_id: Option<i64>,
    /// Bitrix24 recipient.
    pub bitrix_contact_id: Option<i64>,
    /// Phone recipient.
    pub phone: Option<String>,
}

/// A money or crypto account.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// Id.
    pub id: i64,
    /// Owner.
    pub contact_id: i64,
    /// Currency code.
    pub currency: String,
    /// Balance: minor units for money accounts, any number for crypto accounts.
    pub amount: f64,
    /// Crypto ("free") account.
    pub crypto: bool,
    /// Created (Unix seconds).
    pub created_at: i64,
    /// Updated (Unix seconds).
    pub updated_at: i64,
}

/// A list schema.
#[derive(Debug, Clone, PartialEq)]
pub struct ListSchema {
    /// String id.
    pub id: String,
    /// Owner bot.
    pub bot_id: Option<i64>,
    /// Name.
    pub name: String,
    /// Field definitions by slug.
    pub fields: serde_json::Map<String, Value>,
    /// Shown as a menu.
    pub is_menu: bool,
    /// Created (Unix seconds).
    pub created_at: i64,
    /// Updated (Unix seconds).
    pub updated_at: i64,
}

/// A list row.
#[derive(Debug, Clone, PartialEq)]
pub struct ListItem {
    /// String id.
    pub id: String,
    /// Schema.
    pub schema_id: String,
    /// Owner contact.
    pub contact_id: Option<i64>,
    /// Owner bot.
    pub bot_id: Option<i64>,
    /// Slug → value.
    pub data: serde_json::Map<String, Value>,
    /// Created (Unix seconds).
    pub created_at: i64,
    /// Updated (Unix seconds).
    pub updated_at: i64,
}

/// The world a OneBot sandbox keeps. Public so tests can seed and inspect it through
/// [`OneBotSandbox::world`](super::OneBotSandbox::world).
#[derive(Debug)]
pub struct OneBotWorld {
    /// The account `getMe` answers with (the `data` object).
    pub account: Value,
    /// Bots by id.
    pub bots: BTreeMap<i64, Bot>,
    /// Contacts by id.
    pub contacts: BTreeMap<i64, Contact>,
    /// Messages accepted by `sendMessage` and `sendMessageToWhatsApp`, in order.
    pub sent: Vec<SentMessage>,
    /// The broadcast queue, in order.
    pub queue: Vec<QueuedMessage>,
    /// Money and crypto accounts by id.
    pub accounts: BTreeMap<i64, Account>,
    /// List schemas by id.
    pub list_schemas: BTreeMap<String, ListSchema>,
    /// List rows by id.
    pub list_items: BTreeMap<String, ListItem>,
    /// Short media link → direct URL (`decodeShortLink`).
    pub short_links: BTreeMap<String, String>,
    /// The item shape of `getContactVariables`.
    pub variable_shape: VariableShape,
    /// Page size of `getContacts` without `count` (unknown on the platform; 100 here).
    pub default_contacts_page: u32,
    next_id: i64,
    clock: i64,
}

impl Default for OneBotWorld {
    fn default() -> Self {
        let mut world = Self {
            account: json!({
                "id": 1,
                "name": "Sandbox account",
                "email": "sandbox@example.invalid",
                "phone": "79990000000",
                "created_at": "2026-01-01T00:00:00+00:00"
            }),
            bots: BTreeMap::new(),
            contacts: BTreeMap::new(),
            sent: Vec::new(),
            queue: Vec::new(),
            accounts: BTreeMap::new(),
            list_schemas: BTreeMap::new(),
            list_items: BTreeMap::new(),
            short_links: BTreeMap::new(),
            variable_shape: VariableShape::default(),
            default_contacts_page: 100,
            next_id: 1,
            clock: CLOCK_START,
        };
        world.add_bot("Sandbox bot", "telegram");
        world
    }
}

impl OneBotWorld {
    /// A fresh id (shared by every kind of record, so ids never collide).
    pub fn next_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The sandbox clock: every write moves it one second on, so timestamps are distinct and reproducible.
    pub fn tick(&mut self) -> i64 {
        self.clock += 1;
        self.clock
    }

    /// Adds a bot on `messenger`; returns its id. The default world has bot 1 (Telegram).
    pub fn add_bot(&mut self, name: &str, messenger: &str) -> i64 {
        let id = self.next_id();
        self.bots.insert(
            id,
            Bot {
                id,
                name: name.to_owned(),
                messenger: messenger.to_owned(),
                tags: BTreeMap::new(),
                variables: BTreeMap::new(),
            },
        );
        id
    }

    /// Adds `n` contacts to `bot_id` (named `Контакт 1`…, with the bot's messenger and an external id derived
    /// from the contact id); returns their ids in order.
    pub fn add_contacts(&mut self, bot_id: i64, n: usize) -> Vec<i64> {
        let messenger = self
            .bots
            .get(&bot_id)
            .map(|b| b.messenger.clone())
            .unwrap_or_else(|| "telegram".into());
        (1..=n)
            .map(|i| {
                let id = self.next_id();
                let mut c = Contact {
                    id,
                    bot_id,
                    name: format!("Контакт {i}"),
                    messenger: messenger.clone(),
                    created_at: self.tick(),
                    ..Contact::default()
                };
                match messenger.as_str() {
                    "whatsapp" => c.phone = Some(format!("7999{:07}", id)),
                    "viber" => c.viber_id = Some(format!("viber-{id}")),
                    "vk" => c.vk_user_id = Some(100_000 + id),
                    _ => {
                        c.telegram_id = Some((500_000_000 + id).to_string());
                        c.telegram_username = Some(format!("user{id}"));
                    }
                }
                self.contacts.insert(id, c);
                id
            })
            .collect()
    }

    /// The contact of `bot_id` whose messenger id is `external_id`.
    pub fn find_by_external(&self, bot_id: i64, external_id: &str) -> Option<i64> {
        self.contacts
            .values()
            .find(|c| c.bot_id == bot_id && c.external_id().as_deref() == Some(external_id))
            .map(|c| c.id)
    }

    /// The contact of `bot_id` whose messenger id is `external_id`, or a new one made by `make` (which gets
    /// the new id and creation time).
    pub fn find_or_create_contact(
        &mut self,
        bot_id: i64,
        external_id: &str,
        make: impl FnOnce(i64, i64) -> Contact,
    ) -> i64 {
        if let Some(id) = self.find_by_external(bot_id, external_id) {
            return id;
        }
        let id = self.next_id();
        let created_at = self.tick();
        self.contacts.insert(id, make(id, created_at));
        id
    }

    /// Attaches tag `name` to a contact, creating it in the bot when missing.
    pub fn attach_tag(&mut self, contact_id: i64, name: &str) {
        let Some(bot_id) = self.contacts.get(&contact_id).map(|c| c.bot_id) else {
            return;
        };
        if let Some(bot) = self.bots.get(&bot_id)
            && !bot.tags.values().any(|t| t == name)
        {
            let id = self.next_id();
            if let Some(bot) = self.bots.get_mut(&bot_id) {
                bot.tags.insert(id, name.to_owned());
            }
        }
        if let Some(c) = self.contacts.get_mut(&contact_id)
            && !c.tags.iter().any(|t| t == name)
        {
            c.tags.push(name.to_owned());
        }
    }

    /// Sets variable `name` of a contact (created in the bot when missing); returns the value record's id.
    pub fn set_variable(
        &mut self,
        contact_id: i64,
        name: &str,
        value: &str,
        deletable: Option<bool>,
    ) -> Option<i64> {
        let bot_id = self.contacts.get(&contact_id)?.bot_id;
        let now = self.tick();
        let existing = self
            .bots
            .get(&bot_id)
            .and_then(|b| b.variables.values().find(|d| d.name == name).map(|d| d.id));
        let definition = match existing {
            Some(id) => id,
            None => {
                let id = self.next_id();
                self.bots.get_mut(&bot_id)?.variables.insert(
                    id,
                    VariableDefinition {
                        id,
                        name: name.to_owned(),
                        created_at: now,
                    },
                );
                id
            }
        };
        let new_id = self.next_id();
        let contact = self.contacts.get_mut(&contact_id)?;
        if let Some(v) = contact
            .variables
            .iter_mut()
            .find(|v| v.definition == definition)
        {
            v.value = value.to_owned();
            v.updated_at = now;
            if let Some(d) = deletable {
                v.deletable = d;
            }
            return Some(v.id);
        }
        contact.variables.push(VariableValue {
            id: new_id,
            definition,
            value: value.to_owned(),
            deletable: deletable.unwrap_or(false),
            created_at: now,
            updated_at: now,
        });
        Some(new_id)
    }

    /// A contact as the API shows it.
    pub fn contact_json(&self, c: &Contact, with_tags: bool, with_variables: bool) -> Value {
        let mut obj = serde_json::Map::new();
        obj.insert("id".into(), json!(c.id));
        obj.insert("bot_id".into(), json!(c.bot_id));
        obj.insert("phone".into(), json!(c.phone));
        obj.insert("email".into(), json!(c.email));
        obj.insert("name".into(), json!(c.name));
        obj.insert("messenger".into(), json!(c.messenger));
        match c.messenger.as_str() {
            "telegram" => {
                obj.insert("telegram_id".into(), json!(c.telegram_id));
                obj.insert("telegram_username".into(), json!(c.telegram_username));
            }
            "viber" => {
                obj.insert("viber_id".into(), json!(c.viber_id));
            }
            "vk" => {
                obj.insert("vk_user_id".into(), json!(c.vk_user_id));
            }
            _ => {}
        }
        obj.insert("address".into(), json!(c.address));
        obj.insert("utm".into(), c.utm.clone().unwrap_or(Value::Null));
        obj.insert("created_at".into(), json!(rfc3339(c.created_at)));
        if with_tags {
            obj.insert("tags".into(), json!(c.tags));
        }
        if with_variables {
            let vars: Vec<Value> = c
                .variables
                .iter()
                .map(|v| self.variable_json(c.bot_id, v))
                .collect();
            obj.insert("variables".into(), Value::Array(vars));
        }
        Value::Object(obj)
    }

    /// One variable value in the configured [`VariableShape`].
    pub fn variable_json(&self, bot_id: i64, v: &VariableValue) -> Value {
        let def = self
            .bots
            .get(&bot_id)
            .and_then(|b| b.variables.get(&v.definition));
        let name = def.map(|d| d.name.clone()).unwrap_or_default();
        match self.variable_shape {
            VariableShape::OneBot => {
                let def_created = def.map(|d| d.created_at).unwrap_or(v.created_at);
                json!({
                    "id": v.id,
                    "value": v.value,
                    "created_at": rfc3339(v.created_at),
                    "updated_at": rfc3339(v.updated_at),
                    "variable": {
                        "id": v.definition,
                        "name": name,
                        "created_at": rfc3339(def_created),
                        "updated_at": rfc3339(def_created),
                    }
                })
            }
            VariableShape::CleverApp => json!({
                "id": v.id,
                "name": name,
                "value": v.value,
                "deletable": v.deletable,
                "variable": {"id": v.definition, "name": name},
            }),
        }
    }

    /// An account as the API shows it.
    pub fn account_json(a: &Account) -> Value {
        if a.crypto {
            json!({
                "id": a.id,
                "amount": a.amount,
                "currency": a.currency,
                "created_at": rfc3339(a.created_at),
                "updated_at": rfc3339(a.updated_at),
            })
        } else {
            // Money amounts are whole minor units.
            let minor = a.amount as i64;
            json!({
                "id": a.id,
                "amount": minor,
                "amount_note": format!("{}.{:02} {}", minor / 100, (minor % 100).abs(), a.currency),
                "currency": a.currency,
                "created_at": rfc3339(a.created_at),
                "updated_at": rfc3339(a.updated_at),
            })
        }
    }

    /// A list schema as the API shows it.
    pub fn schema_json(s: &ListSchema) -> Value {
        json!({
            "id": s.id,
            "name": s.name,
            "fields": s.fields,
            "is_menu": s.is_menu,
            "created_at": rfc3339(s.created_at),
            "updated_at": rfc3339(s.updated_at),
        })
    }

    /// A list row as the API shows it: fixed fields plus one key per field slug.
    pub fn item_json(i: &ListItem) -> Value {
        let mut obj = i.data.clone();
        obj.insert("id".into(), json!(i.id));
        obj.insert("contact_id".into(), json!(i.contact_id));
        obj.insert("created_at".into(), json!(rfc3339(i.created_at)));
        obj.insert("updated_at".into(), json!(rfc3339(i.updated_at)));
        Value::Object(obj)
    }
}

/// Unix seconds as RFC 3339 with an explicit `+00:00`, like the platform (`2022-11-22T20:54:20+00:00`).
pub fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+00:00",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_timestamps_like_the_platform() {
        assert_eq!(rfc3339(CLOCK_START), "2026-01-01T00:00:00+00:00");
        assert_eq!(rfc3339(1_669_150_460), "2022-11-22T20:54:20+00:00");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00+00:00");
    }
}
