//! The demand report as the API, the desk and its CSV file show it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use card_format::model::Date;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::supply::forecast::{Forecast, Inputs};

/// One month of demand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DemandMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// Units due on active authorisations, on their schedules.
    pub scheduled: u64,
    /// Units expected on them: `scheduled` × the medicine's follow-through.
    pub due: u64,
    /// Units the expected new cases will take.
    pub new_cases: u64,
    /// The sum.
    pub total: u64,
}

/// One facility × medicine.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DemandLine {
    /// The facility.
    pub facility_code: String,
    /// Its region.
    pub region: String,
    /// WHO ATC code.
    pub atc: String,
    /// Strength.
    pub strength: String,
    /// Dose form.
    pub form: String,
    /// Whether the facility keeps its stock in the registry (otherwise `on_hand` is not
    /// known and shown as 0).
    pub keeps_stock: bool,
    /// Stock on hand now.
    pub on_hand: u64,
    /// The share of the units due on schedule that patients collected in the last 91 days,
    /// for this medicine over every facility (or all medicines together when it has too few
    /// authorisations; 1 without a past), applied to the units due ahead.
    pub follow_through: f64,
    /// Demand per month, this month first.
    pub months: Vec<DemandMonth>,
    /// Units consumed in each of the past three months, oldest first.
    pub consumed: Vec<u64>,
    /// Days with a recorded stock-out in each of them.
    pub stockout_days: Vec<u32>,
    /// OpenLMIS adjusted consumption N of each.
    pub adjusted_consumption: Vec<u64>,
    /// OpenLMIS average monthly consumption P.
    pub average_monthly_consumption: Option<u64>,
    /// Months of stock at P (mSupply).
    pub months_of_stock: Option<f64>,
    /// OpenLMIS maximum stock H = P × 3.
    pub maximum_stock: u64,
    /// OpenLMIS order quantity I = max(0, H − on hand).
    pub openlmis_order: u64,
    /// The registry's proposed order: max(0, forecast demand of the next 3 months − on
    /// hand).
    pub proposed_order: u64,
    /// The day stock runs out at the forecast demand (none: it outlasts the months).
    pub stockout_date: Option<Date>,
}

impl DemandLine {
    /// A line of the report.
    pub fn new(
        keeps_stock: bool,
        key: &(String, String, String, String),
        region: &str,
        inputs: &Inputs<'_>,
        f: Forecast,
    ) -> DemandLine {
        DemandLine {
            facility_code: key.0.clone(),
            region: region.to_owned(),
            atc: key.1.clone(),
            strength: key.2.clone(),
            form: key.3.clone(),
            keeps_stock,
            on_hand: inputs.on_hand,
            follow_through: inputs.follow_through,
            months: f
                .months
                .iter()
                .map(|m| DemandMonth {
                    month: format!("{:04}-{:02}", m.year, m.month),
                    scheduled: m.scheduled,
                    due: m.due,
                    new_cases: m.new_cases,
                    total: m.total,
                })
                .collect(),
            consumed: inputs.consumed.iter().map(|c| c.units).collect(),
            stockout_days: inputs.consumed.iter().map(|c| c.stockout_days).collect(),
            adjusted_consumption: f.adjusted,
            average_monthly_consumption: f.average_monthly,
            months_of_stock: f.months_of_stock,
            maximum_stock: f.maximum_stock,
            openlmis_order: f.openlmis_order,
            proposed_order: f.proposed_order,
            stockout_date: f.stockout,
        }
    }
}

/// One region × medicine of the national roll-up: the sums of its facilities' lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RegionLine {
    /// The region.
    pub region: String,
    /// WHO ATC code.
    pub atc: String,
    /// Strength.
    pub strength: String,
    /// Dose form.
    pub form: String,
    /// Facilities with a line for it.
    pub facilities: u64,
    /// Stock on hand.
    pub on_hand: u64,
    /// Demand per month.
    pub months: Vec<DemandMonth>,
    /// OpenLMIS orders.
    pub openlmis_order: u64,
    /// The registry's proposed orders.
    pub proposed_order: u64,
    /// The earliest stock-out date among its facilities.
    pub first_stockout: Option<Date>,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DemandReport {
    /// Today.
    pub today: Date,
    /// Months ahead.
    pub months: u32,
    /// Active authorisations with no facility to place them at (never dispensed, and no
    /// prescribing facility recorded): left out.
    pub unplaced: u64,
    /// Each facility × medicine.
    pub lines: Vec<DemandLine>,
    /// The national roll-up by region.
    pub regions: Vec<RegionLine>,
}

impl DemandReport {
    /// The report of `lines`, with its roll-up by region.
    pub fn new(today: Date, months: u32, unplaced: u64, lines: Vec<DemandLine>) -> DemandReport {
        let mut regions: BTreeMap<(String, String, String, String), RegionLine> = BTreeMap::new();
        for l in &lines {
            let k = (
                l.region.clone(),
                l.atc.clone(),
                l.strength.clone(),
                l.form.clone(),
            );
            let r = regions.entry(k).or_insert_with(|| RegionLine {
                region: l.region.clone(),
                atc: l.atc.clone(),
                strength: l.strength.clone(),
                form: l.form.clone(),
                facilities: 0,
                on_hand: 0,
                months: l
                    .months
                    .iter()
                    .map(|m| DemandMonth {
                        month: m.month.clone(),
                        scheduled: 0,
                        due: 0,
                        new_cases: 0,
                        total: 0,
                    })
                    .collect(),
                openlmis_order: 0,
                proposed_order: 0,
                first_stockout: None,
            });
            r.facilities += 1;
            r.on_hand = r.on_hand.saturating_add(l.on_hand);
            for (sum, m) in r.months.iter_mut().zip(&l.months) {
                sum.scheduled = sum.scheduled.saturating_add(m.scheduled);
                sum.due = sum.due.saturating_add(m.due);
                sum.new_cases = sum.new_cases.saturating_add(m.new_cases);
                sum.total = sum.total.saturating_add(m.total);
            }
            r.openlmis_order = r.openlmis_order.saturating_add(l.openlmis_order);
            r.proposed_order = r.proposed_order.saturating_add(l.proposed_order);
            r.first_stockout = match (r.first_stockout, l.stockout_date) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        DemandReport {
            today,
            months,
            unplaced,
            lines,
            regions: regions.into_values().collect(),
        }
    }

    /// The lines as CSV: one row per facility × medicine, a column per month's total.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# demand for {} months from {}; unplaced authorisations: {}",
            self.months, self.today, self.unplaced
        );
        let months: Vec<String> = self
            .lines
            .first()
            .map(|l| {
                l.months
                    .iter()
                    .map(|m| format!("demand_{}", m.month))
                    .collect()
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "facility,region,atc,strength,form,on_hand,{}{}average_monthly_consumption,months_of_stock,maximum_stock,openlmis_order,proposed_order,stockout_date",
            months.join(","),
            if months.is_empty() { "" } else { "," }
        );
        for l in &self.lines {
            let totals: Vec<String> = l.months.iter().map(|m| m.total.to_string()).collect();
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{}{}{},{},{},{},{},{}",
                csv_field(&l.facility_code),
                csv_field(&l.region),
                l.atc,
                csv_field(&l.strength),
                l.form,
                l.on_hand,
                totals.join(","),
                if totals.is_empty() { "" } else { "," },
                l.average_monthly_consumption
                    .map_or(String::new(), |p| p.to_string()),
                l.months_of_stock
                    .map_or(String::new(), |m| format!("{m:.2}")),
                l.maximum_stock,
                l.openlmis_order,
                l.proposed_order,
                l.stockout_date.map_or(String::new(), |d| d.to_string()),
            );
        }
        out
    }

    /// The national roll-up as CSV: one row per region × medicine, a column per month's
    /// total.
    pub fn regions_to_csv(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# demand by region for {} months from {}; unplaced authorisations: {}",
            self.months, self.today, self.unplaced
        );
        let months: Vec<String> = self
            .regions
            .first()
            .map(|r| {
                r.months
                    .iter()
                    .map(|m| format!(",demand_{}", m.month))
                    .collect()
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "region,atc,strength,form,facilities,on_hand{},openlmis_order,proposed_order,first_stockout",
            months.concat()
        );
        for r in &self.regions {
            let totals: String = r.months.iter().map(|m| format!(",{}", m.total)).collect();
            let _ = writeln!(
                out,
                "{},{},{},{},{},{}{totals},{},{},{}",
                csv_field(&r.region),
                r.atc,
                csv_field(&r.strength),
                r.form,
                r.facilities,
                r.on_hand,
                r.openlmis_order,
                r.proposed_order,
                r.first_stockout.map_or(String::new(), |d| d.to_string()),
            );
        }
        out
    }
}

/// A text field for CSV: quoted, with quotes doubled, and a leading `=`, `+`, `-` or `@`
/// neutralised so a spreadsheet does not run it as a formula.
pub fn csv_field(text: &str) -> String {
    let safe = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    format!("\"{}\"", safe.replace('"', "\"\""))
}
