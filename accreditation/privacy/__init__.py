"""Personal data at rest: the private storage that holds documents, photos and print batches
(never under a public URL; sent through checked views or nginx's internal location), and the
retention purge that deletes what the event no longer needs. Data protection (encryption,
export, erasure) will join here.

May import: accreditation.models, .workflow (audit). Imported by every capability that
stores or reads a personal file.
"""
