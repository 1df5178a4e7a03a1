#!/usr/bin/python3
"""A stand-in for Mailpit in the container tests: SMTP on 1025 keeps every email in memory, and
HTTP on 8025 serves the part of Mailpit's API the tests read. `mailpit readyz` checks it."""
import email
import email.policy
import json
import signal
import sys
import threading
import urllib.request
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

if sys.argv[1:] == ["readyz"]:
    try:
        with urllib.request.urlopen("http://127.0.0.1:8025/readyz", timeout=2) as response:
            sys.exit(0 if response.status == 200 else 1)
    except OSError:
        sys.exit(1)

messages = []
lock = threading.Lock()


def address(value):
    name, addr = email.utils.parseaddr(value)
    return {"Name": name, "Address": addr}


class Keep:
    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = parsed.get_body(preferencelist=("plain",))
        html = parsed.get_body(preferencelist=("html",))
        message = {
            "ID": str(uuid.uuid4()),
            "From": address(parsed["From"] or ""),
            "To": [address(to) for to in parsed.get_all("To", [])],
            "Subject": parsed["Subject"] or "",
            "Created": datetime.now(timezone.utc).isoformat(),
            "Text": text.get_content() if text else "",
            "HTML": html.get_content() if html else "",
        }
        with lock:
            messages.insert(0, message)
        return "250 OK"


class Api(BaseHTTPRequestHandler):
    def do_GET(self):
        with lock:
            if self.path == "/readyz":
                return self.reply(200, "ok")
            if self.path.split("?")[0] == "/api/v1/messages":
                summaries = [{k: v for k, v in m.items() if k not in ("Text", "HTML")} for m in messages]
                return self.reply(200, {"total": len(messages), "messages": summaries})
            if self.path.startswith("/api/v1/message/"):
                wanted = self.path.removeprefix("/api/v1/message/")
                found = next((m for m in messages if m["ID"] == wanted), None)
                return self.reply(200, found) if found else self.reply(404, "not found")
        self.reply(404, "not found")

    def reply(self, status, body):
        data = (json.dumps(body) if not isinstance(body, str) else body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json" if not isinstance(body, str) else "text/plain")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


# PID 1 gets no default action for SIGTERM: `docker stop` would wait for its grace period.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
Controller(Keep(), hostname="0.0.0.0", port=1025).start()
ThreadingHTTPServer(("0.0.0.0", 8025), Api).serve_forever()
