"""Talking to accredited media: announcements in each journalist's language, by e-mail (with a
calendar entry when they concern a session) and on the status page (issue 19)."""
