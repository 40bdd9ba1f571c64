//! The stock forms' posts: each parses into the API's own input, calls the same operation,
//! and either redirects to the stock page with what was done or shows the page again with
//! the form as typed and the error beside its field (nothing written).

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;

use super::{dose_form, parse_batch, stock_page, Forms};
use crate::desk::{parse_date, parse_number, render, DeskError, DeskUser, FormState};
use crate::domain::stock::{
    self, AdjustReason, AdjustmentInput, CountInput, Medicine, Moved, ReceiptInput, ReceiveInput,
    TransferInput,
};
use crate::domain::{Error, Registry};

/// Which form a post came from.
#[derive(Debug, Clone, Copy)]
enum Which {
    Receipt,
    Count,
    Adjustment,
    Transfer,
    Arrival,
}

/// The message key of a field's error.
fn invalid_key(field: &str) -> &'static str {
    match field {
        "atc" => "stock.invalid.atc",
        "strength" => "stock.invalid.strength",
        "form" => "stock.invalid.form",
        "lot" => "stock.invalid.lot",
        "expiry" => "stock.invalid.expiry",
        "batch" => "stock.invalid.batch",
        "reason" => "stock.invalid.reason",
        "to_facility" => "stock.invalid.to_facility",
        _ => "stock.invalid.quantity",
    }
}

/// After a movement: a redirect to the page with what was done, or the page again with the
/// form as typed and why it was refused (nothing written).
async fn finish(
    state: &Registry,
    user: &DeskUser,
    outcome: Result<Moved, Error>,
    which: Which,
    form: FormState,
) -> Result<Response, DeskError> {
    let lang = user.lang;
    let done = match which {
        Which::Receipt => "received",
        Which::Count => "counted",
        Which::Adjustment => "adjusted",
        Which::Transfer => "sent",
        Which::Arrival => "arrived",
    };
    let (mut form, error) = match outcome {
        Ok(m) => {
            let done = if m.replayed { "replayed" } else { done };
            return Ok(Redirect::to(&format!("/desk/stock?done={done}")).into_response());
        }
        Err(Error::Validation { field, .. }) => {
            let mut form = form;
            // The batch lists stand for the medicine and the lot.
            let shown = match (which, field.as_str()) {
                (Which::Adjustment | Which::Transfer, "atc" | "strength" | "form" | "lot") => {
                    "batch"
                }
                (Which::Count, "counted") => "quantity",
                _ => field.as_str(),
            };
            let shown = if shown == "idempotency_key" {
                "quantity"
            } else {
                shown
            };
            form.fail(shown, lang.t(invalid_key(shown)));
            (form, None)
        }
        Err(Error::Conflict { code, .. }) => {
            let reason = lang.t(crate::desk::conflict_key(code));
            let mut form = form;
            if code == "insufficient_stock" {
                form.fail("quantity", reason);
            }
            (
                form,
                Some(format!("{} {reason} [{code}]", lang.t("stock.refused"))),
            )
        }
        Err(e) => return Err(user.fail(e)),
    };
    let mut forms = Forms::new();
    form.values.remove("key");
    let slot = match which {
        Which::Receipt => &mut forms.receipt,
        Which::Count => &mut forms.count,
        Which::Adjustment => &mut forms.adjustment,
        Which::Transfer | Which::Arrival => &mut forms.transfer,
    };
    if !matches!(which, Which::Arrival) {
        form.prefix = slot.prefix;
        *slot = form;
    }
    let mut page = stock_page(state, user, None, forms).await?;
    page.error = error.or_else(|| {
        matches!(which, Which::Arrival).then(|| {
            format!(
                "{} {}",
                lang.t("stock.refused"),
                lang.t("stock.invalid.quantity")
            )
        })
    });
    render(lang, StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// The medicine typed in a receipt or count form.
fn typed_medicine(f: &FormState) -> Result<Medicine, Error> {
    let form = dose_form(f.v("form")).ok_or_else(|| Error::invalid("form", "a dose form"))?;
    Ok(Medicine {
        atc: f.v("atc").trim().to_uppercase(),
        strength: f.v("strength").to_owned(),
        form,
    })
}

fn quantity(f: &FormState, field: &str) -> Result<u64, Error> {
    parse_number::<u64>(f.v(field)).ok_or_else(|| Error::invalid(field, "a whole number"))
}

type Posted = Result<Form<HashMap<String, String>>, FormRejection>;

/// `POST /desk/stock/receive`
pub(super) async fn receive(
    State(state): State<Registry>,
    user: DeskUser,
    form: Posted,
) -> Result<Response, DeskError> {
    let f = FormState::with_values("rc", user.posted(form, stock::KEEPERS)?);
    let input = typed_medicine(&f).and_then(|medicine| {
        Ok(ReceiptInput {
            idempotency_key: f.v("key").to_owned(),
            medicine,
            lot: f.v("lot").trim().to_owned(),
            expiry: parse_date(f.v("expiry")).ok_or_else(|| Error::invalid("expiry", ""))?,
            quantity: quantity(&f, "quantity")?,
        })
    });
    let outcome = match input {
        Ok(input) => stock::receive(&state, &user.caller, &input).await,
        Err(e) => Err(e),
    };
    finish(&state, &user, outcome, Which::Receipt, f).await
}

/// `POST /desk/stock/count`
pub(super) async fn count(
    State(state): State<Registry>,
    user: DeskUser,
    form: Posted,
) -> Result<Response, DeskError> {
    let f = FormState::with_values("ct", user.posted(form, stock::KEEPERS)?);
    let input = typed_medicine(&f).and_then(|medicine| {
        let expiry = match f.opt("expiry") {
            None => None,
            Some(e) => Some(parse_date(&e).ok_or_else(|| Error::invalid("expiry", ""))?),
        };
        Ok(CountInput {
            idempotency_key: f.v("key").to_owned(),
            medicine,
            lot: f.v("lot").trim().to_owned(),
            expiry,
            counted: quantity(&f, "quantity")?,
        })
    });
    let outcome = match input {
        Ok(input) => stock::count(&state, &user.caller, &input).await,
        Err(e) => Err(e),
    };
    finish(&state, &user, outcome, Which::Count, f).await
}

/// `POST /desk/stock/adjust`: the quantity is typed positive; its sign follows the reason
/// (a correction's is typed).
pub(super) async fn adjust(
    State(state): State<Registry>,
    user: DeskUser,
    form: Posted,
) -> Result<Response, DeskError> {
    let f = FormState::with_values("ad", user.posted(form, stock::KEEPERS)?);
    let input = (|| -> Result<AdjustmentInput, Error> {
        let (medicine, lot) =
            parse_batch(f.v("batch")).ok_or_else(|| Error::invalid("batch", ""))?;
        let reason: AdjustReason =
            serde_json::from_value(serde_json::Value::String(f.v("reason").to_owned()))
                .map_err(|_| Error::invalid("reason", ""))?;
        let typed = parse_number::<i64>(f.v("quantity"))
            .filter(|q| *q != 0)
            .ok_or_else(|| Error::invalid("quantity", ""))?;
        let quantity = match reason {
            AdjustReason::Expired | AdjustReason::Damaged | AdjustReason::Lost => -typed.abs(),
            AdjustReason::Found => typed.abs(),
            AdjustReason::Correction => typed,
        };
        Ok(AdjustmentInput {
            idempotency_key: f.v("key").to_owned(),
            medicine,
            lot,
            reason,
            quantity,
        })
    })();
    let outcome = match input {
        Ok(input) => stock::adjust(&state, &user.caller, &input).await,
        Err(e) => Err(e),
    };
    finish(&state, &user, outcome, Which::Adjustment, f).await
}

/// `POST /desk/stock/transfer`
pub(super) async fn transfer(
    State(state): State<Registry>,
    user: DeskUser,
    form: Posted,
) -> Result<Response, DeskError> {
    let f = FormState::with_values("tr", user.posted(form, stock::KEEPERS)?);
    let input = (|| -> Result<TransferInput, Error> {
        let (medicine, lot) =
            parse_batch(f.v("batch")).ok_or_else(|| Error::invalid("batch", ""))?;
        let to = f
            .opt("to_facility")
            .ok_or_else(|| Error::invalid("to_facility", ""))?;
        Ok(TransferInput {
            idempotency_key: f.v("key").to_owned(),
            medicine,
            lot,
            quantity: quantity(&f, "quantity")?,
            to_facility: to,
        })
    })();
    let outcome = match input {
        Ok(input) => stock::send(&state, &user.caller, &input).await,
        Err(e) => Err(e),
    };
    finish(&state, &user, outcome, Which::Transfer, f).await
}

/// `POST /desk/stock/arrive`: a transfer on its way here arrived (all of it, or the
/// quantity typed).
pub(super) async fn arrive(
    State(state): State<Registry>,
    user: DeskUser,
    form: Posted,
) -> Result<Response, DeskError> {
    let f = FormState::with_values("ar", user.posted(form, stock::KEEPERS)?);
    let outcome = match f.opt("quantity") {
        Some(q) => parse_number::<u64>(&q)
            .map(Some)
            .ok_or_else(|| Error::invalid("quantity", "")),
        None => Ok(None),
    };
    let outcome = match outcome {
        Ok(quantity) => {
            stock::arrive(
                &state,
                &user.caller,
                f.v("transfer"),
                &ReceiveInput { quantity },
            )
            .await
        }
        Err(e) => Err(e),
    };
    finish(&state, &user, outcome, Which::Arrival, f).await
}
