//! The registry's Prometheus metrics: counts only, labelled by HTTP method, route
//! *template*, status code, and the stable refusal and conflict codes of dispensing. No
//! identifier, name, token or query string can reach a label. Served at `/metrics` by
//! [`crate::http::metrics`]; counted there (requests) and by the domain (cards issued,
//! dispensings).
//!
//! Each [`crate::domain::Registry`] owns its metrics registry, so two instances in one
//! process (as in the tests) count separately.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// Request-duration buckets, seconds: from a cached trust bundle (~1 ms) to the time limit.
const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The registry's metrics. Cheap to clone (every member is reference-counted).
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    /// Cards signed and stored.
    pub cards_issued: IntCounter,
    /// Dispensings recorded (first requests, not retries).
    pub dispensings_recorded: IntCounter,
    /// Retries answered with the first request's result.
    pub dispensings_replayed: IntCounter,
    /// Dispensings refused, by refusal code (`too_soon`, `card_revoked`, ...).
    pub dispensings_refused: IntCounterVec,
    /// Offline dispensings recorded in conflict with a rule, by conflict code.
    pub dispensings_flagged: IntCounterVec,
    /// Database pool connections by state, set at scrape time.
    pub db_connections: IntGaugeVec,
    /// Largest pool size, set at scrape time.
    pub db_max_connections: IntGauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered at zero.
    ///
    /// # Errors
    /// A metric is malformed or registered twice (a programming error).
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new_custom(Some("registry".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests answered, by route template",
            ),
            &["method", "route", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time to answer an HTTP request, by route template",
            )
            .buckets(DURATION_BUCKETS.to_vec()),
            &["method", "route"],
        )?;
        let cards_issued = IntCounter::new("cards_issued_total", "Cards signed and stored")?;
        let dispensings_recorded = IntCounter::new(
            "dispensings_recorded_total",
            "Dispensings recorded (retries not counted)",
        )?;
        let dispensings_replayed = IntCounter::new(
            "dispensings_replayed_total",
            "Dispensing retries answered with the first result",
        )?;
        let dispensings_refused = IntCounterVec::new(
            Opts::new(
                "dispensings_refused_total",
                "Dispensings refused, by refusal code",
            ),
            &["code"],
        )?;
        let dispensings_flagged = IntCounterVec::new(
            Opts::new(
                "dispensings_flagged_total",
                "Offline dispensings recorded in conflict with a rule, by conflict code",
            ),
            &["code"],
        )?;
        let db_connections = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Database pool connections, idle or in use, at scrape time",
            ),
            &["state"],
        )?;
        let db_max_connections = IntGauge::new(
            "db_pool_max_connections",
            "Largest size of the database pool",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(cards_issued.clone()))?;
        registry.register(Box::new(dispensings_recorded.clone()))?;
        registry.register(Box::new(dispensings_replayed.clone()))?;
        registry.register(Box::new(dispensings_refused.clone()))?;
        registry.register(Box::new(dispensings_flagged.clone()))?;
        registry.register(Box::new(db_connections.clone()))?;
        registry.register(Box::new(db_max_connections.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            duration,
            cards_issued,
            dispensings_recorded,
            dispensings_replayed,
            dispensings_refused,
            dispensings_flagged,
            db_connections,
            db_max_connections,
        })
    }

    /// Counts one answered request.
    pub fn observe(&self, method: &str, route: &str, status: &str, seconds: f64) {
        self.requests
            .with_label_values(&[method, route, status])
            .inc();
        self.duration
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    /// Everything, in the Prometheus text format.
    ///
    /// # Errors
    /// Encoding fails (a programming error).
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_with_their_labels() -> Result<(), prometheus::Error> {
        let m = Metrics::new()?;
        m.observe("GET", "/api/v1/patients/{id}", "200", 0.003);
        m.dispensings_refused.with_label_values(&["too_soon"]).inc();
        let text = m.render()?;
        assert!(text.contains(
            r#"registry_http_requests_total{method="GET",route="/api/v1/patients/{id}",status="200"} 1"#
        ));
        assert!(text.contains(r#"registry_dispensings_refused_total{code="too_soon"} 1"#));
        assert!(text.contains("registry_http_request_duration_seconds_bucket"));
        Ok(())
    }
}
