//! Cloud and SaaS audit log readers (CloudTrail, Microsoft 365, GitHub, ...).
