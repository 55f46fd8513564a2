"""Benchmark badge rendering: `python bench/bench_badges.py [--quick]`.

Targets (issue 5): one badge as its own PDF in under 20 ms; a 1,000-badge print batch
(distinct badges, a few photos) in under 30 s with peak RSS growth under 150 MB.

Each batch runs in a fresh child process, so its peak RSS growth is its own: the child
resets the kernel's high-water mark (/proc/self/clear_refs) after warming up, renders the
batch to a temporary file, and reports VmHWM − VmRSS-before (bench/harness.py reads both).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from harness import load_average, percentile, proc_status_kb, reset_high_water

TARGET_SINGLE_MS = 20.0
TARGET_BATCH_S = 30.0
TARGET_RSS_MB = 150.0


_BASES: list = []


def portrait(seed: int) -> bytes:
    """A 600×800 JPEG with photo-like detail (noise, gradients), about the size of a real one;
    each seed gives different bytes."""
    from PIL import Image, ImageDraw, ImageFilter

    if not _BASES:
        for k in range(4):
            noise = Image.effect_noise((600, 800), 40 + 5 * k).convert("RGB")
            base = Image.new("RGB", (600, 800), (200 + 10 * k, 205, 215))
            draw = ImageDraw.Draw(base)
            draw.ellipse((180, 130, 420, 430), fill=(205, 150 + 10 * k, 130))
            draw.rectangle((110, 500, 490, 800), fill=(40, 60 + 30 * k, 100))
            _BASES.append(Image.blend(base, noise, 0.25).filter(ImageFilter.GaussianBlur(0.6)))
    image = _BASES[seed % 4].copy()
    ImageDraw.Draw(image).rectangle((0, 0, 40, 40), fill=(seed % 256, (seed // 256) % 256, 99))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def badges(n: int, photos: int):
    """n distinct badges (own names, number, signed code) cycling through `photos` photos."""
    from accreditation.badges.render import BadgeData
    from accreditation.badges.signing import BadgeClaims, generate_keypair, sign_claims

    key, _ = generate_keypair()
    pictures = [portrait(i) for i in range(photos)]
    sessions = [
        ("Opening ceremony", "#1b7f3b"),
        ("Closing ceremony", "#6a1b9a"),
        ("Press conference", "#f2c500"),
    ]
    for i in range(n):
        claims = BadgeClaims(
            badge_id=10_000 + i, version=1, event_id=93, session_ids=(1, 2, 3), key_id=1
        )
        yield BadgeData(
            event_name="93rd INTERPOL General Assembly · Marrakech 2025",
            event_colour="#0b3d6e",
            accent_colour="#c8102e",
            photo_jpeg=pictures[i % photos],
            given_names=f"Fatima Zahra {i}",
            family_names=f"El Mansouri-Benjelloun {i}",
            name_native="فاطمة الزهراء المنصوري",
            outlet="Agence Maghreb Arabe Presse (MAP)",
            country="Morocco",
            role=("Photographer", "Reporter", "Camera operator")[i % 3],
            sessions=sessions[: 1 + i % 3],
            badge_number=f"M-{10_000 + i:06d}",
            qr_text=sign_claims(claims, key),
            footer="Valid only with an identity document and a press card or mission letter.",
        )


def child(layout: str, n: int, photos: int) -> dict:
    """Render one batch in this (fresh) process; return timings and memory."""
    from accreditation.badges.render import render_badge, render_badges

    render_badge(next(badges(1, 1)), layout)  # fonts registered, modules warm
    batch = list(badges(n, photos))  # built first, so only rendering is timed
    reset_high_water()  # VmHWM back to the current RSS
    rss_before = proc_status_kb("VmRSS")
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        count = render_badges(iter(batch), out, layout=layout)
        seconds = time.perf_counter() - start
        size = out.tell()
    peak = proc_status_kb("VmHWM")
    return {
        "layout": layout,
        "badges": count,
        "photos": photos,
        "seconds": seconds,
        "pdf_mb": size / 1e6,
        "rss_growth_mb": (peak - rss_before) / 1024,
    }


def single(layout: str, repeat: int) -> dict:
    from accreditation.badges.render import render_badge

    badge = next(badges(1, 1))
    render_badge(badge, layout)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        render_badge(badge, layout)
        times.append((time.perf_counter() - start) * 1000)
    return {
        "layout": layout,
        "median_ms": statistics.median(times),
        "p90_ms": percentile(times, 90),
    }


def parts(repeat: int) -> dict:
    """Where one badge's fixed costs go: signing, QR encoding."""
    from accreditation.badges.qr import qr_bitmap
    from accreditation.badges.signing import BadgeClaims, generate_keypair, sign_claims

    key, _ = generate_keypair()
    claims = BadgeClaims(badge_id=1, version=1, event_id=93, session_ids=(1, 2, 3), key_id=1)
    start = time.perf_counter()
    for _ in range(repeat):
        text = sign_claims(claims, key)
    sign_ms = (time.perf_counter() - start) / repeat * 1000
    start = time.perf_counter()
    for _ in range(repeat):
        bitmap = qr_bitmap(text)
    qr_ms = (time.perf_counter() - start) / repeat * 1000
    return {
        "sign_ms": sign_ms,
        "qr_ms": qr_ms,
        "qr_version": bitmap.version,
        "code_chars": len(text),
    }


def run_child(layout: str, n: int, photos: int) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", layout, str(n), str(photos)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, smaller batches")
    parser.add_argument(
        "--child", nargs=3, metavar=("LAYOUT", "N", "PHOTOS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        layout, n, photos = args.child
        print(json.dumps(child(layout, int(n), int(photos))))
        return

    from accreditation.badges.render import accelerated

    repeat = 30 if args.quick else 200
    n = 200 if args.quick else 1000
    print(f"load average (1, 5, 15 min) before: {load_average()}")
    print(f"reportlab C accelerators (rl_accel) in use: {'yes' if accelerated() else 'NO'}")
    p = parts(repeat)
    print(
        f"sign {p['sign_ms']:.2f} ms, QR encode {p['qr_ms']:.2f} ms "
        f"(version {p['qr_version']}, {p['code_chars']} characters)"
    )
    print()
    print(f"{'one badge as its own PDF':<40} {'median ms':>10} {'p90 ms':>8} {'target':>8}")
    for layout in ("cr80", "a6", "a4_cr80"):
        s = single(layout, repeat)
        ok = "ok" if s["median_ms"] < TARGET_SINGLE_MS else "MISSED"
        print(f"{layout:<40} {s['median_ms']:>10.1f} {s['p90_ms']:>8.1f} {ok:>8}")
    print()
    print(
        f"{'batch (one PDF, fresh process)':<40} {'badges':>7} {'s':>7} {'ms/badge':>9} "
        f"{'badges/s':>9} {'PDF MB':>7} {'RSS +MB':>8} {'target':>7}"
    )
    for layout, photos in (("cr80", 4), ("a6", 4), ("a4_cr80", 4), ("cr80", n)):
        r = run_child(layout, n, photos)
        per = r["seconds"] / r["badges"] * 1000
        scaled = r["seconds"] * 1000 / r["badges"]  # seconds per 1,000 badges
        ok = "ok" if scaled < TARGET_BATCH_S and r["rss_growth_mb"] < TARGET_RSS_MB else "MISSED"
        label = f"{layout}, {photos} distinct photo{'s' if photos > 1 else ''}"
        print(
            f"{label:<40} {r['badges']:>7} {r['seconds']:>7.2f} {per:>9.2f} "
            f"{r['badges'] / r['seconds']:>9.0f} {r['pdf_mb']:>7.1f} {r['rss_growth_mb']:>8.1f} {ok:>7}"
        )
    print()
    print(
        f"targets: single < {TARGET_SINGLE_MS:.0f} ms; 1,000 badges < {TARGET_BATCH_S:.0f} s, RSS growth < {TARGET_RSS_MB:.0f} MB"
    )
    print(f"load average (1, 5, 15 min) after: {load_average()}")


if __name__ == "__main__":
    main()
