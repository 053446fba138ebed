//! Fixture writers shared by the integration tests.
pub mod evtx_writer;
