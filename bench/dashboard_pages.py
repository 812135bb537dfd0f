#!/usr/bin/env python3
"""Times the fleet dashboard's pages (issue 19): each page's server time
(a GET from loopback with a signed-in session, READS times, p50/p99/max)
and the browser's load event (headless chromium over the DevTools
protocol: navigationStart to loadEventEnd, LOADS times each).

    python3 bench/dashboard_pages.py URL NAME PASSWORD [SERVER_ID] [INDICATOR]

Needs `websocket-client` (pip) and chromium. Not a test: bench/dashboard.sh
runs it against a server loaded by bench/fleet.sh.
"""
import http.cookiejar
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import websocket  # websocket-client

READS = int(os.environ.get("READS", "50"))
LOADS = int(os.environ.get("LOADS", "10"))


def sign_in(base, name, password):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)
    data = urllib.parse.urlencode({"name": name, "password": password, "csrf": csrf}).encode()
    opener.open(base + "/login", data)
    session = next(c.value for c in jar if c.name == "exhunt_session")
    return opener, session


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def server_times(opener, base, path):
    times = []
    size = 0
    for _ in range(READS):
        t = time.perf_counter()
        r = opener.open(base + path)
        body = r.read()
        times.append((time.perf_counter() - t) * 1000)
        size = len(body)
        assert r.status == 200, (path, r.status)
    return times, size


class Chromium:
    def __init__(self):
        exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
        self.profile = tempfile.mkdtemp()
        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--remote-debugging-port=0", "--remote-allow-origins=*",
             "--user-data-dir=" + self.profile, "about:blank"],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        port = None
        for line in self.proc.stderr:
            m = re.search(r"DevTools listening on ws://127.0.0.1:(\d+)/", line)
            if m:
                port = int(m.group(1))
                break
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(url, timeout=60)
        self.n = 0
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})

    def call(self, method, params=None):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params or {}}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == self.n:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})

    def load(self, url):
        self.call("Page.navigate", {"url": url})
        while True:
            m = json.loads(self.ws.recv())
            if m.get("method") == "Page.loadEventFired":
                break
        # Until loadEventEnd is set.
        for _ in range(100):
            r = self.call("Runtime.evaluate", {
                "expression": "JSON.stringify([performance.timing.navigationStart, performance.timing.loadEventEnd, location.pathname])",
                "returnByValue": True})
            start, end, path = json.loads(r["result"]["value"])
            if end:
                return end - start, path
            time.sleep(0.01)
        raise RuntimeError("no loadEventEnd")

    def close(self):
        self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    base, name, password = sys.argv[1], sys.argv[2], sys.argv[3]
    server_id = sys.argv[4] if len(sys.argv) > 4 else "1"
    indicator = sys.argv[5] if len(sys.argv) > 5 else "203.0.113.7"
    opener, session = sign_in(base, name, password)
    pages = [
        ("overview", "/"),
        ("server list", "/servers"),
        ("server list, filtered", "/servers?verdict=compromised&exposure=exposed"),
        ("server list, page 290", "/servers?offset=29000"),
        ("server list, by organisation", "/servers?sort=org"),
        ("server page", f"/servers/{server_id}"),
        ("server page's report", f"/servers/{server_id}/report.html"),
        ("indicator search", "/indicators?value=" + urllib.parse.quote(indicator)),
        ("not reporting", "/not-reporting?days=1"),
    ]
    chrome = Chromium()
    host = urllib.parse.urlparse(base).hostname
    chrome.call("Network.setCookie", {"name": "exhunt_session", "value": session, "domain": host,
                                      "path": "/", "httpOnly": True, "sameSite": "Strict"})
    rows = []
    for label, path in pages:
        st, size = server_times(opener, base, path)
        loads = []
        for _ in range(LOADS):
            ms, got = chrome.load(base + path)
            assert got == urllib.parse.urlparse(base + path).path, (path, got)
            loads.append(ms)
        rows.append({"page": label, "path": path, "bytes": size,
                     "server_p50_ms": round(statistics.median(st), 1),
                     "server_p99_ms": round(pct(st, 99), 1), "server_max_ms": round(max(st), 1),
                     "load_p50_ms": round(statistics.median(loads), 1),
                     "load_max_ms": round(max(loads), 1)})
    chrome.close()
    print(json.dumps(rows, indent=1))
    print()
    print("| page | bytes | server p50 | server p99 | server max | load p50 | load max |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['page']} | {r['bytes']:,} | {r['server_p50_ms']} ms | {r['server_p99_ms']} ms | "
              f"{r['server_max_ms']} ms | {r['load_p50_ms']} ms | {r['load_max_ms']} ms |")
    bad = [r for r in rows if r["server_p99_ms"] >= 200 or r["load_max_ms"] >= 1000]
    if bad:
        print("over target (server 200 ms, load 1 s):", ", ".join(r["page"] for r in bad))


if __name__ == "__main__":
    main()
