"""Staff accounts: signing in with a second factor (enrolment at first sign-in, recovery codes,
a supervisor's reset), the idle timeout, and what ends an account's sessions and tokens.

Owns: second_factor.py (the services), forms.py (the sign-in form), views.py (enrolment and
recovery codes, served by the admin site), sessions.py (idle timeout, ending sessions),
admin.py (the users' admin: reset a second factor, deactivate).
Imports: the core (workflow.audit, errors, roles), django-otp; nothing of other capabilities."""
