import secrets

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accreditation.roles import ROLE_PERMISSIONS


class Command(BaseCommand):
    help = "Create a staff account with a role and a TOTP device; prints the password and the otpauth URI."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(ROLE_PERMISSIONS))
        parser.add_argument("--email", default="")

    def handle(self, *args, username, role, email, **options):
        if User.objects.filter(username=username).exists():
            raise CommandError(f"{username} exists already.")
        password = secrets.token_urlsafe(15)
        with transaction.atomic():
            user = User.objects.create_user(username, email=email, password=password, is_staff=True)
            user.groups.add(Group.objects.get(name=role))
            device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        self.stdout.write(f"{username} ({role}) password: {password}")
        self.stdout.write(f"Add this to an authenticator app: {device.config_url}")
