/*
  exhunt's own YARA rules for the web shells and intruders' files of the
  Exchange campaigns (ProxyLogon 2021, ProxyShell 2021, ProxyNotShell/OWASSRF
  2022).

  Written for exhunt from published descriptions of the shells; no rule text
  is taken from other rule sets. Every rule names the facts it rests on in
  `source`.

  Meta keys read by exhunt: `exhunt_rule` (the report's rule id), `title`,
  `kind`, `verdict`, `severity`, `source` and, when it applies, `cves`.
  Globals set by exhunt per file (strings, lower-case): `filename` (the
  name, no folder), `filepath` (the path inside the input, `/` separators)
  and `extension` (no dot).

  Tests: rules/yara-tests/<exhunt_rule>/{match,nomatch}/ (one folder per
  rule id; run scripts/check-yara-corpus.sh).
*/

// ---------------------------------------------------------------------------
// China Chopper and its relatives: a page that evaluates code sent in the
// request.
// ---------------------------------------------------------------------------

rule exhunt_chopper_jscript_eval
{
  meta:
    exhunt_rule = "webshell-chopper-jscript"
    title = "China Chopper-style JScript web shell (server-side eval of request data)"
    kind = "webshell"
    verdict = "compromised"
    severity = "critical"
    cves = "CVE-2021-27065"
    source = "Microsoft HAFNIUM blog 2021-03-02 and CISA AA21-062A (China Chopper written into the OAB ExternalUrl: <script language=\"JScript\" runat=\"server\">function Page_Load(){eval(Request[\"...\"],\"unsafe\");}</script>); FireEye 'Breaking Down the China Chopper Web Shell' (2013: <%@ Page Language=\"Jscript\"%><%eval(Request.Item[...],\"unsafe\");%>); tennc/webshell ASPX one-liners (hex-escaped and base64 forms); HVS Consulting ProxyShell IOCs (eval/*...*/( comment trick)"
  strings:
    // JScript as the server language: a page or language directive, or a
    // server-side script block (attributes in either order; doubled quotes
    // when the page sits inside another string).
    $lang_dir = /<%@[^>]{0,200}language\s*=\s*["']{0,2}jscript/ nocase
    $lang_srv1 = /<script[^>]{0,100}language\s*=\s*["']{0,2}jscript[^>]{0,100}runat\s*=\s*["']{0,2}server/ nocase
    $lang_srv2 = /<script[^>]{0,100}runat\s*=\s*["']{0,2}server[^>]{0,100}language\s*=\s*["']{0,2}jscript/ nocase
    // eval( also as eval (, eval\n( and eval/*junk*/(
    $eval = /\beval\s*(\/\*[^*]{0,40}\*\/\s*)?\(/ nocase
    // What gets evaluated: the "unsafe" switch that gives the code full
    // trust (anywhere: client-side eval takes one argument), or, near an
    // eval, request data or a payload hidden in hex escapes or base64 (near,
    // so that a classic JScript page reading the query string up top and
    // calling eval in its client script further down does not count).
    $in_req = /\bRequest\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies|Files)\s*)?[\[\(]/ nocase
    $in_unsafe = /["']unsafe["']/ nocase
    $in_hex = /\\x[0-9a-f]{2}\\x[0-9a-f]{2}/ nocase
    $in_b64 = "FromBase64String" nocase
  condition:
    filesize < 5MB and any of ($lang*) and $eval and (
      $in_unsafe or
      // the first 16 evals: a shell page has one or two
      for any i in (1..16) : (
        for any of ($in_req, $in_hex, $in_b64) : ($ in (@eval[i] - 400 .. @eval[i] + 400))
      )
    )
}

rule exhunt_chopper_obfuscated_0x
{
  meta:
    exhunt_rule = "webshell-chopper-obfuscated"
    title = "Obfuscated China Chopper variant (javascript-obfuscator _0x names in a server-side JScript page)"
    kind = "webshell"
    verdict = "compromised"
    severity = "critical"
    cves = "CVE-2021-27065"
    source = "Neo23x0/signature-base apt_hafnium.yar WEBSHELL_ASPX_Chopper_Like_Mar21_1 (facts: OAB ExternalUrl 'http://f/<script language=\"JScript\" runat=\"server\">var _0x...', 'function Page_Load(){var _0x', 'eval(Request[_0x', string array ','orange','unsafe','; under 3 KB); Microsoft HAFNIUM blog 2021-03-02"
  strings:
    $var0x = /var\s+_0x[0-9a-f]{3,8}\b/ nocase
    $pl = /function\s+Page_Load\s*\(\s*\)\s*\{\s*var\s+_0x[0-9a-f]{3,8}/ nocase
    $ev = /eval\s*\(\s*Request\s*(\.\s*Item\s*)?\[\s*_0x[0-9a-f]{3,8}/ nocase
    // the obfuscator's string array holding "unsafe" (and often "orange")
    $arr_unsafe = /var\s+_0x[0-9a-f]{3,8}\s*=\s*\[[^\]]{0,400}['"]unsafe['"]/ nocase
    $srv = /runat\s*=\s*["']{0,2}server/ nocase
  condition:
    filesize < 100KB and $var0x and ($pl or $ev or ($arr_unsafe and $srv))
}

rule exhunt_chopper_csharp_eval
{
  meta:
    exhunt_rule = "webshell-chopper-csharp"
    title = "C# page that compiles, evaluates or loads code sent in the request (Chopper-style evaluation shell)"
    kind = "webshell"
    verdict = "compromised"
    severity = "critical"
    source = "BSI MSExchange_Schwachstelle_Detektion_Reaktion.pdf (2021-03; its compiled-shell rule, in signature-base WEBSHELL_Compiled_Webshell_Mar2021_1, keys on Microsoft.JScript JScriptEvaluate); Microsoft HAFNIUM blog 2021-03-02 (China Chopper server side); published ASPX one-liners (Response.Write(Microsoft.JScript.Eval.JScriptEvaluate(Request[...], VsaEngine.CreateEngine())); Behinder/Godzilla ASPX loaders: Assembly.Load of request bytes)"
  strings:
    $srv_dir = /<%@[^>]{0,200}language\s*=\s*["']{0,2}(c#|csharp|cs|vb|vbscript)["'\s%]/ nocase
    $srv_block = /<script[^>]{0,100}runat\s*=\s*["']{0,2}server/ nocase
    $srv_handler = /<%@\s*WebHandler/ nocase
    $srv_code = /<%\s*(if|var|string|byte|Response|Session|System|Assembly|try)\b/ nocase
    // JScript evaluation from a C#/VB page
    $jse = "JScriptEvaluate" nocase
    $vsa = "VsaEngine" nocase
    // compiling request-supplied source
    $compile = "CompileAssemblyFromSource" nocase
    // loading request-supplied bytes as an assembly
    $asm_load = /Assembly\s*\.\s*Load\s*\(/ nocase
    $req_bytes1 = /Request\s*\.\s*BinaryRead\s*\(/ nocase
    $req_bytes2 = /FromBase64String\s*\(\s*(HttpContext\s*\.\s*Current\s*\.\s*|context\s*\.\s*)?Request\s*(\.\s*(Item|Form|QueryString|Params)\s*)?[\[\(]/ nocase
    $req = /\bRequest\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies|Files)\s*)?[\[\(]/ nocase
  condition:
    filesize < 2MB and any of ($srv*) and (
      (($jse or $vsa) and $req) or
      ($compile and $req) or
      ($asm_load and any of ($req_bytes*))
    )
}

// ---------------------------------------------------------------------------
// Upload, command and tunnel shells named in the 2021 reports
// ---------------------------------------------------------------------------

rule exhunt_aspx_upload
{
  meta:
    exhunt_rule = "webshell-aspx-upload"
    title = "ASP.NET page that writes a posted file or request data to a path the request chooses (SIMPLESEESHARP and Chopper upload forms)"
    kind = "webshell"
    verdict = "compromised"
    severity = "critical"
    source = "Volexity 2021-03-02 'Operation Exchange Marauder' (SIMPLESEESHARP: a tiny C# page, <%@ Page Language=\"C#\" %> then HttpPostedFile = Request.Files[0] saved with SaveAs, under 1 KB); signature-base apt_hafnium.yar facts (HAFNIUM pages: runat=\"server\">void Page_Load(object ... Request.Files[0].SaveAs(Server.MapPath(; StreamWriter(Request.Form[\"p\"]) writing Request.Form[\"f\"]); CISA MAR-10328929 (AR21-084A); tennc/webshell ASPX one-liners (C# and VB SaveAs(Server.MapPath(Request[\"f\"])))"
  strings:
    // SaveAs into a path taken from the request
    $save_req = /\.SaveAs\s*\(\s*(Server\s*\.\s*MapPath\s*\(\s*)?Request\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies|Files)\s*)?[\[\(]/ nocase
    // SaveAs into the page's own folder under the client's file name
    $save_here = /\.SaveAs\s*\(\s*Server\s*\.\s*MapPath\s*\(\s*["'][.\/~\\]{0,3}["']\s*\)\s*\+\s*Request\s*\.\s*Files/ nocase
    // a writer opened on a request-chosen path, fed from the request
    $sw_req = /StreamWriter\s*\(\s*(Server\s*\.\s*MapPath\s*\(\s*)?Request\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies|Files)\s*)?[\[\(]/ nocase
    $write_req = /\.Write(Line)?\s*\(\s*Request\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies|Files)\s*)?[\[\(]/ nocase
    $file_write_req = /File\s*\.\s*Write(AllText|AllBytes|AllLines)\s*\(\s*(Server\s*\.\s*MapPath\s*\(\s*)?Request\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies|Files)\s*)?[\[\(]/ nocase
    // SIMPLESEESHARP shape: a bare page that saves Request.Files[0]
    $page_dir = /<%@\s*Page\b/ nocase
    $files0 = /Request\s*\.\s*Files\s*[\[\(]\s*0\s*[\]\)]/ nocase
    $saveas = /\.SaveAs\s*\(/ nocase
    $ui_form = "<form" nocase
    $ui_input = /type\s*=\s*["']?file/ nocase
    $ui_upload = "FileUpload" nocase
  condition:
    filesize < 2MB and (
      $save_req or $save_here or $file_write_req or ($sw_req and $write_req) or
      (filesize < 1KB and $page_dir in (0..8) and $files0 and $saveas and not any of ($ui*))
    )
}

rule exhunt_aspx_command_exec
{
  meta:
    exhunt_rule = "webshell-aspx-cmd-exec"
    title = "ASP.NET page that runs a command line taken from the request"
    kind = "webshell"
    verdict = "compromised"
    severity = "critical"
    source = "Volexity 2021-03-02 'Operation Exchange Marauder' (SPORTSBALL/HyperShell: cmd.exe process whose StandardInput is written from Request.Form); CISA AA21-062A (web shells running commands on Exchange); Microsoft HAFNIUM blog 2021-03-02 (w3wp.exe spawning cmd.exe/powershell)"
  strings:
    $flow_args = /\.Arguments\s*=\s*[^;\r\n]{0,100}Request\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies|Files)\s*)?[\[\(]/ nocase
    $flow_stdin = /StandardInput\s*\.\s*Write(Line)?\s*\(\s*[^;\r\n]{0,60}Request\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies|Files)\s*)?[\[\(]/ nocase
    $flow_start = /Process\s*\.\s*Start\s*\([^;\r\n]{0,120}Request\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies|Files)\s*)?[\[\(]/ nocase
    $flow_psi = /ProcessStartInfo\s*\([^;\r\n]{0,120}Request\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies|Files)\s*)?[\[\(]/ nocase
    // the program itself named by the request (a process's FileName
    // property, not a local variable of that name)
    $exe_req = /\.\s*FileName\s*=\s*[^;\r\n]{0,60}Request\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies|Files)\s*)?[\[\(]/ nocase
    $exe_psi = "ProcessStartInfo" nocase
    $exe_si = /StartInfo\s*\.\s*FileName/ nocase
    $sh1 = "cmd.exe" nocase
    $sh2 = /cmd\s+\/c/ nocase
    $sh3 = "powershell" nocase
  condition:
    filesize < 2MB and (
      (any of ($flow*) and any of ($sh*)) or
      ($exe_req and ($exe_psi or $exe_si))
    )
}

rule exhunt_sportsball_hypershell
{
  meta:
    exhunt_rule = "webshell-sportsball"
    title = "SPORTSBALL / HyperShell web shell (cookie-keyed command and upload shell)"
    kind = "webshell"
    verdict = "compromised"
    severity = "critical"
    source = "Volexity 2021-03-02 'Operation Exchange Marauder' (SPORTSBALL, a variant of the public HyperShell simple.aspx: a key kept in an HttpCookie (\"fqrspt\"), a System.Diagnostics.Process whose StandardInput is written from HttpContext.Current.Request.Form, an upload form); CISA AA21-062A"
  strings:
    $cookie = "HttpCookie" nocase
    $cookie_name = "\"fqrspt\"" nocase
    $proc = "System.Diagnostics.Process" nocase
    $stdin_form = /StandardInput\s*\.\s*WriteLine\s*\(\s*(HttpContext\s*\.\s*Current\s*\.\s*)?Request\s*\.\s*Form\s*\[/ nocase
  condition:
    filesize < 1MB and $cookie and (($proc and $stdin_form) or $cookie_name)
}

rule exhunt_regeorg_tunnel
{
  meta:
    exhunt_rule = "webshell-regeorg-tunnel"
    title = "reGeorg-style socket tunnel page (SOCKS over HTTP into the network)"
    kind = "webshell"
    verdict = "compromised"
    severity = "critical"
    source = "sensepost/reGeorg tunnel.aspx (commands CONNECT/DISCONNECT/READ/FORWARD in the X-CMD header, answers in X-STATUS/X-ERROR, a System.Net.Sockets.Socket kept in the session); Volexity 2021-03-02 'Operation Exchange Marauder' (a reGeorg variant reading base64 commands from Request.Headers.Get, split on '|'); CISA AA21-062A"
  strings:
    $sock_ns = "System.Net.Sockets" nocase
    $sock_new = /new\s+Socket\s*\(/ nocase
    $h_status = "X-STATUS" nocase
    $h_error = "X-ERROR" nocase
    $h_cmd = "X-CMD" nocase
    $c_connect = "\"CONNECT\""
    $c_disconnect = "\"DISCONNECT\""
    $c_read = "\"READ\""
    $c_forward = "\"FORWARD\""
    $hdr_get = /Request\s*\.\s*Headers\s*\.\s*Get\s*\(/ nocase
    $b64 = "FromBase64String" nocase
  condition:
    filesize < 1MB and ($sock_ns or $sock_new) and (
      (any of ($h_*) and 2 of ($c_*)) or
      ($hdr_get and $b64 and $sock_new)
    )
}

rule exhunt_xslt_script_shell
{
  meta:
    exhunt_rule = "webshell-xslt-script"
    title = "ASP.NET page running request data through an XSLT stylesheet with script"
    kind = "webshell"
    verdict = "compromised"
    severity = "critical"
    source = "tennc/webshell xslt.aspx (msxsl:script JScript calling eval(Request.Item[...],'unsafe'), loaded with XsltSettings.TrustedXslt); Deep Instinct 2021 'Do not Exchange it, it has a shell inside' (DropHell: stylesheet from LoadXml(FromBase64String(Request[...])) run through Transform into a MemoryStream)"
  strings:
    $msxsl = "msxsl:script" nocase
    $eval_req = /eval\s*\(\s*Request\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies|Files)\s*)?[\[\(]/ nocase
    $unsafe = /["']unsafe["']/ nocase
    $trusted1 = "XsltSettings.TrustedXslt" nocase
    $trusted2 = /new\s+XsltSettings\s*\(\s*true\s*,\s*true\s*\)/ nocase
    $load_req = /Load(Xml)?\s*\([^;\r\n]{0,120}Request\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies|Files)\s*)?[\[\(]/ nocase
  condition:
    filesize < 1MB and (
      ($msxsl and ($eval_req or ($unsafe and $trusted1))) or
      (any of ($trusted*) and $load_req)
    )
}

// ---------------------------------------------------------------------------
// Shells planted through Exchange's own features
// ---------------------------------------------------------------------------

rule exhunt_oab_config_shell
{
  meta:
    exhunt_rule = "webshell-oab-config"
    title = "Exported OAB virtual-directory settings with a script in a URL (CVE-2021-27065 web shell)"
    kind = "webshell"
    verdict = "compromised"
    severity = "critical"
    cves = "CVE-2021-27065"
    source = "Microsoft HAFNIUM blog 2021-03-02 (Set-OabVirtualDirectory ExternalUrl holding a script, then the settings 'Reset' to a file in the web root); CISA AA21-062A and MAR-10328929 (exported OAB settings with ExternalUrl 'http://f/...'); MSTIC facts in signature-base WEBSHELL_CVE_2021_27065_Webshells (ExternalUrl or InternalUrl beside InternalAuthenticationMethods and ExtendedProtectionTokenChecking, with script, under 50 KB)"
  strings:
    $url_ext = "ExternalUrl" ascii wide nocase
    $url_int = "InternalUrl" ascii wide nocase
    $key_auth = "InternalAuthenticationMethods" ascii wide nocase
    $key_ept = "ExtendedProtectionTokenChecking" ascii wide nocase
    $s_open = "<script" ascii wide nocase
    $s_close = "</script" ascii wide nocase
    $s_runat = "runat=\"server\"" ascii wide nocase
    $s_page = "Page Language" ascii wide nocase
    $s_code = "<%" ascii wide
  condition:
    filesize < 50KB and any of ($url*) and $key_auth and $key_ept and any of ($s_*)
}

rule exhunt_mailbox_export_shell
{
  meta:
    exhunt_rule = "webshell-mailbox-export"
    title = "Mailbox exported as a web page: PST file holding ASP.NET code (ProxyShell web shell)"
    kind = "webshell"
    verdict = "compromised"
    severity = "critical"
    cves = "CVE-2021-34473, CVE-2021-34523, CVE-2021-31207"
    source = "Orange Tsai, 'ProxyShell' (Black Hat USA 2021: New-MailboxExportRequest writes a PST, holding a mail whose attachment decodes to a script, as an .aspx in the web root); signature-base expl_proxyshell.yar facts (PST magic !BDN at offset 0 with 'Page Language='; request parameters gold8899, exec_code, orangenb); SigmaHQ win_exchange_proxyshell_mailbox_export"
  strings:
    $page = "Page Language=" nocase
    $runat = /runat\s*=\s*["']?server/ nocase
    $code = /<%\s*(@\s*Page|eval|Response\s*\.\s*Write|if\s*\(|var\s)/ nocase
    $eval_req = /eval\s*\(\s*Request/ nocase
  condition:
    uint32(0) == 0x4E444221 and filesize < 50MB and any of them
}

rule exhunt_der_certificate_request_shell
{
  meta:
    exhunt_rule = "webshell-certificate-request"
    title = "Certificate request written as a web page (DER header with ASP.NET code)"
    kind = "webshell"
    verdict = "compromised"
    severity = "critical"
    cves = "CVE-2021-34473, CVE-2021-34523, CVE-2021-31207"
    source = "Kevin Beaumont (@GossiTheDog) 2021-08 and signature-base expl_proxyshell.yar facts (ProxyShell shells dropped as binary certificate requests: DER sequence header 0x30 0x82 at offset 0, under 10 KB, 'Page Language='; 0x30 0x81 is the same header for a request under 256 bytes); SigmaHQ win_exchange_proxyshell_certificate_generation (New-ExchangeCertificate -RequestFile into a web folder, -SubjectName carrying the script)"
  strings:
    $page = "Page Language=" nocase
    $runat = /runat\s*=\s*["']?server/ nocase
    $code = /<%\s*(@\s*Page|eval|Response\s*\.\s*Write|if\s*\(|var\s)/ nocase
    $eval_req = /eval\s*\(\s*Request/ nocase
  condition:
    (uint16be(0) == 0x3082 or uint16be(0) == 0x3081) and filesize < 64KB and any of them
}

rule exhunt_aspx_non_ascii_start
{
  meta:
    exhunt_rule = "webshell-aspx-binary-start"
    title = "ASP.NET page that starts with binary bytes (dropped through a mailbox export, certificate request or similar)"
    kind = "webshell"
    verdict = "compromised"
    severity = "high"
    source = "signature-base expl_proxyshell.yar facts (SUSP_ASPX_PossibleDropperArtifact_Aug21: an .aspx with 'Page Language=' whose first 8 bytes are not text, byte-order marks excepted); Orange Tsai 'ProxyShell' (Black Hat USA 2021); Kevin Beaumont (@GossiTheDog) 2021-08 (DER certificate-request drops)"
  strings:
    $page = "Page Language" nocase
    $runat = /runat\s*=\s*["']?server/ nocase
    $code = /<%\s*(@\s*Page|eval|Response\s*\.\s*Write|if\s*\(|var\s)/ nocase
  condition:
    (extension == "aspx" or extension == "ashx" or extension == "asmx" or extension == "ascx" or extension == "asax")
    and filesize < 20MB
    // A UTF-8 or UTF-16 byte-order mark is text, not a dropper artifact.
    and not (uint16be(0) == 0xEFBB and uint8(2) == 0xBF)
    and not uint16be(0) == 0xFFFE
    and not uint16be(0) == 0xFEFF
    // Some byte among the first eight is neither printable ASCII nor
    // tab/CR/LF.
    and for any i in (0..7) : (
      uint8(i) < 0x09 or uint8(i) == 0x0B or uint8(i) == 0x0C or
      (uint8(i) > 0x0D and uint8(i) < 0x20) or uint8(i) > 0x7E
    )
    and any of them
}

// ---------------------------------------------------------------------------
// What shells leave elsewhere
// ---------------------------------------------------------------------------

rule exhunt_compiled_shell_dll
{
  meta:
    exhunt_rule = "webshell-compiled-dll"
    title = "ASP.NET compiled page (Temporary ASP.NET Files) of a page in aspnet_client, or of a shell in an auth folder"
    kind = "webshell"
    verdict = "compromised"
    severity = "high"
    source = "BSI MSExchange_Schwachstelle_Detektion_Reaktion.pdf 2021-03, as encoded in signature-base WEBSHELL_Compiled_Webshell_Mar2021_1 (compiled App_Web_*.dll of shells referencing ~/aspnet_client/ or ~/auth/, with JScriptEvaluate or the Request.Files/Server.MapPath accessors); microsoft/CSS-Exchange Defender-MSERT-Guidance.md (scan the Temporary ASP.NET Files); signature-base apt_hafnium.yar facts"
  strings:
    // aspnet_client holds no pages on a clean server: any compiled page
    // from there is someone's.
    $vp_client = "~/aspnet_client/" ascii wide nocase
    // OWA's and ECP's own auth pages compile to ~/auth/... too: only a
    // shell's calls count there.
    $vp_auth = "~/auth/" ascii wide nocase
    $jse = "JScriptEvaluate" ascii wide
    $files = "get_Files" ascii wide
    $saveas = "SaveAs" ascii wide
    $proc = "System.Diagnostics" ascii wide
    $stdin = "get_StandardInput" ascii wide
    $psi = "ProcessStartInfo" ascii wide
  condition:
    uint16(0) == 0x5A4D and filesize < 5MB
    and filename startswith "app_web_" and extension == "dll"
    and ($vp_client or ($vp_auth and ($jse or ($files and $saveas) or ($proc and ($stdin or $psi)))))
}

rule exhunt_minidump_in_web_folder
{
  meta:
    exhunt_rule = "memory-dump-web-folder"
    title = "Process memory dump (minidump) in an IIS or Exchange web folder"
    kind = "credential-access"
    verdict = "compromised"
    severity = "high"
    source = "Microsoft HAFNIUM blog 2021-03-02 (LSASS dumped with procdump and comsvcs.dll MiniDump after the web shells were in place; a dump left in a served folder can be fetched with a plain request); CISA AA21-062A ('lsass.exe C:\\windows\\temp\\lsass'); microsoft/CSS-Exchange Test-ProxyLogon.ps1 (LSASS dumps) and Defender-MSERT-Guidance.md (web-shell folders: inetpub\\wwwroot\\aspnet_client, FrontEnd\\HttpProxy\\owa|ecp\\auth); minidump header 'MDMP'"
  condition:
    uint32(0) == 0x504D444D and (
      filepath startswith "inetpub/" or filepath contains "/inetpub/" or
      filepath contains "aspnet_client/" or
      filepath startswith "frontend/httpproxy/" or filepath contains "/frontend/httpproxy/" or
      filepath startswith "clientaccess/" or filepath contains "/clientaccess/" or
      filepath contains "/owa/auth/" or filepath startswith "owa/auth/" or
      filepath contains "/ecp/auth/" or filepath startswith "ecp/auth/"
    )
}
