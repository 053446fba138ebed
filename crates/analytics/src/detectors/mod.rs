//! The behavioural detectors, one module each (DESIGN.md's detector table).

pub mod cadence;
pub mod novelty;
pub mod volume;
