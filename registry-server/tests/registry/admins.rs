//! Admins administer; they do not treat (issue #15): a grant that reaches patient data waits
//! for a second admin, on both databases.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{backends, patient_with_tumour, Staff, TestApp};

async fn password_hash(app: &TestApp, user: &str) -> Option<String> {
    let (hash,): (Option<String>,) =
        sqlx::query_as("SELECT password_hash FROM users WHERE id = $1")
            .bind(user)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    hash
}

async fn decide(app: &TestApp, token: &str, approval: &Value, how: &str) -> (StatusCode, Value) {
    let id = approval["id"].as_str().expect("an approval");
    app.call(
        Method::POST,
        &format!("/api/v1/approvals/{id}/{how}"),
        token,
        None,
    )
    .await
}

#[tokio::test]
async fn a_second_admin_approves_what_reaches_patient_data() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let (patient, _) = patient_with_tumour(&app, &staff).await;
        let record = format!("/api/v1/patients/{patient}/record");
        let reads = |token: String| {
            let (app, record) = (&app, &record);
            async move { app.call(Method::GET, record, &token, None).await.0 }
        };
        assert_eq!(
            reads(app.admin.clone()).await,
            StatusCode::FORBIDDEN,
            "{backend:?}: an admin's own token reads no patient"
        );

        // A clinician made by one admin opens nothing until another approves.
        let (status, made) = app.create_user("clinician", "LY-BEN-PED").await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        let approval = made["approval"].clone();
        assert_eq!(approval["status"], "pending", "{made}");
        assert_eq!(approval["action"], "user.create");
        assert_eq!(made["user"]["active"], 0);
        let clinician = made["user"]["id"].as_str().unwrap().to_string();
        let token = made["token"].as_str().unwrap().to_string();
        assert_eq!(reads(token.clone()).await, StatusCode::UNAUTHORIZED);
        let (status, own) = decide(&app, &app.admin, &approval, "approve").await;
        assert_eq!(
            (status, &own["code"]),
            (StatusCode::CONFLICT, &"own_request".into())
        );
        let (status, listed) = app
            .call(Method::GET, "/api/v1/approvals", &app.admin2, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{listed}");
        assert!(listed
            .to_string()
            .contains(approval["id"].as_str().unwrap()));
        let (status, approved) = decide(&app, &app.admin2, &approval, "approve").await;
        assert_eq!(status, StatusCode::OK, "{approved}");
        assert_eq!(approved["status"], "approved");
        assert_eq!(reads(token.clone()).await, StatusCode::OK, "{backend:?}");
        let (status, again) = decide(&app, &app.admin2, &approval, "refuse").await;
        assert_eq!(
            (status, &again["code"]),
            (StatusCode::CONFLICT, &"already_decided".into())
        );

        // A token for another user is held; refused, it is revoked.
        let (status, minted) = app
            .call(
                Method::POST,
                &format!("/api/v1/users/{clinician}/tokens"),
                &app.admin,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{minted}");
        let second = minted["token"].as_str().unwrap().to_string();
        assert_eq!(reads(second.clone()).await, StatusCode::UNAUTHORIZED);
        let (status, _) = decide(&app, &app.admin2, &minted["approval"], "refuse").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(reads(second).await, StatusCode::UNAUTHORIZED);
        let (_, tokens) = app
            .call(
                Method::GET,
                &format!("/api/v1/users/{clinician}/tokens"),
                &app.admin,
                None,
            )
            .await;
        let refused = tokens
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == minted["id"])
            .unwrap();
        assert!(refused["revoked_at"].is_i64(), "{refused}");

        // Another user's desk password waits; the admin's own is set at once.
        let body = json!({"password": "a long enough password"});
        let (status, held) = app
            .call(
                Method::PUT,
                &format!("/api/v1/users/{clinician}/password"),
                &app.admin,
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{held}");
        assert_eq!(password_hash(&app, &clinician).await, None);
        let (status, _) = decide(&app, &app.admin2, &held, "approve").await;
        assert_eq!(status, StatusCode::OK);
        assert!(password_hash(&app, &clinician).await.is_some());
        let admin_id = app.admin_id().await;
        let (status, _) = app
            .call(
                Method::PUT,
                &format!("/api/v1/users/{admin_id}/password"),
                &app.admin,
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);

        // With two admins, a third waits too; a statistician (aggregates only) does not.
        let (_, third) = app.create_user("admin", "LY-MOH").await;
        assert_eq!(third["approval"]["status"], "pending", "{third}");
        let (_, statistician) = app.create_user("statistician", "LY-MOH").await;
        assert!(statistician["approval"].is_null(), "{statistician}");
        assert_eq!(statistician["user"]["active"], 1);

        // A request waits 7 days at most: then it can only be refused.
        let (_, late) = app.create_user("registrar", "LY-BEN-PED").await;
        app.state.clock.advance(7 * 86_400);
        let (status, expired) = decide(&app, &app.admin2, &late["approval"], "approve").await;
        assert_eq!(
            (status, &expired["code"]),
            (StatusCode::CONFLICT, &"approval_expired".into())
        );
        let (status, _) = decide(&app, &app.admin2, &late["approval"], "refuse").await;
        assert_eq!(status, StatusCode::OK);
        let late_token = late["token"].as_str().unwrap().to_string();
        assert_eq!(reads(late_token).await, StatusCode::UNAUTHORIZED);

        // Each decision is in the audit log: the five of `Staff::hire` (its statistician
        // needed none) and this test's two approvals, and its two refusals.
        for (action, count) in [("approval.approve", 7), ("approval.refuse", 2)] {
            let uri = format!("/api/v1/audit?action={action}");
            let (status, entries) = app.call(Method::GET, &uri, &staff.auditor, None).await;
            assert_eq!(status, StatusCode::OK, "{entries}");
            assert_eq!(
                entries.as_array().unwrap().len(),
                count,
                "{backend:?} {action}: {entries}"
            );
        }
    }
}
