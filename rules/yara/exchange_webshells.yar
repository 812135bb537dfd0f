/*
  DRAFT (issue 4, not finished): no code loads these rules yet and they have
  not been compiled or tested; the file sweep that will use them is the next
  piece of work.

  exhunt's own YARA rules for the web shells of the Exchange campaigns
  (ProxyLogon 2021, ProxyShell 2021, ProxyNotShell/OWASSRF 2022).

  Written from published descriptions; every rule names its sources in
  `source`. Meta keys read by exhunt: `exhunt_rule` (the report's rule id),
  `kind`, `verdict`, `severity`, `source`. Globals set by exhunt per file:
  `filename` (lower-case name) and `extension` (lower-case, no dot).
*/

rule exhunt_chopper_jscript_eval
{
  meta:
    exhunt_rule = "webshell-chopper-jscript"
    title = "China Chopper-style JScript web shell (eval of request data)"
    kind = "webshell"
    verdict = "compromised"
    severity = "critical"
    source = "Microsoft HAFNIUM blog 2021-03-02 (China Chopper in ExternalUrl: function Page_Load(){eval(Request[...],\"unsafe\")}); CISA AA21-062A; FireEye 'Breaking Down the China Chopper Web Shell' (2013)"
  strings:
    $lang1 = "language=\"jscript\"" nocase
    $lang2 = "language=jscript" nocase
    $lang3 = "language=\"\"jscript\"\"" nocase
    $eval = "eval(" nocase
    $req1 = "request.item[" nocase
    $req2 = "request[" nocase
    $req3 = "request.form" nocase
    $req4 = "frombase64string" nocase
    $unsafe1 = "\"unsafe\"" nocase
    $unsafe2 = "'unsafe'" nocase
    $unsafe3 = "afe\"" nocase
  condition:
    filesize < 5MB and any of ($lang*) and $eval and (any of ($req*) or any of ($unsafe*))
}

rule exhunt_chopper_obfuscated_0x
{
  meta:
    exhunt_rule = "webshell-chopper-obfuscated"
    title = "Obfuscated China Chopper variant (var _0x... arrays)"
    kind = "webshell"
    verdict = "compromised"
    severity = "critical"
    source = "Neo23x0/signature-base apt_hafnium.yar WEBSHELL_ASPX_Chopper_Like_Mar21_1 (facts: 'var _0x' arrays, eval(Request[_0x..], 'orange','unsafe')); Microsoft HAFNIUM blog"
  strings:
    $a = "var _0x" ascii
    $b = "eval(Request[_0x" ascii
    $c = "function Page_Load(){var _0x" ascii
    $d = "'unsafe'" ascii
    $e = "runat=\"server\"" nocase
  condition:
    filesize < 100KB and $a and ($b or $c or ($d and $e))
}

rule exhunt_aspx_csharp_upload_exec
{
  meta:
    exhunt_rule = "webshell-aspx-upload-exec"
    title = "ASP.NET web shell that writes uploaded files or runs commands from request data"
    kind = "webshell"
    verdict = "compromised"
    severity = "critical"
    source = "Volexity 2021-03-02 'Operation Exchange Marauder' (SIMPLESEESHARP: C# page saving Request.Files[0]); tennc/webshell ASPX one-liners; CISA AA21-062A"
  strings:
    $save1 = "Request.Files[0].SaveAs(" nocase
    $save2 = "Request.Files(0).SaveAs(" nocase
    $save3 = /HttpPostedFile\s+\w+\s*=\s*Request\.Files\[0\]/
    $exec1 = "System.Diagnostics.Process" nocase
    $exec2 = "ProcessStartInfo" nocase
    $in1 = "Request.Form[" nocase
    $in2 = "Request.QueryString[" nocase
    $in3 = "Request[\"" nocase
    $in4 = "Request.Item[" nocase
    $cmd1 = "cmd.exe" nocase
    $cmd2 = "StandardInput.WriteLine(" nocase
  condition:
    filesize < 2MB and (any of ($save*) or (any of ($exec*) and any of ($in*) and any of ($cmd*)))
}

rule exhunt_sportsball_hypershell
{
  meta:
    exhunt_rule = "webshell-sportsball"
    title = "SPORTSBALL / HyperShell web shell (cookie-keyed command shell)"
    kind = "webshell"
    verdict = "compromised"
    severity = "critical"
    source = "Volexity 2021-03-02 'Operation Exchange Marauder' (SPORTSBALL, a HyperShell variant: cookie check, Process with redirected StandardInput fed from Request.Form)"
  strings:
    $a = "HttpCookie" ascii
    $b = "System.Diagnostics.Process" ascii
    $c = "StandardInput.WriteLine(" ascii
    $d = "Request.Form[" ascii
  condition:
    filesize < 1MB and all of them
}

rule exhunt_regeorg_tunnel
{
  meta:
    exhunt_rule = "webshell-regeorg-tunnel"
    title = "reGeorg-style socket tunnel page"
    kind = "webshell"
    verdict = "compromised"
    severity = "critical"
    source = "sensepost/reGeorg tunnel.aspx (X-STATUS/X-ERROR headers, CONNECT/READ/FORWARD/DISCONNECT commands); Volexity 2021-03-02 (a reGeorg variant reading its commands from request headers); CISA AA21-062A"
  strings:
    $sock = "System.Net.Sockets" ascii
    $new = "new Socket(" ascii
    $h1 = "X-STATUS" ascii
    $h2 = "X-ERROR" ascii
    $c1 = "\"CONNECT\"" ascii
    $c2 = "\"FORWARD\"" ascii
    $hdr = "Request.Headers.Get" ascii
    $b64 = "FromBase64String" ascii
  condition:
    filesize < 1MB and ($sock or $new) and ((all of ($h*) and any of ($c*)) or ($hdr and $b64 and $new))
}

rule exhunt_xslt_script_shell
{
  meta:
    exhunt_rule = "webshell-xslt-script"
    title = "ASP.NET page running script through a trusted XSLT transform"
    kind = "webshell"
    verdict = "compromised"
    severity = "critical"
    source = "tennc/webshell xslt.aspx (msxsl:script with eval of Request data, XsltSettings.TrustedXslt)"
  strings:
    $a = "msxsl:script" nocase
    $b = "XsltSettings.TrustedXslt" nocase
    $c = "eval(" nocase
    $d = "Request" ascii
  condition:
    filesize < 1MB and $a and ($b or ($c and $d))
}

rule exhunt_oab_config_shell
{
  meta:
    exhunt_rule = "webshell-oab-config"
    title = "Exported OAB virtual-directory settings with a script (CVE-2021-27065 web shell)"
    kind = "webshell"
    verdict = "compromised"
    severity = "critical"
    source = "Neo23x0/signature-base apt_hafnium.yar WEBSHELL_CVE_2021_27065_Webshells (facts: ExternalUrl/InternalUrl with script beside InternalAuthenticationMethods and ExtendedProtectionTokenChecking, < 50KB); Microsoft HAFNIUM blog"
  strings:
    $url1 = "ExternalUrl" nocase
    $url2 = "InternalUrl" nocase
    $k1 = "InternalAuthenticationMethods" nocase
    $k2 = "ExtendedProtectionTokenChecking" nocase
    $s1 = "<script" nocase
    $s2 = "runat=\"server\"" nocase
    $s3 = "Page Language" nocase
    $s4 = "</script" nocase
  condition:
    filesize < 50KB and any of ($url*) and all of ($k*) and any of ($s*)
}

rule exhunt_mailbox_export_shell
{
  meta:
    exhunt_rule = "webshell-mailbox-export"
    title = "Mailbox exported as a web page: PST with ASP.NET code (ProxyShell web shell)"
    kind = "webshell"
    verdict = "compromised"
    severity = "critical"
    source = "Orange Tsai, ProxyShell (Black Hat USA 2021: New-MailboxExportRequest writes a PST holding a script into the web root); signature-base expl_proxyshell.yar WEBSHELL_ASPX_ProxyShell_Aug21_2 (facts: PST magic !BDN at 0 with Page Language=)"
  strings:
    $s1 = "Page Language=" nocase
    $s2 = "<script" nocase
    $s3 = "runat=" nocase
    $s4 = "eval(" nocase
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
    source = "signature-base expl_proxyshell.yar WEBSHELL_ASPX_ProxyShell_Aug21_3 (facts: DER 0x3082 header, < 10KB, Page Language=); SigmaHQ win_exchange_proxyshell_certificate_generation (New-ExchangeCertificate -RequestFile into the web root)"
  strings:
    $s1 = "Page Language=" nocase
    $s2 = "runat=" nocase
    $s3 = "<%" ascii
  condition:
    uint16be(0) == 0x3082 and filesize < 64KB and any of them
}

rule exhunt_aspx_non_ascii_start
{
  meta:
    exhunt_rule = "webshell-aspx-binary-start"
    title = "Script page that starts with non-text bytes (dropped through a binary format)"
    kind = "webshell"
    verdict = "compromised"
    severity = "high"
    source = "signature-base expl_proxyshell.yar SUSP_ASPX_PossibleDropperArtifact_Aug21 (facts: .aspx whose first bytes are not ASCII); ProxyShell exports and certificate requests leave such files"
  strings:
    $s1 = "<%" ascii
    $s2 = "runat=" nocase
    $s3 = "Page Language" nocase
  condition:
    (extension == "aspx" or extension == "ashx" or extension == "asmx")
    and filesize < 20MB
    and uint8(0) > 0x7F
    // A UTF-8 or UTF-16 byte-order mark is text, not a dropper artifact.
    and not (uint16be(0) == 0xEFBB and uint8(2) == 0xBF)
    and not (uint16(0) == 0xFEFF or uint16be(0) == 0xFEFF)
    and any of them
}

rule exhunt_compiled_shell_dll
{
  meta:
    exhunt_rule = "webshell-compiled-dll"
    title = "ASP.NET compiled page of a shell in aspnet_client or an auth folder (Temporary ASP.NET Files)"
    kind = "webshell"
    verdict = "compromised"
    severity = "high"
    source = "signature-base apt_hafnium.yar WEBSHELL_Compiled_Webshell_Mar2021_1 (facts: App_Web_*.dll referencing ~/aspnet_client/ or ~/auth/); MSERT guidance (Temporary ASP.NET Files)"
  strings:
    $p1 = "~/aspnet_client/" wide ascii nocase
    $p2 = "~/auth/" wide ascii nocase
  condition:
    uint16(0) == 0x5A4D and filesize < 5MB and filename startswith "app_web_" and any of them
}
