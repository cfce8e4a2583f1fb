"""CPU ms per request (process_time, min of 3 x N) of bench pages, served in-process on the production-size
bench database: steadier than wall time when other processes share the cores.

    .venv/bin/python bench/cpu_pages.py floor_signed_in,proposals,ag_group
    TREE=/path/to/other/checkout PYTHONPATH=/path/to/other/checkout .venv/bin/python bench/cpu_pages.py ...   # compare
"""
import os, re, sys, logging, time
from pathlib import Path
ROOT = Path(os.environ.get("TREE") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(ROOT))
db = Path(__file__).resolve().parent / "data" / "bench-production.db"
os.environ.update({"PORTAL_DATABASE_URL": f"sqlite:///{db}", "PORTAL_SECRET_KEY": "bench-secret",
                   "PORTAL_MFA_REQUIRED": "false", "PORTAL_UPLOAD_DIR": str(db.parent / "uploads")})
from bench.pages import PAGES, resolve
from portal import create_app
names = sys.argv[1].split(",")
pages = [p for p in PAGES if p.name in names]
paths = resolve(db, pages)
app = create_app()
logging.disable(logging.INFO)
clients = {}
for page in pages:
    c = clients.get(page.role)
    if c is None:
        c = clients[page.role] = app.test_client()
        if page.role:
            tok = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', c.get("/login").get_data(as_text=True)).group(1)
            c.post("/login", data={"email": page.role, "password": "demo-passwort", "csrf_token": tok})
    p = paths[page.name]
    assert c.get(p, headers=page.headers).status_code == 200
    best = []
    n = int(os.environ.get("N", "30"))
    for _ in range(3):
        t = time.process_time()
        for _ in range(n): c.get(p, headers=page.headers)
        best.append((time.process_time() - t) / n * 1000)
    print(f"{page.name:20} {min(best):6.2f} ms cpu", flush=True)
