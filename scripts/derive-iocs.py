#!/usr/bin/env python3
"""Derive rules/iocs/webshell-sha256.csv and rules/iocs/webshell-paths.csv.

Inputs (under shared/testdata-public; origin and licence in each folder's PROVENANCE.md,
summarised in rules/iocs/PROVENANCE.md). The script checks each input's SHA-256 against
the value recorded there and stops if one differs.

- mstic-azure-sentinel-feed/MSTICIoCs-...csv (Microsoft MSTIC, MIT / TLP:WHITE):
  `sha256` rows -> hashes, `filepath` rows -> `path` indicators.
- signature-base/hash-iocs.exchange-subset.txt (Neo23x0/signature-base, DRL 1.1):
  `hash;comment` lines -> hashes.
- signature-base/filename-iocs.exchange-subset.txt (DRL 1.1): `regex;score` lines ->
  `regex` indicators, kept as written; the file names of the ESET block's alternation
  -> `name` indicators as well.
- scs-labs-hafnium/hashes.txt (the 8 hashes of Microsoft's 2021-03-02 HAFNIUM blog)
  -> hashes; scs-labs-hafnium/webshell_names.txt -> `name` indicators (the list is
  markdown: `aspnet\\_www.aspx` is `aspnet_www.aspx`).

What is done to them:
- Hashes: lower-case hex, one row per hash; `source` names every list that holds it
  (';'-separated), `note` joins what each list says about it (' | ').
- Paths: stored as given (backslashes). Names: compared case-insensitively, first
  spelling kept. Regexes: deduplicated on their exact text (the subset repeats some
  lines), highest score kept. Each signature-base row's `source` names the author and
  licence (DRL 1.1 asks that matches keep that attribution) and the block's reference.
- DROPPED lists upstream patterns left out on purpose, with the reason (none so far:
  crates/detect/src/iocs.rs tests that no bundled indicator fires on a stock file).

Usage: python3 scripts/derive-iocs.py [TESTDATA_DIR]   (default ../shared/testdata-public,
run from the repository root); writes the two CSVs under rules/iocs/.
"""

import csv
import hashlib
import io
import os
import re
import sys

DEFAULT_SRC = "../shared/testdata-public"
OUT_DIR = "rules/iocs"

MSTIC_CSV = "mstic-azure-sentinel-feed/MSTICIoCs-ExchangeServerVulnerabilitiesDisclosedMarch2021.at-03ba89f6.csv"
SB_HASHES = "signature-base/hash-iocs.exchange-subset.txt"
SB_NAMES = "signature-base/filename-iocs.exchange-subset.txt"
SCS_HASHES = "scs-labs-hafnium/hashes.txt"
SCS_NAMES = "scs-labs-hafnium/webshell_names.txt"

# SHA-256 of each input as recorded in its folder's PROVENANCE.md.
EXPECTED = {
    MSTIC_CSV: "3498202fc7ff0a34593a67d18857a5da8c7cb22c2536a8afc16416efeec551e5",
    SB_HASHES: "155067cf0531122ebfcc2b9a6eb279086f47cf18ebf06d774c0e85d0adfa90a2",
    SB_NAMES: "58a621fff7628ca17fda45ffa5a840f5c54488877d14852c49bdb00b4a506700",
    SCS_HASHES: "fa5e6797fb6631a8ddb47222b7c13cf20863eb15dd9e719fda63c41b66f22e12",
    SCS_NAMES: "5c0c9cefd1db00cb30842a76877b9d6e0d1ab6c2dcd758b2083a2f58ff8df749",
}

SRC_MSTIC = "MSTIC Azure-Sentinel feed"
SRC_SB = "signature-base by Florian Roth (DRL 1.1)"
SRC_SCS = "SCS-Labs HAFNIUM list"

# Scores (0-100, signature-base's scale). MSTIC paths get the 95 signature-base gives
# the same list; names get the 80 signature-base gives the ESET names.
SCORE_MSTIC_PATH = 95
SCORE_NAME = 80

# Upstream patterns left out on purpose: exact text -> reason. Keep in step with
# rules/iocs/PROVENANCE.md.
DROPPED = {}

HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


def read(src, rel):
    raw = open(os.path.join(src, rel), "rb").read()
    got = hashlib.sha256(raw).hexdigest()
    if got != EXPECTED[rel]:
        sys.exit(f"{rel}: sha256 {got}, PROVENANCE.md says {EXPECTED[rel]}")
    return raw.decode("utf-8")


def content_lines(text):
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SRC

    # --- hashes: sha256 -> {"sources": [..], "notes": [..], "name": str}
    hashes = {}

    def add_hash(h, source, note, name=""):
        if not HEX64.match(h):
            sys.exit(f"bad sha256 {h!r} from {source}")
        e = hashes.setdefault(h.lower(), {"sources": [], "notes": [], "name": ""})
        if source not in e["sources"]:
            e["sources"].append(source)
        if note and note not in e["notes"]:
            e["notes"].append(note)
        if name and not e["name"]:
            e["name"] = name

    mstic = list(csv.DictReader(io.StringIO(read(src, MSTIC_CSV))))
    for r in mstic:
        if r["IndicatorType"] == "sha256":
            first = r["FirstSeen"].split(".")[0] + "Z" if r["FirstSeen"] else "?"
            add_hash(r["Indicator"], SRC_MSTIC, f"MSTIC DateAdded {r['DateAdded']} FirstSeen {first}")
    for line in content_lines(read(src, SB_HASHES)):
        h, comment = line.split(";", 1)
        add_hash(h, SRC_SB, f"signature-base: {comment.strip()}", "HAFNIUM web shell")
    for line in content_lines(read(src, SCS_HASHES)):
        add_hash(line, SRC_SCS, "Microsoft HAFNIUM blog 2021-03-02", "HAFNIUM web shell")
    for e in hashes.values():
        if not e["name"]:
            e["name"] = "ProxyLogon-era file (MSTIC)"

    # --- paths: rows (pattern, kind, score, [sources])
    rows = []
    seen_path = {}
    for r in mstic:
        if r["IndicatorType"] != "filepath":
            continue
        p = r["Indicator"].strip()
        if p in DROPPED:
            continue
        if p.lower() in seen_path:
            continue
        seen_path[p.lower()] = True
        rows.append([p, "path", SCORE_MSTIC_PATH, [SRC_MSTIC]])

    names = {}  # lower -> row

    def add_name(n, source, score):
        if n in DROPPED:
            return
        row = names.get(n.lower())
        if row is None:
            row = [n, "name", score, []]
            names[n.lower()] = row
            rows.append(row)
        row[2] = max(row[2], score)
        if source not in row[3]:
            row[3].append(source)

    for line in content_lines(read(src, SCS_NAMES)):
        add_name(line.replace("\\_", "_"), SRC_SCS, SCORE_NAME)

    regexes = {}  # text -> row
    ref = ""
    for line in read(src, SB_NAMES).splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            ref = line.lstrip("# ").strip()
            continue
        pattern, score = line.rsplit(";", 1)
        score = int(score)
        source = f"{SRC_SB}: {ref}" if ref else SRC_SB
        # The ESET block lists bare web-shell names in one alternation.
        if "ESETresearch" in ref:
            m = re.search(r"\(([^()]*)\)$", pattern)
            for alt in m.group(1).split("|"):
                add_name(alt.replace("\\.", "."), source, score)
        if pattern in DROPPED:
            continue
        re.compile(pattern)  # must at least be a regex
        row = regexes.get(pattern)
        if row is None:
            row = [pattern, "regex", score, []]
            regexes[pattern] = row
            rows.append(row)
        row[2] = max(row[2], score)
        if source not in row[3]:
            row[3].append(source)

    # --- write
    head = [
        "# exhunt: {what}.",
        "# Derived by scripts/derive-iocs.py from shared/testdata-public (MSTIC Azure-Sentinel feed,",
        "# MIT/TLP:WHITE; Neo23x0/signature-base by Florian Roth, DRL 1.1, attribution required;",
        "# SCS-Labs HAFNIUM-Microsoft-Exchange-0day). See rules/iocs/PROVENANCE.md. Do not edit by hand.",
    ]
    with open(os.path.join(OUT_DIR, "webshell-sha256.csv"), "w", newline="") as f:
        for h in head:
            f.write(h.format(what="SHA-256 of Exchange web shells and tools (2021)") + "\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["sha256", "name", "source", "note"])
        for h in sorted(hashes):
            e = hashes[h]
            w.writerow([h, e["name"], ";".join(e["sources"]), " | ".join(e["notes"])])
    with open(os.path.join(OUT_DIR, "webshell-paths.csv"), "w", newline="") as f:
        for h in head:
            f.write(h.format(what="paths, file names and path regexes of Exchange web shells and tools") + "\n")
        f.write("# kind: path (full Windows path), name (file name, matched in web folders only),\n")
        f.write("# regex (signature-base filename-iocs style, against a '\\'-separated path). score 0-100.\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["pattern", "kind", "score", "source"])
        order = {"path": 0, "name": 1, "regex": 2}
        for p, kind, score, sources in sorted(rows, key=lambda r: order[r[1]]):
            w.writerow([p, kind, score, ";".join(sources)])
    kinds = {}
    for r in rows:
        kinds[r[1]] = kinds.get(r[1], 0) + 1
    print(f"sha256: {len(hashes)}; " + "; ".join(f"{k}: {v}" for k, v in sorted(kinds.items())),
          file=sys.stderr)


if __name__ == "__main__":
    main()
