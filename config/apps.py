from django.contrib.admin.apps import AdminConfig


class PresspassAdminConfig(AdminConfig):
    default_site = "config.admin.PresspassAdminSite"
