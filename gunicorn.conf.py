"""gunicorn settings: `gunicorn wsgi:app` reads this file from the working directory.

Override with GUNICORN_CMD_ARGS or environment variables below.
"""
import os

bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("PORTAL_WORKERS", "2"))
threads = int(os.environ.get("PORTAL_THREADS", "1"))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
# Restart workers now and then so that memory stays flat over months.
max_requests = 5000
max_requests_jitter = 500
accesslog = None  # the portal logs one structured line per request itself (portal/ops.py)
errorlog = "-"
loglevel = "info"
forwarded_allow_ips = os.environ.get("PORTAL_FORWARDED_ALLOW_IPS", "127.0.0.1")
