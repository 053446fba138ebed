//! The shared vocabulary of exfilguard: what flows between the pipeline's stages.
//!
//! * [`Event`]: one normalised record from any source, with typed common fields named
//!   after Elastic Common Schema (see [`Field`]) and the source-native record kept
//!   beside it ([`Native`]), so rules written against either naming match.
//! * [`Signal`]: one finding of a detector (a Sigma rule or a behavioural analytic).
//! * [`Incident`]: the signals of one entity in a window, with the playbook triage.
//! * [`Config`]: the `exfilguard.toml` keys every stage reads.
//! * [`Detector`]: the seam between the replay/live engine and the detectors.
//!
//! Field access is resolved once: a rule compiles a field name into a [`FieldRef`]
//! (a canonical slot or an interned native [`Sym`]), and per event the lookup is a
//! `match` or an integer comparison, never a string comparison.
#![deny(missing_docs)]

pub mod attack;
pub mod config;
pub mod detector;
pub mod event;
pub mod field;
pub mod glob;
pub mod incident;
pub mod net;
pub mod shared_text;
pub mod signal;
pub mod symbol;
pub mod text;
pub mod time;
pub mod value;

pub use config::Config;
pub use detector::Detector;
pub use event::{Event, EventKind, LogSource, Native, Origin};
pub use field::{Field, FieldRef};
pub use incident::{Answer, AnswerValue, Decision, Incident, IncidentDestination, Triage};
pub use net::Networks;
pub use shared_text::SharedText;
pub use signal::{RecordRef, Severity, Signal, Stage};
pub use symbol::Sym;
pub use time::Timestamp;
pub use value::{Value, ValueRef};
