"""Where a person's data are: a name, an e-mail address or a document number looked for in every
table of the database and every file of the private storage (``manage.py personal_data_search``,
and the tests that prove an erasure or a purge left nothing).

The database is read model by model through the ORM, so that sealed columns (document numbers,
accreditation/models/fields.py) are searched decrypted, and browser sessions are searched
decoded; the keyed hash kept beside a document number is searched too. Tables without a model
(none today, a third-party app's tomorrow) are read with plain SQL. Every text, JSON, file and
binary column is searched; numbers, dates and booleans are not.

Files are read through the storage's listing and ``open()``: what is searched is the decrypted
content (and, in a local storage, the uploads still being received in ``incoming/``, plain). A PDF is searched both as bytes and as the text pypdf extracts from it, because its
pages are usually compressed (a name typed on a letter or printed on a badge is not in the raw
bytes); the text inside images (a scanned passport, a photo of a press card) cannot be found
without OCR, and is not looked for.

Names are matched as people are searched elsewhere (accreditation/models/names.py): no case,
no accents or vowel marks, the usual Arabic letter variants folded, punctuation ignored, whole
words, the words of a name in any order ("Dubois Claire" finds "Claire Dubois", and the stored
search key "clairedubois" too). What is reported is where (table.column and the row's id, or
the file's storage name), never the value around it."""

from __future__ import annotations

import io
import itertools
import json
import logging
import os
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import connection, models

from accreditation.models.names import search_key
from accreditation.privacy import crypto

log = logging.getLogger(__name__)

# Columns that cannot hold a name, an address or a document number.
_NOT_TEXT = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "FloatField",
    "DecimalField",
    "BooleanField",
    "NullBooleanField",
    "DateField",
    "DateTimeField",
    "TimeField",
    "DurationField",
    "UUIDField",
    "ForeignKey",
    "OneToOneField",
}
_MAX_WORDS_REORDERED = 4  # a name of up to four words is also looked for in every word order


@dataclass(frozen=True)
class Place:
    """Where something was found: a database column and row, or a stored file."""

    where: str  # "table.column" or the file's storage name
    row: str = ""  # the row's id; empty for a file

    @property
    def in_storage(self) -> bool:
        return not self.row

    def __str__(self) -> str:
        if self.in_storage:
            return f"storage: {self.where}"
        return f"database: {self.where}, row {self.row}"


@dataclass
class Findings:
    """For each text looked for, the places it was found; and the files that could not be
    read (their content was not searched)."""

    places: dict[str, list[Place]]
    unreadable: list[str] = field(default_factory=list)

    def found(self, text: str) -> bool:
        return bool(self.places.get(text))


def _words(text: str) -> list[str]:
    """The words of a text, each folded as a name's search key is."""
    spaced = "".join(
        " " if unicodedata.category(c)[0] in "PSZC" else c
        for c in unicodedata.normalize("NFC", text)
    )
    return [key for key in (search_key(word) for word in spaced.split()) if key]


def fold(text: str) -> str:
    """A text as it is searched: its folded words, one space between them and around them."""
    return " " + " ".join(_words(text)) + " "


class Needle:
    """One text looked for, in the forms it may be stored in."""

    def __init__(self, text: str):
        self.text = text
        words = _words(text)
        orders = (
            itertools.permutations(words)
            if 1 < len(words) <= _MAX_WORDS_REORDERED
            else [tuple(words)]
        )
        self.phrases: set[str] = set()
        for order in orders:
            self.phrases.add(" " + " ".join(order) + " ")  # the words, in this order
            self.phrases.add(" " + "".join(order) + " ")  # a stored key: the words run together
        self.phrases.discard("  ")
        # A name spread over a row's columns (given names, family names): every word in it.
        self.words = [f" {word} " for word in dict.fromkeys(words)] if len(words) > 1 else []
        raw = " ".join(text.split()).casefold()
        self.raw_bytes = {raw.encode()} if raw else set()
        # A document number is stored sealed, beside its keyed hash (under each listed key).
        self.hashes = crypto.lookup_hashes(text) if any(c.isdigit() for c in text) else []

    def in_text(self, value: str, folded: str | None = None) -> bool:
        folded = fold(value) if folded is None else folded
        return any(p in folded for p in self.phrases) or any(h in value for h in self.hashes)

    def in_bytes(self, lowered: bytes) -> bool:
        return any(b in lowered for b in self.raw_bytes)

    def in_row(self, cells: list[tuple[Place, str, str]]) -> list[Place]:
        """The cells of one row (place, value, folded value) that hold the text; and, when its
        words are all in the row, spread over its cells, those that hold one of them."""
        found = [place for place, value, folded in cells if self.in_text(value, folded)]
        if self.words and all(any(w in folded for _p, _v, folded in cells) for w in self.words):
            found.extend(
                place
                for place, _v, folded in cells
                if place not in found and any(w in folded for w in self.words)
            )
        return found


# --- The database ---------------------------------------------------------------------------


def _text_columns(model) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if not f.is_relation and f.get_internal_type() not in _NOT_TEXT
    ]


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", errors="ignore")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(getattr(value, "name", value))  # a FieldFile: its name


def _event_rows(model, event) -> models.Q | None:
    """The rows of ``model`` that belong to ``event`` (and those no longer attributable, a
    request gone), or None when the model is not tied to an event (searched whole)."""
    from accreditation.models import AccreditationRequest
    from events.models import Event

    if model is Event:
        return models.Q(pk=event.pk)
    relations = [f for f in model._meta.concrete_fields if f.is_relation and f.many_to_one]
    for target, lookup in ((Event, "{}"), (AccreditationRequest, "{}__event")):
        for relation in relations:
            if relation.related_model is target:
                q = models.Q(**{lookup.format(relation.name): event})
                if relation.null:
                    q |= models.Q(**{f"{relation.name}__isnull": True})
                return q
    return None


Row = list[tuple[Place, str]]  # one row's text cells


def _session_rows(model) -> Iterator[Row]:
    table = model._meta.db_table
    for session in model.objects.iterator(chunk_size=500):
        decoded = session.get_decoded()
        text = json.dumps(decoded, ensure_ascii=False, default=str)
        yield [(Place(f"{table}.session_data", str(session.pk)), text)]


def database_cells(*, event=None) -> Iterator[tuple[Place, str]]:
    """Every text cell of every table, as text (sealed columns opened, sessions decoded)."""
    for row in database_rows(event=event):
        yield from row


def database_rows(*, event=None) -> Iterator[Row]:
    """Every row of every table, as its text cells (sealed columns opened, sessions decoded)."""
    seen_tables: set[str] = set()
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in seen_tables:
            continue
        seen_tables.add(meta.db_table)
        if issubclass(model, AbstractBaseSession):
            yield from _session_rows(model)
            continue
        columns = _text_columns(model)
        if not columns:
            continue
        rows = model._base_manager.all()
        if event is not None and (only := _event_rows(model, event)) is not None:
            rows = rows.filter(only)
        names = [c.attname for c in columns]
        for pk, *values in rows.values_list("pk", *names).iterator(chunk_size=2000):
            cells = [
                (Place(f"{meta.db_table}.{column.column}", str(pk)), _as_text(value))
                for column, value in zip(columns, values, strict=True)
            ]
            yield [(place, text) for place, text in cells if text]
    yield from _unmodelled_rows(seen_tables)


def _unmodelled_rows(known: set[str]) -> Iterator[Row]:
    """The tables no model describes, read as they are."""
    with connection.cursor() as cursor:
        for table in sorted(set(connection.introspection.table_names()) - known):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - a name from introspection
            columns = [d[0] for d in cursor.description]
            for number, row in enumerate(cursor.fetchall(), start=1):
                ident = dict(zip(columns, row, strict=True)).get("id", f"#{number}")
                cells = [
                    (Place(f"{table}.{column}", str(ident)), _as_text(value))
                    for column, value in zip(columns, row, strict=True)
                    if isinstance(value, str | bytes | memoryview)
                ]
                yield [(place, text) for place, text in cells if text]


# --- The storage ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredFile:
    name: str
    lowered: bytes  # the decrypted content, ASCII letters in lower case
    text: str  # the text of a PDF's pages and properties; empty for other files


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    parts = [page.extract_text() or "" for page in reader.pages]
    parts.extend(str(value) for value in (reader.metadata or {}).values())
    return "\n".join(parts)


def _incoming(storage) -> Iterator[tuple[str, bytes]]:
    """The uploads being received (or left by a process killed while receiving them), in the
    local storage's incoming folder: plain, not yet encrypted into their place."""
    from django.core.files.storage import FileSystemStorage

    from accreditation.privacy.storage import INCOMING

    if not isinstance(storage, FileSystemStorage):  # the proxy passes isinstance through
        return
    try:
        entries = list(os.scandir(os.path.join(storage.location, INCOMING)))
    except FileNotFoundError:
        return
    for entry in entries:
        try:
            if entry.is_file():
                with open(entry.path, "rb") as handle:
                    yield f"{INCOMING}/{entry.name}", handle.read()
        except FileNotFoundError:
            continue  # moved into place or deleted meanwhile


def _stored(storage, unreadable: list[str] | None) -> Iterator[tuple[str, bytes]]:
    for name in storage.names():
        try:
            with storage.open(name, "rb") as handle:
                yield name, handle.read()
        except FileNotFoundError:
            continue  # deleted meanwhile
        except (crypto.DecryptionError, OSError) as exc:
            log.warning("A private file could not be read (%s): %s", type(exc).__name__, name)
            if unreadable is not None:
                unreadable.append(name)
    yield from _incoming(storage)


def storage_files(*, storage=None, unreadable: list[str] | None = None) -> Iterator[StoredFile]:
    """Every file of the private storage, decrypted, and the uploads being received; those that
    do not open (a key missing, a damaged file) are listed in ``unreadable``."""
    from accreditation.privacy.storage import private_storage

    storage = storage or private_storage()
    for name, content in _stored(storage, unreadable):
        text = ""
        if content.startswith(b"%PDF"):
            try:
                text = _pdf_text(content)
            except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on a bad PDF
                log.warning(
                    "A private PDF's text could not be read (%s): %s", type(exc).__name__, name
                )
                if unreadable is not None:
                    unreadable.append(name)
        yield StoredFile(name=name, lowered=content.lower(), text=text)


# --- The search -----------------------------------------------------------------------------


def personal_data_search(texts: Sequence[str], *, event=None, storage=None) -> Findings:
    """Where each of ``texts`` is, in the database (``event``'s rows and the rows tied to no
    event, or everything) and in the private storage (every file)."""
    needles = [Needle(text) for text in texts]
    findings = Findings(places={text: [] for text in texts})
    for row in database_rows(event=event):
        cells = [(place, value, fold(value)) for place, value in row]
        for needle in needles:
            findings.places[needle.text].extend(needle.in_row(cells))
    for stored in storage_files(storage=storage, unreadable=findings.unreadable):
        place = Place(stored.name)
        # A file is one row: its name and its text (a passport's surname and given names are
        # on separate lines).
        cells = [(place, text, fold(text)) for text in (stored.name, stored.text) if text]
        for needle in needles:
            if needle.in_bytes(stored.lowered) or needle.in_row(cells):
                findings.places[needle.text].append(place)
    return findings


def found_anywhere(texts: Iterable[str], **options) -> list[str]:
    """The texts found somewhere (for the tests of erasure and retention)."""
    texts = list(texts)
    findings = personal_data_search(texts, **options)
    return [text for text in texts if findings.found(text)]
