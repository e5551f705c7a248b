"""The core of the ALI Mentorship dashboard: data, rules and jobs, free of any user interface."""
