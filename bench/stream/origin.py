#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""origin.py PORT BIG SMALL [PROCS] — the HTTP origin of bench/stream/run.sh (stdlib only).

Answers any GET with `HTTP/1.1 200 OK`, `Content-Type: text/html`, `Connection: close` and NO
Content-Length: the body is delimited by the connection's close (FlowSplice has no HTTP context
yet, so a rewrite that changes the body's length needs close-delimited bodies). Path /big sends
the file BIG, anything else the file SMALL (both read into memory once). After the body it shuts
its sending side, waits for the client's close and closes. Listens on 0.0.0.0:PORT with
SO_REUSEPORT in PROCS processes (default 2), asyncio in each. SIGTERM to the first process stops
them all (the others also get SIGTERM when it dies: PR_SET_PDEATHSIG)."""
import asyncio
import ctypes
import os
import signal
import socket
import sys

HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
        b"Server: fs-bench-origin\r\n\r\n")


async def handle(reader, writer, big, small):
    try:
        req = await reader.readuntil(b"\r\n\r\n")
        path = req.split(b" ", 2)[1] if req.count(b" ") >= 2 else b"/"
        writer.write(HEAD)
        writer.write(big if path.startswith(b"/big") else small)
        await writer.drain()
        writer.write_eof()
        while await reader.read(65536):
            pass
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
        pass  # the client went away: nothing to do
    finally:
        writer.close()


async def serve(port, big, small):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("0.0.0.0", port))
    s.listen(4096)
    srv = await asyncio.start_server(lambda r, w: handle(r, w, big, small), sock=s)
    async with srv:
        await srv.serve_forever()


def main():
    port, big_path, small_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    procs = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    big = open(big_path, "rb").read()
    small = open(small_path, "rb").read()
    children = []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    for _ in range(procs - 1):
        pid = os.fork()
        if pid == 0:
            ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
            if os.getppid() == 1:
                os._exit(0)
            asyncio.run(serve(port, big, small))
            os._exit(0)
        children.append(pid)
    try:
        asyncio.run(serve(port, big, small))
    finally:
        for pid in children:
            try:
                os.kill(pid, 15)
                os.waitpid(pid, 0)
            except OSError:
                pass


if __name__ == "__main__":
    main()
