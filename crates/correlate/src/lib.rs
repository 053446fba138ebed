//! Signals to incidents, and the per-host facts the triage needs.
//!
//! Two halves:
//!
//! * [`Observer`] sees every event on the engine's hot path and keeps small,
//!   bounded facts per host: which telemetry kinds exist (so the triage can say
//!   "no process-execution telemetry for host X" instead of "no"), outbound bytes per
//!   5-minute bucket, per-destination traffic per hour, which hosts talk to each
//!   external destination (lateral spread), the users seen on each host, and the time
//!   windows that packet captures cover. [`Observer::finish`] freezes them into
//!   [`Observations`]; observers of different shards merge with [`Observer::merge`].
//! * [`correlate`] groups the signals of one entity (host, else user for SaaS
//!   findings) into [`IncidentDraft`]s: a gap-based window (default 24 h without a
//!   signal closes an incident), a time-ordered timeline, the furthest chain
//!   [`model::Stage`], destinations with bytes and transfers, detectors, techniques
//!   and a combined score. Output is deterministic: the same signals in any order
//!   give the same drafts, ids and order.
//!
//! The `triage` crate turns a draft into a [`model::Incident`] by answering the
//! playbook.
#![deny(missing_docs)]

mod correlation;
mod observe;
mod score;

pub use correlation::{
    CorrelateConfig, EntityKey, IncidentDraft, correlate, is_service_account, registered_domain,
};
pub use observe::{
    BUCKET_SECS, DestinationKey, DestinationTraffic, HostFacts, MAX_PERSISTENCE_PER_HOST,
    Observations, Observer, PcapWindow, PersistenceKind, PersistenceRecord, Telemetry,
};
pub use score::incident_score;
