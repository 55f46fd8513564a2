"""URLconf for bench/bench_submit.py only: the project's URLs plus a bare upload view.

The bare view is the floor the public form is measured against: Django receives the same
multipart body through the same middleware and upload handlers (a body over
FILE_UPLOAD_MAX_MEMORY_SIZE is streamed to temporary files, as for the real form), then the
view touches every field and file and throws them away (``/bench/bare-kept/`` keeps the
files, renamed into a folder, for the floor that stores what it receives). Never include this
in a deployment.
"""

from __future__ import annotations

import os
import uuid

from django.conf import settings
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as base


@csrf_exempt
@require_POST
def bare_upload(request):
    fields = len(request.POST)  # parses the whole body: fields and files
    files = sum(upload.size for upload in request.FILES.values())
    return HttpResponse(f"{fields} fields, {files} bytes of files\n", content_type="text/plain")


@csrf_exempt
@require_POST
def bare_upload_kept(request):
    """The same, but the files are kept (renamed into a folder beside private storage), as any
    system that accepts documents must: the kernel then writes them to disk instead of
    dropping their pages, which the discarding floor never pays."""
    kept = os.path.join(settings.PRIVATE_STORAGE_ROOT, "bare-kept")
    os.makedirs(kept, exist_ok=True)
    fields = len(request.POST)
    files = 0
    for upload in request.FILES.values():
        files += upload.size
        os.replace(upload.temporary_file_path(), os.path.join(kept, uuid.uuid4().hex))
    return HttpResponse(f"{fields} fields, {files} bytes kept\n", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare_upload, name="bench-bare"),
    path("bench/bare-kept/", bare_upload_kept, name="bench-bare-kept"),
    *base,
]
