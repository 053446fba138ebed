//! analytics: see DESIGN.md's layout table.
