//! simulate: see DESIGN.md's layout table.
