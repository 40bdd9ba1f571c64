//! Two registry instances on one PostgreSQL database (separate pools, as two server processes
//! behind a load balancer) racing for the same rows: the last dispensings of an authorisation,
//! one idempotency key retried at once, offline dispensings synced at once beyond the count
//! (all recorded, the excess flagged) and retried at once, and two registrars issuing a card
//! for one patient.
//! PostgreSQL only: SQLite has a single writer, so there is no race to test there.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::support::{medicine_body, patient_body, tumour_body, Staff, TestApp};
use axum::http::{Method, StatusCode};
use registry_server::db::Backend;
use serde_json::{json, Value};
use tokio::sync::Barrier;

/// Two instances on one fresh database, staff, and a second pharmacist and registrar.
struct Cluster {
    apps: [Arc<TestApp>; 2],
    staff: Staff,
    pharmacists: [String; 2],
    registrars: [String; 2],
}

impl Cluster {
    /// None when PostgreSQL is not configured (see [`testkit::postgres_url`]: a failure
    /// when the real stack is required).
    async fn start() -> Option<Cluster> {
        testkit::postgres_url()?;
        let first = TestApp::new(Backend::Postgres).await;
        let second = TestApp::on(first.db_options.clone(), false).await;
        let staff = Staff::hire(&first).await;
        let pharmacists = [
            staff.pharmacist.clone(),
            first.user("pharmacist", "LY-BEN-PH1").await,
        ];
        let registrars = [
            staff.registrar.clone(),
            first.user("registrar", "LY-BEN-PED").await,
        ];
        Some(Cluster {
            apps: [Arc::new(first), Arc::new(second)],
            staff,
            pharmacists,
            registrars,
        })
    }

    fn first(&self) -> &TestApp {
        &self.apps[0]
    }

    /// A patient with a tumour and an authorisation, and an active card: (patient, auth, serial).
    async fn patient_with_card(
        &self,
        national: &str,
        dispensings: u32,
        interval: u32,
    ) -> (String, u64, String) {
        let app = self.first();
        let (status, p) = app
            .call(
                Method::POST,
                "/api/v1/patients",
                &self.staff.registrar,
                Some(patient_body(national)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{p}");
        let patient = p["patient"]["id"].as_str().unwrap().to_string();
        let (status, t) = app
            .call(
                Method::POST,
                &format!("/api/v1/patients/{patient}/tumours"),
                &self.staff.clinician,
                Some(tumour_body()),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{t}");
        let auth = self.authorise(&patient, dispensings, interval).await;
        let (status, card) = app
            .call(
                Method::POST,
                &format!("/api/v1/patients/{patient}/cards"),
                &self.staff.registrar,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{card}");
        let serial = card["serial"].as_str().unwrap().to_string();
        (patient, auth, serial)
    }

    async fn authorise(&self, patient: &str, dispensings: u32, interval: u32) -> u64 {
        let (status, m) = self
            .first()
            .call(
                Method::POST,
                &format!("/api/v1/patients/{patient}/medicines"),
                &self.staff.clinician,
                Some(medicine_body(dispensings, interval)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{m}");
        m["id"].as_str().unwrap().parse().unwrap()
    }

    async fn count(&self, sql: &str, bind: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sql)
            .bind(bind)
            .fetch_one(&self.first().state.db.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        n
    }

    async fn dispensing_counts(&self, auth: u64) -> (i64, i64) {
        let auth = i64::try_from(auth).unwrap();
        let (rows,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM dispensings WHERE authorisation_id = $1")
                .bind(auth)
                .fetch_one(&self.first().state.db.pool)
                .await
                .unwrap();
        let (counter,): (i64,) =
            sqlx::query_as("SELECT dispensed_count FROM medicine_authorisations WHERE id = $1")
                .bind(auth)
                .fetch_one(&self.first().state.db.pool)
                .await
                .unwrap();
        (rows, counter)
    }

    /// The audit chain is still one unbroken chain after the race.
    async fn assert_audit_intact(&self) {
        let (status, report) = self
            .first()
            .call(
                Method::GET,
                "/api/v1/audit/verify",
                &self.staff.auditor,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(
            report["intact"], true,
            "audit chain after the race: {report}"
        );
    }
}

/// One request of a race: the instance, method, URI, token and body.
type Request = (Arc<TestApp>, Method, String, String, Option<Value>);

/// Fires all `requests` at once (after a barrier), each on its instance with its token.
async fn race(requests: Vec<Request>) -> Vec<(StatusCode, Value)> {
    let barrier = Arc::new(Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|(app, method, uri, token, body)| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                app.call(method, &uri, &token, body).await
            })
        })
        .collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

/// `status code` → how many, and the first one's detail, for failure messages.
fn tally(results: &[(StatusCode, Value)]) -> BTreeMap<String, (usize, String)> {
    let mut tally = BTreeMap::new();
    for (status, body) in results {
        let code = body["code"].as_str().unwrap_or("-");
        let detail = body["detail"].as_str().unwrap_or("").to_string();
        tally
            .entry(format!("{} {code}", status.as_u16()))
            .or_insert((0, detail))
            .0 += 1;
    }
    tally
}

fn dispense(key: &str, serial: &str, auth: u64) -> Value {
    json!({"idempotency_key": key, "card_serial": serial, "authorisation_id": auth, "quantity": 30})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_pharmacies_race_for_five_dispensings() {
    let Some(c) = Cluster::start().await else {
        return;
    };
    let (_, auth, serial) = c.patient_with_card("219730412345", 5, 0).await;
    let requests = (0..40)
        .map(|i| {
            (
                c.apps[i % 2].clone(),
                Method::POST,
                "/api/v1/dispensings".to_string(),
                c.pharmacists[i % 2].clone(),
                Some(dispense(&format!("race-key-{i:03}"), &serial, auth)),
            )
        })
        .collect();
    let results = race(requests).await;
    let tally = tally(&results);
    let created = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let over_count = results
        .iter()
        .filter(|(s, b)| *s == StatusCode::CONFLICT && b["code"] == "over_count")
        .count();
    // Safety (at most 5 dispensings) and the refusal code, in one assertion so a failure shows
    // both: (201s, over_count 409s, dispensing rows, dispensed_count).
    let (rows, counter) = c.dispensing_counts(auth).await;
    assert_eq!(
        (created, over_count, rows, counter),
        (5, 35, 5, 5),
        "(201s, over_count refusals, dispensing rows, dispensed_count); outcomes: {tally:?}"
    );
    c.assert_audit_intact().await;
}

/// 20 copies of one request (one idempotency key) at once, across both instances, against a
/// fresh authorisation of `dispensings` dispensings `interval` days apart.
async fn one_key_retried_at_once(dispensings: u32, interval: u32) {
    let Some(c) = Cluster::start().await else {
        return;
    };
    let (_, auth, serial) = c
        .patient_with_card("219730412345", dispensings, interval)
        .await;
    let body = dispense("the-one-retried-key", &serial, auth);
    let requests = (0..20)
        .map(|i| {
            (
                c.apps[i % 2].clone(),
                Method::POST,
                "/api/v1/dispensings".to_string(),
                c.pharmacists[0].clone(),
                Some(body.clone()),
            )
        })
        .collect();
    let results = race(requests).await;
    let tally = tally(&results);
    for (status, resp) in &results {
        let fine = *status == StatusCode::CREATED
            || (*status == StatusCode::OK && resp["replayed"] == true);
        assert!(
            fine,
            "a retry got {status} {resp} (dispensings {dispensings}, interval {interval} \
             days); outcomes: {tally:?}"
        );
    }
    let created = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "outcomes: {tally:?}");
    let ids: std::collections::BTreeSet<&str> = results
        .iter()
        .map(|(_, r)| r["dispensing"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "different dispensing ids: {ids:?}");
    assert_eq!(
        c.dispensing_counts(auth).await,
        (1, 1),
        "(rows, dispensed_count)"
    );
    c.assert_audit_intact().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_idempotency_key_retried_at_once_records_one_dispensing() {
    one_key_retried_at_once(5, 0).await;
}

/// The same with a usual prescription (monthly dispensings): the retries must still converge
/// on the first result, not be refused as too soon.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_idempotency_key_retried_at_once_on_a_monthly_authorisation() {
    one_key_retried_at_once(6, 28).await;
}

fn offline(key: &str, serial: &str, auth: u64, at: i64) -> Value {
    json!({"idempotency_key": key, "card_serial": serial, "authorisation_id": auth,
        "quantity": 30, "offline_at": at})
}

/// Dispensing rows of an authorisation with each conflict code (`-` for none).
async fn conflicts_of(c: &Cluster, auth: u64) -> BTreeMap<String, i64> {
    let rows: Vec<(Option<String>, i64)> = sqlx::query_as(
        "SELECT conflict, COUNT(*) FROM dispensings WHERE authorisation_id = $1 \
         GROUP BY conflict",
    )
    .bind(i64::try_from(auth).unwrap())
    .fetch_all(&c.first().state.db.pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(code, n)| (code.unwrap_or_else(|| "-".into()), n))
        .collect()
}

/// Two offline pharmacies' queues arriving at once, through both instances: 20 dispensings
/// handed out against an authorisation of 5. Every one is recorded (the medicine is gone),
/// exactly 15 are flagged `over_count`, and the counter says 20.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_offline_dispensings_for_five_are_all_recorded_fifteen_flagged() {
    let Some(c) = Cluster::start().await else {
        return;
    };
    let (_, auth, serial) = c.patient_with_card("219730412345", 5, 0).await;
    for app in &c.apps {
        app.state.clock.advance(86_400);
    }
    let start = c.first().state.clock.now() - 86_400;
    let requests = (0..20)
        .map(|i| {
            (
                c.apps[i % 2].clone(),
                Method::POST,
                "/api/v1/dispensings".to_string(),
                c.pharmacists[i % 2].clone(),
                Some(offline(
                    &format!("offline-race-{i:03}"),
                    &serial,
                    auth,
                    start + 3600 + i64::try_from(i).unwrap() * 60,
                )),
            )
        })
        .collect();
    let results = race(requests).await;
    let tally = tally(&results);
    let created = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let flagged = results
        .iter()
        .filter(|(s, b)| *s == StatusCode::CREATED && b["conflict"] == "over_count")
        .count();
    let (rows, counter) = c.dispensing_counts(auth).await;
    assert_eq!(
        (created, flagged, rows, counter),
        (20, 15, 20, 20),
        "(201s, flagged over_count, dispensing rows, dispensed_count); outcomes: {tally:?}"
    );
    let by_code = conflicts_of(&c, auth).await;
    assert_eq!(
        by_code,
        BTreeMap::from([("-".to_string(), 5), ("over_count".to_string(), 15)]),
        "rows by conflict"
    );
    // Each response's count is the count with it: 1 to 20, each once.
    let mut counts: Vec<i64> = results
        .iter()
        .map(|(_, b)| b["dispensed_count"].as_i64().unwrap())
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=20).collect::<Vec<i64>>(), "counts seen");
    let (status, list) = c
        .first()
        .call(
            Method::GET,
            "/api/v1/dispensings/conflicts?limit=1000",
            &c.staff.auditor,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 15, "review list");
    c.assert_audit_intact().await;
}

/// Online and offline dispensings of one authorisation of 5 at once, across both instances:
/// the online ones still never go beyond the count, the offline ones are all recorded, and
/// exactly 5 dispensings (online or offline) are within the count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_and_offline_at_once_keep_the_count_exact() {
    let Some(c) = Cluster::start().await else {
        return;
    };
    let (_, auth, serial) = c.patient_with_card("219730412345", 5, 0).await;
    for app in &c.apps {
        app.state.clock.advance(86_400);
    }
    let at = c.first().state.clock.now() - 3600;
    let requests = (0..20)
        .map(|i| {
            let body = if i % 2 == 0 {
                dispense(&format!("mixed-online-{i:03}"), &serial, auth)
            } else {
                offline(&format!("mixed-offline-{i:03}"), &serial, auth, at)
            };
            (
                c.apps[(i / 2) % 2].clone(),
                Method::POST,
                "/api/v1/dispensings".to_string(),
                c.pharmacists[i % 2].clone(),
                Some(body),
            )
        })
        .collect();
    let results = race(requests).await;
    let tally = tally(&results);
    let (mut online_created, mut online_over_count, mut offline_clean, mut offline_flagged) =
        (0, 0, 0, 0);
    for (i, (status, body)) in results.iter().enumerate() {
        match (
            i % 2,
            *status,
            body["code"].as_str(),
            body["conflict"].as_str(),
        ) {
            (0, StatusCode::CREATED, _, None) => online_created += 1,
            (0, StatusCode::CONFLICT, Some("over_count"), _) => online_over_count += 1,
            (1, StatusCode::CREATED, _, None) => offline_clean += 1,
            (1, StatusCode::CREATED, _, Some("over_count")) => offline_flagged += 1,
            _ => panic!("request {i}: {status} {body}; outcomes: {tally:?}"),
        }
    }
    let (rows, counter) = c.dispensing_counts(auth).await;
    assert_eq!(
        (
            online_created + offline_clean,
            offline_clean + offline_flagged
        ),
        (5, 10),
        "(within the count, offline recorded); outcomes: {tally:?}"
    );
    assert_eq!(online_created + online_over_count, 10, "{tally:?}");
    assert_eq!(
        (rows, counter),
        (10 + online_created, 10 + online_created),
        "(rows, dispensed_count); outcomes: {tally:?}"
    );
    c.assert_audit_intact().await;
}

/// 20 copies of one offline item (one idempotency key) at once, across both instances, for
/// an authorisation already used up: one dispensing recorded, flagged, and every copy gets
/// that result with its conflict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_offline_item_retried_at_once_records_one_dispensing() {
    let Some(c) = Cluster::start().await else {
        return;
    };
    let (_, auth, serial) = c.patient_with_card("219730412345", 1, 0).await;
    let (status, body) = c
        .first()
        .call(
            Method::POST,
            "/api/v1/dispensings",
            &c.pharmacists[0],
            Some(dispense("online-first-001", &serial, auth)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for app in &c.apps {
        app.state.clock.advance(86_400);
    }
    let at = c.first().state.clock.now() - 3600;
    let body = offline("the-one-offline-key", &serial, auth, at);
    let requests = (0..20)
        .map(|i| {
            (
                c.apps[i % 2].clone(),
                Method::POST,
                "/api/v1/dispensings".to_string(),
                c.pharmacists[1].clone(),
                Some(body.clone()),
            )
        })
        .collect();
    let results = race(requests).await;
    let tally = tally(&results);
    for (status, resp) in &results {
        let fine = *status == StatusCode::CREATED
            || (*status == StatusCode::OK && resp["replayed"] == true);
        assert!(fine, "a retry got {status} {resp}; outcomes: {tally:?}");
        assert_eq!(resp["conflict"], "over_count", "{resp}");
    }
    let created = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "outcomes: {tally:?}");
    let ids: std::collections::BTreeSet<&str> = results
        .iter()
        .map(|(_, r)| r["dispensing"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "different dispensing ids: {ids:?}");
    assert_eq!(
        c.dispensing_counts(auth).await,
        (2, 2),
        "(rows, dispensed_count)"
    );
    c.assert_audit_intact().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_registrars_issuing_at_once_never_leave_two_active_cards() {
    let Some(c) = Cluster::start().await else {
        return;
    };
    let (status, p) = c
        .first()
        .call(
            Method::POST,
            "/api/v1/patients",
            &c.staff.registrar,
            Some(patient_body("219730412345")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let patient = p["patient"]["id"].as_str().unwrap().to_string();
    let uri = format!("/api/v1/patients/{patient}/cards");
    let mut issued = 0;
    for round in 0..10 {
        let requests = (0..2)
            .map(|i| {
                (
                    c.apps[i].clone(),
                    Method::POST,
                    uri.clone(),
                    c.registrars[i].clone(),
                    None,
                )
            })
            .collect();
        let results = race(requests).await;
        let tally = tally(&results);
        for (status, resp) in &results {
            let fine = *status == StatusCode::CREATED
                || (*status == StatusCode::CONFLICT && resp["code"] == "concurrent_issue");
            assert!(fine, "round {round}: {status} {resp}; outcomes: {tally:?}");
        }
        let created = results
            .iter()
            .filter(|(s, _)| *s == StatusCode::CREATED)
            .count();
        assert!(created >= 1, "round {round}: nobody got a card: {tally:?}");
        issued += created;
        let sql = "SELECT COUNT(*) FROM cards WHERE patient_id = $1 AND status = 'active'";
        assert_eq!(
            c.count(sql, &patient).await,
            1,
            "round {round}: active cards; outcomes: {tally:?}"
        );
    }
    let all = c
        .count("SELECT COUNT(*) FROM cards WHERE patient_id = $1", &patient)
        .await;
    let superseded = c
        .count(
            "SELECT COUNT(*) FROM cards WHERE patient_id = $1 AND status = 'superseded' \
             AND superseded_by IS NOT NULL",
            &patient,
        )
        .await;
    assert_eq!(all, i64::try_from(issued).unwrap(), "a card row per 201");
    assert_eq!(superseded, all - 1, "every card but the last superseded");
    c.assert_audit_intact().await;
}

/// 40 dispensings (8 patients, 5 each) and 10 receipts of one medicine at one pharmacy, all
/// at once across both instances: the ledger's balance is what was received minus what was
/// dispensed, no batch ever went below zero, every dispensing the stock could not cover was
/// refused `out_of_stock` and recorded as a stock-out event, and the ledger replayed gives
/// the stock kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_dispensings_and_ten_receipts_race_on_one_shelf() {
    let Some(c) = Cluster::start().await else {
        return;
    };
    let mut cards = Vec::new();
    for p in 0..8 {
        let (_, auth, serial) = c.patient_with_card(&format!("2197304{p:05}"), 5, 0).await;
        cards.push((auth, serial));
    }
    let medicine = json!({"atc": "L02BA01", "strength": "20 mg", "form": "tablet"});
    let receipt = |key: String, lot: &str, quantity: u64| {
        let mut body = medicine.clone();
        body["idempotency_key"] = json!(key);
        body["lot"] = json!(lot);
        body["expiry"] = json!(if lot == "R-0" {
            "2027-03-31"
        } else {
            "2027-06-30"
        });
        body["quantity"] = json!(quantity);
        body
    };
    // The pharmacy keeps stock from this opening receipt on.
    let (status, opening) = c
        .first()
        .call(
            Method::POST,
            "/api/v1/stock/receipts",
            &c.pharmacists[0],
            Some(receipt("opening-001".into(), "R-0", 30)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{opening}");
    let mut requests: Vec<Request> = (0..40)
        .map(|i| {
            let (auth, serial) = &cards[i / 5];
            (
                c.apps[i % 2].clone(),
                Method::POST,
                "/api/v1/dispensings".to_string(),
                c.pharmacists[i % 2].clone(),
                Some(dispense(&format!("shelf-key-{i:03}"), serial, *auth)),
            )
        })
        .collect();
    for i in 0..10 {
        requests.push((
            c.apps[i % 2].clone(),
            Method::POST,
            "/api/v1/stock/receipts".to_string(),
            c.pharmacists[(i + 1) % 2].clone(),
            Some(receipt(
                format!("receipt-{i:03}"),
                &format!("R-{}", i % 2),
                60,
            )),
        ));
    }
    let results = race(requests).await;
    let tally = tally(&results);
    let (dispensings, receipts) = results.split_at(40);
    let created = dispensings
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let out_of_stock = dispensings
        .iter()
        .filter(|(s, b)| *s == StatusCode::CONFLICT && b["code"] == "out_of_stock")
        .count();
    let received = receipts
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(
        (created + out_of_stock, received),
        (40, 10),
        "every dispensing recorded or refused for stock, every receipt recorded: {tally:?}"
    );
    let db = &c.first().state.db.pool;
    let (on_hand,): (i64,) = sqlx::query_as(
        "SELECT on_hand FROM stock_items WHERE facility_code = 'LY-BEN-PH1' AND atc = 'L02BA01'",
    )
    .fetch_one(db)
    .await
    .unwrap();
    let created = i64::try_from(created).unwrap();
    assert_eq!(on_hand, 30 + 600 - 30 * created, "received minus dispensed");
    let ledger: Vec<(i64, String, i64, i64, String, i64)> = sqlx::query_as(
        "SELECT seq, movement, quantity, balance, lot, expiry FROM stock_ledger \
         WHERE facility_code = 'LY-BEN-PH1' ORDER BY seq",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let seqs: Vec<i64> = ledger.iter().map(|e| e.0).collect();
    assert_eq!(
        seqs,
        (1..=i64::try_from(ledger.len()).unwrap()).collect::<Vec<_>>()
    );
    assert!(ledger.iter().all(|e| e.3 >= 0), "a batch went below zero");
    let dispensed: i64 = ledger
        .iter()
        .filter(|e| e.1 == "dispensing")
        .map(|e| -e.2)
        .sum();
    assert_eq!(dispensed, 30 * created);
    // The pure ledger, replaying the entries in order, agrees with the stock kept.
    let entries: Vec<registry_server::domain::supply::Entry> = ledger
        .iter()
        .map(
            |(_, movement, quantity, _, lot, expiry)| registry_server::domain::supply::Entry {
                movement: match movement.as_str() {
                    "receipt" => registry_server::domain::supply::Movement::Receipt,
                    "dispensing" => registry_server::domain::supply::Movement::Dispensing,
                    other => panic!("unexpected movement {other}"),
                },
                quantity: *quantity,
                batch: lot.clone(),
                expiry: card_format::model::Date(i32::try_from(*expiry).unwrap()),
            },
        )
        .collect();
    assert_eq!(
        registry_server::domain::supply::ledger::balance(&entries).unwrap(),
        u64::try_from(on_hand).unwrap()
    );
    let (refusals,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM stock_outs WHERE kind = 'refused'")
            .fetch_one(db)
            .await
            .unwrap();
    assert_eq!(
        refusals,
        i64::try_from(out_of_stock).unwrap(),
        "every refusal recorded"
    );
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM dispensings")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(rows, created, "a refused dispensing leaves no row");
    c.assert_audit_intact().await;
}
