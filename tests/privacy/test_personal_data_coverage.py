"""Every field of every model is in the personal-data inventory (accreditation/privacy/
inventory.py), and every relation that would outlive an erased request is handled: a new field
or model fails here until someone decides whether it is personal and how it goes."""

from __future__ import annotations

from django.apps import apps
from django.db import models

from accreditation.privacy import inventory

# What erase_request deletes: a relation to one of these that does not cascade keeps a row
# (or blocks the deletion) unless the erasure handles it.
ERASED_MODELS = {
    "accreditation.AccreditationRequest",
    "accreditation.Badge",
    "accreditation.Document",
    "accreditation.LateAdmission",
    "interviews.InterviewRequest",
    "outlets.CrewMember",
}


def project_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in inventory.APPS and not model._meta.abstract
    ]


def own_fields(model) -> list:
    return [*model._meta.local_fields, *model._meta.local_many_to_many]


def test_every_field_of_every_model_is_listed_as_personal_or_not():
    missing = [
        f"{model._meta.label}.{field.name}"
        for model in project_models()
        for field in own_fields(model)
        if inventory.category(model._meta.label, field.name) is None
    ]
    assert not missing, (
        "Fields not in the personal-data inventory: "
        + ", ".join(missing)
        + ". Add each to accreditation/privacy/inventory.py INVENTORY under its model, as "
        "PERSON (erased with the request: make sure erasure.erase_request removes it), "
        "OTHERS (purged with the event: retention.py), STAFF, FILE or NONE."
    )


def test_the_inventory_names_only_fields_that_exist_each_once():
    labels = {model._meta.label: model for model in project_models()}
    stale, twice = [], []
    for label, categories in inventory.INVENTORY.items():
        assert set(categories) <= set(inventory.CATEGORIES), label
        names = [name for fields in categories.values() for name in fields]
        twice += [f"{label}.{name}" for name in set(names) if names.count(name) > 1]
        model = labels.get(label)
        existing = {field.name for field in own_fields(model)} if model else set()
        stale += [f"{label}.{name}" for name in names if name not in existing]
    assert not stale, f"Listed in the inventory but not a field any more: {stale}"
    assert not twice, f"Listed in two categories of the inventory: {twice}"


def test_every_relation_that_would_outlive_an_erased_request_is_handled():
    unhandled = [
        f"{model._meta.label}.{field.name}"
        for model in project_models()
        for field in model._meta.local_fields
        if field.is_relation
        and field.related_model._meta.label in ERASED_MODELS
        and field.remote_field.on_delete is not models.CASCADE
        and f"{model._meta.label}.{field.name}" not in inventory.NOT_CASCADING
    ]
    assert not unhandled, (
        f"Relations to erased rows that do not cascade: {unhandled}. Handle each in "
        "accreditation/privacy/erasure.py and list it in inventory.NOT_CASCADING."
    )
