use std::fmt;

use subtle::ConstantTimeEq;

/// A bot or API token. It never prints: `Debug` and `Display` show `<redacted>`.
///
/// ```
/// use botwire_transport::Token;
///
/// let token = Token::new("f9LHodD0cOJf4_Dk");
/// assert_eq!(format!("{token} {token:?}"), "<redacted> Token(<redacted>)");
/// assert_eq!(token.expose(), "f9LHodD0cOJf4_Dk");
/// ```
///
/// `==` compares in time that depends only on the lengths ([`subtle`]), so comparing a token received from
/// outside with this one leaks nothing of it through timing.
#[derive(Clone)]
pub struct Token(String);

impl PartialEq for Token {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for Token {}

impl Token {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// Reads a token from the environment variable `var`; `None` when unset or blank.
    pub fn from_env(var: &str) -> Option<Self> {
        std::env::var(var)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .map(Self)
    }

    /// The secret itself, for the one place that puts it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the token is empty (the API will refuse it).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Token {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Token {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::Token;

    #[test]
    fn equality() {
        assert_eq!(Token::new("abc_1"), Token::new("abc_1"));
        assert_ne!(Token::new("abc_1"), Token::new("abc_2"));
        assert_ne!(Token::new("abc_1"), Token::new("abc_12"));
        assert_ne!(Token::new(""), Token::new("a"));
    }
}
