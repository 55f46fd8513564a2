"""Benchmark: the cost of encryption at rest (issue #21), in one process, on one core.

    .venv/bin/python bench/bench_crypto.py [--repeat 30]

What each figure is (median of the repetitions, in ms, from a scratch private storage):

- a 5 MB file (an application's three documents together) saved through the private storage:
  encrypted and written, against the same bytes written by Django's plain FileSystemStorage;
- the same file opened and read whole through the private storage (decrypted), against the
  plain read: what the document checks and a reviewer's download pay;
- a 60 KB badge photo opened and read: what badge rendering pays per badge (a 1,000-badge
  batch reads 1,000 of them), and the desk per photo shown;
- a document number sealed and opened, and its keyed hash: what a request's save, each row
  read from the database, and a search by number pay;
- a file's key re-wrapped in place (``rotate_keys``), per file.

The machine is shared: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness import ROOT, load_average

MB = 1024 * 1024


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    repeat = args.repeat
    sys.path.insert(0, str(ROOT))
    folder = Path(tempfile.mkdtemp(prefix="bench-crypto-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["PRESSPASS_VAR_DIR"] = str(folder / "var")
    os.environ["PRIVATE_STORAGE_ROOT"] = str(folder / "private")
    import django

    django.setup()
    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage

    from accreditation.privacy import crypto
    from accreditation.privacy.storage import private_storage, random_name

    print(f"load average before: {load_average()}")
    storage = private_storage()
    plain = FileSystemStorage(location=str(folder / "plain"))
    big = os.urandom(5 * MB)
    photo = os.urandom(60 * 1024)
    saved: list[str] = []

    def save_encrypted():
        saved.append(storage.save(random_name("documents", "pdf"), ContentFile(big)))

    def save_plain():
        plain.save(random_name("documents", "pdf"), ContentFile(big))

    rows = []
    rows.append(("save 5 MB, encrypted", median_ms(save_encrypted, repeat)))
    rows.append(("save 5 MB, plain (Django)", median_ms(save_plain, repeat)))
    name = saved[0]
    plain_name = plain.save("documents/big.pdf", ContentFile(big))

    def read_encrypted():
        with storage.open(name) as handle:
            assert len(handle.read()) == len(big)

    def read_plain():
        with plain.open(plain_name) as handle:
            assert len(handle.read()) == len(big)

    rows.append(("read 5 MB, decrypted", median_ms(read_encrypted, repeat)))
    rows.append(("read 5 MB, plain (Django)", median_ms(read_plain, repeat)))
    photo_name = storage.save(random_name("derived", "jpg"), ContentFile(photo))
    plain_photo = plain.save("derived/photo.jpg", ContentFile(photo))

    def read_photo():
        with storage.open(photo_name) as handle:
            handle.read()

    def read_plain_photo():
        with plain.open(plain_photo) as handle:
            handle.read()

    rows.append(("read a 60 KB photo, decrypted", median_ms(read_photo, repeat * 10)))
    rows.append(("read a 60 KB photo, plain (Django)", median_ms(read_plain_photo, repeat * 10)))
    field = "accreditation.accreditationrequest.id_document_number"
    sealed = crypto.seal_text("AB1234567", field)
    n = 1000
    rows.append(
        (
            "seal a number (x1000)",
            median_ms(lambda: [crypto.seal_text("AB1234567", field) for _ in range(n)], 5),
        )
    )
    rows.append(
        (
            "open a number (x1000)",
            median_ms(lambda: [crypto.open_text(sealed, field) for _ in range(n)], 5),
        )
    )
    rows.append(
        (
            "hash a number (x1000)",
            median_ms(lambda: [crypto.number_hash("AB1234567") for _ in range(n)], 5),
        )
    )

    from django.test import override_settings

    old = crypto.keyring()
    new_keys = f"r2:{crypto.new_key()},{old.current}:{__import__('base64').b64encode(old.kek(old.current)).decode()}"
    with override_settings(PRESSPASS_DATA_KEYS=new_keys):
        started = time.perf_counter()
        count = sum(storage.rewrap(saved_name) for saved_name in saved)
        per = (time.perf_counter() - started) * 1000 / max(1, count)
    rows.append((f"re-wrap one file's key in place ({count} files)", per))

    print(f"{'operation':<52} {'median ms':>10}")
    for label, value in rows:
        print(f"{label:<52} {value:>10.2f}")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
