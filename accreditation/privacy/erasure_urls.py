"""Routes of erasure_urls (see accreditation/privacy/urls.py)."""

urlpatterns: list = []
