"""Telling people: the transactional outbox (work recorded with the change that needs it, run
by Celery), the e-mails to journalists and staff, each in its recipient's language, and the
reminders (an unanswered question; before the deadline, what a request still misses; before
the event, the badge to collect). Announcements and interviews (accreditation.communications,
.interviews) render and make their e-mails with notify.emails too.

May import: accreditation.models, .errors, .workflow, .communications.models (the reminders
sent), events.models. Imported by the capabilities that need to tell someone or run something
in the background.
"""
