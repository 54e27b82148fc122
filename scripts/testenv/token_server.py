#!/usr/bin/env python3
"""A small Docker registry token server (the "Bearer" half of distribution's token auth), for tests.

    token_server.py --key KEY.pem --cert CERT.pem --users USERS.json --log TOKEN.log
                    [--port N] [--service imagepatch-test-registry] [--issuer imagepatch-test-issuer]
                    [--token-ttl 300] [--ready-file FILE]

Endpoints (all on 127.0.0.1):

  GET  /token?service=S&scope=repository:NAME:pull,push&scope=...   (the Docker token protocol)
       Optional Basic auth. Anonymous callers get `pull` on repositories named `public/...` and
       nothing else; authenticated callers get exactly the actions they ask for; a wrong password
       is answered 401. Answer: {"token", "access_token", "expires_in", "issued_at"}.
  POST /token  (form: grant_type=password, username, password, service, scope="a b")
       The OAuth2 password grant some clients try first; same grant rules, same answer.
  GET  /__stats   request counts, for tests that assert how often a client fetched a token.
  GET  /healthz   readiness probe.

The token is a JWT signed RS256 by KEY; its header carries `x5c` = [base64 DER of CERT]. The
registry (distribution 2.8, registry/auth/token/token.go) takes the signing key from x5c[0] and
verifies that certificate against `rootcertbundle`, so CERT must be in that bundle: the caller
passes the same self-signed certificate as rootcertbundle.

Note for expiry tests: the registry accepts a token until exp + 60 s (its clock-skew leeway), so a
short --token-ttl makes *clients* refresh early (expires_in), while the registry keeps accepting the
old token for another minute.

Every request is logged to --log as one JSON line (method, path, service, scopes, whether
credentials were given, user name, status, what was granted); never a password or a token.
Stdlib + `cryptography` only.
"""

import argparse
import base64
import hmac
import json
import os
import signal
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

import serving  # scripts/testenv/serving.py


def b64url(data: bytes) -> str:
    """JOSE base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class TokenSigner:
    """Builds and signs the JWTs distribution's token verifier accepts."""

    def __init__(self, key_path, cert_path, issuer, ttl):
        with open(key_path, "rb") as f:
            self._key = serialization.load_pem_private_key(f.read(), password=None)
        with open(cert_path, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        # x5c holds standard (not url-safe) base64 of the DER certificate, per RFC 7515 4.1.6;
        # distribution decodes it with base64.StdEncoding.
        self._x5c = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]
        self.issuer = issuer
        self.ttl = ttl

    def issue(self, subject, audience, access):
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": self._x5c}
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": audience,  # a string: distribution 2.8's ClaimSet.Audience is a plain string
            "exp": now + self.ttl,
            "nbf": now - 1,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(signature), now


class AccessPolicy:
    """Decides which actions a caller gets: the whole point of the token server in tests."""

    def __init__(self, users):
        self._users = users  # {name: password}

    def check_password(self, user, password):
        expected = self._users.get(user)
        # compare_digest: constant time, and it never matches a missing user.
        return expected is not None and hmac.compare_digest(expected.encode(), password.encode())

    @staticmethod
    def parse_scope(scope):
        """`repository:NAME:pull,push` -> (type, name, [actions]); split at the first and last
        ':' so a name holding ':' still parses."""
        parts = scope.split(":")
        if len(parts) < 3:
            return None
        return parts[0], ":".join(parts[1:-1]), [a for a in parts[-1].split(",") if a]

    def grant(self, scopes, user):
        access = []
        for scope in scopes:
            parsed = self.parse_scope(scope)
            if parsed is None:
                continue
            rtype, name, actions = parsed
            if user is None:
                # Anonymous: read-only, and only public repositories (like a public mirror).
                allowed = [a for a in actions
                           if a == "pull" and rtype == "repository" and name.startswith("public/")]
            else:
                allowed = actions
            if allowed:
                access.append({"type": rtype, "name": name, "actions": allowed})
        return access


class RequestLog:
    """JSON-lines request log plus counters; thread-safe."""

    def __init__(self, path):
        self._path = path
        self._lock = threading.Lock()
        self.stats = {"requests": 0, "by_status": {}, "authenticated": 0, "anonymous": 0,
                      "bad_credentials": 0, "tokens_issued": 0}

    def record(self, entry):
        with self._lock:
            s = self.stats
            s["requests"] += 1
            key = str(entry["status"])
            s["by_status"][key] = s["by_status"].get(key, 0) + 1
            if entry.get("path") == "/token":
                if not entry["auth_given"]:
                    s["anonymous"] += 1
                elif entry["status"] == 401:
                    s["bad_credentials"] += 1
                else:
                    s["authenticated"] += 1
                if entry["status"] == 200:
                    s["tokens_issued"] += 1
            with open(self._path, "a") as f:
                f.write(json.dumps(entry, sort_keys=True) + "\n")

    def snapshot(self):
        with self._lock:
            return json.loads(json.dumps(self.stats))


class TokenHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections are dropped instead of holding a thread forever
    server_version = "imagepatch-test-token-server"

    # Set on the class by main().
    signer: TokenSigner = None
    policy: AccessPolicy = None
    reqlog: RequestLog = None
    service: str = None

    def log_message(self, fmt, *args):  # the JSON log replaces the default stderr lines
        pass

    def _send_json(self, status, obj, extra_headers=()):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/token":
            q = parse_qs(url.query, keep_blank_values=True)
            user, password, given = self._basic_auth()
            self._answer_token(q.get("service", [self.service])[0], q.get("scope", []),
                               user, password, given)
        elif url.path == "/__stats":
            self._send_json(200, self.reqlog.snapshot())
        elif url.path == "/healthz":
            self._send_json(200, {"ok": True})
        else:
            self._send_json(404, {"error": "not found"})

    def do_POST(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > 1 << 20:
            self._send_json(413, {"error": "form too large"})
            self.close_connection = True
            return
        form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"), keep_blank_values=True)
        if url.path != "/token":
            self._send_json(404, {"error": "not found"})
            return
        if form.get("grant_type", [""])[0] != "password":
            self._log("POST", url.path, form.get("service", [None])[0], [], False, None, 400, [])
            self._send_json(400, {"error": "unsupported_grant_type"})
            return
        scopes = " ".join(form.get("scope", [])).split()
        user = form.get("username", [None])[0]
        password = form.get("password", [""])[0]
        self._answer_token(form.get("service", [self.service])[0], scopes, user, password,
                           user is not None)

    def _basic_auth(self):
        """-> (user, password, credentials_given); a malformed header counts as given-and-wrong."""
        header = self.headers.get("Authorization")
        if not header or not header.lower().startswith("basic "):
            return None, None, False
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return "", "", True
        return user, password, True

    def _answer_token(self, service, scopes, user, password, given):
        path = urlsplit(self.path).path
        if given and not self.policy.check_password(user or "", password or ""):
            self._log(self.command, path, service, scopes, True, user, 401, [])
            self._send_json(401, {"errors": [{"code": "UNAUTHORIZED",
                                              "message": "invalid username or password"}]},
                            [("WWW-Authenticate", 'Basic realm="imagepatch-test-token-server"')])
            return
        subject = user if given else ""
        access = self.policy.grant(scopes, user if given else None)
        token, issued = self.signer.issue(subject, service or self.service, access)
        self._log(self.command, path, service, scopes, given, user, 200, access)
        self._send_json(200, {
            "token": token,
            "access_token": token,
            "expires_in": self.signer.ttl,
            "issued_at": datetime.fromtimestamp(issued, timezone.utc)
                                 .strftime("%Y-%m-%dT%H:%M:%SZ"),
        })

    def _log(self, method, path, service, scopes, given, user, status, access):
        self.reqlog.record({
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "method": method, "path": path, "service": service, "scopes": list(scopes),
            "auth_given": bool(given), "user": user if given else None,
            "status": status, "granted": access,
        })


def serve(args):
    with open(args.users) as f:
        users = json.load(f)
    TokenHandler.signer = TokenSigner(args.key, args.cert, args.issuer, args.token_ttl)
    TokenHandler.policy = AccessPolicy(users)
    TokenHandler.reqlog = RequestLog(args.log)
    TokenHandler.service = args.service

    server = ThreadingHTTPServer(("127.0.0.1", args.port), TokenHandler)
    server.daemon_threads = True

    serving.stop_on_signals(server)
    serving.announce({"port": server.server_address[1], "pid": os.getpid()}, args.ready_file)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--key", required=True, help="PEM RSA private key that signs tokens")
    p.add_argument("--cert", required=True, help="PEM certificate of that key (in rootcertbundle)")
    p.add_argument("--users", required=True, help='JSON file {"user": "password"} (mode 0600)')
    p.add_argument("--log", required=True, help="JSON-lines request log")
    p.add_argument("--service", default="imagepatch-test-registry")
    p.add_argument("--issuer", default="imagepatch-test-issuer")
    p.add_argument("--token-ttl", type=int, default=300, help="seconds; exp = iat + ttl")
    p.add_argument("--ready-file", help="written (atomically) with the port once listening")
    serve(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
