//! The medicines-and-supplies pages through the real router: the pharmacist's stock forms
//! (receipt, retry, refused input, adjustment, transfer, arrival), who may see and move
//! what, the CSV files, the demand page's stock-out date moving with the stock, and the
//! inspector's watch list with a planted double-pharmacy dispensing.

use super::*;

/// The stock on hand of an item at a facility, from the table the ledger keeps.
async fn on_hand(app: &TestApp, facility: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COALESCE(SUM(on_hand), 0) FROM stock_items WHERE facility_code = $1 \
         AND atc = 'L02BA01'",
    )
    .bind(facility)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    n
}

/// Audit entries of `action`, whatever their subject.
async fn actions(app: &TestApp, action: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    n
}

fn receipt<'a>(
    csrf: &'a str,
    key: &'a str,
    lot: &'a str,
    quantity: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("key", key),
        ("atc", "L02BA01"),
        ("strength", "20 mg"),
        ("form", "tablet"),
        ("lot", lot),
        ("expiry", "٢٠٢٨-٠١-٣١"),
        ("quantity", quantity),
    ]
}

/// The text of the stock-out cell of the L02BA01 line on a demand page.
fn stockout_cell(body: &str) -> String {
    let row = &body[body.find("data-atc=\"L02BA01\"").expect("an L02BA01 line")..];
    let cell = &row[row.find("class=\"stockout\"").expect("a stock-out cell")..];
    let cell = &cell[cell.find('>').unwrap() + 1..cell.find("</td>").unwrap()];
    cell.replace("<strong class=\"code\">", "")
        .replace("</strong>", "")
        .trim()
        .to_string()
}

#[tokio::test]
async fn the_stock_page_moves_stock_through_the_ledgers_rules_for_its_pharmacist_only() {
    let app = TestApp::new(Backend::Sqlite).await;
    let mut w = world(&app).await;
    let (officer, _) = person(&app, "supply_officer", "LY-MOH").await;
    let mut officer = Browser::signed_in(&app, &officer).await;
    let ph1 = "LY-BEN-PH1";

    let page = w.pharmacist.get("/desk/stock").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("يبدأ دفترها بأول استلام أو جرد"));
    assert!(page.body.contains("id=\"form-receive\""));
    assert_no_inline_code(&page, "stock");
    let csrf = page.csrf();

    // Received in Arabic-Indic digits: 303 to the page, which says so.
    let done = w
        .pharmacist
        .post(
            "/desk/stock/receive",
            &receipt(&csrf, "desk-receipt-1", "TX-1", "٥٠"),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/desk/stock?done=received");
    let shown = w.pharmacist.get(done.location()).await;
    assert!(shown.body.contains("سُجّل الاستلام"));
    assert_eq!(on_hand(&app, ph1).await, 50);
    assert_eq!(actions(&app, "stock.receipt").await, 1);
    // The same form again (a double click) writes nothing.
    let again = w
        .pharmacist
        .post(
            "/desk/stock/receive",
            &receipt(&csrf, "desk-receipt-1", "TX-1", "٥٠"),
        )
        .await;
    assert_eq!(again.location(), "/desk/stock?done=replayed");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM stock_ledger").await, 1);
    // A malformed lot: the form again, as typed, the error beside the lot; nothing written.
    let bad = w
        .pharmacist
        .post(
            "/desk/stock/receive",
            &receipt(&csrf, "desk-receipt-2", "TX 2", "٥٠"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("id=\"rc-lot-error\""), "{}", bad.body);
    assert!(bad.body.contains("value=\"TX 2\""));
    assert!(bad.body.contains("value=\"٥٠\""));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM stock_ledger").await, 1);

    // Damaged: typed positive, taken off.
    let batch = "L02BA01|tablet|TX-1|20 mg";
    let adjusted = w
        .pharmacist
        .post(
            "/desk/stock/adjust",
            &[
                ("csrf", &csrf),
                ("key", "desk-adjust-1"),
                ("batch", batch),
                ("reason", "damaged"),
                ("quantity", "5"),
            ],
        )
        .await;
    assert_eq!(
        adjusted.location(),
        "/desk/stock?done=adjusted",
        "{}",
        adjusted.body
    );
    assert_eq!(on_hand(&app, ph1).await, 45);
    // More lost than there is: refused beside the quantity, nothing changed.
    let too_much = w
        .pharmacist
        .post(
            "/desk/stock/adjust",
            &[
                ("csrf", &csrf),
                ("key", "desk-adjust-2"),
                ("batch", batch),
                ("reason", "lost"),
                ("quantity", "100"),
            ],
        )
        .await;
    assert_eq!(too_much.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        too_much.body.contains("id=\"ad-quantity-error\""),
        "{}",
        too_much.body
    );
    assert_eq!(on_hand(&app, ph1).await, 45);

    // Sent to the hospital: in transit, then received there.
    let sent = w
        .pharmacist
        .post(
            "/desk/stock/transfer",
            &[
                ("csrf", &csrf),
                ("key", "desk-transfer-1"),
                ("batch", batch),
                ("to_facility", "LY-BEN-PED"),
                ("quantity", "10"),
            ],
        )
        .await;
    assert_eq!(sent.location(), "/desk/stock?done=sent", "{}", sent.body);
    assert_eq!(on_hand(&app, ph1).await, 35);
    let page = w.pharmacist.get("/desk/stock").await;
    assert!(page.body.contains("في الطريق"), "{}", page.body);
    // The hospital's pharmacist records its arrival, 8 of the 10: the hospital holds 8.
    let (keeper, _) = person(&app, "pharmacist", "LY-BEN-PED").await;
    let mut keeper = Browser::signed_in(&app, &keeper).await;
    let arrivals = keeper.get("/desk/stock").await;
    let marker = "name=\"transfer\" value=\"";
    let at = arrivals
        .body
        .find(marker)
        .unwrap_or_else(|| panic!("no arrival form: {}", arrivals.body))
        + marker.len();
    let id = arrivals.body[at..].split('"').next().unwrap().to_owned();
    let keeper_csrf = arrivals.csrf();
    let arrived = keeper
        .post(
            "/desk/stock/arrive",
            &[("csrf", &keeper_csrf), ("transfer", &id), ("quantity", "8")],
        )
        .await;
    assert_eq!(
        arrived.location(),
        "/desk/stock?done=arrived",
        "{}",
        arrived.body
    );
    assert_eq!(on_hand(&app, "LY-BEN-PED").await, 8);
    assert_eq!(on_hand(&app, ph1).await, 35);

    // The supply officer reads any facility's stock, without the forms, and cannot move it.
    let read = officer.get(&format!("/desk/stock?facility={ph1}")).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert!(read.body.contains(">35<"), "{}", read.body);
    assert!(!read.body.contains("id=\"form-receive\""));
    let officer_csrf = officer.csrf().await;
    let refused = officer
        .post(
            "/desk/stock/receive",
            &receipt(&officer_csrf, "desk-receipt-3", "TX-3", "5"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM stock_ledger").await, 4);
    // A clinician has no stock page; a pharmacist sees only their own facility's.
    assert_eq!(
        w.clinician.get("/desk/stock").await.status,
        StatusCode::FORBIDDEN
    );
    let own = w.pharmacist.get("/desk/stock?facility=LY-BEN-PED").await;
    assert!(own.body.contains(&format!("id=\"stock-facility\">{ph1}<")));

    // The CSV of the batches, and the ledger page.
    let csv = w.pharmacist.get("/desk/stock.csv").await;
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(
        csv.body
            .contains("\"LY-BEN-PH1\",L02BA01,\"20 mg\",tablet,\"TX-1\",2028-01-31,35,false"),
        "{}",
        csv.body
    );
    let ledger = w
        .pharmacist
        .get("/desk/stock/ledger?atc=L02BA01&strength=20%20mg&form=tablet")
        .await;
    assert_eq!(ledger.status, StatusCode::OK, "{}", ledger.body);
    for movement in ["استلام", "تسوية · تالف", "نقل صادر"] {
        assert!(ledger.body.contains(movement), "{movement}");
    }
}

#[tokio::test]
async fn the_demand_page_moves_its_stockout_date_with_the_stock_and_the_watch_shows_a_planted_pair()
{
    let app = TestApp::new(Backend::Sqlite).await;
    let mut w = world(&app).await;
    let (officer, _) = person(&app, "supply_officer", "LY-MOH").await;
    let mut officer = Browser::signed_in(&app, &officer).await;
    let (inspector, _) = person(&app, "inspector", "LY-MOH").await;
    let mut inspector = Browser::signed_in(&app, &inspector).await;
    let csrf = w.pharmacist.csrf().await;
    let r = w
        .pharmacist
        .post(
            "/desk/stock/receive",
            &receipt(&csrf, "demand-receipt-1", "TX-1", "50"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // 30 dispensed at the pharmacy: 20 left against two dispensings of 30 still due.
    let (auth,): (i64,) = sqlx::query_as("SELECT id FROM medicine_authorisations")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let qr = w.qr.clone();
    let auth_text = auth.to_string();
    let d = w
        .pharmacist
        .post(
            "/desk/pharmacy/dispense",
            &[
                ("csrf", &csrf),
                ("qr", &qr),
                ("authorisation", &auth_text),
                ("quantity", "30"),
                ("key", "demand-dispense-1"),
            ],
        )
        .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    assert_eq!(on_hand(&app, "LY-BEN-PH1").await, 20);

    let page = officer
        .get("/desk/demand?facility=LY-BEN-PH1&months=6")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_no_inline_code(&page, "demand");
    assert!(page.body.contains("<svg"), "a chart");
    let before = stockout_cell(&page.body);
    assert_eq!(before.len(), 10, "a date: {before}");
    let r = w
        .pharmacist
        .post(
            "/desk/stock/receive",
            &receipt(&csrf, "demand-receipt-2", "TX-2", "25"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = stockout_cell(
        &officer
            .get("/desk/demand?facility=LY-BEN-PH1&months=6")
            .await
            .body,
    );
    assert_eq!(after.len(), 10, "a date: {after}");
    assert!(after > before, "{before} → {after}");
    // The national roll-up and both CSV files; a pharmacist is held to their own facility.
    let national = officer.get("/desk/demand").await;
    assert!(national.body.contains("id=\"demand-regions\""));
    let regions = officer.get("/desk/demand.csv?view=regions").await;
    assert!(regions
        .body
        .contains("region,atc,strength,form,facilities,on_hand"));
    // The east's row: on hand summed over the region's facilities with demand, of which
    // only the pharmacy keeps stock in the registry here (45).
    let east: Vec<&str> = regions
        .body
        .lines()
        .find(|l| l.starts_with("\"east\",L02BA01,\"20 mg\",tablet,"))
        .unwrap_or_else(|| panic!("no east row: {}", regions.body))
        .split(',')
        .collect();
    assert_eq!(east[5], "45", "{}", regions.body);
    let lines = officer.get("/desk/demand.csv?facility=LY-BEN-PH1").await;
    assert!(
        lines.body.contains(&format!(",{after}\n")),
        "{}",
        lines.body
    );
    let own = w.pharmacist.get("/desk/demand?facility=LY-BEN-PED").await;
    assert!(own.body.contains("id=\"demand-facility\">LY-BEN-PH1<"));
    assert_eq!(
        inspector.get("/desk/demand").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        officer.get("/desk/watch").await.status,
        StatusCode::FORBIDDEN
    );

    // Planted: the same authorisation dispensed an hour earlier at a second pharmacy, synced
    // from its offline queue.
    let ph2 = app.pharmacy("LY-BEN-PH2").await;
    let token = app.user("pharmacist", &ph2).await;
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/dispensings",
            &token,
            Some(
                json!({"idempotency_key": "planted-pair-1", "card_serial": w.serial,
                "authorisation_id": auth, "quantity": 30,
                "offline_at": app.state.clock.now() - 3600}),
            ),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let reads = actions(&app, "watch.read").await;
    let watch = inspector.get("/desk/watch").await;
    assert_eq!(watch.status, StatusCode::OK, "{}", watch.body);
    let pairs = &watch.body[watch.body.find("id=\"watch-pairs\"").expect("a pair")..];
    let pairs = &pairs[..pairs.find("</table>").unwrap()];
    assert!(pairs.contains("L02BA01"));
    let (first, second) = (pairs.find(&ph2).unwrap(), pairs.find("LY-BEN-PH1").unwrap());
    assert!(first < second, "the earlier dispensing first");
    assert!(pairs.contains(" dispensing.record"), "{pairs}");
    assert_eq!(actions(&app, "watch.read").await, reads + 1);
    let csv = inspector.get("/desk/watch.csv").await;
    assert!(
        csv.body.contains(&format!(
            "two_pharmacies,\"{ph2}\",\"LY-BEN-PH1\",L02BA01,{auth},{auth}"
        )),
        "{}",
        csv.body
    );
}
