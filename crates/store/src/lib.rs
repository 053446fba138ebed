//! store: see DESIGN.md's layout table.
