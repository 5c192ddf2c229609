use std::time::{Duration, SystemTime};

/// The wait a response asks for in its `Retry-After` header: delay-seconds (`Retry-After: 3`) or an HTTP date.
/// Also reads `X-RateLimit-Reset-After` / `RateLimit-Reset` (seconds) that some gateways send instead.
///
/// ```
/// let mut headers = http::HeaderMap::new();
/// headers.insert("retry-after", "3".parse()?);
/// assert_eq!(botwire_transport::retry_after(&headers), Some(std::time::Duration::from_secs(3)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    for name in ["retry-after", "x-ratelimit-reset-after", "ratelimit-reset"] {
        let Some(value) = headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
        else {
            continue;
        };
        if let Ok(secs) = value.parse::<f64>()
            && secs.is_finite()
            && secs >= 0.0
        {
            return Some(Duration::from_secs_f64(secs.min(86_400.0)));
        }
        if let Ok(at) = httpdate::parse_http_date(value) {
            return Some(
                at.duration_since(SystemTime::now())
                    .unwrap_or(Duration::ZERO),
            );
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_dates_and_garbage() {
        let mut h = http::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", "0.5".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(500)));
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }
}
