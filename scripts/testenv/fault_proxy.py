#!/usr/bin/env python3
"""A fault-injecting, byte-counting HTTP/1.1 reverse proxy for a registry, for tests.

    fault_proxy.py --upstream http://127.0.0.1:5000 [--upstream-ca CA.pem] [--port N]
                   [--redirect-port N] [--log FILE] [--ready-file FILE]

Listens on 127.0.0.1 only. Every request is forwarded to the upstream registry (plain HTTP or
HTTPS) with bodies streamed both ways (Content-Length or chunked), headers kept except hop-by-hop
ones, Host set to the upstream, and `Location` headers that point at the upstream rewritten to
point at the proxy (so upload sessions keep going through the proxy).

Control endpoint (not forwarded, not counted):

  POST   /__control  {"faults": [RULE, ...], "append": false, "reset_stats": false,
                      "random": RANDOM}
                     replaces (or with "append": true extends) the pending faults; answers the stats
  GET    /__control  the stats (below), the pending faults and the random mode
  DELETE /__control  clears faults, the random mode and stats

  RANDOM = {"p": 0.2, "seed": 7, "retry_after": 1}   (or null: off)
  Random mode: a request that no pending rule matches gets, with probability p, one of six
  faults: status500, status503, status429 (Retry-After: retry_after), close, a body cut short
  (truncate on a GET's response, drop_mid_body on an upload's request body) or flip_byte (a
  blob GET's body). Only the faults that apply to the request are drawn from (a HEAD has no body
  to cut). The draw depends only on the seed, the method, the path and how many times that
  method and path were seen before, so a run's faults do not depend on the order in which
  concurrent requests arrive.

  RULE = {"match": {"method": "GET", "path_regex": "/blobs/sha256:"},   # both optional
          "action": ACTION, "times": 1,     # times: how many matching requests; -1 = every one
          "seconds": 1.0,                   # delay only
          "bytes": N}                       # drop_mid_body / truncate: body bytes sent before the cut

  path_regex is searched (re.search) in the request target, query included. The first pending
  rule that matches a request is used (and its count decremented); a request gets one fault.

Actions:
  status500, status503      answer that status (registry-style JSON error body), not forwarded
  status429                 the same with `Retry-After: 1` (or "retry_after")
  close                     no reply at all: the request is read, then the connection closed
                            (curl: "Empty reply from server")
  flip_byte                 response: one byte of the body flipped (at "bytes", default the middle)
  trickle                   response: the body at "bytes" bytes per second (default 1), like a
                            registry that answers a manifest at 1 byte per second
  drop_mid_body             response: headers and half the body (or "bytes"), then a TCP reset.
                            On a request that carries a body (PUT/PATCH/POST), the proxy instead
                            reads half of the request body (the first chunk if chunked) and resets,
                            forwarding nothing: an upload that dies on the way.
  truncate                  response: a body shorter than its Content-Length (all but the last
                            byte, or "bytes"), then a clean close (FIN).
  wrong_digest              response: headers unchanged, every body byte replaced (b ^ 0xFF), so
                            the length matches and the digest does not.
  redirect_other_host       answer `307 Location: http://localhost:RPORT<same target>`. RPORT is a
                            second listener that serves the same bytes by fetching them from the
                            upstream with the credentials of the original request, like a
                            presigned storage URL, and records whether the client sent an
                            `Authorization` header to it (it should not: other host).
  delay                     sleep "seconds" (default 1) before forwarding normally.

Stats (GET /__control):
  requests_total, by_request {"METHOD /path STATUS": n} (path without query), requests [last
  5000 entries], request_body_bytes / response_body_bytes (bodies that crossed the proxy's
  listener), blob_body_bytes {"GET","PUT","PATCH","POST","total"} (response bytes of GETs and
  request bytes of uploads on paths containing /blobs/, including what the redirect host served),
  faults_injected, faults_pending, redirect_host {url, requests, response_body_bytes},
  authorization_seen_on_redirect_host.

Authorization header values are never logged or reported.
"""

import argparse
import fcntl
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import ssl
import struct
import sys
import termios
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import serving  # scripts/testenv/serving.py

CHUNK = 64 * 1024
UPSTREAM_TIMEOUT = 60  # seconds, per socket operation
MAX_REQUEST_ENTRIES = 5000
MAX_TICKETS = 10000
ACTIONS = {"status500", "status503", "status429", "close", "flip_byte", "trickle", "drop_mid_body", "truncate", "wrong_digest",
           "redirect_other_host", "delay"}
# Headers that describe one connection rather than the message (RFC 9110 7.6.1), plus Host
# (re-set for the upstream) and Expect (http.server already answered 100-continue).
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailer", "trailers", "transfer-encoding", "upgrade", "expect", "host"}
FLIP = bytes(255 - i for i in range(256))  # wrong_digest: every byte changes, length kept


def now_iso():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


# --------------------------------------------------------------------------------------------
# Faults and stats: shared, thread-safe state.

class FaultRule:
    _next_id = 0

    def __init__(self, obj):
        if not isinstance(obj, dict):
            raise ValueError("a fault rule must be an object")
        self.action = obj.get("action")
        if self.action not in ACTIONS:
            raise ValueError(f"unknown action {self.action!r}; known: {sorted(ACTIONS)}")
        match = obj.get("match") or {}
        self.method = (match.get("method") or "").upper() or None
        self.path_regex = match.get("path_regex")
        self._regex = re.compile(self.path_regex) if self.path_regex else None
        self.times = int(obj.get("times", 1))
        self.seconds = float(obj.get("seconds", 1.0))
        self.bytes = obj.get("bytes")
        if self.bytes is not None:
            self.bytes = max(0, int(self.bytes))
        self.retry_after = max(0, int(obj.get("retry_after", 1)))
        FaultRule._next_id += 1
        self.id = FaultRule._next_id

    def matches(self, method, target):
        return ((self.method is None or self.method == method) and
                (self._regex is None or self._regex.search(target) is not None))

    def describe(self):
        return {"id": self.id, "action": self.action, "times": self.times,
                "match": {"method": self.method, "path_regex": self.path_regex},
                "seconds": self.seconds, "bytes": self.bytes}


class FaultBook:
    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []

    def set(self, rules, append=False):
        with self._lock:
            self._rules = (self._rules + rules) if append else list(rules)

    def take(self, method, target):
        """The first pending rule matching this request, its count spent; None if none."""
        with self._lock:
            for rule in self._rules:
                if rule.times != 0 and rule.matches(method, target):
                    if rule.times > 0:
                        rule.times -= 1
                    if rule.times == 0:
                        self._rules.remove(rule)
                    return rule
        return None

    def pending(self):
        with self._lock:
            return [r.describe() for r in self._rules]


class RandomFaults:
    """The random mode: each request gets a fault with probability p, drawn from a hash of the
    seed, the method, the path and that method and path's count, so concurrency cannot change it."""

    def __init__(self):
        self._lock = threading.Lock()
        self._config = None
        self._seen = {}

    def set(self, config):
        with self._lock:
            self._seen = {}
            if config is None:
                self._config = None
                return
            if not isinstance(config, dict):
                raise ValueError("random must be an object or null")
            p = float(config.get("p", 0.2))
            if not 0 <= p <= 1:
                raise ValueError("random.p must be between 0 and 1")
            self._config = {"p": p, "seed": int(config.get("seed", 0)),
                            "retry_after": max(0, int(config.get("retry_after", 1)))}

    def describe(self):
        with self._lock:
            return dict(self._config) if self._config else None

    def choose(self, method, target, has_request_body):
        """A FaultRule for this request, or None."""
        path = urlsplit(target).path
        with self._lock:
            if not self._config:
                return None
            key = (method, path)
            count = self._seen.get(key, 0)
            self._seen[key] = count + 1
            config = dict(self._config)
        digest = hashlib.sha256(f"{config['seed']}|{method}|{path}|{count}".encode()).digest()
        draw = int.from_bytes(digest[:8], "big") / 2 ** 64
        if draw >= config["p"]:
            return None
        applicable = ["status500", "status503", "status429", "close"]
        if has_request_body:
            applicable.append("drop_mid_body")
        elif method == "GET":
            applicable.append("truncate")
            if "/blobs/" in path:
                applicable.append("flip_byte")
        action = applicable[int.from_bytes(digest[8:16], "big") % len(applicable)]
        return FaultRule({"action": action, "retry_after": config["retry_after"]})


class Stats:
    def __init__(self, redirect_url):
        self._lock = threading.Lock()
        self._redirect_url = redirect_url
        self.reset()

    def reset(self):
        with self._lock:
            self._s = {
                "requests_total": 0,
                "by_request": {},
                "requests": [],
                "requests_dropped_from_list": 0,
                "request_body_bytes": 0,
                "response_body_bytes": 0,
                "blob_body_bytes": {"GET": 0, "PUT": 0, "PATCH": 0, "POST": 0, "total": 0},
                "faults_injected": [],
                "redirect_host": {"url": self._redirect_url, "requests": 0,
                                  "response_body_bytes": 0},
                "authorization_seen_on_redirect_host": False,
            }

    def record(self, *, via, method, path, status, request_bytes, response_bytes, fault):
        with self._lock:
            s = self._s
            key = f"{method} {path} {status}"
            s["by_request"][key] = s["by_request"].get(key, 0) + 1
            s["requests_total"] += 1
            s["requests"].append({"via": via, "method": method, "path": path, "status": status,
                                  "request_bytes": request_bytes,
                                  "response_bytes": response_bytes, "fault": fault,
                                  "time": now_iso()})
            if len(s["requests"]) > MAX_REQUEST_ENTRIES:
                del s["requests"][0]
                s["requests_dropped_from_list"] += 1
            if via == "proxy":
                s["request_body_bytes"] += request_bytes
                s["response_body_bytes"] += response_bytes
            else:
                s["redirect_host"]["requests"] += 1
                s["redirect_host"]["response_body_bytes"] += response_bytes
            if "/blobs/" in path:
                moved = response_bytes if method == "GET" else request_bytes
                if method in s["blob_body_bytes"] and moved:
                    s["blob_body_bytes"][method] += moved
                    s["blob_body_bytes"]["total"] += moved
            if fault:
                s["faults_injected"].append({"action": fault, "method": method, "path": path,
                                             "via": via, "time": now_iso()})

    def saw_authorization_on_redirect_host(self):
        with self._lock:
            self._s["authorization_seen_on_redirect_host"] = True

    def snapshot(self):
        with self._lock:
            return json.loads(json.dumps(self._s))


class Tickets:
    """Target -> Authorization of the request that was redirected, so the redirect host can fetch
    the same bytes from an upstream that needs auth (the role of a presigned URL's signature)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._map = {}

    def put(self, target, authorization):
        with self._lock:
            if len(self._map) >= MAX_TICKETS:
                self._map.pop(next(iter(self._map)))
            self._map[target] = authorization

    def get(self, target):
        with self._lock:
            return self._map.get(target)


# --------------------------------------------------------------------------------------------
# Wire helpers.

class Upstream:
    def __init__(self, url, cafile):
        u = urlsplit(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError(f"bad upstream URL {url!r}")
        self.scheme = u.scheme
        self.host = u.hostname
        self.port = u.port or (443 if u.scheme == "https" else 80)
        self.netloc = u.netloc
        self.origin = f"{u.scheme}://{u.netloc}"
        self._ctx = ssl.create_default_context(cafile=cafile) if u.scheme == "https" else None

    def connect(self):
        if self._ctx is not None:
            return http.client.HTTPSConnection(self.host, self.port, timeout=UPSTREAM_TIMEOUT,
                                               context=self._ctx)
        return http.client.HTTPConnection(self.host, self.port, timeout=UPSTREAM_TIMEOUT)


class RequestBody:
    """Reads a client's request body as it arrives, Content-Length or chunked, never all at once."""

    def __init__(self, rfile, headers):
        self._rfile = rfile
        self.chunked = "chunked" in (headers.get("Transfer-Encoding") or "").lower()
        self.length = None if self.chunked else int(headers.get("Content-Length") or 0)
        self.received = 0

    @property
    def present(self):
        return self.chunked or self.length > 0

    def pieces(self, limit=None):
        """Yields the decoded body in pieces of at most CHUNK bytes; stops after `limit` bytes."""
        if self.chunked:
            yield from self._chunked_pieces(limit)
            return
        remaining = self.length if limit is None else min(self.length, limit)
        while remaining > 0:
            data = self._rfile.read(min(CHUNK, remaining))
            if not data:
                raise ConnectionError("client closed the connection mid-body")
            remaining -= len(data)
            self.received += len(data)
            yield data

    def _chunked_pieces(self, limit):
        while True:
            line = self._rfile.readline(1024)
            if not line:
                raise ConnectionError("client closed the connection mid-chunk")
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                for _ in range(100):  # trailers, bounded
                    if self._rfile.readline(8192) in (b"\r\n", b"\n", b""):
                        break
                return
            while size > 0:
                data = self._rfile.read(min(CHUNK, size))
                if not data:
                    raise ConnectionError("client closed the connection mid-chunk")
                size -= len(data)
                self.received += len(data)
                yield data
                if limit is not None and self.received >= limit:
                    return
            self._rfile.read(2)  # CRLF after the chunk data

    def drain(self):
        for _ in self.pieces():
            pass


def reset_connection(sock):
    """Close with SO_LINGER 0: the peer gets a TCP RST, not a clean FIN, like a dropped link.

    A reset discards data still queued in the kernel, so first wait (at most 2 s) until the send
    queue is empty: the client then really receives the bytes the stats say were sent."""
    deadline = time.monotonic() + 2.0
    try:
        while time.monotonic() < deadline:
            queued = struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ,
                                                    b"\0\0\0\0"))[0]
            if queued == 0:
                break
            time.sleep(0.01)
    except OSError:
        pass
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


# --------------------------------------------------------------------------------------------
# Handlers.

class BaseHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # idle/slow client sockets time out instead of pinning a thread
    server_version = "imagepatch-fault-proxy"

    # Set on the class by main().
    upstream: Upstream = None
    faults: FaultBook = None
    random: "RandomFaults" = None
    stats: Stats = None
    tickets: Tickets = None
    logfile = None
    redirect_port = 0

    def log_message(self, fmt, *args):  # our own access log replaces http.server's stderr lines
        pass

    def log_line(self, via, status, req_bytes, resp_bytes, fault, note=""):
        if self.logfile:
            # The path only: never headers, so no Authorization value can reach the log.
            self.logfile.write(f"{now_iso()} {via} {self.command} {self.path} {status} "
                               f"req={req_bytes} resp={resp_bytes} fault={fault or '-'}"
                               f"{' ' + note if note else ''}\n")
            self.logfile.flush()

    def send_simple(self, status, body=b"", headers=(), content_type="application/json"):
        self.send_response_only(status)
        self.send_header("Date", self.date_time_string())
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
        return len(body) if self.command != "HEAD" else 0

    def forward_headers(self):
        return [(k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP]

    def open_upstream(self, method, target, headers, body):
        """Sends the request upstream, streaming `body` (a RequestBody or None); -> (conn, resp)."""
        conn = self.upstream.connect()
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", self.upstream.netloc)
        for k, v in headers:
            if body is not None and body.chunked and k.lower() == "content-length":
                continue
            conn.putheader(k, v)
        if body is not None and body.chunked:
            conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        if body is not None and body.present:
            for data in body.pieces():
                conn.send(b"%x\r\n%s\r\n" % (len(data), data) if body.chunked else data)
            if body.chunked:
                conn.send(b"0\r\n\r\n")
        return conn, conn.getresponse()

    def relay_response(self, resp, rule=None, rewrite_location=None):
        """Streams an upstream response to the client, applying `rule`'s body fault (drop_mid_body,
        truncate, wrong_digest; other actions are handled before forwarding); -> body bytes sent."""
        fault = rule.action if rule else None
        no_body = (self.command == "HEAD" or resp.status in (204, 304) or resp.status < 200)
        headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
        declared = resp.getheader("Content-Length")
        declared = int(declared) if declared is not None and declared.isdigit() else None
        chunked_out = not no_body and declared is None
        if rewrite_location:
            headers = [(k, rewrite_location(v) if k.lower() == "location" else v)
                       for k, v in headers]

        cut = None  # body bytes to send before the fault cuts the connection
        flip_at = None  # flip_byte: the body offset of the byte to flip
        if not no_body and fault == "flip_byte":
            flip_at = rule.bytes if rule.bytes is not None else (declared // 2 if declared else 0)
        if not no_body and fault in ("drop_mid_body", "truncate"):
            if rule.bytes is not None:
                cut = rule.bytes
            elif declared is None:
                cut = CHUNK // 2
            else:
                cut = declared // 2 if fault == "drop_mid_body" else max(0, declared - 1)

        self.send_response_only(resp.status, resp.reason)
        self.sent_status = resp.status
        for k, v in headers:
            self.send_header(k, v)
        if chunked_out:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        sent = 0
        if no_body:
            resp.read()
            return 0
        while cut is None or sent < cut:
            want = CHUNK if cut is None else min(CHUNK, cut - sent)
            data = resp.read(want)
            if not data:
                break
            if fault == "wrong_digest":
                data = data.translate(FLIP)
            if fault == "trickle":
                rate = max(1, rule.bytes or 1)
                for i in range(0, len(data), rate):
                    piece = data[i:i + rate]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked_out else piece)
                    self.wfile.flush()
                    sent += len(piece)
                    self.sent_bytes = sent
                    time.sleep(1)
                continue
            if flip_at is not None and sent <= flip_at < sent + len(data):
                i = flip_at - sent
                data = data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked_out else data)
            sent += len(data)
            self.sent_bytes = sent  # kept current: a client that hangs up still gets counted
        if cut is not None:
            self.wfile.flush()
            self.close_connection = True
            if fault == "drop_mid_body":
                reset_connection(self.connection)
            # truncate: the normal close after this request sends a FIN.
            return sent
        if chunked_out:
            self.wfile.write(b"0\r\n\r\n")
        return sent


class ProxyHandler(BaseHandler):
    def do_GET(self): self.handle_any()
    def do_HEAD(self): self.handle_any()
    def do_PUT(self): self.handle_any()
    def do_PATCH(self): self.handle_any()
    def do_POST(self): self.handle_any()
    def do_DELETE(self): self.handle_any()
    def do_OPTIONS(self): self.handle_any()

    def handle_any(self):
        if urlsplit(self.path).path == "/__control":
            return self.control()
        body = RequestBody(self.rfile, self.headers)
        rule = self.faults.take(self.command, self.path)
        if rule is None:
            rule = self.random.choose(self.command, self.path, body.present)
        action = rule.action if rule else None
        status, resp_bytes, note = 0, 0, ""
        try:
            if action == "delay":
                time.sleep(min(rule.seconds, 600))
            if action in ("status500", "status503", "status429"):
                body.drain()  # read the upload so the connection stays usable
                status = int(action[6:])
                err = {"errors": [{"code": "UNAVAILABLE" if status != 500 else "UNKNOWN",
                                   "message": f"fault injected by fault_proxy ({action})"}]}
                extra = [("Retry-After", str(rule.retry_after))] if status == 429 else []
                resp_bytes = self.send_simple(status, json.dumps(err).encode(), extra)
            elif action == "close":
                body.drain()
                self.close_connection = True  # no status line, no headers: an empty reply
                note = "closed without a reply"
            elif action == "redirect_other_host":
                body.drain()
                self.tickets.put(self.path, self.headers.get("Authorization"))
                status = 307
                resp_bytes = self.send_simple(status, headers=[
                    ("Location", f"http://localhost:{self.redirect_port}{self.path}")])
            elif action == "drop_mid_body" and body.present:
                half = (rule.bytes if rule.bytes is not None else
                        (1 if body.chunked else max(1, body.length // 2)))
                for _ in body.pieces(limit=half):
                    pass
                self.close_connection = True
                reset_connection(self.connection)
                note = "request body dropped"
            else:
                status, resp_bytes = self.forward(body, rule if action != "delay" else None)
        except (ConnectionError, socket.timeout, OSError, http.client.HTTPException) as e:
            self.close_connection = True
            note = f"error={type(e).__name__}"
            if status == 0 and not self._headers_sent():
                status = 502
                try:
                    resp_bytes = self.send_simple(502, json.dumps(
                        {"errors": [{"code": "UNAVAILABLE", "message": "proxy: upstream failed"}]}
                    ).encode())
                except OSError:
                    pass
        finally:
            # After an exception the relay's running totals are the truth.
            status = status or self.sent_status
            resp_bytes = resp_bytes or self.sent_bytes
            path = urlsplit(self.path).path
            self.stats.record(via="proxy", method=self.command, path=path, status=status,
                              request_bytes=body.received, response_bytes=resp_bytes,
                              fault=action)
            self.log_line("proxy", status, body.received, resp_bytes, action, note)

    def _headers_sent(self):
        return getattr(self, "_sent_headers", False)

    def end_headers(self):
        self._sent_headers = True
        super().end_headers()

    def handle_one_request(self):
        self._sent_headers = False
        self.sent_status, self.sent_bytes = 0, 0
        super().handle_one_request()

    def forward(self, body, rule):
        conn, resp = self.open_upstream(self.command, self.path, self.forward_headers(), body)
        try:
            client_origin = "http://" + (self.headers.get("Host") or
                                         f"127.0.0.1:{self.server.server_address[1]}")

            def rewrite(location):
                if location.startswith(self.upstream.origin):
                    return client_origin + location[len(self.upstream.origin):]
                return location

            status = resp.status
            sent = self.relay_response(resp, rule, rewrite)
            return status, sent
        finally:
            conn.close()

    def control(self):
        try:
            if self.command == "GET":
                snap = self.stats.snapshot()
                snap["faults_pending"] = self.faults.pending()
                snap["random"] = self.random.describe()
                snap["upstream"] = self.upstream.origin
                return self.send_simple(200, json.dumps(snap).encode())
            if self.command == "DELETE":
                self.faults.set([])
                self.random.set(None)
                self.stats.reset()
                return self.send_simple(200, b'{"ok": true}')
            if self.command == "POST":
                length = int(self.headers.get("Content-Length") or 0)
                if length > 1 << 20:
                    self.close_connection = True
                    return self.send_simple(413, b'{"error": "too large"}')
                req = json.loads(self.rfile.read(length) or b"{}")
                if req.get("reset_stats"):
                    self.stats.reset()
                if "faults" in req:
                    self.faults.set([FaultRule(r) for r in req["faults"]],
                                    append=bool(req.get("append")))
                if "random" in req:
                    self.random.set(req["random"])
                snap = self.stats.snapshot()
                snap["faults_pending"] = self.faults.pending()
                return self.send_simple(200, json.dumps(snap).encode())
            self.send_simple(405, b'{"error": "GET, POST or DELETE"}')
        except (ValueError, re.error, TypeError) as e:
            self.send_simple(400, json.dumps({"error": str(e)}).encode())


class RedirectHostHandler(BaseHandler):
    """The "other host" a redirect_other_host fault sends clients to."""

    def do_GET(self): self.serve_redirected()
    def do_HEAD(self): self.serve_redirected()

    def handle_one_request(self):
        self.sent_status, self.sent_bytes = 0, 0
        super().handle_one_request()

    def serve_redirected(self):
        if self.headers.get("Authorization") is not None:
            self.stats.saw_authorization_on_redirect_host()
        status, sent, note = 0, 0, ""
        headers = [(k, v) for k, v in self.forward_headers() if k.lower() != "authorization"]
        auth = self.tickets.get(self.path)
        if auth:
            headers.append(("Authorization", auth))
        try:
            conn, resp = self.open_upstream(self.command, self.path, headers, None)
            try:
                status = resp.status
                sent = self.relay_response(resp)
            finally:
                conn.close()
        except (ConnectionError, socket.timeout, OSError, http.client.HTTPException) as e:
            self.close_connection = True
            note = f"error={type(e).__name__}"
        finally:
            status, sent = status or self.sent_status, sent or self.sent_bytes
            self.stats.record(via="redirect_host", method=self.command,
                              path=urlsplit(self.path).path, status=status, request_bytes=0,
                              response_bytes=sent, fault=None)
            self.log_line("redirect_host", status, 0, sent, None, note)


# --------------------------------------------------------------------------------------------

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--upstream", required=True, help="registry URL, http:// or https://")
    p.add_argument("--upstream-ca", help="CA file to verify an https upstream")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--redirect-port", type=int, default=0)
    p.add_argument("--log", help="access log (paths and statuses, never header values)")
    p.add_argument("--ready-file", help="written (atomically) with the ports once listening")
    args = p.parse_args(argv)

    proxy = ThreadingHTTPServer(("127.0.0.1", args.port), ProxyHandler)
    redirect = ThreadingHTTPServer(("127.0.0.1", args.redirect_port), RedirectHostHandler)
    for s in (proxy, redirect):
        s.daemon_threads = True
    rport = redirect.server_address[1]

    BaseHandler.upstream = Upstream(args.upstream, args.upstream_ca)
    BaseHandler.faults = FaultBook()
    BaseHandler.random = RandomFaults()
    BaseHandler.stats = Stats(f"http://localhost:{rport}")
    BaseHandler.tickets = Tickets()
    BaseHandler.redirect_port = rport
    BaseHandler.logfile = open(args.log, "a", buffering=1) if args.log else None

    serving.stop_on_signals(proxy, redirect)

    rthread = threading.Thread(target=redirect.serve_forever, kwargs={"poll_interval": 0.2},
                               daemon=True)
    rthread.start()
    serving.announce({"port": proxy.server_address[1], "redirect_port": rport, "pid": os.getpid()},
                     args.ready_file)
    try:
        proxy.serve_forever(poll_interval=0.2)
    finally:
        rthread.join(timeout=5)
        proxy.server_close()
        redirect.server_close()


if __name__ == "__main__":
    sys.exit(main())
