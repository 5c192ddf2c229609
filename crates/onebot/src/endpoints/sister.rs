//! Methods **not documented for onebot.tech** — documented only by its sister platforms (LEADTEX, Watbot),
//! mostly through MindCloud's generated catalogue (reference §6.5–§7). Behind the cargo feature
//! `sister-only-methods`. Whether onebot.tech serves any of them is unknown: expect `404` there, and prefer
//! a sister host ([`Platform`](crate::Platform)) when you need them.
//!
//! Confidence of every method here: **low** (`setYsellStatus`: very low).

use botwire_core_types::ValidationError;
use botwire_core_types::onebot::sister::{
    CryptoAccount, ListItem, ListSchema, MoneyAccount, Referral, ReferralCount, Referrers,
    ShortLink,
};
use botwire_core_types::onebot::{
    ActionResult, BotId, ContactId, FlexibleId, IntBool, Page, TextId,
};
use serde::Serialize;
use serde_json::{Map, Number, Value};

use super::{check_page, impl_endpoint, required, unset};

fn check_currency(currency: &str) -> Result<(), ValidationError> {
    if currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Ok(());
    }
    Err(ValidationError::new(
        "currency",
        "an ISO 4217 code of 3 letters",
        format!("{currency:?}"),
    ))
}

fn check_positive(field: &str, amount: &Number) -> Result<(), ValidationError> {
    if amount.as_f64().is_some_and(|a| a > 0.0) {
        return Ok(());
    }
    Err(ValidationError::new(
        field,
        "greater than 0",
        amount.to_string(),
    ))
}

macro_rules! by_contact {
    ($(#[$meta:meta])* $name:ident, $wire:literal, $out:ty) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
        #[non_exhaustive]
        pub struct $name {
            /// The contact.
            pub contact_id: ContactId,
        }

        impl $name {
            /// For `contact_id`.
            pub fn new(contact_id: impl Into<ContactId>) -> Self {
                Self { contact_id: contact_id.into() }
            }

            fn validate(&self) -> Result<(), ValidationError> {
                Ok(())
            }
        }

        impl_endpoint!($name, get $wire, idempotent: true, |s| s, data $out);
    };
}

macro_rules! by_account {
    ($(#[$meta:meta])* $name:ident, $wire:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
        #[non_exhaustive]
        pub struct $name {
            /// The account.
            pub account_id: FlexibleId,
        }

        impl $name {
            /// For `account_id`.
            pub fn new(account_id: impl Into<FlexibleId>) -> Self {
                Self { account_id: account_id.into() }
            }

            fn validate(&self) -> Result<(), ValidationError> {
                Ok(())
            }
        }

        impl_endpoint!($name, post $wire, idempotent: true, |s| s, plain ActionResult);
    };
}

macro_rules! open_account {
    ($(#[$meta:meta])* $name:ident, $wire:literal, $out:ty, $check:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[non_exhaustive]
        pub struct $name {
            /// The contact.
            pub contact_id: ContactId,
            /// The currency code.
            pub currency: String,
        }

        impl $name {
            /// An account in `currency` for `contact_id`.
            pub fn new(contact_id: impl Into<ContactId>, currency: impl Into<String>) -> Self {
                Self { contact_id: contact_id.into(), currency: currency.into() }
            }

            fn validate(&self) -> Result<(), ValidationError> {
                ($check)(self.currency.as_str())
            }
        }

        impl_endpoint!($name, post $wire, idempotent: false, |s| s, data $out);
    };
}

macro_rules! move_funds {
    ($(#[$meta:meta])* $name:ident, $wire:literal, $amount:ty, $out:ty, $check:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[non_exhaustive]
        pub struct $name {
            /// The account.
            pub account_id: FlexibleId,
            /// The amount.
            pub amount: $amount,
            /// A note for the operation.
            #[serde(skip_serializing_if = "unset")]
            pub description: Option<String>,
        }

        impl $name {
            /// Moves `amount` on `account_id`.
            pub fn new(account_id: impl Into<FlexibleId>, amount: impl Into<$amount>) -> Self {
                Self { account_id: account_id.into(), amount: amount.into(), description: None }
            }

            /// Adds a note.
            #[must_use]
            pub fn description(mut self, description: impl Into<String>) -> Self {
                self.description = Some(description.into());
                self
            }

            fn validate(&self) -> Result<(), ValidationError> {
                ($check)(&self.amount)
            }
        }

        impl_endpoint!($name, post $wire, idempotent: false, |s| s, data $out);
    };
}

// ------------------------------------------------------------------------------------------ accounts

by_contact!(
    /// `GET getContactAccounts` — a contact's money accounts. LEADTEX/Watbot \[MC\]; confidence **low**.
    GetContactAccounts,
    "getContactAccounts",
    Vec<MoneyAccount>
);

open_account!(
    /// `POST addContactAccount` — open a money account (ISO 4217 currency, checked: 3 letters). LEADTEX/Watbot
    /// \[MC\]; confidence **low**. Not idempotent.
    AddContactAccount,
    "addContactAccount",
    MoneyAccount,
    check_currency
);

fn positive_minor(amount: &i64) -> Result<(), ValidationError> {
    ValidationError::check_range("amount", *amount, 1, i64::MAX)
}

move_funds!(
    /// `POST addFundsToContactAccount` — credit an account, `amount` in minor units (kopecks), at least 1
    /// (our inference). LEADTEX/Watbot \[MC\]; confidence **low**. Not idempotent.
    AddFundsToContactAccount,
    "addFundsToContactAccount",
    i64,
    MoneyAccount,
    positive_minor
);

move_funds!(
    /// `POST withdrawFundsFromContactAccount` — debit an account, `amount` in minor units, at least 1 (our
    /// inference). LEADTEX/Watbot \[MC\]; confidence **low**. Not idempotent.
    WithdrawFundsFromContactAccount,
    "withdrawFundsFromContactAccount",
    i64,
    MoneyAccount,
    positive_minor
);

by_account!(
    /// `POST deleteContactAccount` — close a money account. LEADTEX/Watbot \[MC\]; confidence **low**. Marked
    /// idempotent.
    DeleteContactAccount,
    "deleteContactAccount"
);

// ----------------------------------------------------------------------------------- crypto accounts

by_contact!(
    /// `GET getContactCryptoAccounts` — a contact's "free" (crypto) accounts. LEADTEX only \[MC\]; confidence
    /// **low**.
    GetContactCryptoAccounts,
    "getContactCryptoAccounts",
    Vec<CryptoAccount>
);

open_account!(
    /// `POST addContactCryptoAccount` — open a crypto account (`BTC`, …). LEADTEX only \[MC\]; confidence
    /// **low**. Not idempotent.
    AddContactCryptoAccount,
    "addContactCryptoAccount",
    CryptoAccount,
    |c: &str| required("currency", c)
);

move_funds!(
    /// `POST addFundsToContactCryptoAccount` — credit a crypto account; `amount` may be fractional (a JSON
    /// number, greater than 0). LEADTEX only \[MC\]; confidence **low**. Not idempotent.
    AddFundsToContactCryptoAccount,
    "addFundsToContactCryptoAccount",
    Number,
    CryptoAccount,
    |a: &Number| check_positive("amount", a)
);

move_funds!(
    /// `POST withdrawFundsFromContactCryptoAccount` — debit a crypto account (amount greater than 0). LEADTEX
    /// only \[MC\]; confidence **low**. Not idempotent.
    WithdrawFundsFromContactCryptoAccount,
    "withdrawFundsFromContactCryptoAccount",
    Number,
    CryptoAccount,
    |a: &Number| check_positive("amount", a)
);

by_account!(
    /// `POST deleteContactCryptoAccount` — close a crypto account. LEADTEX only \[MC\]; confidence **low**.
    /// Marked idempotent.
    DeleteContactCryptoAccount,
    "deleteContactCryptoAccount"
);

// ----------------------------------------------------------------------------------------- referrals

/// The `filters` of `getReferrals` / `getCountReferrals`: tag names and/or tag ids \[MC\].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ReferralFilters {
    /// Only referrals with these tag names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag_name: Vec<String>,
    /// Only referrals with these tag ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag_id: Vec<FlexibleId>,
}

impl ReferralFilters {
    /// No filter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tag name.
    #[must_use]
    pub fn tag_name(mut self, name: impl Into<String>) -> Self {
        self.tag_name.push(name.into());
        self
    }

    /// Adds a tag id.
    #[must_use]
    pub fn tag_id(mut self, id: impl Into<FlexibleId>) -> Self {
        self.tag_id.push(id.into());
        self
    }

    fn is_empty(&self) -> bool {
        self.tag_name.is_empty() && self.tag_id.is_empty()
    }
}

/// `POST getReferrals` — the contacts a contact invited, paginated. LEADTEX/Watbot (MindCloud says POST; third-party
/// code uses GET); confidence **low**. A read, marked idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct GetReferrals {
    /// The inviting contact.
    pub contact_id: ContactId,
    /// Page number, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Tag filters.
    #[serde(skip_serializing_if = "ReferralFilters::is_empty")]
    pub filters: ReferralFilters,
}

impl GetReferrals {
    /// The first page of `contact_id`'s referrals.
    pub fn new(contact_id: impl Into<ContactId>) -> Self {
        Self {
            contact_id: contact_id.into(),
            page: None,
            filters: ReferralFilters::default(),
        }
    }

    /// Page `page` (from 1).
    #[must_use]
    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// Filters by tags.
    #[must_use]
    pub fn filters(mut self, filters: ReferralFilters) -> Self {
        self.filters = filters;
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        check_page("page", self.page)?;
        Ok(())
    }
}

impl_endpoint!(GetReferrals, post "getReferrals", idempotent: true, |s| s, plain Page<Referral>);

/// `GET getReferrers` — who invited a contact, up to `depth` levels (1–10, checked), as a tree or, with
/// `is_flat=1`, a list. LEADTEX/Watbot \[MC\]; confidence **low**.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct GetReferrers {
    /// The invited contact.
    pub contact_id: ContactId,
    /// Levels up, 1–10.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depth: Option<u8>,
    /// `1`: a flat list instead of a nested tree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_flat: Option<IntBool>,
}

impl GetReferrers {
    /// `contact_id`'s referrers, server's default depth.
    pub fn new(contact_id: impl Into<ContactId>) -> Self {
        Self {
            contact_id: contact_id.into(),
            depth: None,
            is_flat: None,
        }
    }

    /// Levels up (1–10).
    #[must_use]
    pub fn depth(mut self, depth: u8) -> Self {
        self.depth = Some(depth);
        self
    }

    /// A flat list (`is_flat=1`) or a tree (`is_flat=0`).
    #[must_use]
    pub fn flat(mut self, flat: bool) -> Self {
        self.is_flat = Some(IntBool(flat));
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        if let Some(depth) = self.depth {
            ValidationError::check_range("depth", depth.into(), 1, 10)?;
        }
        Ok(())
    }
}

impl_endpoint!(GetReferrers, get "getReferrers", idempotent: true, |s| s, data Referrers);

/// `POST getCountReferrals` — how many contacts a contact invited. LEADTEX/Watbot \[MC\]; confidence **low**;
/// which field carries the number is unclear ([`ReferralCount::value`]). A read, marked idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct GetCountReferrals {
    /// The inviting contact.
    pub contact_id: ContactId,
    /// Tag filters.
    #[serde(skip_serializing_if = "ReferralFilters::is_empty")]
    pub filters: ReferralFilters,
}

impl GetCountReferrals {
    /// Counts `contact_id`'s referrals.
    pub fn new(contact_id: impl Into<ContactId>) -> Self {
        Self {
            contact_id: contact_id.into(),
            filters: ReferralFilters::default(),
        }
    }

    /// Filters by tags.
    #[must_use]
    pub fn filters(mut self, filters: ReferralFilters) -> Self {
        self.filters = filters;
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }
}

impl_endpoint!(GetCountReferrals, post "getCountReferrals", idempotent: true, |s| s, plain ReferralCount);

/// `POST setYsellStatus` — a marketplace-integration status of a contact (at most 64 characters, checked).
/// Watbot only \[MC\]; confidence **very low**. Marked idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SetYsellStatus {
    /// The contact.
    pub contact_id: ContactId,
    /// The status, 1–64 characters.
    pub status: String,
}

impl SetYsellStatus {
    /// Sets `status` on `contact_id`.
    pub fn new(contact_id: impl Into<ContactId>, status: impl Into<String>) -> Self {
        Self {
            contact_id: contact_id.into(),
            status: status.into(),
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        required("status", &self.status)?;
        ValidationError::check_chars("status", &self.status, 1, 64)
    }
}

impl_endpoint!(SetYsellStatus, post "setYsellStatus", idempotent: true, |s| s, plain ActionResult);

// --------------------------------------------------------------------------------------------- lists

/// `GET getListSchemas` — the list schemas (user tables), paginated. LEADTEX \[MC\]; confidence **low**.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct GetListSchemas {
    /// Only this bot's lists (whether the parameter exists is unclear).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_id: Option<BotId>,
    /// Page number, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
}

impl GetListSchemas {
    /// The first page of every schema.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only `bot_id`'s lists.
    #[must_use]
    pub fn bot_id(mut self, bot_id: impl Into<BotId>) -> Self {
        self.bot_id = Some(bot_id.into());
        self
    }

    /// Page `page` (from 1).
    #[must_use]
    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        check_page("page", self.page)?;
        Ok(())
    }
}

impl_endpoint!(GetListSchemas, get "getListSchemas", idempotent: true, |s| s, plain Page<ListSchema>);

macro_rules! by_schema {
    ($(#[$meta:meta])* $name:ident, $verb:ident $wire:literal, $idem:expr, $mode:ident $out:ty) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[non_exhaustive]
        pub struct $name {
            /// The schema (a string id).
            pub schema_id: TextId,
        }

        impl $name {
            /// For `schema_id`.
            pub fn new(schema_id: impl Into<TextId>) -> Self {
                Self { schema_id: schema_id.into() }
            }

            fn validate(&self) -> Result<(), ValidationError> {
                required("schema_id", self.schema_id.as_str())
            }
        }

        impl_endpoint!($name, $verb $wire, idempotent: $idem, |s| s, $mode $out);
    };
}

by_schema!(
    /// `GET getListSchema` — one list schema. LEADTEX \[MC\]; confidence **low**.
    GetListSchema,
    get "getListSchema",
    true,
    data ListSchema
);

by_schema!(
    /// `POST deleteListSchema` — delete a list and its rows. LEADTEX \[MC\]; confidence **low**. Marked
    /// idempotent.
    DeleteListSchema,
    post "deleteListSchema",
    true,
    plain ActionResult
);

/// `POST createListSchema` — create a list. `fields` maps slugs to field definitions, whose format is not
/// documented (raw JSON). Watbot requires `bot_id`. LEADTEX/Watbot \[MC\]; confidence **low**. Not idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CreateListSchema {
    /// Name.
    pub name: String,
    /// Field definitions by slug (at least one).
    pub fields: Map<String, Value>,
    /// Show as a menu (`0`/`1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_menu: Option<IntBool>,
    /// The bot (required on Watbot).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_id: Option<BotId>,
}

impl CreateListSchema {
    /// A list `name` with these fields.
    pub fn new(name: impl Into<String>, fields: Map<String, Value>) -> Self {
        Self {
            name: name.into(),
            fields,
            is_menu: None,
            bot_id: None,
        }
    }

    /// Sets `is_menu`.
    #[must_use]
    pub fn is_menu(mut self, is_menu: bool) -> Self {
        self.is_menu = Some(IntBool(is_menu));
        self
    }

    /// Sets `bot_id`.
    #[must_use]
    pub fn bot_id(mut self, bot_id: impl Into<BotId>) -> Self {
        self.bot_id = Some(bot_id.into());
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        required("name", &self.name)?;
        ValidationError::check_count("fields", self.fields.len(), 1, usize::MAX)
    }
}

impl_endpoint!(CreateListSchema, post "createListSchema", idempotent: false, |s| s, data ListSchema);

/// `POST addListSchemaField` — add a field (a JSON object, format undocumented) to a list. LEADTEX \[MC\];
/// confidence **low**. Not idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AddListSchemaField {
    /// The schema.
    pub schema_id: TextId,
    /// The field definition.
    pub field: Map<String, Value>,
}

impl AddListSchemaField {
    /// Adds `field` to `schema_id`.
    pub fn new(schema_id: impl Into<TextId>, field: Map<String, Value>) -> Self {
        Self {
            schema_id: schema_id.into(),
            field,
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        required("schema_id", self.schema_id.as_str())?;
        ValidationError::check_count("field", self.field.len(), 1, usize::MAX)
    }
}

impl_endpoint!(AddListSchemaField, post "addListSchemaField", idempotent: false, |s| s, plain ActionResult);

/// `POST deleteListSchemaField` — remove a field from a list. LEADTEX \[MC\]; confidence **low**. Marked
/// idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeleteListSchemaField {
    /// The schema.
    pub schema_id: TextId,
    /// The field's slug.
    pub slug: String,
}

impl DeleteListSchemaField {
    /// Removes `slug` from `schema_id`.
    pub fn new(schema_id: impl Into<TextId>, slug: impl Into<String>) -> Self {
        Self {
            schema_id: schema_id.into(),
            slug: slug.into(),
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        required("schema_id", self.schema_id.as_str())?;
        required("slug", &self.slug)
    }
}

impl_endpoint!(DeleteListSchemaField, post "deleteListSchemaField", idempotent: true, |s| s, plain ActionResult);

/// `POST getListItems` — rows of a list, paginated, with filters and ordering. LEADTEX \[MC\]; confidence
/// **low**. A read, marked idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct GetListItems {
    /// The schema.
    pub schema_id: TextId,
    /// Only rows of this bot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_id: Option<BotId>,
    /// Only rows of this contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<ContactId>,
    /// `field` or `field,direction` (`price,desc`).
    #[serde(skip_serializing_if = "unset")]
    pub order_by: Option<String>,
    /// Field slug → value.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub filters: Map<String, Value>,
    /// Page number, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Rows per page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl GetListItems {
    /// The first page of `schema_id`'s rows.
    pub fn new(schema_id: impl Into<TextId>) -> Self {
        Self {
            schema_id: schema_id.into(),
            bot_id: None,
            contact_id: None,
            order_by: None,
            filters: Map::new(),
            page: None,
            limit: None,
        }
    }

    /// Only `bot_id`'s rows.
    #[must_use]
    pub fn bot_id(mut self, bot_id: impl Into<BotId>) -> Self {
        self.bot_id = Some(bot_id.into());
        self
    }

    /// Only `contact_id`'s rows.
    #[must_use]
    pub fn contact_id(mut self, contact_id: impl Into<ContactId>) -> Self {
        self.contact_id = Some(contact_id.into());
        self
    }

    /// Orders by `field` or `field,direction`.
    #[must_use]
    pub fn order_by(mut self, order_by: impl Into<String>) -> Self {
        self.order_by = Some(order_by.into());
        self
    }

    /// Keeps rows whose `slug` equals `value`.
    #[must_use]
    pub fn filter(mut self, slug: impl Into<String>, value: impl Into<Value>) -> Self {
        self.filters.insert(slug.into(), value.into());
        self
    }

    /// Page `page` (from 1).
    #[must_use]
    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// Rows per page (at least 1).
    #[must_use]
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        required("schema_id", self.schema_id.as_str())?;
        check_page("page", self.page)?;
        check_page("limit", self.limit)?;
        Ok(())
    }
}

impl_endpoint!(GetListItems, post "getListItems", idempotent: true, |s| s, plain Page<ListItem>);

/// `POST addListItem` — add a row (`data`: field slug → value). LEADTEX \[MC\]; confidence **low**. Not
/// idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AddListItem {
    /// The schema.
    pub schema_id: TextId,
    /// Field slug → value (at least one).
    pub data: Map<String, Value>,
}

impl AddListItem {
    /// Adds a row with `data` to `schema_id`.
    pub fn new(schema_id: impl Into<TextId>, data: Map<String, Value>) -> Self {
        Self {
            schema_id: schema_id.into(),
            data,
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        required("schema_id", self.schema_id.as_str())?;
        ValidationError::check_count("data", self.data.len(), 1, usize::MAX)
    }
}

impl_endpoint!(AddListItem, post "addListItem", idempotent: false, |s| s, data ListItem);

/// `POST updateListItem` — change fields of a row. LEADTEX \[MC\]; confidence **low**. Marked idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct UpdateListItem {
    /// The row.
    pub item_id: TextId,
    /// Field slug → new value (at least one).
    pub data: Map<String, Value>,
}

impl UpdateListItem {
    /// Sets `data` on `item_id`.
    pub fn new(item_id: impl Into<TextId>, data: Map<String, Value>) -> Self {
        Self {
            item_id: item_id.into(),
            data,
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        required("item_id", self.item_id.as_str())?;
        ValidationError::check_count("data", self.data.len(), 1, usize::MAX)
    }
}

impl_endpoint!(UpdateListItem, post "updateListItem", idempotent: true, |s| s, data ListItem);

/// `POST deleteListItem` — delete a row. LEADTEX \[MC\]; confidence **low**. Marked idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeleteListItem {
    /// The row.
    pub item_id: TextId,
}

impl DeleteListItem {
    /// Deletes `item_id`.
    pub fn new(item_id: impl Into<TextId>) -> Self {
        Self {
            item_id: item_id.into(),
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        required("item_id", self.item_id.as_str())
    }
}

impl_endpoint!(DeleteListItem, post "deleteListItem", idempotent: true, |s| s, plain ActionResult);

// ---------------------------------------------------------------------------------------- short links

/// `POST decodeShortLink` — the direct URL behind a short media link stored in a variable. LEADTEX \[MC\];
/// confidence **low**. A read, marked idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DecodeShortLink {
    /// The short URL.
    pub url: String,
}

impl DecodeShortLink {
    /// Decodes `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into() }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        required("url", &self.url)
    }
}

impl_endpoint!(DecodeShortLink, post "decodeShortLink", idempotent: true, |s| s, data ShortLink);
