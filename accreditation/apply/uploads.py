"""Uploads received while the request body streams in: limited in size, written once in clear,
then once encrypted when kept."""

from __future__ import annotations

import logging
import tempfile

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopFutureHandlers

from accreditation.privacy.storage import incoming_dir

log = logging.getLogger(__name__)

MB = 1024 * 1024
HEAD_BYTES = 1024  # enough to decide a file's type (accreditation.filetypes)


class ReceivedFile(UploadedFile):
    """An uploaded file in a temporary file beside its final place, with the first bytes of its
    content as they streamed in, enough to tell its type (its SHA-256 is computed by the
    document checks in the background). Keeping it encrypts it into its place and removes this
    clear copy (accreditation/privacy/storage.py: where a rename used to be); a file not kept
    is deleted when the request ends, and one left by a killed process by the pending purge.
    The clear copy exists only while its request runs, in the storage's 0700 folder: the
    upload screening reads it whole there."""

    def __init__(self, name, content_type, charset, content_type_extra=None):
        file = tempfile.NamedTemporaryFile(suffix=".upload", dir=incoming_dir())
        super().__init__(file, name, content_type, 0, charset, content_type_extra)
        self.head = b""

    def temporary_file_path(self) -> str:
        return self.file.name

    def close(self):
        try:
            return self.file.close()
        except FileNotFoundError:
            pass  # moved into private storage: nothing left to delete


class LimitedUploadHandler(FileUploadHandler):
    """Receives the files of our forms: skips (does not store) any file over the per-file limit
    or past the total limit, and writes each kept one once, beside private storage.

    The names of the skipped fields are left on `request.oversized_uploads`, so the form can say
    which file was too large while keeping everything else the journalist typed. It replaces
    Django's own file handlers for the request (it is the only one that builds files).
    """

    def __init__(self, request=None):
        super().__init__(request)
        self.max_file = settings.PRESSPASS_MAX_FILE_MB * MB
        self.max_total = settings.PRESSPASS_MAX_TOTAL_MB * MB
        self.total = 0
        self.current = 0
        request.oversized_uploads = set()
        request.unstored_uploads = set()  # the disk refused them (full): said on the form

    def new_file(self, field_name, file_name, content_type, *args, **kwargs):
        super().new_file(field_name, file_name, content_type, *args, **kwargs)
        self.current = 0
        self.head = b""
        try:
            self.file = ReceivedFile(self.file_name, self.content_type, self.charset)
        except OSError as exc:
            self._unstored(exc)
            raise StopFutureHandlers() from None
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data, start):
        self.current += len(raw_data)
        self.total += len(raw_data)
        if self.current > self.max_file or self.total > self.max_total:
            self.request.oversized_uploads.add(self.field_name)
            raise SkipFile()  # the parser closes (deletes) the temporary file
        if self.field_name in self.request.unstored_uploads:
            raise SkipFile()
        if len(self.head) < HEAD_BYTES:
            self.head += raw_data[: HEAD_BYTES - len(self.head)]
        try:
            self.file.write(raw_data)
        except OSError as exc:
            self._unstored(exc)
            raise SkipFile() from None
        return None  # this handler keeps the data; no other handler sees it

    def file_complete(self, file_size):
        if self.field_name in self.request.unstored_uploads:
            return None
        try:
            self.file.seek(0)  # writes what was buffered
        except OSError as exc:
            self._unstored(exc)
            self.file.close()
            return None
        self.file.size = file_size
        self.file.head = self.head
        return self.file

    def _unstored(self, exc: OSError) -> None:
        """The disk would not take the file (full, or read-only): the rest of the form is kept
        and the journalist is told to send it again shortly; the operators are alerted."""
        self.request.unstored_uploads.add(self.field_name)
        log.error("An upload could not be stored (%s): is the private storage full?", exc)

    def upload_interrupted(self):
        if hasattr(self, "file"):
            self.file.close()


def install(request) -> None:
    """Make LimitedUploadHandler the request's only upload handler; call before the body is read."""
    request.upload_handlers = [LimitedUploadHandler(request)]
