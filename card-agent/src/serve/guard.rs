//! The checks every request to `serve` passes before a handler sees it, and the CORS headers
//! of every response.
//!
//! In this order: the `Host` header must name the agent itself (`127.0.0.1:<port>` or
//! `localhost:<port>`), which defeats DNS rebinding (a hostile name re-pointed at 127.0.0.1
//! arrives with that name as its host); the `Origin` header must be the configured registry
//! origin exactly, so no other web page can use the reader; then every request but a CORS
//! preflight (`OPTIONS`, which browsers send without credentials) must carry the pairing
//! code, so no other program on the computer and no page of the registry's origin opened
//! without the desk user's consent can. A preflight from the allowed origin is answered here,
//! whatever its path, including Chromium's Private Network Access header.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_MAX_AGE, AUTHORIZATION, CACHE_CONTROL, HOST, ORIGIN, VARY,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::{ApiError, Code};
use super::pairing::PairingCode;

/// Chromium's Private Network Access request header on a preflight.
const REQUEST_PRIVATE_NETWORK: &str = "access-control-request-private-network";
/// The answer that lets a public page reach this loopback server.
const ALLOW_PRIVATE_NETWORK: &str = "access-control-allow-private-network";

/// What a request must match.
#[derive(Debug)]
pub struct Guard {
    /// The allowed origin, normalised ([`parse_origin`]).
    origin: String,
    /// The same, ready for `Access-Control-Allow-Origin`.
    origin_header: HeaderValue,
    /// The port the agent listens on (the `Host` header must name it).
    port: u16,
    /// The pairing code.
    code: PairingCode,
}

impl Guard {
    /// A guard for an origin already normalised by [`parse_origin`].
    ///
    /// # Errors
    /// An origin that cannot be a header value (not the case after [`parse_origin`]).
    pub fn new(origin: String, port: u16, code: PairingCode) -> anyhow::Result<Guard> {
        let origin_header = HeaderValue::from_str(&origin)?;
        Ok(Guard {
            origin,
            origin_header,
            port,
            code,
        })
    }

    /// Whether the request comes from the allowed origin.
    pub fn is_allowed_origin(&self, headers: &HeaderMap) -> bool {
        only(headers, &ORIGIN).is_some_and(|v| v.as_bytes() == self.origin.as_bytes())
    }

    /// The checks, in order; `Ok` lets the request on.
    ///
    /// # Errors
    /// `host_refused`, `origin_refused` or `pairing_required`.
    pub fn check(&self, method: &Method, headers: &HeaderMap) -> Result<(), ApiError> {
        if !is_own_host(only(headers, &HOST), self.port) {
            return Err(ApiError::new(
                Code::HostRefused,
                format!(
                    "the Host header must be 127.0.0.1:{0} or localhost:{0}",
                    self.port
                ),
            ));
        }
        if !self.is_allowed_origin(headers) {
            return Err(ApiError::new(
                Code::OriginRefused,
                "this agent serves only the registry's own pages (the Origin header is not the \
                 configured origin)",
            ));
        }
        if *method == Method::OPTIONS {
            return Ok(());
        }
        match pairing_presented(only(headers, &AUTHORIZATION)) {
            Some(code) if self.code.matches(code) => Ok(()),
            Some(_) => Err(ApiError::new(
                Code::PairingRequired,
                "the pairing code is wrong; type the code the card-agent printed when it started",
            )),
            None => Err(ApiError::new(
                Code::PairingRequired,
                "pair this page with the card-agent first: type the code it printed when it \
                 started",
            )),
        }
    }
}

/// The one value of a header; `None` when it is absent or repeated.
fn only<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h HeaderValue> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (Some(v), None) => Some(v),
        _ => None,
    }
}

/// Whether a `Host` header names this agent: `127.0.0.1:<port>` or `localhost:<port>`
/// (letter case ignored).
pub fn is_own_host(host: Option<&HeaderValue>, port: u16) -> bool {
    let Some(host) = host.and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let Some((name, given_port)) = host.rsplit_once(':') else {
        return false;
    };
    given_port == port.to_string()
        && (name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost"))
}

/// The code of an `Authorization: Pairing <code>` header (scheme name in any letter case);
/// `None` without one.
pub fn pairing_presented(value: Option<&HeaderValue>) -> Option<&str> {
    let value = value?.to_str().ok()?.trim();
    let (scheme, code) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("pairing")
        .then_some(code.trim())
        .filter(|c| !c.is_empty())
}

/// Normalises `--origin` to what a browser sends in `Origin` (RFC 6454 §6.1): lowercase
/// scheme and host, no default port, no trailing slash. Only `https`, or `http` for a
/// registry on this computer: a page served over plain HTTP from another host could be
/// altered on the way and would then drive the reader.
///
/// # Errors
/// Not an origin (a path, a query, user information, another scheme, a bad port), or plain
/// `http` to another host; the message says which.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let text = text.trim();
    let text = text.strip_suffix('/').unwrap_or(text);
    let (scheme, rest) = text
        .split_once("://")
        .ok_or("an origin is scheme://host[:port], e.g. https://registry.example")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return Err(format!("the scheme must be https or http, not {scheme:?}")),
    };
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return Err(
            "an origin has no path, query, fragment or user name: scheme://host[:port]".to_string(),
        );
    }
    let (host, port) = match rest.strip_prefix('[') {
        Some(v6) => {
            let (inside, after) = v6.split_once(']').ok_or("unclosed [ in the host")?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or("junk after ]")?),
            };
            (format!("[{}]", inside.to_ascii_lowercase()), port)
        }
        None => match rest.rsplit_once(':') {
            Some((host, port)) => (host.to_ascii_lowercase(), Some(port)),
            None => (rest.to_ascii_lowercase(), None),
        },
    };
    let valid_host = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '[' | ']'));
    if !valid_host {
        return Err(format!("{host:?} is not a host name"));
    }
    let port = match port {
        None => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => return Err(format!("{p:?} is not a port number")),
        },
    };
    let loopback = host == "localhost"
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|a| a.is_loopback());
    if scheme == "http" && !loopback {
        return Err(
            "plain http is allowed only for a registry on this computer (127.0.0.1, localhost); \
             use the registry's https origin"
                .to_string(),
        );
    }
    Ok(if port == default_port {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}:{port}")
    })
}

/// The answer to a CORS preflight from the allowed origin.
fn preflight(headers: &HeaderMap) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let out = response.headers_mut();
    out.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST"),
    );
    out.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type"),
    );
    out.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    let private_network = headers
        .get(REQUEST_PRIVATE_NETWORK)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
    if private_network {
        out.insert(
            HeaderName::from_static(ALLOW_PRIVATE_NETWORK),
            HeaderValue::from_static("true"),
        );
    }
    response
}

/// The middleware: checks, preflight, CORS headers on every response, one log line per
/// request (method, path, status, duration: never a header, a body or a query).
pub async fn middleware(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path: String = request.uri().path().chars().take(100).collect();
    let from_origin = guard.is_allowed_origin(request.headers());
    let mut response = match guard.check(&method, request.headers()) {
        Err(e) => e.into_response(),
        Ok(()) if method == Method::OPTIONS => preflight(request.headers()),
        Ok(()) => next.run(request).await,
    };
    let out = response.headers_mut();
    if from_origin {
        out.insert(ACCESS_CONTROL_ALLOW_ORIGIN, guard.origin_header.clone());
    }
    out.append(VARY, HeaderValue::from_static("Origin"));
    // Patient data: no cache keeps it.
    out.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    eprintln!(
        "card-agent serve: {method} {path} {} {} ms",
        response.status().as_u16(),
        started.elapsed().as_millis()
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    fn guard() -> Guard {
        let code = PairingCode::generate();
        Guard::new("https://registry.test".into(), 47311, code).unwrap()
    }

    #[test]
    fn parse_origin_normalises_and_refuses() {
        let ok = [
            ("https://registry.example", "https://registry.example"),
            ("https://Registry.Example/", "https://registry.example"),
            ("HTTPS://registry.example:443", "https://registry.example"),
            (
                "https://registry.example:8443",
                "https://registry.example:8443",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://localhost:80", "http://localhost"),
            ("http://[::1]:8080", "http://[::1]:8080"),
        ];
        for (i, (given, want)) in ok.iter().enumerate() {
            assert_eq!(parse_origin(given).as_deref(), Ok(*want), "case {i}");
        }
        let refused = [
            "registry.example",
            "ftp://registry.example",
            "https://registry.example/page",
            "https://registry.example?x=1",
            "https://user@registry.example",
            "https://registry.example:0",
            "https://registry.example:99999",
            "https://",
            "https://reg_istry.example",
            "http://registry.example",
            "http://10.0.0.5:8080",
            "http://127.evil.example",
            "null",
            "*",
        ];
        for (i, given) in refused.iter().enumerate() {
            assert!(parse_origin(given).is_err(), "case {i}: {given}");
        }
    }

    #[test]
    fn the_host_must_name_the_agent_on_its_port() {
        let table = [
            ("127.0.0.1:47311", true),
            ("localhost:47311", true),
            ("LOCALHOST:47311", true),
            ("127.0.0.1:47312", false),
            ("127.0.0.1", false),
            ("localhost", false),
            ("evil.example:47311", false),
            ("127.0.0.2:47311", false),
            ("[::1]:47311", false),
            ("127.0.0.1:47311.evil.example", false),
        ];
        for (i, (host, want)) in table.iter().enumerate() {
            let value = HeaderValue::from_str(host).unwrap();
            assert_eq!(is_own_host(Some(&value), 47311), *want, "case {i}: {host}");
        }
        assert!(!is_own_host(None, 47311));
    }

    #[test]
    fn the_pairing_header_is_scheme_then_code() {
        let table = [
            ("Pairing abc", Some("abc")),
            ("pairing  abc ", Some("abc")),
            ("PAIRING abc", Some("abc")),
            ("Bearer abc", None),
            ("Pairing", None),
            ("Pairing ", None),
            ("abc", None),
        ];
        for (i, (value, want)) in table.iter().enumerate() {
            let value = HeaderValue::from_str(value).unwrap();
            assert_eq!(pairing_presented(Some(&value)), *want, "case {i}");
        }
    }

    #[test]
    fn checks_run_host_then_origin_then_pairing() {
        let g = guard();
        let code = format!("Pairing {}", g.code.reveal());
        let good = [
            ("host", "127.0.0.1:47311"),
            ("origin", "https://registry.test"),
        ];
        let check = |pairs: &[(&'static str, &str)], method: Method| {
            g.check(&method, &headers(pairs)).err().map(|e| e.code)
        };
        let with_code = [good[0], good[1], ("authorization", code.as_str())];
        assert_eq!(check(&with_code, Method::POST), None);
        assert_eq!(
            check(&good, Method::OPTIONS),
            None,
            "a preflight needs no code"
        );
        assert_eq!(check(&good, Method::GET), Some(Code::PairingRequired));
        let wrong = [
            good[0],
            good[1],
            ("authorization", "Pairing aaaaaaaaaaaaaaaaaaaaaaaaaa"),
        ];
        assert_eq!(check(&wrong, Method::GET), Some(Code::PairingRequired));
        let other_origin = [
            good[0],
            ("origin", "https://registry.test.evil"),
            with_code[2],
        ];
        assert_eq!(check(&other_origin, Method::GET), Some(Code::OriginRefused));
        let slash = [good[0], ("origin", "https://registry.test/"), with_code[2]];
        assert_eq!(check(&slash, Method::GET), Some(Code::OriginRefused));
        let no_origin = [good[0], with_code[2]];
        assert_eq!(check(&no_origin, Method::GET), Some(Code::OriginRefused));
        let two_origins = [good[0], good[1], good[1], with_code[2]];
        assert_eq!(check(&two_origins, Method::GET), Some(Code::OriginRefused));
        let rebound = [("host", "evil.example:47311"), good[1], with_code[2]];
        assert_eq!(check(&rebound, Method::GET), Some(Code::HostRefused));
        assert_eq!(
            check(&[good[1]], Method::OPTIONS),
            Some(Code::HostRefused),
            "no Host"
        );
    }

    #[test]
    fn a_preflight_allows_private_network_access_only_when_asked() {
        let asked = preflight(&headers(&[(REQUEST_PRIVATE_NETWORK, "true")]));
        assert_eq!(asked.status(), StatusCode::NO_CONTENT);
        assert_eq!(asked.headers()[ALLOW_PRIVATE_NETWORK], "true");
        assert_eq!(asked.headers()[ACCESS_CONTROL_MAX_AGE], "600");
        let plain = preflight(&HeaderMap::new());
        assert!(plain.headers().get(ALLOW_PRIVATE_NETWORK).is_none());
    }
}
