//! `soapenv:Fault`, read and written generically. SOAP 1.1 puts `faultcode`,
//! `faultstring` and `detail` unqualified; inside `detail` each dialect has one
//! fault element (`fns:LoginFault`, `sf:InvalidQueryLocatorFault`) whose code
//! and message children it names ([`FaultNames`]). Turning a [`SoapFault`]
//! into a classified [`Fault`](crate::Fault) is the dialect's job.

use super::NsId;
use super::reader::{Elem, XmlReader};
use super::writer::XmlWriter;
use crate::{BackendKind, Fault, FaultCode, Result};

/// Where a dialect keeps the code and message inside its detail element.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FaultNames {
    /// The namespace of the detail element and its children.
    pub ns: NsId,
    /// The code child (`FaultCode`, `exceptionCode`).
    pub code: &'static str,
    /// The message child (`FaultMessage`, `exceptionMessage`).
    pub message: &'static str,
}

/// A fault as the wire gave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SoapFault {
    /// `faultcode`, as written (`fns:INVALID_VALUE`).
    pub faultcode: String,
    /// `faultstring`.
    pub faultstring: String,
    /// The local name of the element inside `detail` (`InvalidQueryLocatorFault`).
    pub detail: Option<String>,
    /// The detail's code child.
    pub code: Option<String>,
    /// The detail's message child.
    pub message: Option<String>,
}

impl SoapFault {
    /// The most specific code: the detail's, else `faultcode` without its prefix.
    pub(crate) fn code(&self) -> &str {
        match &self.code {
            Some(c) if !c.is_empty() => c,
            _ => self.faultcode.rsplit(':').next().unwrap_or(&self.faultcode),
        }
    }

    /// The most specific message: the detail's, else `faultstring`.
    pub(crate) fn message(&self) -> &str {
        match &self.message {
            Some(m) if !m.is_empty() => m,
            _ => &self.faultstring,
        }
    }
}

/// Classifies a fault the way both dialects need: by its code, except where
/// the detail element says more. `InvalidQueryLocatorFault` is an expired or
/// unknown cursor whatever its code (Zuora has no `INVALID_QUERY_LOCATOR`
/// code), and a `LoginFault` is a refused login unless its code says "try
/// later".
pub(crate) fn classify(backend: BackendKind, fault: &SoapFault) -> Fault {
    let base = Fault::new(backend, fault.code(), fault.message());
    let by_detail = match fault.detail.as_deref() {
        Some("InvalidQueryLocatorFault") => Some(FaultCode::InvalidQueryLocator),
        Some("LoginFault")
            if !matches!(
                base.code,
                FaultCode::RequestLimitExceeded | FaultCode::ServerUnavailable
            ) =>
        {
            Some(FaultCode::InvalidLogin)
        }
        _ => None,
    };
    match by_detail {
        Some(code) => base.with_code(code),
        None => base,
    }
}

/// Reads the `Fault` element `fault` (just opened) to its end.
pub(crate) fn read_fault(
    r: &mut XmlReader<'_>,
    fault: &Elem<'_>,
    names: &FaultNames,
) -> Result<SoapFault> {
    let mut out = SoapFault::default();
    while let Some(c) = r.child(fault)? {
        // SOAP 1.1 children are unqualified; accept the envelope namespace too.
        let soap = c.ns() == NsId::NONE || c.ns() == NsId::SOAP_ENV;
        match c.local_name() {
            "faultcode" if soap => out.faultcode = r.text(&c)?.trim().to_owned(),
            "faultstring" if soap => out.faultstring = r.text(&c)?.to_owned(),
            "detail" if soap => read_detail(r, &c, names, &mut out)?,
            _ => r.skip(&c)?,
        }
    }
    Ok(out)
}

fn read_detail(
    r: &mut XmlReader<'_>,
    detail: &Elem<'_>,
    names: &FaultNames,
    out: &mut SoapFault,
) -> Result<()> {
    while let Some(inner) = r.child(detail)? {
        if out.detail.is_some() {
            r.skip(&inner)?;
            continue;
        }
        out.detail = Some(inner.local_name().to_owned());
        while let Some(c) = r.child(&inner)? {
            if c.is(names.ns, names.code) && !c.is_nil() {
                out.code = Some(r.text(&c)?.trim().to_owned());
            } else if c.is(names.ns, names.message) && !c.is_nil() {
                out.message = Some(r.text(&c)?.to_owned());
            } else {
                r.skip(&c)?;
            }
        }
    }
    Ok(())
}

/// How a dialect writes its faults (the mock's side).
#[cfg_attr(not(feature = "mock"), allow(dead_code))]
#[derive(Debug, Clone, Copy)]
pub(crate) struct FaultStyle {
    /// The prefix of the fault namespace (`fns`, `sf`).
    pub prefix: &'static str,
    /// The fault namespace URI.
    pub uri: &'static str,
    /// The code child's name.
    pub code: &'static str,
    /// The message child's name.
    pub message: &'static str,
    /// Declare the fault namespace on `soapenv:Fault` (Zuora) rather than
    /// relying on a declaration on the envelope (Salesforce).
    pub declare_on_fault: bool,
    /// Give the detail element an `xsi:type` naming itself (Salesforce).
    pub typed_detail: bool,
}

/// What one fault says.
#[cfg_attr(not(feature = "mock"), allow(dead_code))]
#[derive(Debug, Clone, Copy)]
pub(crate) struct FaultBody<'a> {
    /// The error code (`INVALID_VALUE`); `faultcode` is the prefixed form.
    pub code: &'a str,
    /// `faultstring`.
    pub faultstring: &'a str,
    /// The detail element's name (`InvalidQueryLocatorFault`).
    pub detail: &'a str,
    /// The detail's message.
    pub message: &'a str,
    /// More children of the detail element, after the message (`row`, `column`).
    pub extra: &'a [(&'a str, &'a str)],
}

/// Writes `soapenv:Fault` into an open body.
#[cfg_attr(not(feature = "mock"), allow(dead_code))]
pub(crate) fn write_fault(w: &mut XmlWriter, style: &FaultStyle, fault: &FaultBody<'_>) {
    use super::writer::SOAP_ENV_PREFIX;
    let xmlns = format!("xmlns:{}", style.prefix);
    let declare = [(xmlns.as_str(), style.uri)];
    let attrs: &[(&str, &str)] = if style.declare_on_fault {
        &declare
    } else {
        &[]
    };
    w.start(SOAP_ENV_PREFIX, "Fault", attrs);
    w.leaf("", "faultcode", &format!("{}:{}", style.prefix, fault.code));
    w.leaf("", "faultstring", fault.faultstring);
    w.start("", "detail", &[]);
    let typed = format!("{}:{}", style.prefix, fault.detail);
    let detail_attrs: &[(&str, &str)] = if style.typed_detail {
        &[("xsi:type", typed.as_str())]
    } else {
        &[]
    };
    w.start(style.prefix, fault.detail, detail_attrs);
    w.leaf(style.prefix, style.code, fault.code);
    w.leaf(style.prefix, style.message, fault.message);
    for (name, text) in fault.extra {
        w.leaf(style.prefix, name, text);
    }
    w.end(style.prefix, fault.detail);
    w.end("", "detail");
    w.end(SOAP_ENV_PREFIX, "Fault");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BackendKind;

    const ZUORA_TABLE: &[&str] = &["http://fault.api.zuora.com/"];
    const ZUORA: FaultNames = FaultNames {
        ns: NsId::dialect(0),
        code: "FaultCode",
        message: "FaultMessage",
    };
    const SF_TABLE: &[&str] = &["urn:fault.partner.soap.sforce.com"];
    const SF: FaultNames = FaultNames {
        ns: NsId::dialect(0),
        code: "exceptionCode",
        message: "exceptionMessage",
    };

    fn parse(xml: &str, table: &'static [&'static str], names: &FaultNames) -> SoapFault {
        let mut r = XmlReader::new(BackendKind::ZuoraSoap, xml.as_bytes(), table);
        let env = r.root().unwrap();
        assert!(env.is(NsId::SOAP_ENV, "Envelope"));
        let body = r.child(&env).unwrap().unwrap();
        assert!(body.is(NsId::SOAP_ENV, "Body"));
        let fault = r.child(&body).unwrap().unwrap();
        assert!(fault.is(NsId::SOAP_ENV, "Fault"));
        let f = read_fault(&mut r, &fault, names).unwrap();
        r.finish().unwrap();
        f
    }

    #[test]
    fn zuora_reference_fault_reads_code_message_and_detail_name() {
        let f = parse(
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
  <soapenv:Body>
    <soapenv:Fault xmlns:fns="http://fault.api.zuora.com/">
      <faultcode>fns:INVALID_VALUE</faultcode>
      <faultstring>Your IP address may be restricted.</faultstring>
      <detail>
        <fns:LoginFault>
          <fns:FaultCode>INVALID_VALUE</fns:FaultCode>
          <fns:FaultMessage>Your IP address may be restricted &amp; logged.</fns:FaultMessage>
        </fns:LoginFault>
      </detail>
    </soapenv:Fault>
  </soapenv:Body>
</soapenv:Envelope>"#,
            ZUORA_TABLE,
            &ZUORA,
        );
        assert_eq!(f.faultcode, "fns:INVALID_VALUE");
        assert_eq!(f.detail.as_deref(), Some("LoginFault"));
        assert_eq!(f.code(), "INVALID_VALUE");
        assert_eq!(f.message(), "Your IP address may be restricted & logged.");
    }

    #[test]
    fn salesforce_fault_with_sf_bound_to_the_fault_namespace() {
        let f = parse(
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body><soapenv:Fault>
  <faultcode>sf:INVALID_QUERY_LOCATOR</faultcode>
  <faultstring>INVALID_QUERY_LOCATOR: invalid query locator</faultstring>
  <detail>
   <sf:InvalidQueryLocatorFault xsi:type="sf:InvalidQueryLocatorFault">
    <sf:exceptionCode>INVALID_QUERY_LOCATOR</sf:exceptionCode>
    <sf:exceptionMessage>invalid query locator</sf:exceptionMessage>
   </sf:InvalidQueryLocatorFault>
  </detail>
 </soapenv:Fault></soapenv:Body></soapenv:Envelope>"#,
            SF_TABLE,
            &SF,
        );
        assert_eq!(f.detail.as_deref(), Some("InvalidQueryLocatorFault"));
        assert_eq!(f.code(), "INVALID_QUERY_LOCATOR");
        assert_eq!(f.message(), "invalid query locator");
    }

    #[test]
    fn fault_without_detail_falls_back_to_faultcode_and_faultstring() {
        let f = parse(
            r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><e:Fault>
<faultcode>e:Server</faultcode><faultstring>boom</faultstring></e:Fault></e:Body></e:Envelope>"#,
            ZUORA_TABLE,
            &ZUORA,
        );
        assert_eq!(f.detail, None);
        assert_eq!(f.code(), "Server");
        assert_eq!(f.message(), "boom");
    }

    #[test]
    fn written_faults_read_back() {
        for (style, table, names) in [
            (
                FaultStyle {
                    prefix: "fns",
                    uri: ZUORA_TABLE[0],
                    code: "FaultCode",
                    message: "FaultMessage",
                    declare_on_fault: true,
                    typed_detail: false,
                },
                ZUORA_TABLE,
                ZUORA,
            ),
            (
                FaultStyle {
                    prefix: "sf",
                    uri: SF_TABLE[0],
                    code: "exceptionCode",
                    message: "exceptionMessage",
                    declare_on_fault: false,
                    typed_detail: true,
                },
                SF_TABLE,
                SF,
            ),
        ] {
            let decl = format!("xmlns:{}", style.prefix);
            let decls: Vec<(&str, &str)> = if style.declare_on_fault {
                vec![]
            } else {
                vec![(&decl, style.uri), ("xmlns:xsi", super::super::XSI)]
            };
            let mut w = super::super::writer::begin_response(256, &decls);
            write_fault(
                &mut w,
                &style,
                &FaultBody {
                    code: "INVALID_VALUE",
                    faultstring: "bad <locator> & more",
                    detail: "InvalidQueryLocatorFault",
                    message: "bad <locator> & more",
                    extra: &[],
                },
            );
            let bytes = super::super::writer::end_response(w);
            let f = parse(std::str::from_utf8(&bytes).unwrap(), table, &names);
            assert_eq!(f.faultcode, format!("{}:INVALID_VALUE", style.prefix));
            assert_eq!(f.detail.as_deref(), Some("InvalidQueryLocatorFault"));
            assert_eq!(f.code(), "INVALID_VALUE");
            assert_eq!(f.message(), "bad <locator> & more");
        }
    }
}
