# Interview targets, requests, slots and their thread (issue 19); the press office role gets its permissions.

import django.db.models.deletion
import django_countries.fields
from django.conf import settings
from django.db import migrations, models

from accreditation.roles import migrate_roles


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accreditation', '0023_document_backs'),
        ('events', '0010_collection_info_languages'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='InterviewRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('topic', models.TextField(max_length=1000, verbose_name='topic')),
                ('languages', models.JSONField(default=list, verbose_name='languages')),
                ('format', models.CharField(choices=[('in_person', 'In person'), ('camera', 'On camera'), ('phone', 'By phone')], max_length=16, verbose_name='format')),
                ('preferred_times', models.JSONField(blank=True, default=list, verbose_name='preferred times')),
                ('status', models.CharField(choices=[('requested', 'Requested'), ('forwarded', 'Forwarded to the contact'), ('proposed', 'Times proposed'), ('confirmed', 'Confirmed'), ('declined', 'Declined'), ('merged', 'Merged'), ('cancelled', 'Cancelled')], default='requested', editable=False, max_length=16, verbose_name='status')),
                ('reason', models.TextField(blank=True, editable=False, verbose_name='reason')),
                ('starts_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='starts')),
                ('ends_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='ends')),
                ('place', models.CharField(blank=True, editable=False, max_length=200, verbose_name='place')),
                ('contact_nonce', models.CharField(blank=True, editable=False, max_length=32)),
                ('contact_link_expires_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='asked')),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='interview_requests', to='events.event', verbose_name='event')),
                ('merged_into', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='merged', to='interviews.interviewrequest', verbose_name='group interview')),
                ('merged_session', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='events.session', verbose_name='press point')),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='interviews', to='accreditation.accreditationrequest', verbose_name='journalist')),
            ],
            options={
                'verbose_name': 'interview request',
                'verbose_name_plural': 'interview requests',
                'ordering': ['-created_at', '-pk'],
                'permissions': [('manage_interviews', 'Can triage and arrange interviews')],
            },
        ),
        migrations.CreateModel(
            name='InterviewMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('author', models.CharField(choices=[('contact', "Target's contact"), ('press_office', 'Press office'), ('journalist', 'Journalist')], max_length=16)),
                ('body', models.TextField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('staff_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('interview', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='messages', to='interviews.interviewrequest')),
            ],
            options={
                'ordering': ['created_at', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='InterviewTarget',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('delegation', 'Delegation'), ('official', 'Official or office')], max_length=16, verbose_name='kind')),
                ('country', django_countries.fields.CountryField(blank=True, max_length=2, verbose_name='country of the delegation')),
                ('name', models.CharField(blank=True, help_text='The official or the office; for a delegation, optional (e.g. its head).', max_length=200, verbose_name='name')),
                ('names', models.JSONField(blank=True, default=dict, verbose_name='name in other languages')),
                ('contact_name', models.CharField(max_length=200, verbose_name='contact name')),
                ('contact_email', models.EmailField(max_length=254, verbose_name='contact e-mail')),
                ('contact_language', models.CharField(choices=[('fr', 'French'), ('en', 'English'), ('es', 'Spanish'), ('ar', 'Arabic')], max_length=8, verbose_name='contact language')),
                ('active', models.BooleanField(default=True, verbose_name='offered to journalists')),
                ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='interview_targets', to='events.event', verbose_name='event')),
            ],
            options={
                'verbose_name': 'interview target',
                'verbose_name_plural': 'interview targets',
                'ordering': ['event', 'kind', 'country', 'name'],
            },
        ),
        migrations.AddField(
            model_name='interviewrequest',
            name='target',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='requests', to='interviews.interviewtarget', verbose_name='interview with'),
        ),
        migrations.CreateModel(
            name='InterviewSlot',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('starts_at', models.DateTimeField(verbose_name='starts')),
                ('ends_at', models.DateTimeField(verbose_name='ends')),
                ('place', models.CharField(max_length=200, verbose_name='place')),
                ('withdrawn', models.BooleanField(default=False)),
                ('interview', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='slots', to='interviews.interviewrequest')),
            ],
            options={
                'ordering': ['starts_at', 'pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(('ends_at__gt', models.F('starts_at'))), name='interview_slot_ends_after_start')],
            },
        ),
        migrations.AddConstraint(
            model_name='interviewtarget',
            constraint=models.UniqueConstraint(fields=('event', 'kind', 'country', 'name'), name='interview_target_unique'),
        ),
        migrations.AddIndex(
            model_name='interviewrequest',
            index=models.Index(fields=['event', 'status'], name='interviews__event_i_fbd07a_idx'),
        ),
        migrations.AddIndex(
            model_name='interviewrequest',
            index=models.Index(fields=['target', 'status', 'starts_at'], name='interviews__target__d7086a_idx'),
        ),
        migrations.AddIndex(
            model_name='interviewrequest',
            index=models.Index(fields=['request', 'status', 'starts_at'], name='interviews__request_310722_idx'),
        ),
        migrations.AddConstraint(
            model_name='interviewrequest',
            constraint=models.CheckConstraint(condition=models.Q(('starts_at__isnull', True), ('ends_at__gt', models.F('starts_at')), _connector='OR'), name='interview_ends_after_start'),
        ),
        # The press office's permissions exist now: give the roles exactly theirs.
        migrations.RunPython(migrate_roles, migrations.RunPython.noop),
    ]
