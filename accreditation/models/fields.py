"""Fields stored encrypted (issue #21): a value sealed with AES-GCM, read back in clear, and the
keyed hash stored beside it for finding the value (accreditation/privacy/crypto.py)."""

from __future__ import annotations

from django.db import models

from accreditation.privacy import crypto


class SealedCharField(models.CharField):
    """A text the database holds only encrypted. ``max_length`` bounds the clear text (forms,
    validation); the column holds the sealed form, longer (``sealed_length``). Lookups on it
    find nothing (each sealing is different): look values up by their hash field."""

    def __init__(self, *args, sealed_length: int = 300, **kwargs):
        self.sealed_length = sealed_length
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["sealed_length"] = self.sealed_length
        return name, path, args, kwargs

    def db_type(self, connection):
        column = models.CharField(max_length=self.sealed_length, db_collation=self.db_collation)
        return column.db_type(connection)

    def cast_db_type(self, connection):
        return self.db_type(connection)

    @property
    def associated_data(self) -> str:
        # The field's own name: a value copied into another sealed field does not open there.
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value, expression, connection):
        if value and crypto.is_sealed(value):
            return crypto.open_text(value, self.associated_data)
        return value  # a row written before encryption (the data migration seals them)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value and not self._sealed_already(value):
            return crypto.seal_text(value, self.associated_data)
        return value

    def _sealed_already(self, value: str) -> bool:
        """A value sealed by us (written as it is, e.g. by a rotation): one that opens. Typed
        text that merely looks sealed ("pp1:…") is sealed like any other."""
        if not crypto.is_sealed(value):
            return False
        try:
            crypto.open_text(value, self.associated_data)
        except crypto.DecryptionError:
            return False
        return True


class KeyedHashField(models.CharField):
    """The keyed hash (crypto.number_hash) of another field of the row, set on every save and
    bulk insert from that field's clear value."""

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = crypto.number_hash(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value
