use serde::{Deserialize, Serialize};

use super::common::lenient;

/// A list response: Laravel's paginator (`{"data": […], "links": {…}, "meta": {…}}`) or a plain list
/// (`{"data": […]}`), reference §2.1.
///
/// Do not follow [`Links::next`]: OneBot's links point at `https://onebot.tech/api/v1/…`, another host than
/// the API (`app.onebot.tech`). Ask the configured base for `page = current + 1` instead; [`Page::next_page`]
/// says which page that is.
///
/// ```
/// use botwire_core_types::onebot::Page;
///
/// let plain: Page<String> = serde_json::from_str(r#"{"data":["a","b"]}"#)?;
/// assert_eq!(plain.next_page(), None);
/// let paged: Page<i64> = serde_json::from_str(
///     r#"{"data":[1],"links":{"next":"https://onebot.tech/api/v1/x?page=2"},"meta":{"current_page":1,"last_page":3}}"#,
/// )?;
/// assert_eq!(paged.next_page(), Some(2));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
    /// Paginator links; absent on plain lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
    /// Paginator counters; absent on plain lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl<T> Page<T> {
    /// A page holding `data` and no paginator.
    pub fn plain(data: Vec<T>) -> Self {
        Self {
            data,
            links: None,
            meta: None,
        }
    }

    /// The page to ask for next, or `None` when this is the last one.
    ///
    /// A page without `meta` (a plain list), an empty page, or one at or past `meta.last_page` is the last.
    pub fn next_page(&self) -> Option<u32> {
        let meta = self.meta.as_ref()?;
        if self.data.is_empty() {
            return None;
        }
        let current = meta.current_page.unwrap_or(1);
        match meta.last_page {
            Some(last) if current >= last => None,
            _ => current.checked_add(1),
        }
    }
}

/// The `links` block of a Laravel paginator. URLs are kept as text, for information only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Links {
    /// First page.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub first: Option<String>,
    /// Last page.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub last: Option<String>,
    /// Previous page; `null` on the first.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub prev: Option<String>,
    /// Next page; `null` on the last. Points at another host on OneBot: do not follow it.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub next: Option<String>,
}

/// The `meta` block of a Laravel paginator (older format: no `meta.links`; unknown fields are ignored). Counters
/// sent as numeric strings decode; one that is neither is `None` rather than the end of the page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Meta {
    /// This page's number, from 1.
    #[serde(
        default,
        deserialize_with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub current_page: Option<u32>,
    /// Index of the first item on this page, from 1; `null` on an empty page.
    #[serde(
        default,
        deserialize_with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub from: Option<u64>,
    /// The last page number.
    #[serde(
        default,
        deserialize_with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_page: Option<u32>,
    /// The list's URL without the page (another host on OneBot).
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub path: Option<String>,
    /// Items per page.
    #[serde(
        default,
        deserialize_with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub per_page: Option<u32>,
    /// Index of the last item on this page; `null` on an empty page.
    #[serde(
        default,
        deserialize_with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub to: Option<u64>,
    /// Items in the whole list.
    #[serde(
        default,
        deserialize_with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub total: Option<u64>,
}
