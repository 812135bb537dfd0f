#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/seed-* from the repo's own
test data and examples (small cuts: at most 64 KiB each) plus a few made
here (a collection zip, a registry hive with Exchange's Setup key and a
transaction log, version strings, probe answers).

Run from anywhere: python3 fuzz/make-seeds.py. Needs hivexsh (Debian's
libhivex-bin) for the hive seeds; without it they are left as they are.
Only files named seed-* are written; libFuzzer's own corpus entries (named
by their SHA-1) are never touched and never committed (.gitignore).
"""

import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
EX = ROOT / "examples" / "proxylogon-compromised"
V15 = EX / "Program Files" / "Microsoft" / "Exchange Server" / "V15"
SRC_DATA = ROOT / "crates" / "sources" / "tests" / "data"
MAX = 64 << 10


def cut_lines(data: bytes, limit: int = 16 << 10) -> bytes:
    """The first lines of a text file, at most `limit` bytes."""
    if len(data) <= limit:
        return data
    end = data.rfind(b"\n", 0, limit)
    return data[: end + 1 if end > 0 else limit]


def zput(z: zipfile.ZipFile, name: str, data) -> None:
    """A member with a fixed time, so that the seeds are the same each run."""
    info = zipfile.ZipInfo(name, date_time=(2021, 3, 3, 6, 49, 42))
    info.compress_type = z.compression
    z.writestr(info, data)


def put(target: str, name: str, data: bytes) -> None:
    assert len(data) <= 70 << 10, (target, name, len(data))
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"seed-{name}").write_bytes(data)


def first(pattern: str, base: Path) -> Path:
    found = sorted(base.glob(pattern))
    assert found, pattern
    return found[0]


def rps_log() -> bytes:
    # The Remote PowerShell proxy log as Exchange writes it: no header,
    # the columns of crates/sources/src/csvlog.rs RPS_HTTP_COLUMNS.
    row = (
        "2022-09-29T06:12:44.120Z,15.01.2375.031,,,,ac2b1aa1-0b0c-4e0e-9a40-3c3f5a4b8d7e,"
        "EX01,,,/powershell,?X-Rps-CAT=VgEAVAdXaW5kb3dz,{},SMTP:administrator@contoso.com,"
        "python-requests/2.28.1,,200,,,10.0.0.5,EX01.contoso.local,,,"
    )
    return (row + "\r\n" + row.replace("python-requests/2.28.1", "Microsoft WinRM Client") + "\r\n").encode()


def seeds_text_logs() -> None:
    put("csv_log", "httpproxy-ecp", cut_lines(first("Logging/HttpProxy/Ecp/HttpProxy_2021030306*.LOG", V15).read_bytes()))
    put("csv_log", "httpproxy-owa", cut_lines(first("Logging/HttpProxy/Owa/HttpProxy_2021030306*.LOG", V15).read_bytes(), 8 << 10))
    put("csv_log", "ecp-server", cut_lines(first("Logging/ECP/Server/ECPServer2021030306*.LOG", V15).read_bytes()))
    put("csv_log", "oab-generator", first("Logging/OABGeneratorLog/OABGenerator20210303*.LOG", V15).read_bytes())
    put("csv_log", "rps-http", rps_log())
    utf16 = b"\xff\xfe" + cut_lines(first("Logging/OABGeneratorLog/OABGenerator20210303*.LOG", V15).read_bytes(), 2048).decode().encode("utf-16-le")
    put("csv_log", "oab-utf16", utf16)

    iis = (EX / "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log").read_bytes()
    put("w3c_log", "u_ex210303", cut_lines(iis, MAX))
    put("w3c_log", "tunna", cut_lines((SRC_DATA / "evtx-attack-samples/Tunna_rdp_tunnel_IIS.log").read_bytes(), 16 << 10))

    jl = (SRC_DATA / "otrf-security-datasets/proxylogon_exchange_relevant_subset.jsonl").read_bytes()
    put("events_jsonl", "otrf-proxylogon", cut_lines(jl, 32 << 10))
    lines = jl.splitlines(keepends=True)
    put("events_jsonl", "otrf-one-event", lines[len(lines) // 2])


def seeds_evtx() -> None:
    for name in [
        "evtx-attack-samples/LM_typical_IIS_webshell_sysmon_1_10_traces.evtx",
        "evtx-to-mitre-attack/ID6-Failed to install an Exchange transport agent.evtx",
    ]:
        data = (SRC_DATA / name).read_bytes()
        put("evtx", Path(name).stem.split()[0].replace(" ", "_"), data)


def collection_zip() -> tuple[bytes, bytes]:
    members = {
        "Program Files/Microsoft/Exchange Server/V15/Logging/OABGeneratorLog/OABGenerator20210303-1.LOG":
            first("Logging/OABGeneratorLog/OABGenerator20210303*.LOG", V15).read_bytes(),
        "inetpub/wwwroot/aspnet_client/system_web/nwJvpgRH.aspx":
            (EX / "inetpub/wwwroot/aspnet_client/system_web/nwJvpgRH.aspx").read_bytes(),
        "ProgramData/it.zip": (EX / "ProgramData/it.zip").read_bytes(),
    }
    manifest = {
        "schema": "exhunt/collect/v1",
        "tool": {"name": "exhunt", "version": "0.1.0"},
        "collected": "2021-03-10T09:00:00Z",
        "system_root": "/mnt/ex01-c",
        "live": False,
        "since": None,
        "max_filesize": 67108864,
        "max_total": None,
        "files": [
            {"path": p, "size": len(b), "sha256": "0" * 64, "modified": "2021-03-03T06:49:42Z"}
            for p, b in members.items()
        ],
        "left_out": [
            {"path": "Windows/Temp/lsass.dmp", "size": 52428800, "modified": "2021-03-03T07:01:00Z",
             "reason": "larger than --max-filesize (64M) and not a log or a dump", "unreadable": False},
            {"path": "inetpub/logs/LogFiles/W3SVC1/u_ex210302.log", "size": 10, "modified": None,
             "reason": "could not be read: permission denied", "unreadable": True},
        ],
        "errors": [{"path": "Windows/System32/winevt/Logs", "message": "cannot read: permission denied"}],
        "skipped": [{"path": "inetpub/link", "reason": "a link (never followed)"}],
        "discovery": {
            "root": "/mnt/ex01-c", "live": False,
            "exchange_install": "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\",
            "exchange_install_from": "registry (SOFTWARE hive)",
            "places": [{"what": "IIS logs", "windows_path": "C:\\inetpub\\logs\\LogFiles\\",
                        "path": "inetpub/logs/LogFiles", "from": "IIS default", "status": "scanned"}],
            "builds": [], "notes": ["a note"], "collected": None,
        },
    }
    mtext = json.dumps(manifest, indent=1).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p, b in members.items():
            zput(z, p, b)
        zput(z, "_exhunt/manifest.json", mtext)
        zput(z, "_exhunt/manifest.csv", "path,size,sha256,modified\n")
    return buf.getvalue(), mtext


def seeds_zip() -> None:
    zdata, mtext = collection_zip()
    put("zip_input", "collection", zdata)
    put("zip_input", "programdata-it", (EX / "ProgramData/it.zip").read_bytes())
    stored = io.BytesIO()
    with zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as z:
        zput(z, "inetpub\\logs\\LogFiles\\W3SVC1\\u_ex210303.log", cut_lines((EX / "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log").read_bytes(), 2048))
        zput(z, "dir/", b"")
    put("zip_input", "stored-backslash", stored.getvalue())
    put("collection_manifest", "manifest", mtext)
    put("collection_manifest", "empty-lists", json.dumps({
        "schema": "exhunt/collect/v1", "tool": {"name": "exhunt", "version": "0.1.0"},
        "collected": "", "system_root": "", "live": True, "since": "2021-01-01", "max_filesize": 0,
        "max_total": 1, "files": [], "left_out": [], "errors": [], "skipped": [],
        "discovery": {"root": "", "live": True, "exchange_install": None, "exchange_install_from": None,
                      "places": [], "builds": [], "notes": [], "collected": None}}).encode())


APPHOST = r"""<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.applicationHost>
    <log centralLogFileMode="CentralW3C">
      <centralW3CLogFile enabled="true" directory="%SystemDrive%\inetpub\logs\LogFiles" />
    </log>
    <sites>
      <site name="Default Web Site" id="1">
        <application path="/">
          <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />
        </application>
        <application path="/owa" applicationPool="MSExchangeOWAAppPool">
          <virtualDirectory path="/" physicalPath="C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa" />
          <virtualDirectory path="/xyz" physicalPath="C:\ProgramData\XYZ" />
          <virtualDirectory path="/u" physicalPath="\\?\C:\Users\All Users\COM\." />
        </application>
        <logFile directory="D:\IISLogs" />
      </site>
      <siteDefaults>
        <logFile logFormat="W3C" directory="%SystemDrive%\inetpub\logs\LogFiles" />
      </siteDefaults>
      <applicationDefaults applicationPool="DefaultAppPool" />
      <virtualDirectoryDefaults physicalPath="\\localhost\c$\ProgramData\zing" />
    </sites>
  </system.applicationHost>
  <system.webServer>
    <rewrite>
      <globalRules>
        <clear />
        <rule name="X-AnonResource-Backend Abort - inbound" enabled="false" stopProcessing="true">
          <match url=".*" />
          <action type="None" />
        </rule>
        <remove name="X-BEResource Abort - inbound" />
      </globalRules>
    </rewrite>
  </system.webServer>
</configuration>
"""


def seeds_config() -> None:
    put("apphost_config", "sites", APPHOST.encode())
    put("apphost_config", "utf16", b"\xff\xfe" + APPHOST.encode("utf-16-le"))
    cfg = ROOT / "crates/detect/tests/data/css-exchange-benign-config"
    for name in ["DefaultWebSite-OWA_web.config", "ExchangeBackEnd-OAB_web.config"]:
        put("web_config", name.split("_")[0], (cfg / name).read_bytes())
    put("web_config", "benign-page-web-config", (ROOT / "crates/yara/tests/data/benign-pages/web.config.txt").read_bytes())
    put("web_config", "mitigation-disabled", APPHOST.split("<system.applicationHost>")[0].encode()
        + APPHOST[APPHOST.index("<system.webServer>"):].encode())


def seeds_rules() -> None:
    sig = sorted((ROOT / "rules/sigma").rglob("*.yml"))
    for p in sig[:: max(1, len(sig) // 6)][:6]:
        put("sigma_rule", p.stem, p.read_bytes())
    multi = b"\n---\n".join(p.read_bytes() for p in sig[:3])
    put("sigma_rule", "three-documents", multi)
    # Single rules of the bundled file (the whole file takes seconds to
    # compile in CI's unoptimised build, too close to the 10 s hang limit),
    # and one using the modules the build turns on.
    text = (ROOT / "rules/yara/exchange_webshells.yar").read_text()
    starts = [i for i in range(len(text)) if text.startswith("\nrule ", i)]
    head = text[: starts[0] + 1]
    bounds = starts + [len(text)]
    for n, k in [("first-rule", 0), ("middle-rule", len(starts) // 2), ("last-rule", len(starts) - 1)]:
        put("yara_rule", n, (head + text[bounds[k] + 1 : bounds[k + 1]]).encode())
    put("yara_rule", "modules", b'''import "pe"
import "hash"
import "math"
rule m { strings: $a = "eval(" nocase $b = /Request\\.(Item|Form)\\[/ condition:
  ($a and $b) or pe.is_pe or hash.md5(0, filesize) == "x" or math.entropy(0, filesize) > 7 or filename matches /\\.aspx$/ }
''')
    iocs = ROOT / "rules/iocs"
    put("ioc_list", "webshell-sha256", (iocs / "webshell-sha256.csv").read_bytes())
    put("ioc_list", "webshell-paths", cut_lines((iocs / "webshell-paths.csv").read_bytes(), 8 << 10))
    put("ioc_list", "plain-hashes", b"# plain list\n" + b"a" * 64 + b"\n" + b"b" * 40 + b"\n" + b"c" * 32 + b"\n")
    put("ioc_list", "mstic", b"DateAdded,FirstSeen,Indicator,IndicatorType,TLP\n"
        b"2021-03-02,2021-03-01,893cd3583b49cb706b3e55ecb2ed0757b977a21f5c72e041392d1256f31166e2,sha256,WHITE\n"
        b"2021-03-02,2021-03-01,C:\\inetpub\\wwwroot\\aspnet_client\\supp0rt.aspx,FilePath,WHITE\n")
    put("ioc_list", "signature-base-hashes", b"# hash-iocs.txt\n"
        b"b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0;HAFNIUM web shell\n"
        b"4b3039cf227c611c45d2242d1228a121;China Chopper\n")
    put("ioc_list", "signature-base-filenames", b"# filename-iocs.txt\n"
        b"\\\\aspnet_client\\\\system_web\\\\[a-zA-Z0-9]{8}\\.aspx;80\n"
        b"\\\\ProgramData\\\\(COM|WHO|ZING)\\\\;70\n"
        b"(?i)\\\\owa\\\\auth\\\\[^\\\\]+\\.aspx$;65;-\\\\owa\\\\auth\\\\logon\\.aspx\n")
    put("ioc_list", "utf16", b"\xff\xfe" + ("# utf-16\n" + "d" * 64 + "\n").encode("utf-16-le"))


def fake_exe(v) -> bytes:
    key = "VS_VERSION_INFO".encode("utf-16-le")
    ms = (v[0] << 16) | v[1]
    ls = (v[2] << 16) | v[3]
    fixed = struct.pack("<IIIIII", 0xFEEF04BD, 0x00010000, ms, ls, ms, ls)
    return b"MZ" + b"\0" * 62 + b"PE\0\0" + b"\0" * 64 + key + b"\0\0" + fixed + b"\0" * 32


REG = r"""Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\ExchangeServer\v15\Setup]
"MsiInstallPath"="C:\\Program Files\\Microsoft\\Exchange Server\\V15\\"
"MsiProductMajor"=dword:0000000f
"MsiProductMinor"=dword:00000001
"MsiBuildMajor"=dword:00000880
"MsiBuildMinor"=dword:00000009
"""


def seeds_versions() -> None:
    for i, s in enumerate(["15.1.2176.9", "15.01.2106.002", "15.2.986", "Version 15.2.1118.7",
                           "v14.3.513.0", "15.0.1497.2", " 15.2.1544.4 "]):
        put("exchange_version", f"v{i}", s.encode())
    put("buildinfo", "exsetup", fake_exe([15, 1, 2176, 9]))
    put("buildinfo", "reg-utf8", REG.encode())
    put("buildinfo", "reg-utf16", b"\xff\xfe" + REG.encode("utf-16-le"))
    put("probe_response", "header", b"\xc8\x00 15.1.2176.9 \n<html></html>")
    put("probe_response", "owa-path", b"\xc8\x00\n<link rel=\"stylesheet\" href=\"/owa/auth/15.1.2176/themes/resources/x.css\">"
        b"\0<asmv1:assembly><assemblyIdentity name=\"microsoft.exchange.ediscovery.exporttool.application\" version=\"15.1.2176.14\" /></asmv1:assembly>")
    put("probe_response", "redirect", b"\x2e\x01\nOwaADUserNotFoundException Protocol")


def seeds_misc() -> None:
    heads = {
        "iis": (EX / "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log").read_bytes()[:1024],
        "httpproxy": first("Logging/HttpProxy/Ecp/HttpProxy_2021030306*.LOG", V15).read_bytes()[:2048],
        "evtx": (SRC_DATA / "evtx-attack-samples/privexchange_dirkjan.evtx").read_bytes()[:4096],
        "jsonl": (SRC_DATA / "otrf-security-datasets/proxylogon_exchange_relevant_subset.jsonl").read_bytes()[:2048],
        "hive": (SRC_DATA / "hivex-minimal-hive/minimal.hive").read_bytes()[:1024],
        "mdmp": (EX / "Windows/Temp/lsass.dmp").read_bytes(),
        "rps": rps_log(),
        "utf16-oab": b"\xff\xfe" + first("Logging/OABGeneratorLog/OABGenerator20210303*.LOG", V15).read_bytes()[:1024].decode().encode("utf-16-le"),
    }
    for k, v in heads.items():
        put("classify", k, v)
    put("minidump", "lsass", (EX / "Windows/Temp/lsass.dmp").read_bytes())
    # A minidump whose module list names lsass.exe past the first 4 KiB.
    name = "C:\\Windows\\System32\\lsass.exe".encode("utf-16-le")
    big = b"MDMP\x93\xa7" + b"\0" * 5000 + struct.pack("<I", len(name)) + name + b"\0" * 16
    put("minidump", "lsass-module-late", big)


def base_block_checksum(b: bytes) -> int:
    x = 0
    for (d,) in struct.iter_unpack("<I", bytes(b[:508])):
        x ^= d
    return {0xFFFFFFFF: 0xFFFFFFFE, 0: 1}.get(x, x)


def hive_seeds() -> None:
    minimal = (SRC_DATA / "hivex-minimal-hive/minimal.hive").read_bytes()
    put("hive", "minimal", b"\x00" + minimal)
    if not shutil.which("hivexsh"):
        print("hivexsh not found: the Exchange hive seeds are not made", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as t:
        def make(path: str, build_minor: int) -> bytes:
            out = Path(t) / f"h{build_minor}"
            shutil.copy(SRC_DATA / "hivex-minimal-hive/minimal.hive", out)
            out.chmod(0o644)
            script = f"""
add Microsoft
cd Microsoft
add ExchangeServer
cd ExchangeServer
add v15
cd v15
add Setup
cd Setup
setval 5
MsiInstallPath
string:{path}
MsiProductMajor
dword:0x0f
MsiProductMinor
dword:0x01
MsiBuildMajor
dword:0x0880
MsiBuildMinor
dword:{build_minor:#x}
commit
"""
            subprocess.run(["hivexsh", "-w", str(out)], input=script.encode(), check=True)
            return out.read_bytes()

        base = make("D:\\Exchange Server\\V15\\", 9)
        newer = make("D:\\Exchange Server\\V15\\", 10)
        put("hive", "exchange-setup", b"\x00" + base)
        # The hive as a crashed server leaves it: "dirty" (primary sequence
        # number one ahead of the secondary), so that logs are applied.
        seq = struct.unpack_from("<I", base, 4)[0]
        dirty = bytearray(base)
        struct.pack_into("<I", dirty, 4, seq + 1)
        struct.pack_into("<I", dirty, 508, base_block_checksum(dirty))
        base = bytes(dirty)
        # A transaction log that brings `base` to `newer`: its dirty pages
        # are the 512-byte pages of the hive bins that differ.
        assert len(base) == len(newer)
        pages = []
        for off in range(4096, len(base), 512):
            if base[off:off + 512] != newer[off:off + 512]:
                pages.append((off - 4096, newer[off:off + 512]))
        header = bytearray(base[:512])
        struct.pack_into("<I", header, 4, seq)
        struct.pack_into("<I", header, 28, 2)  # file type: transaction log (new format)
        bins_size = struct.unpack_from("<I", base, 40)[0]
        refs = b"".join(struct.pack("<II", o, len(p)) for o, p in pages)
        body = b"".join(p for _, p in pages)
        size = 40 + len(refs) + len(body)
        size += (-size) % 512
        entry = bytearray(b"HvLE" + struct.pack("<IIIII", size, 0, seq + 1, bins_size, len(pages)) + b"\0" * 16 + refs + body)
        entry += b"\0" * (size - len(entry))
        log = bytes(header) + bytes(entry)
        sep = b"--exhunt-fuzz-log--"
        # Mode 1: one log, hashes recomputed by the target.
        put("hive", "exchange-setup-dirty", b"\x00" + base)
        put("hive", "exchange-setup-log1", b"\x01" + base + sep + log)
        put("hive", "exchange-setup-log1-log2", b"\x02" + base + sep + log + sep + bytes(header))


def main() -> None:
    seeds_text_logs()
    seeds_evtx()
    seeds_zip()
    seeds_config()
    seeds_rules()
    seeds_versions()
    seeds_misc()
    hive_seeds()
    total = 0
    for d in sorted(CORPUS.iterdir()):
        files = sorted(d.glob("seed-*"))
        size = sum(f.stat().st_size for f in files)
        total += size
        print(f"{d.name}: {len(files)} seeds, {size} bytes")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
