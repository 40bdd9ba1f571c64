//! `card-agent serve` as a desk runs it: the real binary on a loopback port, driven over
//! HTTP with `ureq` as the registry's page would drive it with `fetch`, writing and reading
//! the virtual card through the real pcscd (tests/agent/support.rs). The slot is
//! `CARD_AGENT_TEST_VPCD_PORT` (default 35964, "Virtual PCD 00 01").

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{temp_dir, Slot};
use card_format::error::Object;
use data_encoding::BASE64;
use serde_json::Value;

/// The registry origin the tests configure.
const ORIGIN: &str = "https://registry.test";
/// The vectors' verification time (fixtures/vectors/manifest.json): 2026-06-01.
const NOW: &str = "1780272000";

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/vectors")
}

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(path)
}

/// A vector's signed bytes (QR text or hex), with the issuer certificate embedded, as the
/// registry hands a card to its page for a smart card.
fn card_with_certificate(vector: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(vectors().join(vector)).unwrap();
    let bytes = if vector.ends_with(".qr.txt") {
        card_format::qr::decode(text.trim()).unwrap()
    } else {
        hex::decode(text.trim()).unwrap()
    };
    let cert = hex::decode(
        std::fs::read_to_string(fixture("trust/issuer-benghazi.cert.hex"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    card_format::cose::set_certificate(&bytes, Some(&cert), Object::Card).unwrap()
}

fn write_body(card: &[u8]) -> Vec<u8> {
    serde_json::json!({ "card": BASE64.encode(card) })
        .to_string()
        .into_bytes()
}

/// An HTTP answer.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: ureq::http::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status and the error code, and that it is one English sentence.
    fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        let v = self.json();
        assert_eq!(v["error"], code, "{v}");
        let message = v["message"].as_str().unwrap();
        assert!(message.ends_with('.'), "{message}");
        assert!(message.starts_with(char::is_uppercase), "{message}");
    }
}

/// A running `card-agent serve`, stopped (SIGKILL) on drop.
struct Serve {
    child: Child,
    port: u16,
    code: String,
    stderr: Arc<Mutex<Vec<String>>>,
    agent: ureq::Agent,
}

/// How a `serve` start ended when it did not come up.
#[derive(Debug)]
struct Refused {
    code: Option<i32>,
    stderr: String,
}

impl Serve {
    /// `card-agent --home HOME serve --origin O --port P --reader R --root --bundle --now
    /// <args>`; waits for its start lines.
    fn try_start(
        home: &Path,
        reader: &str,
        (origin, port): (&str, &str),
        args: &[&str],
    ) -> Result<Serve, Refused> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_card-agent"))
            .arg("--home")
            .arg(home)
            .args([
                "serve", "--origin", origin, "--port", port, "--reader", reader,
            ])
            .arg("--root")
            .arg(vectors().join("root.pub.pem"))
            .arg("--bundle")
            .arg(vectors().join("trust-bundle.cose.hex"))
            .args(["--now", NOW])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let lines: Receiver<String> = {
            let (tx, rx) = mpsc::channel();
            let pipe = child.stderr.take().unwrap();
            let sink = Arc::clone(&stderr);
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    sink.lock().unwrap().push(line.clone());
                    let _ = tx.send(line);
                }
            });
            rx
        };
        let (mut port, mut code) = (None, None);
        let deadline = Instant::now() + Duration::from_secs(20);
        while port.is_none() || code.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = lines.recv_timeout(left) else {
                let status = child.wait().unwrap();
                return Err(Refused {
                    code: status.code(),
                    stderr: stderr.lock().unwrap().join("\n"),
                });
            };
            if let Some(rest) =
                line.strip_prefix("card-agent serve: listening on http://127.0.0.1:")
            {
                port = rest.split(' ').next().and_then(|p| p.parse().ok());
            }
            if let Some(rest) = line.strip_prefix("card-agent serve: pairing code ") {
                code = rest.split(' ').next().map(str::to_string);
            }
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .new_agent();
        Ok(Serve {
            child,
            port: port.unwrap(),
            code: code.unwrap(),
            stderr,
            agent,
        })
    }

    fn start(home: &Path, reader: &str, args: &[&str]) -> Serve {
        Serve::try_start(home, reader, (ORIGIN, "0"), args)
            .unwrap_or_else(|r| panic!("serve did not start: {r:?}"))
    }

    /// The headers the paired registry page sends.
    fn page_headers(&self) -> Vec<(String, String)> {
        vec![
            ("Origin".into(), ORIGIN.into()),
            ("Authorization".into(), format!("Pairing {}", self.code)),
        ]
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: Option<Vec<u8>>,
    ) -> Reply {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("http://127.0.0.1:{}{path}", self.port));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = match body {
            Some(body) => self.agent.run(
                request
                    .header("Content-Type", "application/json")
                    .body(body)
                    .unwrap(),
            ),
            None => self.agent.run(request.body(()).unwrap()),
        };
        let mut response = response.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.body_mut().read_to_string().unwrap(),
        }
    }

    /// A request as the paired page sends it.
    fn page(&self, method: &str, path: &str, body: Option<Vec<u8>>) -> Reply {
        self.send(method, path, &self.page_headers(), body)
    }

    fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// SIGTERM, as a desk's service manager stops it; its exit status.
    fn stop(mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn reader_of(slot: &Slot) -> String {
    slot.reader().to_str().unwrap().to_string()
}

/// The serial a vector verifies to.
fn serial_of(vector: &str) -> String {
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(vectors().join("manifest.json")).unwrap())
            .unwrap();
    let entry = manifest["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["input"] == vector)
        .unwrap();
    entry["expect"]["serial"].as_str().unwrap().to_string()
}

#[test]
fn hello_then_a_card_written_and_read_back_verified() {
    let slot = Slot::lock();
    let home = temp_dir("serve-roundtrip");
    let reader = reader_of(&slot);
    let _card = slot.start_card(&[]);
    let serve = Serve::start(&home, &reader, &[]);

    let hello = serve.page("GET", "/v1/hello", None);
    assert_eq!(hello.status, 200, "{}", hello.body);
    assert_eq!(hello.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(hello.header("vary"), Some("Origin"));
    assert_eq!(hello.header("cache-control"), Some("no-store"));
    let v = hello.json();
    assert_eq!(v["agent"], "card-agent");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        v["readers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == reader.as_str()),
        "{v}"
    );
    assert_eq!(v["reader"], reader.as_str());
    assert_eq!(v["card_present"], true);

    let card = card_with_certificate("valid-adult.qr.txt");
    let written = serve.page("POST", "/v1/card/write", Some(write_body(&card)));
    assert_eq!(written.status, 200, "{}", written.body);
    let w = written.json();
    assert_eq!(w["serial"], serial_of("valid-adult.qr.txt").as_str());
    assert_eq!(w["bytes"], card.len());
    assert_eq!(w["reader"], reader.as_str());

    // `localhost:<port>` is the agent too; an empty body and `{}` both read.
    let mut headers = serve.page_headers();
    headers.push(("Host".into(), format!("localhost:{}", serve.port)));
    let read = serve.send("POST", "/v1/card/read", &headers, Some(b"{}".to_vec()));
    assert_eq!(read.status, 200, "{}", read.body);
    let r = read.json();
    assert_eq!(r["status"], "valid", "{r}");
    assert_eq!(r["serial"], w["serial"]);
    assert_eq!(r["expires"].as_str().unwrap().len(), 10, "{r}");
    assert_eq!(
        BASE64
            .decode(r["card"].as_str().unwrap().as_bytes())
            .unwrap(),
        card
    );
    assert_eq!(r["summary"]["patient"]["name_latin"][0], "Fatima", "{r}");
    let again = serve.page("POST", "/v1/card/read", None);
    assert_eq!(again.json()["serial"], w["serial"]);

    // The summary is the one `card-agent read --json` shows.
    let out = Command::new(env!("CARGO_BIN_EXE_card-agent"))
        .arg("--home")
        .arg(&home)
        .args([
            "read", "--json", "--reader", &reader, "--now", NOW, "--root",
        ])
        .arg(vectors().join("root.pub.pem"))
        .arg("--bundle")
        .arg(vectors().join("trust-bundle.cose.hex"))
        .output()
        .unwrap();
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cli["summary"], r["summary"]);

    // Two pages writing at once: card operations run one after the other (the card is held
    // exclusively during a write, so an overlapping second write would find it busy).
    let paediatric = card_with_certificate("valid-paediatric.qr.txt");
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| serve.page("POST", "/v1/card/write", Some(write_body(&paediatric))));
        let b = s.spawn(|| serve.page("POST", "/v1/card/write", Some(write_body(&card))));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!((a.status, b.status), (200, 200), "{} {}", a.body, b.body);
    let last = serve.page("POST", "/v1/card/read", None).json();
    assert_eq!(last["status"], "valid", "{last}");
    assert!(last["serial"] == a.json()["serial"] || last["serial"] == b.json()["serial"]);

    // The log names method, path, status and duration, and nothing of the card or the code.
    let log = serve.stderr();
    assert!(
        log.iter()
            .any(|l| l.starts_with("card-agent serve: POST /v1/card/write 200 ")),
        "{log:?}"
    );
    for line in log
        .iter()
        .filter(|l| !l.starts_with("card-agent serve: pairing code"))
    {
        assert!(!line.contains(&serve.code), "{line}");
        assert!(!line.contains("Fatima") && !line.contains("Y6XC"), "{line}");
    }
}

#[test]
fn refused_requests_leave_the_card_as_it_was() {
    let slot = Slot::lock();
    let home = temp_dir("serve-refusals");
    let reader = reader_of(&slot);
    let _card = slot.start_card(&[]);
    let serve = Serve::start(&home, &reader, &[]);
    let adult = card_with_certificate("valid-adult.qr.txt");
    assert_eq!(
        serve
            .page("POST", "/v1/card/write", Some(write_body(&adult)))
            .status,
        200
    );
    let other = write_body(&card_with_certificate("valid-paediatric.qr.txt"));
    let without = |name: &str| -> Vec<(String, String)> {
        serve
            .page_headers()
            .into_iter()
            .filter(|(n, _)| n != name)
            .collect()
    };
    let with = |name: &str, value: &str| -> Vec<(String, String)> {
        let mut h = without(name);
        h.push((name.to_string(), value.to_string()));
        h
    };

    // Another web page, or none: 403, and nothing that page could read (no CORS header).
    for (i, origin) in [
        "https://evil.test",
        "https://registry.test/",
        "http://registry.test",
    ]
    .iter()
    .enumerate()
    {
        let r = serve.send(
            "POST",
            "/v1/card/write",
            &with("Origin", origin),
            Some(other.clone()),
        );
        r.assert_error(403, "origin_refused");
        assert_eq!(r.header("access-control-allow-origin"), None, "case {i}");
    }
    serve
        .send(
            "POST",
            "/v1/card/write",
            &without("Origin"),
            Some(other.clone()),
        )
        .assert_error(403, "origin_refused");
    // DNS rebinding: a hostile name pointed at 127.0.0.1.
    serve
        .send(
            "POST",
            "/v1/card/write",
            &with("Host", &format!("evil.test:{}", serve.port)),
            Some(other.clone()),
        )
        .assert_error(403, "host_refused");
    // The registry's page, not paired: 401, readable by the page so it can ask for the code.
    let r = serve.send(
        "POST",
        "/v1/card/write",
        &without("Authorization"),
        Some(other.clone()),
    );
    r.assert_error(401, "pairing_required");
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
    for (i, value) in [
        "Pairing aaaaaaaaaaaaaaaaaaaaaaaaaa",
        "Bearer x",
        &serve.code.clone(),
    ]
    .iter()
    .enumerate()
    {
        let r = serve.send("POST", "/v1/card/read", &with("Authorization", value), None);
        assert_eq!(r.status, 401, "case {i}");
    }
    // Bodies that are not a card.
    let bad_bodies: [(&str, Vec<u8>); 5] = [
        ("malformed JSON", b"{\"card\": ".to_vec()),
        ("no card field", b"{\"cards\": \"AAAA\"}".to_vec()),
        ("bad base64", b"{\"card\": \"not base64!\"}".to_vec()),
        ("unpadded base64", b"{\"card\": \"AAA\"}".to_vec()),
        ("over 64 KiB", {
            let mut big = b"{\"card\": \"".to_vec();
            big.extend(std::iter::repeat_n(b'A', 70_000));
            big.extend(b"\"}");
            big
        }),
    ];
    for (what, body) in bad_bodies {
        let r = serve.page("POST", "/v1/card/write", Some(body));
        assert_eq!(r.status, 400, "{what}: {}", r.body);
        r.assert_error(400, "bad_request");
    }
    serve
        .page("POST", "/v1/card/read", Some(b"[1]".to_vec()))
        .assert_error(400, "bad_request");
    // Signed cards that must not be written: tampered, revoked, expired.
    let tampered = card_with_certificate("bad-signature.cose.hex");
    let r = serve.page("POST", "/v1/card/write", Some(write_body(&tampered)));
    r.assert_error(422, "invalid_card");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("bad_signature"),
        "{}",
        r.body
    );
    serve
        .page(
            "POST",
            "/v1/card/write",
            Some(write_body(&card_with_certificate("revoked.qr.txt"))),
        )
        .assert_error(422, "revoked");
    serve
        .page(
            "POST",
            "/v1/card/write",
            Some(write_body(&card_with_certificate("expired.qr.txt"))),
        )
        .assert_error(422, "invalid_card");
    serve
        .page("GET", "/v1/nothing", None)
        .assert_error(404, "not_found");
    serve
        .page("GET", "/v1/card/write", None)
        .assert_error(404, "not_found");

    // The card still holds the first card, complete and valid.
    let r = serve.page("POST", "/v1/card/read", None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "valid");
    assert_eq!(r.json()["serial"], serial_of("valid-adult.qr.txt").as_str());
}

#[test]
fn a_preflight_from_the_registry_gets_cors_and_private_network_access() {
    crate::support::ensure_pcscd();
    let home = temp_dir("serve-preflight");
    let serve = Serve::start(&home, "Virtual PCD 00 01", &[]);
    let preflight = |origin: &str, private: bool| {
        let mut h = vec![
            ("Origin".to_string(), origin.to_string()),
            ("Access-Control-Request-Method".into(), "POST".into()),
            (
                "Access-Control-Request-Headers".into(),
                "authorization, content-type".into(),
            ),
        ];
        if private {
            h.push((
                "Access-Control-Request-Private-Network".into(),
                "true".into(),
            ));
        }
        serve.send("OPTIONS", "/v1/card/write", &h, None)
    };
    let r = preflight(ORIGIN, true);
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(r.header("access-control-allow-methods"), Some("GET, POST"));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("authorization, content-type")
    );
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    assert_eq!(
        r.header("access-control-allow-private-network"),
        Some("true")
    );
    assert_eq!(r.header("vary"), Some("Origin"));
    let r = preflight(ORIGIN, false);
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-private-network"), None);
    let r = preflight("https://evil.test", true);
    r.assert_error(403, "origin_refused");
    assert_eq!(r.header("access-control-allow-private-network"), None);
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[test]
fn no_card_then_a_card_pulled_mid_write_then_incomplete_then_rewritten() {
    let slot = Slot::lock();
    let home = temp_dir("serve-pulled");
    let reader = reader_of(&slot);
    let image = temp_dir("serve-pulled-image").join("card.json");
    let image = image.to_str().unwrap();
    let serve = Serve::start(&home, &reader, &[]);
    let body = write_body(&card_with_certificate("valid-adult.qr.txt"));

    serve
        .page("POST", "/v1/card/write", Some(body.clone()))
        .assert_error(409, "no_card");
    serve
        .page("POST", "/v1/card/read", None)
        .assert_error(409, "no_card");
    let hello = serve.page("GET", "/v1/hello", None).json();
    assert_eq!(hello["card_present"], false, "{hello}");
    {
        // The 11th command on a blank card is the second chunk of the body (see
        // tests/agent/smartcard.rs); the card is pulled out then.
        let mut card = slot.start_card(&["--image", image, "--remove-at", "11"]);
        serve
            .page("POST", "/v1/card/write", Some(body.clone()))
            .assert_error(500, "write_failed");
        card.wait_exit(Duration::from_secs(5))
            .expect("the card left");
    }
    let _card = slot.start_card(&["--image", image]);
    serve
        .page("POST", "/v1/card/read", None)
        .assert_error(409, "incomplete");
    assert_eq!(serve.page("POST", "/v1/card/write", Some(body)).status, 200);
    let r = serve.page("POST", "/v1/card/read", None).json();
    assert_eq!(r["status"], "valid", "{r}");
}

#[test]
fn revoked_and_expired_cards_read_with_their_status_and_reason() {
    let slot = Slot::lock();
    let home = temp_dir("serve-status");
    let reader = reader_of(&slot);
    let _card = slot.start_card(&[]);
    let serve = Serve::start(&home, &reader, &[]);
    // Cards this agent refuses to write, put on the card by another program.
    let put = |vector: &str| {
        let mut card = card_agent::card::pcsc_reader::PcscCard::connect(&reader, true).unwrap();
        card_agent::card::layout::write_card(&mut card, &card_with_certificate(vector)).unwrap();
    };
    put("revoked.qr.txt");
    let r = serve.page("POST", "/v1/card/read", None);
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["status"], "revoked", "{v}");
    assert_eq!(v["reason"], "lost", "{v}");
    assert_eq!(v["warnings"], serde_json::json!([]), "{v}");
    assert_eq!(v["summary"]["patient"]["name_latin"][0], "Fatima", "{v}");
    assert_eq!(v["serial"].as_str().unwrap().len(), 19, "{v}");

    put("expired.qr.txt");
    let v = serve.page("POST", "/v1/card/read", None).json();
    assert_eq!(v["status"], "expired", "{v}");
    assert_eq!(v["reason"], "expired", "{v}");
    assert_eq!(v["expires"], "2026-02-01", "{v}");
    assert!(v["message"].as_str().unwrap().contains("2026-02-01"), "{v}");

    put("bad-signature.cose.hex");
    serve
        .page("POST", "/v1/card/read", None)
        .assert_error(422, "invalid_card");
}

#[test]
fn the_pairing_code_is_0600_reused_across_restarts_and_rotated_on_request() {
    crate::support::ensure_pcscd();
    let home = temp_dir("serve-pairing");
    let file = home.join("serve-pairing-code");
    let first = Serve::start(&home, "Virtual PCD 00 01", &[]);
    let code = first.code.clone();
    assert_eq!(code.len(), 26);
    assert!(
        code.bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)),
        "{code}"
    );
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), code);
    assert_eq!(first.page("GET", "/v1/hello", None).status, 200);
    assert!(first.stop().success(), "SIGTERM ends serve with 0");

    let second = Serve::start(&home, "Virtual PCD 00 01", &[]);
    assert_eq!(second.code, code);
    assert_eq!(second.page("GET", "/v1/hello", None).status, 200);
    drop(second);

    let third = Serve::start(&home, "Virtual PCD 00 01", &["--new-pairing-code"]);
    assert_ne!(third.code, code);
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), third.code);
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(third.page("GET", "/v1/hello", None).status, 200);
    let old = vec![
        ("Origin".to_string(), ORIGIN.to_string()),
        ("Authorization".to_string(), format!("Pairing {code}")),
    ];
    third
        .send("GET", "/v1/hello", &old, None)
        .assert_error(401, "pairing_required");
}

#[test]
fn serve_listens_on_loopback_only_and_refuses_a_taken_port_or_a_bad_origin() {
    crate::support::ensure_pcscd();
    let home = temp_dir("serve-loopback");
    let serve = Serve::start(&home, "Virtual PCD 00 01", &[]);
    // The kernel's table of listening sockets: the port on 127.0.0.1 (0100007F) only.
    let listening = |table: &str| -> Vec<String> {
        let needle = format!(":{:04X}", serve.port);
        std::fs::read_to_string(table)
            .unwrap_or_default()
            .lines()
            .skip(1)
            .filter_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                (fields.len() > 3 && fields[1].ends_with(&needle) && fields[3] == "0A")
                    .then(|| fields[1].to_string())
            })
            .collect()
    };
    assert_eq!(
        listening("/proc/net/tcp"),
        [format!("0100007F:{:04X}", serve.port)]
    );
    assert!(listening("/proc/net/tcp6").is_empty());
    // And a connection to this machine's own non-loopback address is refused.
    let outward = UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("192.0.2.1:9").and_then(|()| s.local_addr()))
        .ok()
        .map(|a| a.ip())
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified());
    match outward {
        Some(ip @ IpAddr::V4(_)) => {
            let at = SocketAddr::new(ip, serve.port);
            assert!(
                TcpStream::connect_timeout(&at, Duration::from_secs(2)).is_err(),
                "{at}"
            );
        }
        _ => eprintln!("no non-loopback IPv4 address here: checked the socket table only"),
    }

    // The port taken: a clear refusal, exit code 2.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let refused = Serve::try_start(&home, "Virtual PCD 00 01", (ORIGIN, &port), &[])
        .err()
        .unwrap();
    assert_eq!(refused.code, Some(2), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("already taken"),
        "{}",
        refused.stderr
    );

    // A registry page over plain HTTP from another host could be altered on the way.
    let refused = Serve::try_start(
        &home,
        "Virtual PCD 00 01",
        ("http://registry.test", "0"),
        &[],
    )
    .err()
    .unwrap();
    assert_eq!(refused.code, Some(2), "{}", refused.stderr);
    assert!(refused.stderr.contains("plain http"), "{}", refused.stderr);
}
