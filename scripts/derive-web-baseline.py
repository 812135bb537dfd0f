#!/usr/bin/env python3
"""Derive rules/exchange-web-baseline.tsv from CSS-Exchange's per-build web baselines.

Input: shared/testdata-public/css-exchange-baselines/web-baseline.csv (MIT; see its
PROVENANCE.md): one row per (path, SHA-256) with the builds that ship that exact file.
Output: a compact TSV that crates/detect embeds (src/webfiles.rs, `Baselines`).

What is done to the rows, and why:
- Paths are made relative to the Exchange install folder (`...\\V15`), lower-case, `/`.
  The source has three spellings: '/ClientAccess/...' and '/FrontEnd/...' (most
  baselines), 'ClientAccess/...' and 'FrontEnd/...' (some Exchange 2019 ones), and a
  bare 'owa/...', 'ecp/...', 'Autodiscover/...' (the CU-release baselines 15.0.1395.4,
  15.0.1473.3, 15.0.1497.2, 15.1.1466.3, 15.1.1979.3, 15.1.2044.4, 15.2.659.4,
  15.2.721.2, 15.2.792.3). The bare ones were taken inside the ClientAccess folder:
  every bare row's hash is the hash of the same file under ClientAccess/ in the SU
  baseline of the same CU (owa/auth/logoff.aspx = ClientAccess/owa/auth/logoff.aspx,
  not FrontEnd/HttpProxy/owa/auth/...), so they get the 'clientaccess/' prefix. Those
  baselines hold no FrontEnd files at all; the reader knows that from the data.
- Builds are normalised to four integers ('15.01.0845.034' -> '15.1.845.34'), sorted,
  and listed once on the '@builds' line; rows name them by index, as ranges ('3-7,9').
- SHA-256 in lower-case hex.

Usage: python3 scripts/derive-web-baseline.py [SOURCE_CSV] > rules/exchange-web-baseline.tsv
"""

import csv
import hashlib
import sys
from collections import defaultdict

DEFAULT_SRC = "../shared/testdata-public/css-exchange-baselines/web-baseline.csv"
TOP = ("clientaccess", "frontend")


def norm_build(b):
    return ".".join(str(int(x)) for x in b.strip().split("."))


def build_key(b):
    return tuple(int(x) for x in b.split("."))


def norm_path(p):
    p = p.replace("\\", "/").lstrip("/").lower()
    if p.split("/", 1)[0] not in TOP:
        p = "clientaccess/" + p
    return p


def ranges(idx):
    idx = sorted(idx)
    out, i = [], 0
    while i < len(idx):
        j = i
        while j + 1 < len(idx) and idx[j + 1] == idx[j] + 1:
            j += 1
        out.append(str(idx[i]) if i == j else f"{idx[i]}-{idx[j]}")
        i = j + 1
    return ",".join(out)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SRC
    raw = open(src, "rb").read()
    digest = hashlib.sha256(raw).hexdigest()
    rows = list(csv.DictReader(raw.decode("utf-8").splitlines()))
    builds = sorted({norm_build(b) for r in rows for b in r["builds"].split(";")}, key=build_key)
    index = {b: i for i, b in enumerate(builds)}
    table = defaultdict(set)
    for r in rows:
        key = (norm_path(r["path"]), r["sha256"].strip().lower())
        for b in r["builds"].split(";"):
            table[key].add(index[norm_build(b)])
    # One hash per (path, build): the reader relies on it.
    seen = {}
    for (path, sha), bs in table.items():
        for b in bs:
            other = seen.setdefault((path, b), sha)
            if other != sha:
                sys.exit(f"two hashes for {path} in {builds[b]}")
    out = sys.stdout
    out.write("# exhunt: known-good hashes of the server-executed and configuration files that\n")
    out.write("# Exchange 2013/2016/2019 ship in their web folders, per build.\n")
    out.write("# Source: microsoft/CSS-Exchange Security/Baselines/baseline_<build>.csv (MIT), at commit\n")
    out.write("# 59ace25984187d2679a7b0886d5c8f4087df0ac4, as regrouped in shared/testdata-public/\n")
    out.write(f"# css-exchange-baselines/web-baseline.csv (sha256 {digest}).\n")
    out.write("# Regenerate: python3 scripts/derive-web-baseline.py > rules/exchange-web-baseline.tsv\n")
    out.write("# See rules/PROVENANCE-baseline.md. Do not edit by hand.\n")
    out.write("# Columns: path relative to the Exchange install folder (lower-case, '/'), SHA-256,\n")
    out.write("# builds shipping that exact file (indexes into @builds, '-' ranges, ',' lists).\n")
    out.write("@builds\t" + " ".join(builds) + "\n")
    for (path, sha) in sorted(table):
        out.write(f"{path}\t{sha}\t{ranges(table[(path, sha)])}\n")


if __name__ == "__main__":
    main()
