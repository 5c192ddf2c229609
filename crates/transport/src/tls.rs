use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::TransportError;

/// The Russian Trusted Root CA and its two sub-CAs (Минцифры). `platform-api2.max.ru` is signed by them and
/// they are in neither Mozilla's store nor most OS stores. Root SHA-256 fingerprint
/// `D2:6D:2D:02:31:B7:C3:9F:92:CC:73:85:12:BA:54:10:35:19:E4:40:5D:68:B5:BD:70:3E:97:88:CA:8E:CF:31`,
/// valid to 2032-02-27.
const RUSSIAN_TRUSTED_CA_PEM: &[u8] = include_bytes!("../certs/russian_trusted_ca_bundle.pem");

/// The root certificates a backend trusts.
///
/// Default: Mozilla's roots (from `webpki-root-certs`) **plus** the bundled Russian Trusted Root CA. Users can
/// add their own roots (a corporate proxy, a test CA) and turn either default set off.
///
/// ```
/// use botwire_transport::TlsRoots;
///
/// let roots = TlsRoots::default();
/// assert!(roots.certificates().len() > 100);
///
/// let only_russian = TlsRoots::default().without_webpki_roots();
/// assert_eq!(only_russian.certificates().len(), 3);
///
/// let none = TlsRoots::empty();
/// assert!(none.certificates().is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct TlsRoots {
    webpki: bool,
    russian_trusted_ca: bool,
    extra: Vec<CertificateDer<'static>>,
}

impl Default for TlsRoots {
    fn default() -> Self {
        Self {
            webpki: true,
            russian_trusted_ca: true,
            extra: Vec::new(),
        }
    }
}

impl TlsRoots {
    /// No roots at all; add your own with [`TlsRoots::add_pem`] or [`TlsRoots::add_der`].
    pub fn empty() -> Self {
        Self {
            webpki: false,
            russian_trusted_ca: false,
            extra: Vec::new(),
        }
    }

    /// Stops trusting the bundled Russian Trusted Root CA (then `platform-api2.max.ru` only verifies if its CA
    /// comes from somewhere else).
    #[must_use]
    pub fn without_russian_trusted_ca(mut self) -> Self {
        self.russian_trusted_ca = false;
        self
    }

    /// Stops trusting Mozilla's roots.
    #[must_use]
    pub fn without_webpki_roots(mut self) -> Self {
        self.webpki = false;
        self
    }

    /// Adds every certificate of a PEM bundle. Fails when the text holds no certificate or a broken one.
    pub fn add_pem(mut self, pem: &[u8]) -> Result<Self, TransportError> {
        let certs = parse_pem(pem)?;
        self.extra.extend(certs);
        Ok(self)
    }

    /// Adds one DER-encoded certificate.
    #[must_use]
    pub fn add_der(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.extra.push(CertificateDer::from(der.into()));
        self
    }

    /// Every trusted certificate, DER-encoded, in a stable order.
    pub fn certificates(&self) -> Vec<CertificateDer<'static>> {
        let mut out = Vec::new();
        if self.webpki {
            out.extend(
                webpki_root_certs::TLS_SERVER_ROOT_CERTS
                    .iter()
                    .map(|c| c.clone().into_owned()),
            );
        }
        if self.russian_trusted_ca {
            // The bundle is compiled in and tested below; a parse failure cannot happen at run time.
            out.extend(parse_pem(RUSSIAN_TRUSTED_CA_PEM).unwrap_or_default());
        }
        out.extend(self.extra.iter().cloned());
        out
    }
}

/// Whether `error` is, or wraps (through `io::Error` layers, which hide their inner error from `source()`), a
/// rustls error.
#[cfg(any(feature = "ureq", feature = "reqwest"))]
pub(crate) fn is_rustls_error(error: &(dyn std::error::Error + 'static)) -> bool {
    if error.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    match error
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
    {
        Some(inner) => is_rustls_error(inner),
        None => false,
    }
}

fn parse_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            TransportError::invalid_request(format!("cannot read PEM certificates: {e}"))
        })?;
    if certs.is_empty() {
        return Err(TransportError::invalid_request(
            "the PEM text holds no certificate",
        ));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_russian_ca_parses_into_three_certificates() {
        assert_eq!(parse_pem(RUSSIAN_TRUSTED_CA_PEM).unwrap().len(), 3);
        let all = TlsRoots::default().certificates();
        let webpki = TlsRoots::default()
            .without_russian_trusted_ca()
            .certificates();
        assert_eq!(all.len(), webpki.len() + 3);
    }

    #[test]
    fn user_roots_are_added_and_garbage_is_refused() {
        let roots = TlsRoots::empty()
            .add_pem(RUSSIAN_TRUSTED_CA_PEM)
            .unwrap()
            .add_der(vec![1, 2, 3]);
        assert_eq!(roots.certificates().len(), 4);
        assert!(TlsRoots::empty().add_pem(b"not a certificate").is_err());
    }
}
