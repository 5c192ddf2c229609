//! Test vectors computed independently of this crate, with Python's `hmac`/`hashlib`/`urllib.parse`
//! (`hmac.new(token, vcf, sha256).hexdigest()`; for initData the sorted `key=value` pairs joined by `\n`,
//! `secret = hmac.new(b"WebAppData", token, sha256).digest()`, `urlencode` for the query string and
//! `quote(query, safe="")` for the doubly encoded form MAX hands out). The outputs are pasted here as literals.

use super::*;

const TOKEN: &str = "f9LHodD0cOJf4_Dk-test_token";
const VCF: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:ez-vcard 0.10.3\r\nTEL;TYPE=cell:79990000000\r\nFN:Ivan Ivanov\r\nEND:VCARD\r\n";
const VCF_HASH: &str = "4cff1d634f03cc1636d94fb967a573a37ba47d8cf1103a5f809abcf945fbe899";

/// auth_date 1733485316 (seconds); signed: auth_date, query_id, user, start_param, chat; unsigned:
/// WebAppPlatform, WebAppVersion.
const INIT_SINGLE: &str = "auth_date=1733485316&query_id=158b120b-7aa3-4a0f-a198-52ace06d0658&user=%7B%22id%22%3A400%2C%22first_name%22%3A%22%D0%92%D0%B0%D1%81%D1%8F+%26+Co%22%2C%22last_name%22%3A%22%22%2C%22username%22%3Anull%2C%22language_code%22%3A%22ru%22%2C%22photo_url%22%3A%22https%3A%2F%2Fi.example%2Fa%2Bb%3Dc%2520d.jpg%22%7D&start_param=promo_1&chat=%7B%22id%22%3A-5%2C%22type%22%3A%22chat%22%7D&WebAppPlatform=ios&WebAppVersion=25.9.1&hash=fbff4ff0ca5d0ae870594fc05ef12f36d4b264fd622384c3da1082069b3e405f";
const INIT_DOUBLE: &str = "auth_date%3D1733485316%26query_id%3D158b120b-7aa3-4a0f-a198-52ace06d0658%26user%3D%257B%2522id%2522%253A400%252C%2522first_name%2522%253A%2522%25D0%2592%25D0%25B0%25D1%2581%25D1%258F%2B%2526%2BCo%2522%252C%2522last_name%2522%253A%2522%2522%252C%2522username%2522%253Anull%252C%2522language_code%2522%253A%2522ru%2522%252C%2522photo_url%2522%253A%2522https%253A%252F%252Fi.example%252Fa%252Bb%253Dc%252520d.jpg%2522%257D%26start_param%3Dpromo_1%26chat%3D%257B%2522id%2522%253A-5%252C%2522type%2522%253A%2522chat%2522%257D%26WebAppPlatform%3Dios%26WebAppVersion%3D25.9.1%26hash%3Dfbff4ff0ca5d0ae870594fc05ef12f36d4b264fd622384c3da1082069b3e405f";
/// The same fields with auth_date 1733485316394 (milliseconds).
const INIT_MILLIS: &str = "auth_date=1733485316394&query_id=158b120b-7aa3-4a0f-a198-52ace06d0658&user=%7B%22id%22%3A400%2C%22first_name%22%3A%22%D0%92%D0%B0%D1%81%D1%8F+%26+Co%22%2C%22last_name%22%3A%22%22%2C%22username%22%3Anull%2C%22language_code%22%3A%22ru%22%2C%22photo_url%22%3A%22https%3A%2F%2Fi.example%2Fa%2Bb%3Dc%2520d.jpg%22%7D&start_param=promo_1&chat=%7B%22id%22%3A-5%2C%22type%22%3A%22chat%22%7D&WebAppPlatform=ios&WebAppVersion=25.9.1&hash=e689c0d07cbe7feffc5ff5a7f346cbce107d686ec620bce43d0a65554f4056bb";
/// Signed, without auth_date.
const INIT_NO_AUTH_DATE: &str = "query_id=q1&user=%7B%22id%22%3A1%2C%22first_name%22%3A%22A%22%7D&hash=e072620ac7a6473e39172ed6f85b9463fafafaf0df186a0be2958bf976d8b6f6";
const SIGNED_AT: u64 = 1_733_485_316;

fn token() -> Token {
    Token::new(TOKEN)
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn contact_hash_matches_the_independent_vector() {
    assert_eq!(verify_contact(&token(), VCF, VCF_HASH), Ok(()));
    assert_eq!(
        verify_contact(&token(), VCF, &VCF_HASH.to_uppercase()),
        Ok(())
    );
}

#[test]
fn contact_hash_refuses_changes() {
    let other_phone = VCF.replace("79990000000", "79990000001");
    assert_eq!(
        verify_contact(&token(), &other_phone, VCF_HASH),
        Err(VerifyError::Mismatch { what: "contact" })
    );
    assert_eq!(
        verify_contact(&Token::new("another_token"), VCF, VCF_HASH),
        Err(VerifyError::Mismatch { what: "contact" })
    );
    // `\n` instead of the real CR LF is another message.
    assert_eq!(
        verify_contact(&token(), &VCF.replace("\r\n", "\n"), VCF_HASH),
        Err(VerifyError::Mismatch { what: "contact" })
    );
    assert_eq!(
        verify_contact(&token(), VCF, &VCF_HASH[..63]),
        Err(VerifyError::MalformedHash {
            what: "contact",
            len: 63
        })
    );
    let not_hex = format!("{}zz", &VCF_HASH[..62]);
    assert!(matches!(
        verify_contact(&token(), VCF, &not_hex),
        Err(VerifyError::MalformedHash { .. })
    ));
}

#[test]
fn contact_payloads() {
    let decoded: ContactPayload = serde_json::from_str(&format!(
        r#"{{"vcf_info":{},"hash":"{VCF_HASH}"}}"#,
        serde_json::to_string(VCF).unwrap()
    ))
    .unwrap();
    assert_eq!(verify_contact_payload(&token(), &decoded), Ok(()));
    let forwarded: ContactPayload =
        serde_json::from_str(r#"{"vcf_info":"BEGIN:VCARD\r\nEND:VCARD\r\n"}"#).unwrap();
    assert_eq!(
        verify_contact_payload(&token(), &forwarded),
        Err(VerifyError::MissingContactHash)
    );
    let no_vcf: ContactPayload = serde_json::from_str(r#"{"hash":"ab"}"#).unwrap();
    assert_eq!(
        verify_contact_payload(&token(), &no_vcf),
        Err(VerifyError::MissingVcfInfo)
    );
}

#[test]
fn init_data_in_both_encodings() {
    for raw in [INIT_SINGLE, INIT_DOUBLE] {
        let data = validate_init_data(raw, &token(), Some(HOUR), at(SIGNED_AT + 60)).unwrap();
        assert_eq!(data.start_param(), Some("promo_1"));
        assert_eq!(data.get("WebAppPlatform"), Some("ios"));
        assert_eq!(data.get("hash"), None);
        assert_eq!(data.auth_date(), Some(at(SIGNED_AT)));
        let user = data.user().unwrap().unwrap();
        assert_eq!(user.id, 400);
        assert_eq!(user.first_name, "Вася & Co");
        assert_eq!(user.last_name.as_deref(), Some(""));
        assert_eq!(user.username, None);
        // Decoded exactly once: the `+`, `=` and `%20` inside the JSON survive.
        assert_eq!(
            user.photo_url.as_deref(),
            Some("https://i.example/a+b=c%20d.jpg")
        );
        assert_eq!(data.fields().count(), 7);
    }
}

#[test]
fn init_data_auth_date_in_milliseconds() {
    let data = validate_init_data(INIT_MILLIS, &token(), Some(HOUR), at(SIGNED_AT + 60)).unwrap();
    assert_eq!(
        data.auth_date(),
        Some(at(SIGNED_AT) + Duration::from_millis(394))
    );
}

#[test]
fn init_data_age() {
    let day = Duration::from_secs(86_400);
    assert!(validate_init_data(INIT_SINGLE, &token(), Some(day), at(SIGNED_AT + 86_400)).is_ok());
    assert_eq!(
        validate_init_data(INIT_SINGLE, &token(), Some(day), at(SIGNED_AT + 86_401)),
        Err(VerifyError::Expired {
            distance: Duration::from_secs(86_401),
            direction: "before",
            max_age: day
        })
    );
    assert_eq!(
        validate_init_data(INIT_SINGLE, &token(), Some(HOUR), at(SIGNED_AT - 7200)),
        Err(VerifyError::Expired {
            distance: Duration::from_secs(7200),
            direction: "after",
            max_age: HOUR
        })
    );
    // No age check asked: old data still verifies (the caller chose so).
    assert!(validate_init_data(INIT_SINGLE, &token(), None, at(SIGNED_AT + 10 * 86_400)).is_ok());
    // Signed data without auth_date: fine without an age check, refused with one.
    assert!(validate_init_data(INIT_NO_AUTH_DATE, &token(), None, at(SIGNED_AT)).is_ok());
    assert_eq!(
        validate_init_data(INIT_NO_AUTH_DATE, &token(), Some(HOUR), at(SIGNED_AT)),
        Err(VerifyError::MissingAuthDate)
    );
}

#[test]
fn init_data_refuses_forgeries() {
    let now = at(SIGNED_AT);
    let mismatch = Err(VerifyError::Mismatch { what: "initData" });
    // Another token.
    assert_eq!(
        validate_init_data(INIT_SINGLE, &Token::new("another_token"), Some(HOUR), now),
        mismatch
    );
    // A signed field changed, added or removed.
    for tampered in [
        INIT_SINGLE.replace("promo_1", "promo_2"),
        INIT_SINGLE.replace("%22id%22%3A400", "%22id%22%3A401"),
        format!("admin=1&{INIT_SINGLE}"),
        INIT_SINGLE.replace("&start_param=promo_1", ""),
    ] {
        assert_eq!(
            validate_init_data(&tampered, &token(), Some(HOUR), now),
            mismatch,
            "{tampered}"
        );
    }
    // The unsigned fields may differ.
    let other_platform = INIT_SINGLE.replace("WebAppPlatform=ios", "WebAppPlatform=android");
    assert!(validate_init_data(&other_platform, &token(), Some(HOUR), now).is_ok());
    // Structure.
    let no_hash = INIT_SINGLE.split("&hash=").next().unwrap();
    assert_eq!(
        validate_init_data(no_hash, &token(), Some(HOUR), now),
        Err(VerifyError::MissingInitDataHash)
    );
    assert!(matches!(
        validate_init_data(
            &format!("query_id=x&{INIT_SINGLE}"),
            &token(),
            Some(HOUR),
            now
        ),
        Err(VerifyError::MalformedInitData { .. })
    ));
    assert!(matches!(
        validate_init_data("auth_date=1&hash=xyz", &token(), Some(HOUR), now),
        Err(VerifyError::MalformedHash {
            what: "initData",
            len: 3
        })
    ));
    assert_eq!(
        validate_init_data("", &token(), Some(HOUR), now),
        Err(VerifyError::MissingInitDataHash)
    );
}

#[test]
fn errors_never_show_the_token_or_the_expected_hash() {
    let now = at(SIGNED_AT + 10 * 86_400);
    let errors = [
        validate_init_data(INIT_SINGLE, &token(), Some(HOUR), now).unwrap_err(),
        validate_init_data(
            &INIT_SINGLE.replace("promo_1", "x"),
            &token(),
            Some(HOUR),
            now,
        )
        .unwrap_err(),
        verify_contact(&token(), "x", VCF_HASH).unwrap_err(),
        verify_contact(&token(), "x", TOKEN).unwrap_err(),
    ];
    for e in errors {
        for text in [e.to_string(), format!("{e:?}")] {
            assert!(!text.contains(TOKEN), "{text}");
            assert!(!text.contains(VCF_HASH), "{text}");
            assert!(!text.contains("fbff4ff0"), "{text}");
        }
    }
}
