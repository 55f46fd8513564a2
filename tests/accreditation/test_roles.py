import pytest
from django.contrib.auth.models import Group

from accreditation.roles import ROLE_PERMISSIONS


@pytest.mark.django_db
def test_every_role_has_exactly_its_permissions_after_migrating():
    for role, names in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        have = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert have == set(names), role
