//! Reading parameters the way Laravel does, validating them with Laravel's Russian messages, and the
//! paginator shape.

use std::collections::BTreeMap;

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Map, Value, json};

/// Where the paginator links of the real platform point: another host than the API (`app.onebot.tech`).
pub(crate) const LINK_BASE: &str = "https://onebot.tech/api/v1";

/// A request's input: the query for GET; for other verbs the query merged with the JSON or form body (body
/// wins), like Laravel's `$request->input()`. PHP-style keys (`tags[]=a`, `data[slug]=v`) become arrays and
/// objects. Empty strings count as absent (Laravel's `ConvertEmptyStringsToNull`).
#[derive(Debug, Default)]
pub(crate) struct Input {
    map: Map<String, Value>,
}

impl Input {
    pub(crate) fn parse(
        is_get: bool,
        query: Option<&str>,
        content_type: &str,
        body: &[u8],
    ) -> Self {
        let mut map = Map::new();
        if let Some(q) = query {
            for (k, v) in form_urlencoded::parse(q.as_bytes()) {
                if k != "api_token" {
                    insert_php(&mut map, &k, Value::String(v.into_owned()));
                }
            }
        }
        if !is_get && !body.is_empty() {
            if content_type.starts_with("application/x-www-form-urlencoded") {
                for (k, v) in form_urlencoded::parse(body) {
                    insert_php(&mut map, &k, Value::String(v.into_owned()));
                }
            } else if let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) {
                // Laravel reads a JSON body whatever the content type says when it parses as an object.
                for (k, v) in obj {
                    map.insert(k, v);
                }
            }
        }
        Self { map }
    }

    /// The value, unless absent, `null` or `""`.
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        match self.map.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(v) => Some(v),
        }
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

/// Inserts `value` at a PHP-style key: `a`, `a[]`, `a[b]`, `a[b][]`.
fn insert_php(map: &mut Map<String, Value>, key: &str, value: Value) {
    let (head, rest) = match key.find('[') {
        Some(i) if key.ends_with(']') => (&key[..i], &key[i..]),
        _ => {
            map.insert(key.to_owned(), value);
            return;
        }
    };
    let segments: Vec<&str> = rest
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split("][")
        .collect();
    let slot = map.entry(head.to_owned()).or_insert(Value::Null);
    insert_path(slot, &segments, value);
}

fn insert_path(slot: &mut Value, segments: &[&str], value: Value) {
    let Some((first, rest)) = segments.split_first() else {
        *slot = value;
        return;
    };
    if first.is_empty() {
        if !slot.is_array() {
            *slot = Value::Array(Vec::new());
        }
        if let Value::Array(items) = slot {
            items.push(Value::Null);
            if let Some(last) = items.last_mut() {
                insert_path(last, rest, value);
            }
        }
    } else {
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        if let Value::Object(obj) = slot {
            let next = obj.entry((*first).to_owned()).or_insert(Value::Null);
            insert_path(next, rest, value);
        }
    }
}

/// Laravel's validator with the `ru` locale: collects field → messages and answers 422 when any failed.
#[derive(Debug)]
pub(crate) struct Check<'a> {
    input: &'a Input,
    errors: BTreeMap<String, Vec<String>>,
}

/// How Laravel names a field in a message: underscores become spaces (`contact_id` → `contact id`).
fn attr(field: &str) -> String {
    field.replace('_', " ")
}

impl<'a> Check<'a> {
    pub(crate) fn new(input: &'a Input) -> Self {
        Self {
            input,
            errors: BTreeMap::new(),
        }
    }

    pub(crate) fn fail(&mut self, field: &str, message: String) {
        self.errors
            .entry(field.to_owned())
            .or_default()
            .push(message);
    }

    pub(crate) fn failed(&self, field: &str) -> bool {
        self.errors.contains_key(field)
    }

    fn required_msg(&mut self, field: &str) {
        self.fail(
            field,
            format!("Поле {} обязательно для заполнения.", attr(field)),
        );
    }

    fn int_of(&mut self, field: &str, v: &Value) -> Option<i64> {
        let n = match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        if n.is_none() {
            self.fail(
                field,
                format!("Значение поля {} должно быть целым числом.", attr(field)),
            );
        }
        n
    }

    pub(crate) fn opt_int(&mut self, field: &str) -> Option<i64> {
        let v = self.input.get(field)?;
        self.int_of(field, v)
    }

    pub(crate) fn req_int(&mut self, field: &str) -> Option<i64> {
        match self.input.get(field) {
            None => {
                self.required_msg(field);
                None
            }
            Some(v) => self.int_of(field, v),
        }
    }

    fn str_of(&mut self, field: &str, v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => {
                self.fail(
                    field,
                    format!("Значение поля {} должно быть строкой.", attr(field)),
                );
                None
            }
        }
    }

    pub(crate) fn opt_str(&mut self, field: &str) -> Option<String> {
        let v = self.input.get(field)?;
        self.str_of(field, v)
    }

    pub(crate) fn req_str(&mut self, field: &str) -> Option<String> {
        match self.input.get(field) {
            None => {
                self.required_msg(field);
                None
            }
            Some(v) => self.str_of(field, v),
        }
    }

    /// `required_without:other` — `field` is required when `other` is absent.
    pub(crate) fn req_without(&mut self, field: &str, others: &[&str]) {
        if !self.input.has(field) && others.iter().all(|o| !self.input.has(o)) {
            let message = if others.len() == 1 {
                format!(
                    "Поле {} обязательно для заполнения, когда {} не указано.",
                    attr(field),
                    attr(others[0])
                )
            } else {
                let list: Vec<String> = others.iter().map(|o| attr(o)).collect();
                format!(
                    "Поле {} обязательно для заполнения, когда ни одно из {} не указано.",
                    attr(field),
                    list.join(" / ")
                )
            };
            self.fail(field, message);
        }
    }

    /// `required_with:other` — `field` is required when `other` is present.
    pub(crate) fn req_with(&mut self, field: &str, other: &str) {
        if self.input.has(other) && !self.input.has(field) {
            self.fail(
                field,
                format!(
                    "Поле {} обязательно для заполнения, когда {} указано.",
                    attr(field),
                    attr(other)
                ),
            );
        }
    }

    /// `required_if:other,value`.
    pub(crate) fn req_if(&mut self, field: &str, other: &str, value: &str) {
        if !self.input.has(field) {
            self.fail(
                field,
                format!(
                    "Поле {} обязательно для заполнения, когда {} равно {value}.",
                    attr(field),
                    attr(other)
                ),
            );
        }
    }

    pub(crate) fn min(&mut self, field: &str, value: Option<i64>, min: i64) {
        if value.is_some_and(|v| v < min) {
            self.fail(
                field,
                format!("Значение поля {} должно быть не меньше {min}.", attr(field)),
            );
        }
    }

    pub(crate) fn max(&mut self, field: &str, value: Option<i64>, max: i64) {
        if value.is_some_and(|v| v > max) {
            self.fail(
                field,
                format!("Значение поля {} не может быть больше {max}.", attr(field)),
            );
        }
    }

    pub(crate) fn max_chars(&mut self, field: &str, value: Option<&str>, max: usize) {
        if value.is_some_and(|v| v.chars().count() > max) {
            self.fail(
                field,
                format!(
                    "Количество символов в поле {} не может превышать {max}.",
                    attr(field)
                ),
            );
        }
    }

    /// `in:…` — the value must be one of `allowed`.
    pub(crate) fn one_of(&mut self, field: &str, value: Option<&str>, allowed: &[&str]) {
        if value.is_some_and(|v| !allowed.contains(&v)) {
            self.fail(
                field,
                format!("Выбранное значение для {} ошибочно.", attr(field)),
            );
        }
    }

    /// `boolean` — `true`, `false`, `0`, `1`, `"0"`, `"1"`.
    pub(crate) fn opt_bool(&mut self, field: &str) -> Option<bool> {
        let v = self.input.get(field)?;
        let b = match v {
            Value::Bool(b) => Some(*b),
            Value::Number(n) if n.as_i64() == Some(0) => Some(false),
            Value::Number(n) if n.as_i64() == Some(1) => Some(true),
            Value::String(s) if s == "0" || s == "false" => Some(false),
            Value::String(s) if s == "1" || s == "true" => Some(true),
            _ => None,
        };
        if b.is_none() {
            self.fail(
                field,
                format!(
                    "Значение поля {} должно быть логического типа.",
                    attr(field)
                ),
            );
        }
        b
    }

    /// `array` — an object or array parameter.
    pub(crate) fn opt_object(&mut self, field: &str) -> Option<Map<String, Value>> {
        match self.input.get(field)? {
            Value::Object(m) => Some(m.clone()),
            _ => {
                self.fail(
                    field,
                    format!("Значение поля {} должно быть массивом.", attr(field)),
                );
                None
            }
        }
    }

    pub(crate) fn req_object(&mut self, field: &str) -> Option<Map<String, Value>> {
        if !self.input.has(field) {
            self.required_msg(field);
            return None;
        }
        self.opt_object(field)
    }

    /// A list of strings: a JSON array, PHP `name[]=…`, or one string.
    pub(crate) fn opt_strings(&mut self, field: &str) -> Vec<String> {
        match self.input.get(field) {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| match v {
                    Value::String(s) if !s.is_empty() => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Number(n)) => vec![n.to_string()],
            Some(_) => {
                self.fail(
                    field,
                    format!("Значение поля {} должно быть массивом.", attr(field)),
                );
                Vec::new()
            }
        }
    }

    /// `exists:…` — the referenced record must exist.
    pub(crate) fn exists(&mut self, field: &str, value: Option<i64>, found: impl Fn(i64) -> bool) {
        if let Some(v) = value
            && !self.failed(field)
            && !found(v)
        {
            self.not_found(field);
        }
    }

    pub(crate) fn not_found(&mut self, field: &str) {
        self.fail(
            field,
            format!("Выбранное значение для {} некорректно.", attr(field)),
        );
    }

    /// 422 with Laravel's body when any check failed.
    pub(crate) fn finish(self) -> Result<(), Response> {
        if self.errors.is_empty() {
            return Ok(());
        }
        Err(unprocessable(self.errors))
    }
}

/// Laravel's 422 body.
pub(crate) fn unprocessable(errors: BTreeMap<String, Vec<String>>) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        axum::Json(json!({"message": "The given data was invalid.", "errors": errors})),
    )
        .into_response()
}

/// A Laravel resource collection page over `items`: `data`, `links` (pointing at `onebot.tech`) and the
/// older `meta` without `meta.links`.
pub(crate) fn paginate(method: &str, items: Vec<Value>, page: u32, per_page: u32) -> Value {
    let per_page = per_page.max(1);
    let total = items.len();
    let last_page = total.div_ceil(per_page as usize).max(1);
    let start = (page.max(1) as usize - 1).saturating_mul(per_page as usize);
    let data: Vec<Value> = items
        .into_iter()
        .skip(start)
        .take(per_page as usize)
        .collect();
    let path = format!("{LINK_BASE}/{method}");
    let link = |p: usize| Value::String(format!("{path}?page={p}"));
    let page = page.max(1) as usize;
    let (from, to) = if data.is_empty() {
        (Value::Null, Value::Null)
    } else {
        (json!(start + 1), json!(start + data.len()))
    };
    json!({
        "data": data,
        "links": {
            "first": link(1),
            "last": link(last_page),
            "prev": if page > 1 { link(page - 1) } else { Value::Null },
            "next": if page < last_page { link(page + 1) } else { Value::Null },
        },
        "meta": {
            "current_page": page,
            "from": from,
            "last_page": last_page,
            "path": path,
            "per_page": per_page,
            "to": to,
            "total": total,
        }
    })
}

/// `{"success": true}`.
pub(crate) fn success() -> Value {
    json!({"success": true})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn php_keys_and_merging() {
        let input = Input::parse(
            false,
            Some("api_token=x&contact_id=5&tags[]=a"),
            "application/x-www-form-urlencoded",
            b"tags[]=b&data[city]=Msk&filters[tag_name][]=VIP&email=",
        );
        assert_eq!(input.get("contact_id"), Some(&json!("5")));
        assert_eq!(input.get("tags"), Some(&json!(["a", "b"])));
        assert_eq!(input.get("data"), Some(&json!({"city": "Msk"})));
        assert_eq!(input.get("filters"), Some(&json!({"tag_name": ["VIP"]})));
        assert_eq!(input.get("email"), None, "empty strings are absent");
        assert_eq!(input.get("api_token"), None);
        let input = Input::parse(true, Some("a=1"), "application/json", br#"{"b":2}"#);
        assert!(
            input.has("a") && !input.has("b"),
            "GET reads the query only"
        );
    }

    #[test]
    fn paginator_shape() {
        let items: Vec<Value> = (1..=5).map(|i| json!(i)).collect();
        let p = paginate("getContacts", items.clone(), 2, 2);
        assert_eq!(p["data"], json!([3, 4]));
        assert_eq!(
            p["links"]["next"],
            "https://onebot.tech/api/v1/getContacts?page=3"
        );
        assert_eq!(p["meta"]["last_page"], 3);
        let p = paginate("getContacts", items, 9, 2);
        assert_eq!(p["data"], json!([]));
        assert_eq!(p["meta"]["from"], Value::Null);
        assert_eq!(p["links"]["next"], Value::Null);
    }
}
