//! Fixture writers and helpers shared by the integration tests.
pub mod corpus;
pub mod evtx_writer;
pub mod xml_tree;
