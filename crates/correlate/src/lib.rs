//! correlate: see DESIGN.md's layout table.
