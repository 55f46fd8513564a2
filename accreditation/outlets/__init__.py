"""Outlets and crews: an outlet's focal point registers it once per event, submits its crew,
and confirms who is on assignment for it (issue 20)."""
