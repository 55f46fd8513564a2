"""URLconf for bench/bench_submit.py only: the project's URLs plus a bare upload view.

The bare view is the floor the public form is measured against: Django receives the same
multipart body through the same middleware and upload handlers (a body over
FILE_UPLOAD_MAX_MEMORY_SIZE is streamed to temporary files, as for the real form), then the
view touches every field and file and throws them away. Never include this in a deployment.
"""

from __future__ import annotations

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


urlpatterns = [path("bench/bare/", bare_upload, name="bench-bare"), *base]
