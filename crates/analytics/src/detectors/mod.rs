//! The behavioural detectors, one module each (DESIGN.md's detector table).

pub mod asymmetry;
pub mod automation;
pub mod cadence;
pub mod dns_tunnel;
pub mod marks;
pub mod novelty;
pub mod offhours;
pub mod port;
pub mod staging;
pub mod volume;
