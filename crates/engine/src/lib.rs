//! The engine: builds the pipeline's stages from a configuration and runs them over
//! a replay of files (`hunt`). Live mode will drive the same [`Pipeline`].
#![deny(missing_docs)]

pub mod hunt;
pub mod pipeline;

pub use hunt::{
    HuntError, HuntOptions, HuntOutcome, Progress, hunt, load_rules, placeholder_notes,
    selection_notes,
};
pub use pipeline::Pipeline;
