use botwire_core_types::ValidationError;
use botwire_core_types::onebot::{
    ActionResult, ContactId, ContactVariable, FlexibleId, IntBool, Page,
};
use serde::Serialize;

use super::{check_page, impl_endpoint, required};

/// Which variable: by its id or by its name (`deleteContactVariable` takes either, reference §6.3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VariableRef {
    /// By id (`id`).
    Id(FlexibleId),
    /// By name (`name`).
    Name(String),
}

impl From<&str> for VariableRef {
    fn from(name: &str) -> Self {
        VariableRef::Name(name.to_owned())
    }
}

impl From<String> for VariableRef {
    fn from(name: String) -> Self {
        VariableRef::Name(name)
    }
}

impl From<FlexibleId> for VariableRef {
    fn from(id: FlexibleId) -> Self {
        VariableRef::Id(id)
    }
}

/// `GET getContactVariables` — a contact's user variables.
///
/// Confidence: **high — confirmed on OneBot** (the only method with a OneBot example). OneBot answers a
/// paginator with 100 per page and the older item shape; the sisters answer a plain list with the newer item
/// shape. [`ContactVariable`] takes both; use [`GetContactVariables::page`] for contacts with more than 100
/// variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct GetContactVariables {
    /// The contact.
    pub contact_id: ContactId,
    /// Page number, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
}

impl GetContactVariables {
    /// The first page of `contact_id`'s variables.
    pub fn new(contact_id: impl Into<ContactId>) -> Self {
        Self {
            contact_id: contact_id.into(),
            page: None,
        }
    }

    /// Asks for page `page` (from 1).
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

impl_endpoint!(GetContactVariables, get "getContactVariables", idempotent: true, |s| s, plain Page<ContactVariable>);

/// `POST setContactVariable` — create or overwrite one variable of a contact (the variable is created in the
/// bot when it does not exist). Returns the variable.
///
/// Confidence: **high** (same page family as the confirmed getContactVariables; sister docs). `value` is
/// required and Laravel's `required` rule refuses `""`, so an empty value is a validation error here: delete
/// the variable instead. `deletable` is sent as `0`/`1` (1 = cleared when a lead is created). Marked
/// idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SetContactVariable {
    /// The contact.
    pub contact_id: ContactId,
    /// Variable name.
    pub name: String,
    /// Value (always text).
    pub value: String,
    /// `1`: delete the value after a lead (заявка); `0` (server default): keep it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletable: Option<IntBool>,
}

impl SetContactVariable {
    /// Sets `name` to `value` for `contact_id`.
    pub fn new(
        contact_id: impl Into<ContactId>,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        Self {
            contact_id: contact_id.into(),
            name: name.into(),
            value: value.into(),
            deletable: None,
        }
    }

    /// Sets `deletable`.
    #[must_use]
    pub fn deletable(mut self, deletable: bool) -> Self {
        self.deletable = Some(IntBool(deletable));
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        required("name", &self.name)?;
        required("value", &self.value)
    }
}

impl_endpoint!(SetContactVariable, post "setContactVariable", idempotent: true, |s| s, data ContactVariable);

/// `POST deleteContactVariable` — remove one variable from a contact, by id or by name.
///
/// Confidence: **high** (sister docs, MindCloud). The answer's exact shape is unknown (`{"success": true}` or
/// `{"data": …}`); both decode into [`ActionResult`]. Marked idempotent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeleteContactVariable {
    /// The contact.
    pub contact_id: ContactId,
    /// The variable.
    pub variable: VariableRef,
}

impl DeleteContactVariable {
    /// Deletes `variable` (an id or a name) of `contact_id`.
    pub fn new(contact_id: impl Into<ContactId>, variable: impl Into<VariableRef>) -> Self {
        Self {
            contact_id: contact_id.into(),
            variable: variable.into(),
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        match &self.variable {
            VariableRef::Name(name) => required("name", name),
            VariableRef::Id(_) => Ok(()),
        }
    }

    fn wire(&self) -> ByIdOrName<'_> {
        ByIdOrName::new(self.contact_id, &self.variable)
    }
}

/// `contact_id` plus exactly one of `id` (or `tag_id`) and `name`.
#[derive(Serialize)]
pub(crate) struct ByIdOrName<'a> {
    contact_id: ContactId,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<FlexibleId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tag_id: Option<FlexibleId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
}

impl<'a> ByIdOrName<'a> {
    fn new(contact_id: ContactId, variable: &'a VariableRef) -> Self {
        let (id, name) = match variable {
            VariableRef::Id(id) => (Some(*id), None),
            VariableRef::Name(name) => (None, Some(name.as_str())),
        };
        Self {
            contact_id,
            id,
            tag_id: None,
            name,
        }
    }

    pub(crate) fn tag(contact_id: ContactId, tag: &'a super::TagRef) -> Self {
        let (tag_id, name) = match tag {
            super::TagRef::Id(id) => (Some(*id), None),
            super::TagRef::Name(name) => (None, Some(name.as_str())),
        };
        Self {
            contact_id,
            id: None,
            tag_id,
            name,
        }
    }
}

impl_endpoint!(DeleteContactVariable, post "deleteContactVariable", idempotent: true, |s| s.wire(), plain ActionResult);
