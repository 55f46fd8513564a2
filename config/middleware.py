from django.conf import settings


class ContentSecurityPolicyMiddleware:
    """Send the Content-Security-Policy and Permissions-Policy headers (Django 5.2 has no
    built-in ones); a view may send its own (the gate page allows the camera)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
