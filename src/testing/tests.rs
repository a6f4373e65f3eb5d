use super::{CanonicalError, Redactions, canonical_xml, redact};

/// Zuora SOAP 1.1 `queryMore`, as the API documentation writes it.
const ZUORA_QUERY_MORE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:api="http://api.zuora.com/">
  <soapenv:Header>
    <api:SessionHeader><api:session>zuora-session-0123456789</api:session></api:SessionHeader>
    <api:QueryOptions><api:batchSize>2000</api:batchSize></api:QueryOptions>
  </soapenv:Header>
  <soapenv:Body>
    <api:queryMore><api:queryLocator>4028e69923eaaa2a0124069b5c887849-2000</api:queryLocator></api:queryMore>
  </soapenv:Body>
</soapenv:Envelope>
"#;

/// Salesforce partner `queryMore`, on one line as generated clients send it.
const PARTNER_QUERY_MORE: &str = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com"><soapenv:Header><urn:SessionHeader><urn:sessionId>00D5e000000ABCD!AQ4AQFakeSessionToken.x9</urn:sessionId></urn:SessionHeader><urn:QueryOptions><urn:batchSize>200</urn:batchSize></urn:QueryOptions></soapenv:Header><soapenv:Body><urn:queryMore><urn:queryLocator>01gD0000001vELkIAM-200</urn:queryLocator></urn:queryMore></soapenv:Body></soapenv:Envelope>"#;

/// Zuora `create` with an `xsi:type`, an escaped `&` and a header attribute.
const ZUORA_CREATE: &str = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:api="http://api.zuora.com/" xmlns:obj="http://object.api.zuora.com/"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <soapenv:Header>
    <api:SessionHeader soapenv:mustUnderstand="0" soapenv:actor="next"><api:session>S</api:session></api:SessionHeader>
  </soapenv:Header>
  <soapenv:Body>
    <api:create>
      <api:zObjects xsi:type="obj:Account">
        <obj:Name>AT&amp;T</obj:Name>
        <obj:Currency>USD</obj:Currency>
      </api:zObjects>
    </api:create>
  </soapenv:Body>
</soapenv:Envelope>"#;

/// Salesforce partner `update` of an sObject typed with `xsi:type`.
const PARTNER_UPDATE: &str = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com" xmlns:urn1="urn:sobject.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <soapenv:Header>
    <urn:SessionHeader><urn:sessionId>00D!S</urn:sessionId></urn:SessionHeader>
  </soapenv:Header>
  <soapenv:Body>
    <urn:update>
      <urn:sObjects xsi:type="urn1:Account">
        <urn1:Id>001D000000IqhSLIAZ</urn1:Id>
        <urn1:Name>Smith &amp; Sons &lt;UK&gt;</urn1:Name>
      </urn:sObjects>
    </urn:update>
  </soapenv:Body>
</soapenv:Envelope>"#;

/// Canonical form of a fixture that must parse.
fn canonical(xml: &str) -> String {
    match canonical_xml(xml.as_bytes()) {
        Ok(text) => text,
        Err(e) => panic!("canonical_xml failed: {e}\n{xml}"),
    }
}

/// Asserts every spelling canonicalises exactly like `reference`.
fn assert_all_equal(reference: &str, spellings: &[&str]) {
    let expected = canonical(reference);
    for spelling in spellings {
        assert_eq!(canonical(spelling), expected, "spelling:\n{spelling}");
    }
}

/// Asserts every variant canonicalises differently from `reference`.
fn assert_all_differ(reference: &str, variants: &[&str]) {
    let expected = canonical(reference);
    for variant in variants {
        assert_ne!(canonical(variant), expected, "variant:\n{variant}");
    }
}

#[test]
fn zuora_query_more_canonical_text() {
    let expected = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns0="http://api.zuora.com/">
  <soapenv:Header>
    <ns0:SessionHeader>
      <ns0:session>zuora-session-0123456789</ns0:session>
    </ns0:SessionHeader>
    <ns0:QueryOptions>
      <ns0:batchSize>2000</ns0:batchSize>
    </ns0:QueryOptions>
  </soapenv:Header>
  <soapenv:Body>
    <ns0:queryMore>
      <ns0:queryLocator>4028e69923eaaa2a0124069b5c887849-2000</ns0:queryLocator>
    </ns0:queryMore>
  </soapenv:Body>
</soapenv:Envelope>
"#;
    assert_eq!(canonical(ZUORA_QUERY_MORE), expected);
}

#[test]
fn zuora_query_more_spellings_are_equal() {
    assert_all_equal(
        ZUORA_QUERY_MORE,
        &[
            // Other prefixes, no declaration, no indentation, a comment.
            r#"<SOAP-ENV:Envelope xmlns:z="http://api.zuora.com/" xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><!-- sent by v1 --><SOAP-ENV:Header><z:SessionHeader><z:session>zuora-session-0123456789</z:session></z:SessionHeader><z:QueryOptions><z:batchSize>2000</z:batchSize></z:QueryOptions></SOAP-ENV:Header><SOAP-ENV:Body><z:queryMore><z:queryLocator>4028e69923eaaa2a0124069b5c887849-2000</z:queryLocator></z:queryMore></SOAP-ENV:Body></SOAP-ENV:Envelope>"#,
            // The API namespace as a default namespace declared locally, odd whitespace.
            "<?xml version='1.0'?>\r\n<s:Envelope  xmlns:s = 'http://schemas.xmlsoap.org/soap/envelope/' >\r\n\t<s:Header>\n\
             <SessionHeader xmlns=\"http://api.zuora.com/\">\n  <session>zuora-session-0123456789</session>\n</SessionHeader>\n\
             <q:QueryOptions xmlns:q=\"http://api.zuora.com/\"><q:batchSize>2000</q:batchSize></q:QueryOptions >\n\
             </s:Header>\n<s:Body><queryMore xmlns=\"http://api.zuora.com/\"><queryLocator><![CDATA[4028e69923eaaa2a0124069b5c887849-2000]]></queryLocator></queryMore></s:Body></s:Envelope>",
        ],
    );
}

#[test]
fn zuora_create_spellings_are_equal() {
    assert_all_equal(
        ZUORA_CREATE,
        &[
            // Attributes reversed, prefixes swapped, CDATA instead of &amp;, xsi declared locally.
            r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://api.zuora.com/" xmlns:o="http://object.api.zuora.com/"><e:Header><a:SessionHeader e:actor="next" e:mustUnderstand="0"><a:session>S</a:session></a:SessionHeader></e:Header><e:Body><a:create><a:zObjects xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="o:Account"><o:Name><![CDATA[AT&T]]></o:Name><o:Currency>USD</o:Currency></a:zObjects></a:create></e:Body></e:Envelope>"#,
            // The object namespace as the default namespace; xsi:type unprefixed; char reference.
            r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://api.zuora.com/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><e:Header><a:SessionHeader e:mustUnderstand="0" e:actor="next"><a:session>S</a:session></a:SessionHeader></e:Header><e:Body><a:create><a:zObjects xmlns="http://object.api.zuora.com/" xsi:type="Account"><Name>AT&#38;T</Name><Currency>USD</Currency></a:zObjects></a:create></e:Body></e:Envelope>"#,
        ],
    );
}

#[test]
fn zuora_create_canonical_text_remaps_xsi_type_and_keeps_escapes() {
    let text = canonical(ZUORA_CREATE);
    assert!(
        text.starts_with(
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns0="http://api.zuora.com/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:ns1="http://object.api.zuora.com/">"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"<ns0:SessionHeader soapenv:actor="next" soapenv:mustUnderstand="0">"#),
        "{text}"
    );
    assert!(
        text.contains(r#"<ns0:zObjects xsi:type="ns1:Account">"#),
        "{text}"
    );
    assert!(text.contains("<ns1:Name>AT&amp;T</ns1:Name>"), "{text}");
}

#[test]
fn partner_query_more_spellings_are_equal() {
    assert_all_equal(
        PARTNER_QUERY_MORE,
        &[
            // Pretty-printed with other prefixes and an XML declaration.
            r#"<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:p="urn:partner.soap.sforce.com">
   <env:Header>
      <p:SessionHeader>
         <p:sessionId>00D5e000000ABCD!AQ4AQFakeSessionToken.x9</p:sessionId>
      </p:SessionHeader>
      <p:QueryOptions>
         <p:batchSize>200</p:batchSize>
      </p:QueryOptions>
   </env:Header>
   <env:Body>
      <p:queryMore>
         <p:queryLocator>01gD0000001vELkIAM-200</p:queryLocator>
      </p:queryMore>
   </env:Body>
</env:Envelope>"#,
            // Partner namespace as the default, declared on each element that needs it.
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><SessionHeader xmlns="urn:partner.soap.sforce.com"><sessionId>00D5e000000ABCD!AQ4AQFakeSessionToken.x9</sessionId></SessionHeader><QueryOptions xmlns="urn:partner.soap.sforce.com"><batchSize>200</batchSize></QueryOptions></soapenv:Header><soapenv:Body xmlns="urn:partner.soap.sforce.com"><queryMore><queryLocator>01gD0000001vELkIAM-200</queryLocator></queryMore></soapenv:Body></soapenv:Envelope>"#,
        ],
    );
}

#[test]
fn partner_update_spellings_are_equal() {
    assert_all_equal(
        PARTNER_UPDATE,
        &[
            // Prefixes `sf`/`sobj`, CDATA, xsi declared locally with another prefix.
            r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:partner.soap.sforce.com"><S:Header><sf:SessionHeader><sf:sessionId>00D!S</sf:sessionId></sf:SessionHeader></S:Header><S:Body><sf:update><sf:sObjects xmlns:sobj="urn:sobject.partner.soap.sforce.com" xmlns:x="http://www.w3.org/2001/XMLSchema-instance" x:type="sobj:Account"><sobj:Id>001D000000IqhSLIAZ</sobj:Id><sobj:Name><![CDATA[Smith & Sons <UK>]]></sobj:Name></sf:sObjects></sf:update></S:Body></S:Envelope>"#,
            // Text split by a comment, partly CDATA, partly references.
            r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:partner.soap.sforce.com" xmlns:sobj="urn:sobject.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><S:Header><sf:SessionHeader><sf:sessionId>00D!S</sf:sessionId></sf:SessionHeader></S:Header><S:Body><sf:update><sf:sObjects xsi:type="sobj:Account"><sobj:Id>001D000000IqhSLIAZ</sobj:Id><sobj:Name>Smith <!-- x -->&#x26; <![CDATA[Sons <UK>]]></sobj:Name></sf:sObjects></sf:update></S:Body></S:Envelope>"#,
        ],
    );
}

#[test]
fn envelopes_that_differ_in_meaning_are_not_equal() {
    assert_all_differ(
        ZUORA_QUERY_MORE,
        &[
            // The object namespace instead of the API namespace.
            &ZUORA_QUERY_MORE.replace(
                r#"xmlns:api="http://api.zuora.com/""#,
                r#"xmlns:api="http://object.api.zuora.com/""#,
            ),
            // Another locator.
            &ZUORA_QUERY_MORE.replace("-2000</api:queryLocator>", "-4000</api:queryLocator>"),
            // Header children in the other order.
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:api="http://api.zuora.com/"><soapenv:Header><api:QueryOptions><api:batchSize>2000</api:batchSize></api:QueryOptions><api:SessionHeader><api:session>zuora-session-0123456789</api:session></api:SessionHeader></soapenv:Header><soapenv:Body><api:queryMore><api:queryLocator>4028e69923eaaa2a0124069b5c887849-2000</api:queryLocator></api:queryMore></soapenv:Body></soapenv:Envelope>"#,
            // SOAP 1.2 envelope namespace.
            &ZUORA_QUERY_MORE.replace(
                "http://schemas.xmlsoap.org/soap/envelope/",
                "http://www.w3.org/2003/05/soap-envelope",
            ),
        ],
    );
    assert_all_differ(
        PARTNER_UPDATE,
        &[
            // The sObject type in the partner namespace instead of the sobject namespace.
            &PARTNER_UPDATE.replace(r#"xsi:type="urn1:Account""#, r#"xsi:type="urn:Account""#),
            // Another attribute value.
            &PARTNER_UPDATE.replace(r#"xsi:type="urn1:Account""#, r#"xsi:type="urn1:Contact""#),
            // Significant whitespace inside text.
            &PARTNER_UPDATE.replace("Smith &amp; Sons", "Smith &amp;  Sons"),
        ],
    );
}

#[test]
fn text_and_attributes_are_escaped_minimally() {
    let text = canonical(
        r#"<a b="x &gt; &quot;y&quot; &amp; 'z'&#10;">1 &lt; 2 &amp;&amp; "3" &gt; 'q'</a>"#,
    );
    assert_eq!(
        text,
        "<a b=\"x > &quot;y&quot; &amp; 'z'&#10;\">1 &lt; 2 &amp;&amp; \"3\" &gt; 'q'</a>\n"
    );
}

#[test]
fn mixed_content_and_empty_elements() {
    let text = canonical(r#"<a xmlns="urn:x"><b></b>text<c/></a>"#);
    assert_eq!(
        text,
        "<ns0:a xmlns:ns0=\"urn:x\">\n  <ns0:b/>\n  text\n  <ns0:c/>\n</ns0:a>\n"
    );
}

/// Whether an error is the one a malformed input should produce.
type Expectation = fn(&CanonicalError) -> bool;

#[test]
fn malformed_inputs_are_errors() {
    let deep = "<a>".repeat(1000);
    let cases: &[(&[u8], Expectation)] = &[
        (
            b"<a><b>x</b>",
            |e| matches!(e, CanonicalError::Truncated { element } if element == "a"),
        ),
        (&ZUORA_QUERY_MORE.as_bytes()[..200], |e| {
            matches!(
                e,
                CanonicalError::Truncated { .. } | CanonicalError::Malformed { .. }
            )
        }),
        (b"<a><b>x</b", |e| {
            matches!(e, CanonicalError::Malformed { .. })
        }),
        (b"<a><b>x</a></b>", |e| {
            matches!(e, CanonicalError::Malformed { .. })
        }),
        (b"<a x=\"1\" x=\"2\"/>", |e| {
            matches!(e, CanonicalError::Malformed { .. })
        }),
        (b"<a>\xff\xfe</a>", |e| {
            matches!(e, CanonicalError::Malformed { .. })
        }),
        (b"", |e| matches!(e, CanonicalError::NoRoot)),
        (b"<!-- only a comment -->", |e| {
            matches!(e, CanonicalError::NoRoot)
        }),
        (b"<a/><b/>", |e| {
            matches!(e, CanonicalError::OutsideRoot { .. })
        }),
        (b"<a/>trailing", |e| {
            matches!(e, CanonicalError::OutsideRoot { what: "text" })
        }),
        (
            b"<p:a/>",
            |e| matches!(e, CanonicalError::UnknownPrefix { prefix } if prefix == "p"),
        ),
        (
            br#"<a xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="q:T"/>"#,
            |e| matches!(e, CanonicalError::UnknownPrefix { prefix } if prefix == "q"),
        ),
        (
            b"<a>&nbsp;</a>",
            |e| matches!(e, CanonicalError::UnknownEntity { name } if name == "nbsp"),
        ),
        (
            br#"<a xmlns:p="urn:x" xmlns:q="urn:x" p:k="1" q:k="2"/>"#,
            |e| matches!(e, CanonicalError::DuplicateAttribute { name } if name == "k"),
        ),
        (deep.as_bytes(), |e| {
            matches!(e, CanonicalError::TooDeep { .. })
        }),
    ];
    for (input, expected) in cases {
        match canonical_xml(input) {
            Ok(text) => panic!(
                "{:?} canonicalised to {text:?}",
                String::from_utf8_lossy(input)
            ),
            Err(e) => assert!(
                expected(&e),
                "{:?}: unexpected {e:?}",
                String::from_utf8_lossy(input)
            ),
        }
    }
}

#[test]
fn assert_envelope_eq_accepts_equal_spellings() {
    crate::assert_envelope_eq!(
        ZUORA_CREATE,
        ZUORA_CREATE
            .replace("api:", "zapi:")
            .replace("xmlns:api", "xmlns:zapi")
    );
    crate::assert_envelope_eq!(PARTNER_QUERY_MORE.as_bytes(), PARTNER_QUERY_MORE.to_owned());
}

#[test]
fn assert_envelope_eq_panics_with_a_unified_diff() {
    let other = PARTNER_QUERY_MORE.replace("<urn:batchSize>200<", "<urn:batchSize>500<");
    let panic = std::panic::catch_unwind(|| crate::assert_envelope_eq!(PARTNER_QUERY_MORE, other))
        .expect_err("different batch sizes must not compare equal");
    let message = panic
        .downcast_ref::<String>()
        .expect("panic message is a String");
    assert!(message.contains("--- left\n+++ right\n"), "{message}");
    assert!(
        message.contains("\n-      <ns0:batchSize>200</ns0:batchSize>\n"),
        "{message}"
    );
    assert!(
        message.contains("\n+      <ns0:batchSize>500</ns0:batchSize>\n"),
        "{message}"
    );
}

#[test]
#[should_panic(expected = "right envelope is not canonicalisable")]
fn assert_envelope_eq_panics_on_malformed_input() {
    crate::assert_envelope_eq!(PARTNER_QUERY_MORE, "<a>");
}

/// Credentials that must never reach a snapshot.
const SECRETS: &[&str] = &[
    "zuora-session-0123456789",
    "00D5e000000ABCD!AQ4AQFakeSessionToken.x9",
    "hunter2&amp;pw",
    "00DLoginResultSession!AQx",
    "ZuoraLoginResultSession",
    "eyJhbGciOiJIUzI1NiJ9.payload.sig",
];

#[test]
fn redaction_hides_sessions_passwords_and_bearer_tokens() {
    let zuora_login = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:api="http://api.zuora.com/"><soapenv:Body><api:login><api:username>ops@example.com</api:username><api:password>hunter2&amp;pw</api:password></api:login></soapenv:Body></soapenv:Envelope>"#;
    let zuora_login_result = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ns1:loginResponse xmlns:ns1="http://api.zuora.com/"><ns1:result><ns1:ServerUrl>https://apisandbox.zuora.com/apps/services/a/119.0</ns1:ServerUrl><ns1:Session>ZuoraLoginResultSession</ns1:Session></ns1:result></ns1:loginResponse></soapenv:Body></soapenv:Envelope>"#;
    let partner_login_result = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com"><soapenv:Body><loginResponse><result><passwordExpired>false</passwordExpired><sessionId>00DLoginResultSession!AQx</sessionId></result></loginResponse></soapenv:Body></soapenv:Envelope>"#;
    let bearer = r#"<x:Call xmlns:x="urn:x" auth="Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig"><x:note>Authorization: bearer eyJhbGciOiJIUzI1NiJ9.payload.sig</x:note></x:Call>"#;

    for envelope in [
        ZUORA_QUERY_MORE,
        PARTNER_QUERY_MORE,
        zuora_login,
        zuora_login_result,
        partner_login_result,
        bearer,
    ] {
        let text = redact(&canonical(envelope), &Redactions::default());
        for secret in SECRETS {
            assert!(!text.contains(secret), "{secret} leaked:\n{text}");
        }
    }
    let redacted = |xml| redact(&canonical(xml), &Redactions::default());
    assert!(redacted(ZUORA_QUERY_MORE).contains("<ns0:session>[SESSION]</ns0:session>"));
    assert!(redacted(PARTNER_QUERY_MORE).contains("<ns0:sessionId>[SESSION]</ns0:sessionId>"));
    assert!(redacted(zuora_login).contains("<ns0:password>[PASSWORD]</ns0:password>"));
    assert!(redacted(zuora_login).contains("ops@example.com"));
    assert!(redacted(zuora_login_result).contains("<ns0:Session>[SESSION]</ns0:Session>"));
    assert!(
        redacted(partner_login_result).contains("<ns0:passwordExpired>false</ns0:passwordExpired>")
    );
    let bearer = redacted(bearer);
    assert!(bearer.contains(r#"auth="Bearer [TOKEN]""#), "{bearer}");
    assert!(
        bearer.contains("Authorization: Bearer [TOKEN]</ns0:note>"),
        "{bearer}"
    );
}

#[test]
fn redaction_works_on_raw_xml_too() {
    let text = redact(PARTNER_QUERY_MORE, &Redactions::default());
    assert!(
        text.contains("<urn:sessionId>[SESSION]</urn:sessionId>"),
        "{text}"
    );
    assert!(!text.contains("FakeSessionToken"));
}

#[test]
fn redaction_is_idempotent_and_leaves_other_text_alone() {
    let once = redact(&canonical(ZUORA_QUERY_MORE), &Redactions::default());
    assert_eq!(redact(&once, &Redactions::default()), once);
    assert!(once.contains("4028e69923eaaa2a0124069b5c887849-2000"));
    assert_eq!(redact("Bearer", &Redactions::default()), "Bearer");
    assert_eq!(redact("Unbearer x", &Redactions::default()), "Unbearer x");
    assert_eq!(
        redact("<session></session>", &Redactions::default()),
        "<session></session>"
    );
}

#[test]
fn locator_redaction_is_opt_in() {
    let text = canonical(PARTNER_QUERY_MORE);
    assert!(redact(&text, &Redactions::default()).contains("01gD0000001vELkIAM-200"));
    let redacted = redact(&text, &Redactions::default().locators(true));
    assert!(
        redacted.contains("<ns0:queryLocator>[LOCATOR]</ns0:queryLocator>"),
        "{redacted}"
    );
    assert!(!redacted.contains("01gD0000001vELkIAM-200"));
}

#[test]
fn timestamp_redaction_is_opt_in() {
    let query = "<q>SELECT Id FROM Account WHERE UpdatedDate &gt; '2024-01-31T12:00:00' AND \
                 LastModifiedDate &gt; 2024-01-31T12:00:00.000+0000 OR x = 2024-01-31T12:00Z \
                 OR d = 2024-01-31 OR v = 12024-01-31T12:00:00Z OR w = 2024-01-31T12:00:00+01:00</q>";
    assert_eq!(redact(query, &Redactions::default()), query);
    assert_eq!(
        redact(query, &Redactions::default().timestamps(true)),
        "<q>SELECT Id FROM Account WHERE UpdatedDate &gt; '[TIMESTAMP]' AND \
         LastModifiedDate &gt; [TIMESTAMP] OR x = [TIMESTAMP] \
         OR d = 2024-01-31 OR v = 12024-01-31T12:00:00Z OR w = [TIMESTAMP]</q>"
    );
}

#[test]
fn canonical_zuora_query_more_snapshot() {
    crate::assert_envelope_snapshot!("testing__canonical_zuora_query_more", ZUORA_QUERY_MORE);
}

#[test]
fn canonical_partner_query_more_snapshot() {
    crate::assert_envelope_snapshot!(
        "testing__canonical_partner_query_more",
        PARTNER_QUERY_MORE,
        Redactions::default().locators(true),
    );
}
