use serde::{Deserialize, Serialize};

use super::common::lenient;
use super::{FlexibleId, IntBool};

/// One user variable of a contact (`getContactVariables` items, `setContactVariable` result).
///
/// Two shapes exist (reference §6.3.1) and both decode into this type:
///
/// * **OneBot / LEADTEX** (the only OneBot example): `{"id", "value", "created_at", "updated_at",
///   "variable": {"id", "name", "created_at", "updated_at"}}`. Here `id` is the value record and the name is
///   only at `variable.name`.
/// * **CleverApp / Watbot** (newer): `{"id", "name", "value", "deletable", "variable": {"id", "name"}}`.
///
/// Use [`ContactVariable::name`] to read the name wherever it is.
///
/// Every field is optional and tolerant, because items embedded in a contact (`with=variables`) are documented
/// only as "(`name`, `value`, …)": a missing `id`, `null`s, numbers as strings or a number as the value
/// decode; a field holding something else is `None`. One odd item never costs the page it is on.
///
/// ```
/// use botwire_core_types::onebot::ContactVariable;
///
/// let old: ContactVariable = serde_json::from_str(
///     r#"{"id":2,"value":"Киев","variable":{"id":25,"name":"Город"}}"#,
/// )?;
/// let new: ContactVariable = serde_json::from_str(
///     r#"{"id":16497893703850,"name":"Город","value":"Москва","deletable":false}"#,
/// )?;
/// assert_eq!(old.name(), Some("Город"));
/// assert_eq!(new.name(), Some("Город"));
/// let embedded: ContactVariable = serde_json::from_str(r#"{"name":"Возраст","value":42,"deletable":null}"#)?;
/// assert_eq!((embedded.id, embedded.value_str()), (None, "42"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactVariable {
    /// The value record's id (OneBot shape) or the variable's id (newer shape). 14 digits on CleverApp. Not
    /// always sent for variables embedded in a contact.
    #[serde(
        default,
        deserialize_with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<FlexibleId>,
    /// The variable name (newer shape only; see [`ContactVariable::name`]).
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    /// The value, as text (a number or boolean is kept as written). Whether it can be `null` is unknown, so it
    /// is optional.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<String>,
    /// `true`: deleted when a lead (заявка) is created (newer shape only).
    #[serde(
        default,
        deserialize_with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub deletable: Option<IntBool>,
    /// When the value was first set, RFC 3339 (OneBot shape only).
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<String>,
    /// When the value last changed, RFC 3339 (OneBot shape only).
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_at: Option<String>,
    /// The bot-level variable definition.
    #[serde(
        default,
        deserialize_with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub variable: Option<VariableDef>,
}

impl ContactVariable {
    /// The variable's name: the top-level `name` (newer shape) or `variable.name` (OneBot shape).
    pub fn name(&self) -> Option<&str> {
        self.name
            .as_deref()
            .or_else(|| self.variable.as_ref().and_then(|v| v.name.as_deref()))
    }

    /// The value, or `""` when the server sent none.
    pub fn value_str(&self) -> &str {
        self.value.as_deref().unwrap_or_default()
    }
}

/// A bot-level variable definition (`variable` inside a [`ContactVariable`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VariableDef {
    /// Definition id, when sent.
    #[serde(
        default,
        deserialize_with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<FlexibleId>,
    /// Variable name (used as `{{$Name}}` in message texts).
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    /// Created, RFC 3339 (OneBot shape only).
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<String>,
    /// Updated, RFC 3339 (OneBot shape only).
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_at: Option<String>,
}
