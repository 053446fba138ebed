//! The engine: builds the pipeline's stages from a configuration and runs them over
//! a replay of files (`hunt`). Live mode will drive the same [`Pipeline`].
#![deny(missing_docs)]

pub mod pipeline;

pub use pipeline::Pipeline;
