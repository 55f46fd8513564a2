"""Upload limits enforced while the request body streams in, before any file is kept in memory."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

MB = 1024 * 1024


class LimitedUploadHandler(FileUploadHandler):
    """Skips (does not store) any file over the per-file limit or past the total limit.

    The names of the skipped fields are left on `request.oversized_uploads`, so the form can say
    which file was too large while keeping everything else the journalist typed.
    """

    def __init__(self, request=None):
        super().__init__(request)
        self.max_file = settings.PRESSPASS_MAX_FILE_MB * MB
        self.max_total = settings.PRESSPASS_MAX_TOTAL_MB * MB
        self.total = 0
        self.current = 0
        request.oversized_uploads = set()

    def new_file(self, field_name, *args, **kwargs):
        super().new_file(field_name, *args, **kwargs)
        self.current = 0

    def receive_data_chunk(self, raw_data, start):
        self.current += len(raw_data)
        self.total += len(raw_data)
        if self.current > self.max_file or self.total > self.max_total:
            self.request.oversized_uploads.add(self.field_name)
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) builds the file
