"""Routes of export_urls (see accreditation/privacy/urls.py)."""

urlpatterns: list = []
