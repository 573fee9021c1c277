//! Vectors from AWS's Signature Version 4 test suite (`get-vanilla`, `post-vanilla`, ...):
//! key AKIDEXAMPLE, region us-east-1, service `service`, 2015-08-30T12:36:00Z.

use super::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const DATE: &str = "20150830T123600Z";

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn suite_time() -> SystemTime {
    at(parse_amz_date(DATE).expect("date"))
}

fn headers(extra: &[(&str, &str)], signature: &str, signed: &str) -> Vec<(String, String)> {
    let mut h = vec![
        ("Host".to_string(), "example.amazonaws.com".to_string()),
        ("X-Amz-Date".to_string(), DATE.to_string()),
    ];
    h.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    h.push((
        "Authorization".to_string(),
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders={signed}, Signature={signature}"
        ),
    ));
    h
}

fn credentials() -> Credentials {
    Credentials::from_pairs([("AKIDEXAMPLE".to_string(), SECRET.to_string())])
}

fn check(method: &str, query: &str, extra: &[(&str, &str)], signed: &str, signature: &str) {
    let headers = headers(extra, signature, signed);
    let request = SignedRequest {
        method,
        path: "/",
        query,
        headers: &headers,
        body: b"",
    };
    let verified = verify(&request, &credentials(), suite_time());
    assert_eq!(
        verified,
        Ok(Verified {
            access_key: "AKIDEXAMPLE".into(),
            region: "us-east-1".into(),
            service: "service".into(),
        })
    );
}

#[test]
fn suite_get_vanilla() {
    check(
        "GET",
        "",
        &[],
        "host;x-amz-date",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    );
}

#[test]
fn suite_post_vanilla_canonical_request_and_signature() {
    let headers = headers(&[], "x", "host;x-amz-date");
    let request = SignedRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: b"",
    };
    let signed = ["host".to_string(), "x-amz-date".to_string()];
    let canonical = canonical_request(&request, &signed);
    assert_eq!(
        canonical,
        "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let to_sign = string_to_sign(DATE, "20150830/us-east-1/service/aws4_request", &canonical);
    assert!(to_sign.ends_with("553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"));
    let key = signing_key(SECRET, "20150830", "us-east-1", "service");
    assert_eq!(
        signature(&key, &to_sign),
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
    );
}

#[test]
fn suite_query_order_header_case_and_trim() {
    check(
        "GET",
        "Param2=value2&Param1=value1",
        &[],
        "host;x-amz-date",
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    );
    check(
        "POST",
        "",
        &[("My-Header1", "VALUE1")],
        "host;my-header1;x-amz-date",
        "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
    );
    check(
        "GET",
        "",
        &[("My-Header1", " value1"), ("My-Header2", "\"a   b   c\"")],
        "host;my-header1;my-header2;x-amz-date",
        "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
    );
}

#[test]
fn signing_key_of_the_documented_iam_example() {
    let key = signing_key(SECRET_IAM, "20150830", "us-east-1", "iam");
    assert_eq!(
        hex(&key),
        "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
    );
}

const SECRET_IAM: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

#[test]
fn a_wrong_signature_is_refused() {
    let headers = headers(
        &[],
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf30",
        "host;x-amz-date",
    );
    let request = SignedRequest {
        method: "GET",
        path: "/",
        query: "",
        headers: &headers,
        body: b"",
    };
    assert_eq!(
        verify(&request, &credentials(), suite_time()),
        Err(AuthError::BadSignature)
    );
    // The right signature over another body.
    let good = headers_ok();
    let tampered = SignedRequest {
        method: "GET",
        path: "/",
        query: "",
        headers: &good,
        body: b"{}",
    };
    assert_eq!(
        verify(&tampered, &credentials(), suite_time()),
        Err(AuthError::BadSignature)
    );
}

fn headers_ok() -> Vec<(String, String)> {
    headers(
        &[],
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "host;x-amz-date",
    )
}

#[test]
fn a_stale_or_future_timestamp_is_refused() {
    let good = headers_ok();
    let request = SignedRequest {
        method: "GET",
        path: "/",
        query: "",
        headers: &good,
        body: b"",
    };
    let base = parse_amz_date(DATE).expect("date");
    for now in [base + 15 * 60 + 1, base - 15 * 60 - 1, base + 86_400] {
        assert_eq!(
            verify(&request, &credentials(), at(now)),
            Err(AuthError::Stale { date: DATE.into() })
        );
    }
    assert!(verify(&request, &credentials(), at(base + 15 * 60)).is_ok());
}

#[test]
fn unknown_keys_and_missing_headers() {
    let good = headers_ok();
    let request = SignedRequest {
        method: "GET",
        path: "/",
        query: "",
        headers: &good,
        body: b"",
    };
    let other = Credentials::from_pairs([("AKIDOTHER".to_string(), SECRET.to_string())]);
    assert_eq!(
        verify(&request, &other, suite_time()),
        Err(AuthError::UnknownKey)
    );
    let none: Vec<(String, String)> = vec![("Host".into(), "x".into())];
    let bare = SignedRequest {
        headers: &none,
        ..request
    };
    assert_eq!(
        verify(&bare, &credentials(), suite_time()),
        Err(AuthError::Missing)
    );
    assert!(matches!(
        parse_authorization("AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=host, Signature=00"),
        Err(AuthError::Malformed(_))
    ));
}

#[test]
fn dates_and_encoding() {
    assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
    assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
    assert_eq!(parse_amz_date("2015-08-30T12:36"), None);
    assert_eq!(uri_encode("a b/c~", true), "a%20b/c~");
    assert_eq!(uri_encode("a b/c", false), "a%20b%2Fc");
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"ab"));
}

#[test]
fn credentials_files() {
    let c = Credentials::parse("# keys\nAKID1 secret1\nAKID2=secret2\n").expect("parse");
    assert_eq!(c.keys.len(), 2);
    assert_eq!(c.keys["AKID2"], "secret2");
    assert!(Credentials::parse("AKID1\n").is_err());
    assert!(!format!("{c:?}").contains("secret"));
}
