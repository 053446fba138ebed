//! engine: see DESIGN.md's layout table.
