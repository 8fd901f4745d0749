#!/usr/bin/env python3
"""A loopback TCP relay that caps every connection at a fixed rate: a stand-in
for a long link where one TCP stream (and one ssh cipher thread) limits throughput.

    python3 bench/relay.py --listen 0 --target 127.0.0.1:2222 --rate 8000000

Prints ``RELAY_PORT=<port>`` once listening. Each accepted connection gets its own
token bucket per direction (``--rate`` bytes per second), so N connections move N
times as much as one: what parallel streams buy on such links. Listens on
127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time

CHUNK = 16 * 1024


class Bucket:
    """Token bucket: ``take(n)`` sleeps until n bytes fit under the rate."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.allowance = 0.0
        self.last = time.monotonic()

    def take(self, n: int) -> None:
        while True:
            now = time.monotonic()
            # At most a quarter second of burst.
            self.allowance = min(self.rate / 4, self.allowance + (now - self.last) * self.rate)
            self.last = now
            if self.allowance >= n:
                self.allowance -= n
                return
            time.sleep((n - self.allowance) / self.rate)


def pump(src: socket.socket, dst: socket.socket, rate: float) -> None:
    bucket = Bucket(rate)
    try:
        while True:
            data = src.recv(CHUNK)
            if not data:
                break
            bucket.take(len(data))
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
            try:
                s.shutdown(how)
            except OSError:
                pass


def serve(listener: socket.socket, target: tuple[str, int], rate: float) -> None:
    while True:
        client, _ = listener.accept()
        try:
            upstream = socket.create_connection(target)
        except OSError:
            client.close()
            continue
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=pump, args=(a, b, rate), daemon=True).start()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    ap.add_argument("--target", required=True, help="host:port to relay to")
    ap.add_argument("--rate", type=float, default=8_000_000, help="bytes per second per connection and direction")
    args = ap.parse_args()
    host, port = args.target.rsplit(":", 1)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.listen))
    listener.listen(64)
    print(f"RELAY_PORT={listener.getsockname()[1]}", flush=True)
    try:
        serve(listener, (host, int(port)), args.rate)
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
