//! triage: see DESIGN.md's layout table.
