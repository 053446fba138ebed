//! One module per subcommand; `common` holds the flags several share.

pub mod common;
pub mod coverage;
pub mod events;
pub mod flows;
pub mod hunt;
pub mod progress;
pub mod rescore;
pub mod rules;
pub mod simulate;
pub mod validate;
