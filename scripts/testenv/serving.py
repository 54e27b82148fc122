"""What the test servers (token server, fault proxy) share: stopping on SIGTERM/SIGINT and
telling their launcher which port they got."""
import json
import os
import signal
import threading


def stop_on_signals(*servers):
    """SIGTERM/SIGINT shut the servers down. shutdown() blocks until serve_forever() returns,
    so it must run off the serving thread."""
    def on_term(signum, frame):
        for server in servers:
            threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)


def announce(info, ready_file):
    """Writes the ports (atomically) to the ready file, how the launcher learns a port bound to
    0 without a race, and prints them."""
    if ready_file:
        tmp = ready_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(info, f)
        os.replace(tmp, ready_file)
    print(json.dumps({"event": "listening", **info}), flush=True)
