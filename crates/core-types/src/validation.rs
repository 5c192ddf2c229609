use std::fmt;

/// A value that breaks a documented limit of the API, found before anything was sent.
///
/// It names the field (a path such as `attachments[0].payload.buttons[3][1].text`), the limit it breaks and the
/// value it has, so the message alone tells the user what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    field: String,
    limit: String,
    actual: String,
}

impl ValidationError {
    /// A violation of `limit` by `field`, which has `actual`.
    pub fn new(
        field: impl Into<String>,
        limit: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            limit: limit.into(),
            actual: actual.into(),
        }
    }

    /// The field that breaks the limit, as a path into the request (`commands[3].name`).
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The documented limit, in words (`at most 32 items`).
    pub fn limit(&self) -> &str {
        &self.limit
    }

    /// What the field has instead (`33 items`).
    pub fn actual(&self) -> &str {
        &self.actual
    }

    /// The same error for a field nested under `parent` (`commands` + `[3].name` → `commands[3].name`).
    #[must_use]
    pub fn within(mut self, parent: &str) -> Self {
        self.field = if self.field.starts_with('[') {
            format!("{parent}{}", self.field)
        } else {
            format!("{parent}.{}", self.field)
        };
        self
    }

    /// Checks that `value` has between `min` and `max` characters (Unicode scalar values).
    pub fn check_chars(field: &str, value: &str, min: usize, max: usize) -> Result<(), Self> {
        let n = if value.len() <= max {
            // At most `max` bytes, so at most `max` characters: std's word-at-a-time count, no cap needed.
            value.chars().count()
        } else {
            // Count at most max+1 characters: a 4 GB string costs no more than a short one.
            value.chars().take(max.saturating_add(1)).count()
        };
        if n < min || n > max {
            let actual = if n > max {
                format!("{} characters", value.chars().count())
            } else {
                format!("{n} characters")
            };
            return Err(Self::new(
                field,
                describe_range(min, max, "characters"),
                actual,
            ));
        }
        Ok(())
    }

    /// Checks that a list has between `min` and `max` items.
    pub fn check_count(field: &str, count: usize, min: usize, max: usize) -> Result<(), Self> {
        if count < min || count > max {
            return Err(Self::new(
                field,
                describe_range(min, max, "items"),
                format!("{count} items"),
            ));
        }
        Ok(())
    }

    /// Checks that a number lies in `min..=max`.
    pub fn check_range(field: &str, value: i64, min: i64, max: i64) -> Result<(), Self> {
        if value < min || value > max {
            return Err(Self::new(
                field,
                format!("between {min} and {max}"),
                value.to_string(),
            ));
        }
        Ok(())
    }
}

fn describe_range(min: usize, max: usize, unit: &str) -> String {
    match (min, max) {
        (0, max) => format!("at most {max} {unit}"),
        (min, usize::MAX) => format!("at least {min} {unit}"),
        (min, max) if min == max => format!("exactly {min} {unit}"),
        (min, max) => format!("{min} to {max} {unit}"),
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` must be {}, but has {}",
            self.field, self.limit, self.actual
        )
    }
}

impl std::error::Error for ValidationError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_field_limit_and_value() {
        let err = ValidationError::check_chars("text", &"я".repeat(4001), 0, 4000).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`text` must be at most 4000 characters, but has 4001 characters"
        );
        let err = ValidationError::check_chars("name", "", 1, 64).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`name` must be 1 to 64 characters, but has 0 characters"
        );
        let err = ValidationError::check_count("commands", 33, 0, 32).unwrap_err();
        assert_eq!(err.limit(), "at most 32 items");
        assert_eq!(err.within("body").field(), "body.commands");
        let err = ValidationError::check_range("count", 0, 1, 100).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`count` must be between 1 and 100, but has 0"
        );
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert!(ValidationError::check_chars("t", &"ж".repeat(64), 1, 64).is_ok());
        assert!(ValidationError::check_chars("t", &"ж".repeat(65), 1, 64).is_err());
    }

    #[test]
    fn nests_index_paths_without_a_dot() {
        let err = ValidationError::new("[3].name", "1 to 64 characters", "0 characters")
            .within("commands");
        assert_eq!(err.field(), "commands[3].name");
    }
}
