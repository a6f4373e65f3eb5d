//! The walk into a SOAP 1.1 response: `Envelope`, an optional `Header` (each
//! header element handed to the dialect), then `Body` holding either a
//! `Fault` or the operation's response element.

use super::NsId;
use super::fault::{FaultNames, SoapFault, read_fault};
use super::reader::{Elem, XmlReader};
use crate::Result;

/// What the `Body` held.
#[derive(Debug)]
pub(crate) enum Body<'i> {
    /// A `soapenv:Fault`, already read to the end of the document.
    Fault(SoapFault),
    /// The operation's response element, just opened: read it, then call
    /// [`XmlReader::finish`].
    Response(Elem<'i>),
}

/// Opens the envelope and its body. `on_header` is given each element of
/// `soapenv:Header` and must read or skip it.
pub(crate) fn open_body<'i>(
    r: &mut XmlReader<'i>,
    faults: &FaultNames,
    mut on_header: impl FnMut(&mut XmlReader<'i>, &Elem<'i>) -> Result<()>,
) -> Result<Body<'i>> {
    let envelope = r.root()?;
    if !envelope.is(NsId::SOAP_ENV, "Envelope") {
        return Err(r.error(format!(
            "expected a SOAP 1.1 Envelope, found <{}>",
            envelope.qualified_name()
        )));
    }
    while let Some(part) = r.child(&envelope)? {
        if part.is(NsId::SOAP_ENV, "Header") {
            while let Some(h) = r.child(&part)? {
                on_header(r, &h)?;
            }
        } else if part.is(NsId::SOAP_ENV, "Body") {
            let Some(content) = r.child(&part)? else {
                return Err(r.error("the SOAP Body is empty"));
            };
            if content.is(NsId::SOAP_ENV, "Fault") {
                let fault = read_fault(r, &content, faults)?;
                r.finish()?;
                return Ok(Body::Fault(fault));
            }
            return Ok(Body::Response(content));
        } else {
            r.skip(&part)?;
        }
    }
    Err(r.error("the SOAP Envelope has no Body"))
}

/// Skips a header element (the usual `on_header`).
pub(crate) fn skip_header(r: &mut XmlReader<'_>, h: &Elem<'_>) -> Result<()> {
    r.skip(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BackendKind, Error};

    const TABLE: &[&str] = &["urn:api", "urn:fault"];
    const FAULTS: FaultNames = FaultNames {
        ns: NsId::dialect(1),
        code: "FaultCode",
        message: "FaultMessage",
    };

    fn open(xml: &str) -> Result<(Option<String>, Vec<String>)> {
        let mut r = XmlReader::new(BackendKind::ZuoraSoap, xml.as_bytes(), TABLE);
        let mut headers = Vec::new();
        let body = open_body(&mut r, &FAULTS, |r, h| {
            headers.push(h.local_name().to_owned());
            r.skip(h)
        })?;
        let name = match body {
            Body::Fault(f) => Some(format!("fault {}", f.code())),
            Body::Response(e) => {
                let name = e.local_name().to_owned();
                r.skip(&e)?;
                r.finish()?;
                Some(name)
            }
        };
        Ok((name, headers))
    }

    #[test]
    fn headers_are_handed_over_and_the_response_opened() {
        let (name, headers) = open(
            "<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/' xmlns='urn:api'>\
             <s:Header><LimitInfoHeader><x/></LimitInfoHeader><Other/></s:Header>\
             <s:Body><queryResponse><result/></queryResponse></s:Body></s:Envelope>",
        )
        .unwrap();
        assert_eq!(name.as_deref(), Some("queryResponse"));
        assert_eq!(headers, ["LimitInfoHeader", "Other"]);
    }

    #[test]
    fn a_fault_is_read_in_place_of_the_response() {
        let (name, _) = open(
            "<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/'><s:Body>\
             <s:Fault xmlns:f='urn:fault'><faultcode>f:X</faultcode><faultstring>m</faultstring>\
             <detail><f:LoginFault><f:FaultCode>INVALID_LOGIN</f:FaultCode></f:LoginFault></detail>\
             </s:Fault></s:Body></s:Envelope>",
        )
        .unwrap();
        assert_eq!(name.as_deref(), Some("fault INVALID_LOGIN"));
    }

    #[test]
    fn non_envelopes_and_empty_bodies_are_protocol_errors() {
        for bad in [
            "<html><body>Login</body></html>",
            "<Envelope><Body/></Envelope>",
            "<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/'><s:Body/></s:Envelope>",
            "<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/'></s:Envelope>",
        ] {
            let e = open(bad).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Protocol {
                        retryable: false,
                        ..
                    }
                ),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn a_body_cut_after_the_response_is_still_truncated() {
        let e = open(
            "<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/'><s:Body>\
             <r>x</r></s:Bo",
        )
        .unwrap_err();
        assert!(e.is_retryable(), "{e}");
    }
}
