"""Interview requests: journalists ask for an interview with a delegation or an official, the
press office triages, the target's contact proposes slots through a private link (issue 19)."""
