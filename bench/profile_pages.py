#!/usr/bin/env python3
"""Where a page spends its time: the bench pages served in-process, without gunicorn or wrk.

    .venv/bin/python bench/profile_pages.py                       # ms per request for every bench page
    .venv/bin/python bench/profile_pages.py calendar_month post   # only these pages
    .venv/bin/python bench/profile_pages.py --profile board_overview   # and a cProfile listing

Uses the database `bench/run.py` seeded (bench/data/bench-<size>.db). The numbers are for
comparing before and after a change on the same machine, not for RESULTS.md.
"""
from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("pages", nargs="*", help="page names from bench/pages.py (default: all)")
    ap.add_argument("--size", choices=("production", "small"), default="production")
    ap.add_argument("-n", type=int, default=30, help="requests per page")
    ap.add_argument("--profile", action="store_true", help="print a cProfile listing per page")
    ap.add_argument("--sort", default="cumulative", help="cProfile sort key (cumulative, tottime)")
    ap.add_argument("--lines", type=int, default=40)
    a = ap.parse_args()

    db_path = ROOT / "bench" / "data" / f"bench-{a.size}.db"
    if not db_path.exists():
        sys.exit(f"{db_path} fehlt: erst `.venv/bin/python bench/run.py --size {a.size}` (legt sie an)")
    from bench.run import DATA, portal_env

    os.environ.update({k: v for k, v in portal_env(db_path).items() if k.startswith("PORTAL_")})
    os.environ["PORTAL_UPLOAD_DIR"] = str(DATA / "uploads")
    from bench.pages import PAGES, resolve
    from portal import create_app

    pages = [p for p in PAGES if not a.pages or p.name in a.pages]
    paths = resolve(db_path, pages)
    app = create_app()
    logging.disable(logging.INFO)  # the request log, as if shipped to a file
    clients = {}
    for page in pages:
        client = clients.get(page.role)
        if client is None:
            client = clients[page.role] = app.test_client()
            if page.role:
                token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                  client.get("/login").get_data(as_text=True)).group(1)
                client.post("/login", data={"email": page.role, "password": "demo-passwort", "csrf_token": token})
        path = paths[page.name]
        status = client.get(path, headers=page.headers).status_code  # warm, as a running worker is
        assert status == 200, f"{page.name}: {path} answered {status}"
        profiler = cProfile.Profile() if a.profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        for _ in range(a.n):
            client.get(path, headers=page.headers)
        if profiler:
            profiler.disable()
        ms = (time.perf_counter() - started) / a.n * 1000
        if profiler:
            pstats.Stats(profiler).sort_stats(a.sort).print_stats(a.lines)
        print(f"{page.name:22} {ms:7.2f} ms", flush=True)
    client = app.test_client()
    started = time.perf_counter()
    for _ in range(300):
        client.get("/healthz")
    print(f"{'healthz':22} {(time.perf_counter() - started) / 300 * 1000:7.2f} ms")


if __name__ == "__main__":
    main()
