<%@ Page Language="C#" %>
<%-- exhunt example: a HARMLESS stand-in for the web shell that the
     OABGenerator log line names (CVE-2021-26858). The real page held
     China Chopper code; this one does nothing. --%>
<html><body></body></html>
