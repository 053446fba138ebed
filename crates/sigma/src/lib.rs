//! sigma: see DESIGN.md's layout table.
