"""Telling people: the transactional outbox (work recorded with the change that needs it, run
by Celery), the e-mails to journalists and staff, each in its recipient's language, and the
reminders. Communications with accredited media (announcements) will join here.

May import: accreditation.models, .errors, .workflow, events.models. Imported by the
capabilities that need to tell someone or run something in the background.
"""
