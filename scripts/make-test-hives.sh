#!/usr/bin/env bash
# Regenerates the registry hives the system-root tests copy
# (crates/system/tests/data/hives/, provenance in PROVENANCE.md there).
# The hives are committed, so the tests need no hivex tools; this script
# does: Debian's hivexsh (package libhivex-bin).
#
# Each hive is the empty hive of libguestfs/hivex (images/minimal, in
# crates/sources/tests/data/hivex-minimal-hive/) with the keys the tests
# read added by `hivexsh -w`: the same keys and values as
# exhunt_testgen::sysroot::write_software_hive (crates/testgen/src/sysroot.rs)
# writes. Change both together.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hivexsh >/dev/null || {
  echo "hivexsh not found: install Debian's libhivex-bin" >&2
  exit 1
}
minimal=crates/sources/tests/data/hivex-minimal-hive/minimal.hive
out=crates/system/tests/data/hives
mkdir -p "$out"

# The Windows version key every server has.
windows='add Microsoft
cd Microsoft
add Windows NT
cd Windows NT
add CurrentVersion
cd CurrentVersion
setval 2
ProductName
string:Windows Server 2016 Standard
CurrentBuild
string:14393
cd ..
cd ..
'

# hive NAME SCRIPT: minimal.hive plus SCRIPT (hivexsh commands).
hive() {
  cp "$minimal" "$out/$1"
  chmod 644 "$out/$1"
  printf '%s%scommit\n' "$windows" "$2" | hivexsh -w "$out/$1"
  echo "wrote $out/$1 ($(stat -c %s "$out/$1") bytes)"
}

# Exchange's Setup key: MsiInstallPath INSTALL and the build 15.1.2106.2
# (Exchange 2016 CU18) in the four Msi* values.
exchange() {
  printf '%s\n' 'add ExchangeServer' 'cd ExchangeServer' 'add v15' 'cd v15' 'add Setup' 'cd Setup' \
    'setval 5' 'MsiInstallPath' "string:$1" \
    'MsiProductMajor' 'dword:0x0000000f' \
    'MsiProductMinor' 'dword:0x00000001' \
    'MsiBuildMajor' 'dword:0x0000083a' \
    'MsiBuildMinor' 'dword:0x00000002'
}

hive SOFTWARE-exchange "$(exchange 'C:\Apps\Exchange Server\V15\')
"
hive SOFTWARE-exchange-odd-case "$(exchange 'c:\exchsrv\V15')
"
hive SOFTWARE-exchange-on-d "$(exchange 'D:\Exchange\V15\')
"
hive SOFTWARE-no-exchange 'add Windows Defender
cd Windows Defender
setval 1
ProductStatus
dword:0x00000000
'

(cd "$out" && sha256sum SOFTWARE-*)
