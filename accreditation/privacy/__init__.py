"""Personal data: the private storage that holds documents, photos and print batches (never
under a public URL, encrypted at rest, decrypted only in the checked views and tasks that need
the bytes), the person's rights (their download, erasure, the access report), consent notices,
the processing register, and the staged retention purge that leaves tombstones and
statistics. An app of its own (label "privacy") for its records.

May import: accreditation.models, .workflow (audit). Imported by every capability that
stores or reads a personal file.
"""
