//! Medicines in stock (issue #14), on SQLite and PostgreSQL: receipts, counts, adjustments,
//! transfers; dispensings and administrations drawing on the stock, refused `out_of_stock`
//! (recorded as a stock-out event) or, offline, recorded short; the ledger append-only and
//! its replay equal to the balances kept.

use crate::support::{
    backends, medicine_body, patient_body, register_patient, Staff, TestApp, START,
};
use axum::http::{Method, StatusCode};
use card_format::model::Date;
use registry_server::domain::supply::{ledger, Entry, Movement, Reason};
use serde_json::{json, Value};

const GET: Method = Method::GET;
const POST: Method = Method::POST;
const PHARMACY: &str = "LY-BEN-PH1";

/// Tamoxifen 20 mg tablets, as `medicine_body` authorises them.
fn tamoxifen() -> Value {
    json!({"atc": "L02BA01", "strength": "20 mg", "form": "tablet"})
}

fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

fn receipt(key: &str, lot: &str, expiry: &str, quantity: u64) -> Value {
    with(
        tamoxifen(),
        json!({"idempotency_key": key, "lot": lot, "expiry": expiry, "quantity": quantity}),
    )
}

async fn post(app: &TestApp, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(POST, uri, token, Some(body)).await
}

/// The facility's tamoxifen: (on hand, usable, [(lot, on hand)]).
async fn held(app: &TestApp, token: &str, facility: &str) -> (i64, i64, Vec<(String, i64)>) {
    let (status, body) = app
        .call(
            GET,
            &format!("/api/v1/facilities/{facility}/stock"),
            token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let Some(item) = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["atc"] == "L02BA01")
    else {
        return (0, 0, Vec::new());
    };
    let batches = item["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["lot"].as_str().unwrap().to_string(),
                b["on_hand"].as_i64().unwrap(),
            )
        })
        .collect();
    (
        item["on_hand"].as_i64().unwrap(),
        item["usable"].as_i64().unwrap(),
        batches,
    )
}

/// A patient with an authorisation of `dispensings` x 30 tablets and a card.
async fn patient_with_card(app: &TestApp, staff: &Staff, national: &str, n: u32) -> (u64, String) {
    let patient = register_patient(app, staff, patient_body(national)).await["patient"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, m) = post(
        app,
        &format!("/api/v1/patients/{patient}/medicines"),
        &staff.clinician,
        medicine_body(n, 0),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let (status, card) = app
        .call(
            POST,
            &format!("/api/v1/patients/{patient}/cards"),
            &staff.registrar,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{card}");
    (
        m["id"].as_str().unwrap().parse().unwrap(),
        card["serial"].as_str().unwrap().to_string(),
    )
}

fn dispense(key: &str, serial: &str, auth: u64, quantity: u32) -> Value {
    json!({"idempotency_key": key, "card_serial": serial, "authorisation_id": auth, "quantity": quantity})
}

/// Every ledger entry of the facility's tamoxifen, oldest first, replayed by the pure
/// ledger; the replayed balance and the balance kept must agree.
async fn replay_agrees(app: &TestApp, token: &str, facility: &str) -> u64 {
    let (status, entries) = app
        .call(
            GET,
            &format!(
                "/api/v1/facilities/{facility}/stock/ledger?atc=L02BA01&strength=20%20mg&form=tablet&limit=1000"
            ),
            token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{entries}");
    let mut rows: Vec<Value> = entries.as_array().unwrap().clone();
    rows.reverse();
    let entries: Vec<Entry> = rows
        .iter()
        .map(|e| Entry {
            movement: match (e["movement"].as_str().unwrap(), e["reason"].as_str()) {
                ("receipt", _) => Movement::Receipt,
                ("transfer_out", _) => Movement::TransferOut,
                ("transfer_in", _) => Movement::TransferIn,
                ("dispensing", _) => Movement::Dispensing,
                ("administration", _) => Movement::Administration,
                ("count", _) => Movement::Count,
                ("adjustment", Some("lost")) => Movement::Adjustment(Reason::Lost),
                ("adjustment", Some("found")) => Movement::Adjustment(Reason::Found),
                ("adjustment", Some("expired")) => Movement::Adjustment(Reason::Expired),
                ("adjustment", Some("damaged")) => Movement::Adjustment(Reason::Damaged),
                ("adjustment", Some("correction")) => Movement::Adjustment(Reason::Correction),
                other => panic!("movement {other:?}"),
            },
            quantity: e["counted"]
                .as_i64()
                .unwrap_or(e["quantity"].as_i64().unwrap()),
            batch: e["lot"].as_str().unwrap().to_string(),
            expiry: Date::parse("expiry", e["expiry"].as_str().unwrap()).unwrap(),
        })
        .collect();
    // seq runs 1, 2, 3... without a gap.
    let seqs: Vec<i64> = rows.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=i64::try_from(rows.len()).unwrap()).collect::<Vec<_>>()
    );
    let replayed = ledger::balance(&entries).unwrap();
    let (on_hand, _, batches) = held(app, token, facility).await;
    assert_eq!(
        i64::try_from(replayed).unwrap(),
        on_hand,
        "the ledger replayed and the stock kept disagree"
    );
    assert_eq!(batches.iter().map(|(_, q)| q).sum::<i64>(), on_hand);
    replayed
}

#[tokio::test]
async fn a_pharmacy_receives_dispenses_and_its_stock_falls_through_the_ledger() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let (auth, serial) = patient_with_card(&app, &staff, "219730412345", 5).await;
        // Before any receipt or count the pharmacy keeps no stock: dispensing is not drawn.
        let (status, body) = app
            .call(
                GET,
                &format!("/api/v1/facilities/{PHARMACY}/stock"),
                &staff.pharmacist,
                None,
            )
            .await;
        assert_eq!(
            (status, &body["keeps_stock"]),
            (StatusCode::OK, &json!(false)),
            "{body}"
        );
        let (status, _) = post(
            &app,
            "/api/v1/dispensings",
            &staff.pharmacist,
            dispense("before-stock-1", &serial, auth, 30),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);

        // Two batches: B expires first and is drawn first.
        let (status, a) = post(
            &app,
            "/api/v1/stock/receipts",
            &staff.pharmacist,
            receipt("receipt-a-01", "A-100", "2027-06-30", 100),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{a}");
        assert_eq!(a["on_hand"], 100);
        assert_eq!(a["entries"][0]["movement"], "receipt");
        let (status, b) = post(
            &app,
            "/api/v1/stock/receipts",
            &staff.pharmacist,
            receipt("receipt-b-01", "B-20", "2027-01-31", 20),
        )
        .await;
        assert_eq!(
            (status, &b["on_hand"]),
            (StatusCode::CREATED, &json!(120)),
            "{b}"
        );
        // A retry is answered with the first entry; a reused key with other content refused.
        let (status, again) = post(
            &app,
            "/api/v1/stock/receipts",
            &staff.pharmacist,
            receipt("receipt-b-01", "B-20", "2027-01-31", 20),
        )
        .await;
        assert_eq!(
            (status, &again["replayed"], &again["on_hand"]),
            (StatusCode::OK, &json!(true), &json!(120)),
            "{again}"
        );
        assert_eq!(again["entries"][0]["id"], b["entries"][0]["id"]);
        let (status, reused) = post(
            &app,
            "/api/v1/stock/receipts",
            &staff.pharmacist,
            receipt("receipt-b-01", "B-20", "2027-01-31", 21),
        )
        .await;
        assert_eq!(
            (status, &reused["code"]),
            (StatusCode::CONFLICT, &json!("idempotency_key_reused"))
        );

        let (status, d) = post(
            &app,
            "/api/v1/dispensings",
            &staff.pharmacist,
            dispense("after-stock-1", &serial, auth, 30),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
        // 30: all 20 of B, then 10 of A.
        let (on_hand, usable, batches) = held(&app, &staff.pharmacist, PHARMACY).await;
        assert_eq!((on_hand, usable), (90, 90));
        assert_eq!(batches, vec![("A-100".to_string(), 90)]);
        let (status, entries) = app
            .call(GET, &format!("/api/v1/facilities/{PHARMACY}/stock/ledger?atc=L02BA01&strength=20%20mg&form=tablet"), &staff.pharmacist, None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let drawn: Vec<(&str, i64, &str)> = entries
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["movement"] == "dispensing")
            .map(|e| {
                (
                    e["lot"].as_str().unwrap(),
                    e["quantity"].as_i64().unwrap(),
                    e["source_id"].as_str().unwrap(),
                )
            })
            .collect();
        let id = d["dispensing"]["id"].as_str().unwrap();
        assert_eq!(
            drawn,
            vec![("A-100", -10, id), ("B-20", -20, id)],
            "newest first"
        );
        assert_eq!(replay_agrees(&app, &staff.pharmacist, PHARMACY).await, 90);

        // A pharmacist reads only their own facility; a supply officer reads every one.
        let other = app.pharmacy("LY-TRP-PH2").await;
        let (status, _) = app
            .call(
                GET,
                &format!("/api/v1/facilities/{other}/stock"),
                &staff.pharmacist,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let officer = app.user("supply_officer", "LY-MOH").await;
        assert_eq!(held(&app, &officer, PHARMACY).await.0, 90);
        let (status, _) = post(
            &app,
            "/api/v1/stock/receipts",
            &officer,
            receipt("officer-01", "C-1", "2027-06-30", 5),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "supply officers read, they do not keep stock"
        );
    }
}

#[tokio::test]
async fn a_dispensing_beyond_the_stock_is_refused_out_of_stock_and_recorded() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let (auth, serial) = patient_with_card(&app, &staff, "219730412345", 5).await;
        // 40 in date, 100 expired (the clock is at 2026-06-01).
        post(
            &app,
            "/api/v1/stock/receipts",
            &staff.pharmacist,
            receipt("receipt-a-02", "A-40", "2027-06-30", 40),
        )
        .await;
        let (status, c) = post(&app, "/api/v1/stock/counts", &staff.pharmacist, with(tamoxifen(), json!({"idempotency_key": "count-old-1", "lot": "OLD-1", "expiry": "2026-05-31", "counted": 100}))).await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        assert_eq!(
            held(&app, &staff.pharmacist, PHARMACY).await,
            (140, 40, vec![("OLD-1".into(), 100), ("A-40".into(), 40)])
        );

        let (status, d) = post(
            &app,
            "/api/v1/dispensings",
            &staff.pharmacist,
            dispense("first-ok-01", &serial, auth, 30),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
        let audit_before = audit_actions(&app, &staff).await;
        let (status, refused) = post(
            &app,
            "/api/v1/dispensings",
            &staff.pharmacist,
            dispense("second-no-1", &serial, auth, 30),
        )
        .await;
        assert_eq!(
            (status, &refused["code"]),
            (StatusCode::CONFLICT, &json!("out_of_stock")),
            "{refused}"
        );
        assert!(
            refused["detail"]
                .as_str()
                .unwrap()
                .contains("30 wanted, 10"),
            "{refused}"
        );
        // Nothing of the dispensing was kept: its count, its row, the stock.
        let (count,): (i64,) =
            sqlx::query_as("SELECT dispensed_count FROM medicine_authorisations WHERE id = $1")
                .bind(i64::try_from(auth).unwrap())
                .fetch_one(&app.state.db.pool)
                .await
                .unwrap();
        assert_eq!(count, 1);
        assert_eq!(held(&app, &staff.pharmacist, PHARMACY).await.0, 110);
        // The refusal is a stock-out event, audited.
        let outs: Vec<(String, i64, i64, Option<i64>)> = sqlx::query_as("SELECT kind, wanted, available, authorisation_id FROM stock_outs WHERE facility_code = $1")
            .bind(PHARMACY).fetch_all(&app.state.db.pool).await.unwrap();
        assert_eq!(
            outs,
            vec![(
                "refused".to_string(),
                30,
                10,
                Some(i64::try_from(auth).unwrap())
            )]
        );
        let audit_after = audit_actions(&app, &staff).await;
        assert_eq!(
            &audit_after[audit_before.len()..],
            &["stock.out_of_stock".to_string()]
        );
        // The expired batch is taken off the shelf with its reason.
        let (status, gone) = post(&app, "/api/v1/stock/adjustments", &staff.pharmacist, with(tamoxifen(), json!({"idempotency_key": "expired-01", "lot": "OLD-1", "reason": "expired", "quantity": -100}))).await;
        assert_eq!(
            (status, &gone["on_hand"]),
            (StatusCode::CREATED, &json!(10)),
            "{gone}"
        );
        assert_eq!(replay_agrees(&app, &staff.pharmacist, PHARMACY).await, 10);
    }
}

async fn audit_actions(app: &TestApp, staff: &Staff) -> Vec<String> {
    let (status, body) = app
        .call(GET, "/api/v1/audit?limit=1000", &staff.auditor, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut actions: Vec<(i64, String)> = body["entries"]
        .as_array()
        .or(body.as_array())
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["seq"].as_i64().unwrap(),
                e["action"].as_str().unwrap().to_string(),
            )
        })
        .filter(|(_, a)| !a.ends_with(".read"))
        .collect();
    actions.sort();
    actions.into_iter().map(|(_, a)| a).collect()
}

#[tokio::test]
async fn movements_that_do_not_fit_are_refused_and_change_nothing() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        post(
            &app,
            "/api/v1/stock/receipts",
            &staff.pharmacist,
            receipt("receipt-a-03", "A-1", "2027-06-30", 10),
        )
        .await;
        let bad: Vec<(&str, Value, StatusCode, &str)> = vec![
            (
                "/api/v1/stock/receipts",
                receipt("bad-exp-01", "E-1", "2026-05-01", 5),
                StatusCode::UNPROCESSABLE_ENTITY,
                "expiry",
            ),
            (
                "/api/v1/stock/receipts",
                receipt("bad-exp-02", "A-1", "2027-07-31", 5),
                StatusCode::UNPROCESSABLE_ENTITY,
                "expiry",
            ),
            (
                "/api/v1/stock/receipts",
                receipt("bad-qty-01", "A-1", "2027-06-30", 0),
                StatusCode::UNPROCESSABLE_ENTITY,
                "quantity",
            ),
            (
                "/api/v1/stock/receipts",
                receipt("bad-lot-01", "A 1;", "2027-06-30", 1),
                StatusCode::UNPROCESSABLE_ENTITY,
                "lot",
            ),
            (
                "/api/v1/stock/receipts",
                receipt("short", "A-1", "2027-06-30", 1),
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key",
            ),
            (
                "/api/v1/stock/receipts",
                with(
                    receipt("bad-atc-01", "A-1", "2027-06-30", 1),
                    json!({"atc": "L02"}),
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
                "atc",
            ),
            (
                "/api/v1/stock/counts",
                with(
                    tamoxifen(),
                    json!({"idempotency_key": "count-new-1", "lot": "NEW", "counted": 3}),
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
                "expiry",
            ),
            (
                "/api/v1/stock/adjustments",
                with(
                    tamoxifen(),
                    json!({"idempotency_key": "adj-sign-1", "lot": "A-1", "reason": "lost", "quantity": 2}),
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
                "quantity",
            ),
            (
                "/api/v1/stock/adjustments",
                with(
                    tamoxifen(),
                    json!({"idempotency_key": "adj-many-1", "lot": "A-1", "reason": "damaged", "quantity": -11}),
                ),
                StatusCode::CONFLICT,
                "insufficient_stock",
            ),
            (
                "/api/v1/stock/adjustments",
                with(
                    tamoxifen(),
                    json!({"idempotency_key": "adj-lot-01", "lot": "Z-9", "reason": "lost", "quantity": -1}),
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
                "lot",
            ),
            (
                "/api/v1/stock/transfers",
                with(
                    tamoxifen(),
                    json!({"idempotency_key": "xfer-self-1", "lot": "A-1", "quantity": 1, "to_facility": PHARMACY}),
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
                "to_facility",
            ),
            (
                "/api/v1/stock/transfers",
                with(
                    tamoxifen(),
                    json!({"idempotency_key": "xfer-none-1", "lot": "A-1", "quantity": 1, "to_facility": "NOWHERE"}),
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
                "to_facility",
            ),
            (
                "/api/v1/stock/transfers",
                with(
                    tamoxifen(),
                    json!({"idempotency_key": "xfer-many-1", "lot": "A-1", "quantity": 11, "to_facility": "LY-BEN-PED"}),
                ),
                StatusCode::CONFLICT,
                "insufficient_stock",
            ),
        ];
        for (uri, body, want, what) in bad {
            let (status, problem) = post(&app, uri, &staff.pharmacist, body.clone()).await;
            let got = problem["field"]
                .as_str()
                .or(problem["code"].as_str())
                .unwrap_or("");
            assert_eq!((status, got), (want, what), "{uri} {body}: {problem}");
        }
        let (status, _) = post(
            &app,
            "/api/v1/stock/receipts",
            &staff.clinician,
            receipt("clinician-1", "A-1", "2027-06-30", 1),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM stock_ledger")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
        let (t,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM stock_transfers")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
        assert_eq!((n, t), (1, 0), "only the first receipt is on the books");
        assert_eq!(held(&app, &staff.pharmacist, PHARMACY).await.0, 10);
        // The ledger refuses an edit or a deletion at the database itself.
        for sql in [
            "UPDATE stock_ledger SET quantity = 1000",
            "DELETE FROM stock_ledger",
        ] {
            let e = sqlx::query(sql)
                .execute(&app.state.db.pool)
                .await
                .unwrap_err();
            assert!(e.to_string().contains("append-only"), "{sql}: {e}");
        }
    }
}

#[tokio::test]
async fn a_transfer_leaves_the_sender_and_arrives_once_at_the_receiver() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let other = app.pharmacy("LY-TRP-PH2").await;
        let receiver = app.user("pharmacist", &other).await;
        post(
            &app,
            "/api/v1/stock/receipts",
            &staff.pharmacist,
            receipt("receipt-a-04", "A-50", "2027-06-30", 50),
        )
        .await;
        let (status, sent) = post(&app, "/api/v1/stock/transfers", &staff.pharmacist, with(tamoxifen(), json!({"idempotency_key": "xfer-0001", "lot": "A-50", "quantity": 20, "to_facility": other}))).await;
        assert_eq!(status, StatusCode::CREATED, "{sent}");
        assert_eq!(
            (&sent["on_hand"], &sent["transfer"]["status"]),
            (&json!(30), &json!("in_transit"))
        );
        let id = sent["transfer"]["id"].as_str().unwrap().to_string();
        // In transit: in neither facility's stock, on both facilities' transfer lists.
        assert_eq!(held(&app, &receiver, &other).await.0, 0);
        let (_, list) = app
            .call(
                GET,
                &format!("/api/v1/facilities/{other}/transfers"),
                &receiver,
                None,
            )
            .await;
        assert_eq!(list[0]["id"], json!(id));
        // Only the receiving facility records the arrival, once.
        let uri = format!("/api/v1/stock/transfers/{id}/receive");
        let (status, _) = post(&app, &uri, &staff.pharmacist, json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, got) = post(&app, &uri, &receiver, json!({"quantity": 19})).await;
        assert_eq!(status, StatusCode::CREATED, "{got}");
        assert_eq!(
            (&got["on_hand"], &got["transfer"]["received_quantity"]),
            (&json!(19), &json!(19))
        );
        let (status, again) = post(&app, &uri, &receiver, json!({})).await;
        assert_eq!(
            (status, &again["code"]),
            (StatusCode::CONFLICT, &json!("transfer_received"))
        );
        assert_eq!(
            held(&app, &receiver, &other).await,
            (19, 19, vec![("A-50".into(), 19)])
        );
        assert_eq!(held(&app, &staff.pharmacist, PHARMACY).await.0, 30);
        assert_eq!(replay_agrees(&app, &receiver, &other).await, 19);
        assert_eq!(replay_agrees(&app, &staff.pharmacist, PHARMACY).await, 30);
        let (status, _) = post(
            &app,
            "/api/v1/stock/transfers/nosuchtransfer/receive",
            &receiver,
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn an_offline_dispensing_beyond_the_stock_is_recorded_and_its_shortfall_kept() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let (auth, serial) = patient_with_card(&app, &staff, "219730412345", 5).await;
        post(
            &app,
            "/api/v1/stock/receipts",
            &staff.pharmacist,
            receipt("receipt-a-05", "A-10", "2027-06-30", 10),
        )
        .await;
        let body = json!({"idempotency_key": "offline-short-1", "card_serial": serial, "authorisation_id": auth, "quantity": 30, "offline_at": START - 3600});
        let (status, d) = post(&app, "/api/v1/dispensings", &staff.pharmacist, body).await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
        assert_eq!(held(&app, &staff.pharmacist, PHARMACY).await.0, 0);
        let outs: Vec<(String, i64, i64)> =
            sqlx::query_as("SELECT kind, wanted, available FROM stock_outs")
                .fetch_all(&app.state.db.pool)
                .await
                .unwrap();
        assert_eq!(outs, vec![("shortfall".to_string(), 30, 10)]);
        assert_eq!(replay_agrees(&app, &staff.pharmacist, PHARMACY).await, 0);
    }
}

#[tokio::test]
async fn an_administration_counts_against_the_authorisation_and_the_units_stock() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let (auth, _) = patient_with_card(&app, &staff, "219730412345", 2).await;
        let unit_pharmacist = app.user("pharmacist", "LY-BEN-PED").await;
        post(
            &app,
            "/api/v1/stock/receipts",
            &unit_pharmacist,
            receipt("unit-receipt-1", "U-1", "2027-06-30", 45),
        )
        .await;
        let give = |key: &str, cycle: u32, quantity: u32| json!({"idempotency_key": key, "authorisation_id": auth, "cycle": cycle, "quantity": quantity});
        let (status, a) = post(
            &app,
            "/api/v1/administrations",
            &staff.clinician,
            give("cycle-one-1", 1, 30),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{a}");
        assert_eq!(
            (&a["cycle"], &a["facility_code"]),
            (&json!(1), &json!("LY-BEN-PED"))
        );
        let (status, again) = post(
            &app,
            "/api/v1/administrations",
            &staff.clinician,
            give("cycle-one-1", 1, 30),
        )
        .await;
        assert_eq!((status, &again["replayed"]), (StatusCode::OK, &json!(true)));
        assert_eq!(held(&app, &unit_pharmacist, "LY-BEN-PED").await.0, 15);
        // The rulebook's refusals, then the stock's.
        let (status, over) = post(
            &app,
            "/api/v1/administrations",
            &staff.clinician,
            give("cycle-two-x", 2, 31),
        )
        .await;
        assert_eq!(
            (status, &over["code"]),
            (StatusCode::CONFLICT, &json!("over_quantity"))
        );
        let (status, out) = post(
            &app,
            "/api/v1/administrations",
            &staff.clinician,
            give("cycle-two-1", 2, 30),
        )
        .await;
        assert_eq!(
            (status, &out["code"]),
            (StatusCode::CONFLICT, &json!("out_of_stock")),
            "{out}"
        );
        let (status, _) = post(
            &app,
            "/api/v1/administrations",
            &staff.pharmacist,
            give("pharm-give-1", 2, 10),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, ok) = post(
            &app,
            "/api/v1/administrations",
            &staff.clinician,
            give("cycle-two-2", 2, 15),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{ok}");
        let (status, done) = post(
            &app,
            "/api/v1/administrations",
            &staff.clinician,
            give("cycle-three", 3, 1),
        )
        .await;
        assert_eq!(
            (status, &done["code"]),
            (StatusCode::CONFLICT, &json!("over_count"))
        );
        assert_eq!(replay_agrees(&app, &unit_pharmacist, "LY-BEN-PED").await, 0);
    }
}

/// The demand report worked by hand. The clock is at 2026-06-01.
///
/// - One authorisation of 5 × 30 tamoxifen, 30 days apart, dispensed once today at the
///   pharmacy: 4 left, due 1 July, 31 July, 30 August, 29 September: June 0, July 60,
///   August 30, September 30, October 0, November 0.
/// - The pharmacy received 100, the dispensing drew 30: 70 on hand. No consumption in March
///   to May: N = 0, 0, 0, P = 0, H = 0, OpenLMIS order 0. The registry's proposal:
///   0 + 60 + 30 − 70 = 20. Stock-out: 10 left after July, August's 30 over its 31 days:
///   day ⌈10 × 31 / 30⌉ = 11, 2026-08-11.
/// - The breast tumour (C50.4, 8500, IIB, incidence 2025-09-03) recorded at LY-BEN-PED is
///   1 new case in the past year, 1/12 a month. Tamoxifen (share 0.6, 30 a month): month i
///   holds (i + 1)/12 cases × 18 = 1.5, 3, 4.5, 6, 7.5, 9, to the nearest whole tablet,
///   half up: 2, 3, 5, 6, 8, 9.
/// - 30 more received: 100 on hand, proposal 0, stock-out moves to 2026-09-10 (40 after
///   July, 10 after August, September's 30 over 30 days: day 10).
#[tokio::test]
async fn the_demand_report_worked_by_hand() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let patient = register_patient(&app, &staff, patient_body("219730412345")).await["patient"]
            ["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (status, _) = post(
            &app,
            &format!("/api/v1/patients/{patient}/tumours"),
            &staff.clinician,
            crate::support::tumour_body(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, m) = post(
            &app,
            &format!("/api/v1/patients/{patient}/medicines"),
            &staff.clinician,
            medicine_body(5, 30),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{m}");
        let auth: u64 = m["id"].as_str().unwrap().parse().unwrap();
        let (_, card) = app
            .call(
                POST,
                &format!("/api/v1/patients/{patient}/cards"),
                &staff.registrar,
                None,
            )
            .await;
        let serial = card["serial"].as_str().unwrap().to_string();
        post(
            &app,
            "/api/v1/stock/receipts",
            &staff.pharmacist,
            receipt("demand-rcpt-1", "D-1", "2027-06-30", 100),
        )
        .await;
        let (status, _) = post(
            &app,
            "/api/v1/dispensings",
            &staff.pharmacist,
            dispense("demand-disp-1", &serial, auth, 30),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);

        let officer = app.user("supply_officer", "LY-MOH").await;
        let line = |report: &Value, facility: &str| {
            report["lines"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["facility_code"] == facility && l["atc"] == "L02BA01")
                .cloned()
                .unwrap_or_else(|| panic!("no tamoxifen line for {facility}: {report}"))
        };
        let totals = |l: &Value| {
            l["months"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["total"].as_u64().unwrap())
                .collect::<Vec<_>>()
        };
        let (status, report) = app.call(GET, "/api/v1/demand", &officer, None).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        let ph = line(&report, PHARMACY);
        assert_eq!(totals(&ph), vec![0, 60, 30, 30, 0, 0]);
        assert_eq!(ph["months"][1]["month"], "2026-07");
        assert_eq!(
            (&ph["on_hand"], &ph["proposed_order"], &ph["openlmis_order"]),
            (&json!(70), &json!(20), &json!(0))
        );
        assert_eq!(ph["adjusted_consumption"], json!([0, 0, 0]));
        assert_eq!(ph["stockout_date"], "2026-08-11");
        let ped = line(&report, "LY-BEN-PED");
        assert_eq!(totals(&ped), vec![2, 3, 5, 6, 8, 9]);
        assert!(ped["months"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["due"] == 0));
        // The roll-up: both facilities are in the east.
        let east = report["regions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["region"] == "east" && r["atc"] == "L02BA01")
            .unwrap();
        assert_eq!(east["months"][1]["total"], json!(60 + 3));
        assert_eq!(east["first_stockout"], "2026-08-11");

        post(
            &app,
            "/api/v1/stock/receipts",
            &staff.pharmacist,
            receipt("demand-rcpt-2", "D-1", "2027-06-30", 30),
        )
        .await;
        let (_, mine) = app
            .call(
                GET,
                &format!("/api/v1/demand?facility={PHARMACY}"),
                &staff.pharmacist,
                None,
            )
            .await;
        let ph = line(&mine, PHARMACY);
        assert_eq!(
            (&ph["on_hand"], &ph["proposed_order"], &ph["stockout_date"]),
            (&json!(100), &json!(0), &json!("2026-09-10"))
        );
        assert_eq!(
            mine["lines"].as_array().unwrap().len(),
            1,
            "a pharmacist sees their own facility"
        );
        let (status, _) = app
            .call(GET, "/api/v1/demand", &staff.pharmacist, None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app
            .call(GET, "/api/v1/demand?months=13", &officer, None)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, csv) = app
            .call(GET, "/api/v1/demand?format=csv&months=3", &officer, None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let csv = csv.as_str().unwrap();
        assert!(
            csv.contains("demand_2026-06,demand_2026-07,demand_2026-08"),
            "{csv}"
        );
        assert!(
            csv.contains(&format!(
                "\"{PHARMACY}\",\"east\",L02BA01,\"20 mg\",tablet,100,0,60,30,"
            )),
            "{csv}"
        );
    }
}

/// A planted double-pharmacy dispensing, and an offline one dated before its card, on the
/// inspector's watch with the audit entries behind them.
#[tokio::test]
async fn the_watch_shows_a_patient_served_at_two_pharmacies_and_a_dispensing_before_its_card() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let (auth1, serial) = patient_with_card(&app, &staff, "219730412345", 5).await;
        // A second authorisation of the same medicine for the same patient.
        let (_, record) = app
            .call(
                GET,
                &format!("/api/v1/cards/{serial}"),
                &staff.registrar,
                None,
            )
            .await;
        let patient = record["patient_id"]
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| panic!("card answer without patient_id: {record}"));
        let (_, m) = post(
            &app,
            &format!("/api/v1/patients/{patient}/medicines"),
            &staff.clinician,
            medicine_body(5, 0),
        )
        .await;
        let auth2: u64 = m["id"].as_str().unwrap().parse().unwrap();
        let (_, card) = app
            .call(
                POST,
                &format!("/api/v1/patients/{patient}/cards"),
                &staff.registrar,
                None,
            )
            .await;
        let serial = card["serial"].as_str().unwrap().to_string();
        let other = app.pharmacy("LY-TRP-PH2").await;
        let elsewhere = app.user("pharmacist", &other).await;
        let (s1, _) = post(
            &app,
            "/api/v1/dispensings",
            &staff.pharmacist,
            dispense("watch-disp-1", &serial, auth1, 30),
        )
        .await;
        app.state.clock.advance(2 * 3600);
        let (s2, _) = post(
            &app,
            "/api/v1/dispensings",
            &elsewhere,
            dispense("watch-disp-2", &serial, auth2, 30),
        )
        .await;
        assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
        // Offline, an hour before the (first) card existed.
        let early = json!({"idempotency_key": "watch-early-1", "card_serial": serial, "authorisation_id": auth2, "quantity": 30, "offline_at": START - 3600});
        let (status, _) = post(&app, "/api/v1/dispensings", &elsewhere, early).await;
        assert_eq!(status, StatusCode::CREATED);

        let inspector = app.user("inspector", "LY-MOH").await;
        let (status, watch) = app
            .call(
                GET,
                "/api/v1/watch?days=30&interval_days=7",
                &inspector,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{watch}");
        let pairs = watch["two_pharmacies"].as_array().unwrap();
        let planted = pairs
            .iter()
            .find(|p| {
                p["first"]["facility_code"] == PHARMACY
                    && p["second"]["facility_code"] == json!(other)
            })
            .unwrap_or_else(|| panic!("the planted pair is missing: {watch}"));
        assert_eq!(
            (&planted["atc"], &planted["hours_apart"]),
            (&json!("L02BA01"), &json!(2))
        );
        let actions: Vec<&str> = planted["audit"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        assert!(
            actions
                .iter()
                .filter(|a| a.starts_with("dispensing.record"))
                .count()
                >= 2,
            "{planted}"
        );
        let before = watch["before_card"].as_array().unwrap();
        assert_eq!(before.len(), 1, "{watch}");
        assert_eq!(before[0]["dispensing"]["at"], json!(START - 3600));
        assert!(!before[0]["audit"].as_array().unwrap().is_empty());
        // Each authorisation shown is an audited read; others may not look.
        let (_, log) = app
            .call(GET, "/api/v1/audit?limit=1000", &staff.auditor, None)
            .await;
        assert!(log
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "watch.read"));
        for token in [&staff.pharmacist, &staff.auditor] {
            let (status, _) = app.call(GET, "/api/v1/watch", token, None).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
        }
    }
}

#[tokio::test]
async fn the_watch_shows_an_authorisation_raised_before_a_dispensing_and_the_refusal_rates() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let (auth, serial) = patient_with_card(&app, &staff, "219660101555", 3).await;
        let (early, early_serial) = patient_with_card(&app, &staff, "219660101556", 3).await;
        // Corrected upward (30 → 60 units a dispensing, 3 → 5 dispensings, and a 28-day
        // interval).
        let raise = |id: u64| {
            let mut data = medicine_body(5, 28);
            data["quantity"] = json!(60);
            let body = json!({"version": 1, "reason": "dose revised", "data": data});
            (format!("/api/v1/medicines/{id}"), body)
        };
        let correct = |id: u64| {
            let (uri, body) = raise(id);
            let (app, clinician) = (&app, staff.clinician.clone());
            async move {
                let (status, answer) = app.call(Method::PUT, &uri, &clinician, Some(body)).await;
                assert_eq!(status, StatusCode::OK, "{answer}");
            }
        };
        // One corrected three days before its dispensing, one an hour before.
        correct(early).await;
        app.state.clock.advance(3 * 86_400);
        correct(auth).await;
        app.state.clock.advance(3600);
        for (key, card, id) in [
            ("raised-disp-1", &serial, auth),
            ("raised-disp-0", &early_serial, early),
        ] {
            let (status, body) = post(
                &app,
                "/api/v1/dispensings",
                &staff.pharmacist,
                dispense(key, card, id, 60),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        // Two refusals by a rule (too soon, then more than authorised), each audited.
        for (key, quantity) in [("raised-disp-2", 60), ("raised-disp-3", 61)] {
            let (status, _) = post(
                &app,
                "/api/v1/dispensings",
                &staff.pharmacist,
                dispense(key, &serial, auth, quantity),
            )
            .await;
            assert_eq!(status, StatusCode::CONFLICT);
        }
        let actions = audit_actions(&app, &staff).await;
        assert!(
            actions.iter().any(|a| a == "dispensing.refused.too_soon"),
            "{actions:?}"
        );

        let inspector = app.user("inspector", "LY-MOH").await;
        let watch = |interval: u32| {
            let (app, inspector) = (&app, inspector.clone());
            async move {
                let uri = format!("/api/v1/watch?days=30&interval_days={interval}");
                let (status, watch) = app.call(GET, &uri, &inspector, None).await;
                assert_eq!(status, StatusCode::OK, "{watch}");
                watch
            }
        };
        // Within 2 days: only the one corrected an hour before.
        let w = watch(2).await;
        let raised = w["raised"].as_array().unwrap();
        assert_eq!(raised.len(), 1, "{w}");
        let r = &raised[0];
        assert_eq!(
            (
                &r["authorisation_id"],
                &r["quantity_before"],
                &r["quantity_after"],
                &r["dispensings_before"],
                &r["dispensings_after"],
                &r["hours_after"],
            ),
            (
                &json!(auth),
                &json!(30),
                &json!(60),
                &json!(3),
                &json!(5),
                &json!(1)
            ),
            "{r}"
        );
        let linked: Vec<&str> = r["audit"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        assert!(linked.contains(&"authorisation.correct"), "{linked:?}");
        assert!(linked.contains(&"dispensing.record"), "{linked:?}");
        // Within 4 days: both, the later correction first.
        let w4 = watch(4).await;
        let ids: Vec<&Value> = w4["raised"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["authorisation_id"])
            .collect();
        assert_eq!(ids, [&json!(auth), &json!(early)], "{w4}");
        // The pharmacy: 2 dispensings, 2 refused of 4 attempts.
        let rates = w["conflicts"].as_array().unwrap();
        let ours = rates
            .iter()
            .find(|o| o["facility_code"] == PHARMACY)
            .unwrap_or_else(|| panic!("no rates for the pharmacy: {w}"));
        assert_eq!(
            (&ours["dispensings"], &ours["refusals"]),
            (&json!(2), &json!(2))
        );
        let rate = ours["refusal_rate"].as_f64().unwrap();
        assert!((rate - 0.5).abs() < 1e-9, "{rate}");
    }
}

/// The follow-through's reading of the past (`db::demand::past`), worked by hand on both
/// databases. Four authorisations, tablets 30 at a time, the clock moved 30 days at a time
/// from T0 = 2026-06-01:
/// - A (6 dispensings): dispensed at T0, +30, +60, +90 days;
/// - B (4): given at the day-care unit at T0 and +30;
/// - C (5): dispensed at T0 only;
/// - E (3): dispensed first at +60.
///
/// Asked for `[T0 + 45 d, T0 + 75 d)`: A had 6 − 4 + 2 = 4 left on T0 + 45 d, its last
/// hand-out before it at +30 (looked up by index: two came after), 30 units in the window;
/// B 4 − 2 = 2 left, last at +30, nothing in the window; C 4 left, last at T0; E had no
/// hand-out before the window and is not counted.
#[tokio::test]
async fn the_follow_through_reads_each_authorisations_hand_outs_around_its_window() {
    const DAY: i64 = 86_400;
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let unit = app.user("pharmacist", "LY-BEN-PED").await;
        let (a, sa) = patient_with_card(&app, &staff, "219730412345", 6).await;
        let (b, _) = patient_with_card(&app, &staff, "219730412346", 4).await;
        let (c, sc) = patient_with_card(&app, &staff, "219730412347", 5).await;
        let (e, se) = patient_with_card(&app, &staff, "219730412348", 3).await;
        for (token, key) in [(&staff.pharmacist, "ft-rcpt-ph"), (&unit, "ft-rcpt-unit")] {
            let (status, r) = post(
                &app,
                "/api/v1/stock/receipts",
                token,
                receipt(key, "FT-1", "2027-06-30", 1000),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{r}");
        }
        let hand_out = |key: String, serial: &str, auth: u64| {
            let body = dispense(&key, serial, auth, 30);
            let app = &app;
            let token = staff.pharmacist.clone();
            async move {
                let (status, d) = post(app, "/api/v1/dispensings", &token, body).await;
                assert_eq!(status, StatusCode::CREATED, "{d}");
            }
        };
        let give = |key: &str, cycle: u32| json!({"idempotency_key": key, "authorisation_id": b, "cycle": cycle, "quantity": 30});
        let t0 = app.state.clock.now();
        for step in 0..4 {
            if step > 0 {
                app.state.clock.advance(30 * DAY);
            }
            hand_out(format!("ft-a-{step:04}"), &sa, a).await;
            if step < 2 {
                let (status, g) = post(
                    &app,
                    "/api/v1/administrations",
                    &staff.clinician,
                    give(&format!("ft-b-{step:04}"), step + 1),
                )
                .await;
                assert_eq!(status, StatusCode::CREATED, "{g}");
            }
            if step == 0 {
                hand_out("ft-c-0000".into(), &sc, c).await;
            }
            if step == 2 {
                hand_out("ft-e-0000".into(), &se, e).await;
            }
        }
        let rows = registry_server::db::demand::past(&app.state.db, t0 + 45 * DAY, t0 + 75 * DAY)
            .await
            .unwrap();
        let mut got: Vec<(i64, i64, i64, i64)> = rows
            .iter()
            .map(|r| (r.quantity, r.left_count, r.last_before - t0, r.units_after))
            .collect();
        got.sort_unstable();
        assert_eq!(
            got,
            vec![(30, 2, 30 * DAY, 0), (30, 4, 0, 0), (30, 4, 30 * DAY, 30)],
            "{backend:?}: {rows:?}"
        );
    }
}

/// Offline dispensings dated before their card was issued or before their authorisation was
/// recorded were recorded with no flag (issue #15). Now, on both databases, they are
/// recorded flagged `before_card` and `before_authorisation` (a dispensing dated after both
/// is not), and listed among the conflicts for review.
#[tokio::test]
async fn an_offline_dispensing_dated_before_its_card_or_authorisation_is_flagged() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        post(
            &app,
            "/api/v1/stock/receipts",
            &staff.pharmacist,
            receipt("flag-rcpt-1", "F-1", "2027-06-30", 300),
        )
        .await;
        // Card and first authorisation at START.
        let (first, serial) = patient_with_card(&app, &staff, "219730412345", 5).await;
        let (_, card) = app
            .call(
                GET,
                &format!("/api/v1/cards/{serial}"),
                &staff.registrar,
                None,
            )
            .await;
        let patient = card["patient_id"].as_str().unwrap().to_string();
        // A second authorisation two hours later.
        app.state.clock.advance(2 * 3600);
        let (status, m) = post(
            &app,
            &format!("/api/v1/patients/{patient}/medicines"),
            &staff.clinician,
            medicine_body(5, 0),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{m}");
        let second: u64 = m["id"].as_str().unwrap().parse().unwrap();
        let offline = |key: &str, auth: u64, at: i64| {
            json!({"idempotency_key": key, "card_serial": serial, "authorisation_id": auth,
                   "quantity": 30, "offline_at": at})
        };
        for (key, auth, at, flag) in [
            (
                "flag-before-card",
                first,
                START - 3600,
                json!("before_card"),
            ),
            (
                "flag-before-auth",
                second,
                START + 3600,
                json!("before_authorisation"),
            ),
            ("flag-after-both", first, START + 3600, Value::Null),
        ] {
            let (status, d) = post(
                &app,
                "/api/v1/dispensings",
                &staff.pharmacist,
                offline(key, auth, at),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{backend:?} {key}: {d}");
            assert_eq!(d["conflict"], flag, "{backend:?} {key}: {d}");
            assert_eq!(d["dispensing"]["conflict"], flag, "{backend:?} {key}: {d}");
        }
        let (status, flagged) = app
            .call(
                GET,
                "/api/v1/dispensings/conflicts?limit=10",
                &staff.auditor,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{flagged}");
        let text = flagged.to_string();
        assert!(
            text.contains("before_card") && text.contains("before_authorisation"),
            "{backend:?}: {flagged}"
        );
    }
}

/// Idempotency keys were global: a pharmacy sending another pharmacy's key got that
/// pharmacy's dispensing back as a replay (and could squat keys). Now, on both databases,
/// keys are scoped to the facility: the same key and body from a second pharmacy records
/// its own dispensing and its own receipt, and each pharmacy's retry still replays its own.
#[tokio::test]
async fn idempotency_keys_belong_to_one_facility() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let (auth, serial) = patient_with_card(&app, &staff, "219730412345", 5).await;
        let other = app.pharmacy("LY-TRP-PH2").await;
        let elsewhere = app.user("pharmacist", &other).await;
        let body = dispense("shared-key-0001", &serial, auth, 30);
        let (status, first) =
            post(&app, "/api/v1/dispensings", &staff.pharmacist, body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        let (status, second) = post(&app, "/api/v1/dispensings", &elsewhere, body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?}: {second}");
        assert_eq!(second["replayed"], false, "{second}");
        assert_eq!(
            second["dispensing"]["facility_code"],
            json!(other),
            "{second}"
        );
        assert_ne!(second["dispensing"]["id"], first["dispensing"]["id"]);
        for (token, want) in [(&staff.pharmacist, &first), (&elsewhere, &second)] {
            let (status, again) = post(&app, "/api/v1/dispensings", token, body.clone()).await;
            assert_eq!(status, StatusCode::OK, "{again}");
            assert_eq!(again["replayed"], true);
            assert_eq!(again["dispensing"]["id"], want["dispensing"]["id"]);
        }
        let rcpt = receipt("shared-rcpt-0001", "S-1", "2027-06-30", 40);
        for token in [&staff.pharmacist, &elsewhere] {
            let (status, r) = post(&app, "/api/v1/stock/receipts", token, rcpt.clone()).await;
            assert_eq!(status, StatusCode::CREATED, "{backend:?}: {r}");
        }
        let officer = app.user("supply_officer", "LY-MOH").await;
        for facility in [PHARMACY.to_string(), other.clone()] {
            let (on_hand, _, _) = held(&app, &officer, &facility).await;
            assert_eq!(on_hand, 40, "{backend:?} {facility}");
        }
    }
}
