#!/usr/bin/env bash
# Checks exhunt's bundled YARA rules (rules/yara/*.yar) against their test
# corpus with the yara-x command-line tool `yr`:
#
#   rules/yara-tests/<exhunt_rule>/match/**     must fire that rule
#   rules/yara-tests/<exhunt_rule>/nomatch/**   must fire none of our rules
#   crates/yara/tests/data/tennc-webshell/*.aspx.txt   must fire at least one
#   crates/yara/tests/data/benign-pages/**      must fire none
#
# Every sample is stored as <real name>.txt. exhunt's globals are set as for
# a file found at the sample's path relative to its match/, nomatch/ or data
# folder: that path without the final ".txt", lower-cased, is `filepath`;
# its last component is `filename`; what follows the last dot of that is
# `extension` (empty when there is none).
#
# Also fails when the rules do not compile, when yr warns about them (e.g.
# slow_pattern), when a rule lacks exhunt's metadata (exhunt_rule, title,
# kind, verdict, severity, source; values as exhunt reads them), when a rule
# id has no match or no nomatch sample, or when a test folder names no rule.
#
# Usage: scripts/check-yara-corpus.sh        (YR=/path/to/yr to pick the binary)
set -u
cd "$(dirname "$0")/.." || exit 2

YR="${YR:-}"
if [ -z "$YR" ]; then
    if command -v yr >/dev/null 2>&1; then YR=yr
    elif [ -x "$HOME/.cargo/bin/yr" ]; then YR="$HOME/.cargo/bin/yr"
    else echo "yr (yara-x-cli) not found; cargo install yara-x-cli, or set YR" >&2; exit 2
    fi
fi

RULES=(rules/yara/*.yar)
TESTS=rules/yara-tests
TENNC=crates/yara/tests/data/tennc-webshell
BENIGN=crates/yara/tests/data/benign-pages
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fail=0
checked=0
bad() { echo "FAIL: $*"; fail=1; }

DEFS=(-d 'filename=""' -d 'filepath=""' -d 'extension=""')

# 0. `yr check` with exhunt's metadata contract. `yr check` cannot define
# external globals, so it reads a copy in which each of exhunt's globals is
# replaced by another string expression of the same type whose value is
# unknown until a scan (pe.dll_name), so no condition becomes constant.
cat >"$TMP/yara-x.toml" <<'TOML'
[check.metadata]
exhunt_rule = { type = "string", required = true, error = true, regexp = "^[a-z0-9]+(-[a-z0-9]+)*$" }
title = { type = "string", required = true, error = true }
kind = { type = "string", required = true, error = true, regexp = "^(exploitation|attempt|scan|webshell|execution|credential-access|collection|persistence|staging|config)$" }
verdict = { type = "string", required = true, error = true, regexp = "^(clean|attempted|exploited|compromised)$" }
severity = { type = "string", required = true, error = true, regexp = "^(critical|high|medium|low|info)$" }
source = { type = "string", required = true, error = true }
cves = { type = "string", error = true, regexp = "^CVE-[0-9]{4}-[0-9]+(, CVE-[0-9]{4}-[0-9]+)*$" }
[check.rule_name]
regexp = "^exhunt_[a-z0-9_]+$"
error = true
TOML
mkdir -p "$TMP/check"
for r in "${RULES[@]}"; do
    sed -e '1s/^/import "pe" /' -e 's/\b\(filename\|filepath\|extension\)\b/pe.dll_name/g' "$r" >"$TMP/check/${r##*/}"
done
if ! "$YR" --config "$TMP/yara-x.toml" check "$TMP/check" >"$TMP/check.out" 2>&1; then
    bad "yr check (metadata, names, warnings such as slow_pattern) on a copy with the globals replaced:"
    sed "s#$TMP/check/#rules/yara/#g" "$TMP/check.out"
fi

# 1. Compile, and no warnings (yr scan prints the compiler's warnings).
: >"$TMP/empty"
if ! "$YR" scan "${DEFS[@]}" "${RULES[@]}" "$TMP/empty" >/dev/null 2>"$TMP/warn"; then
    bad "rules do not compile:"; cat "$TMP/warn"; exit 1
fi
if grep -qiE 'warning|error' "$TMP/warn"; then
    bad "yr warns about the rules:"; cat "$TMP/warn"
fi
"$YR" compile "${DEFS[@]}" -o "$TMP/rules.yarc" "${RULES[@]}" >/dev/null || { bad "yr compile failed"; exit 1; }

# 2. Rule identifier -> exhunt_rule id.
awk '
    /^[[:space:]]*(private[[:space:]]+|global[[:space:]]+)*rule[[:space:]]+/ {
        for (i = 1; i <= NF; i++) if ($i == "rule") { ident = $(i + 1); sub(/[:{].*/, "", ident) }
    }
    /exhunt_rule[[:space:]]*=/ {
        v = $0; sub(/.*exhunt_rule[[:space:]]*=[[:space:]]*"/, "", v); sub(/".*/, "", v)
        print ident "\t" v
    }' "${RULES[@]}" >"$TMP/ids"
cut -f2 "$TMP/ids" | sort | uniq -d | while read -r d; do echo "FAIL: exhunt_rule \"$d\" is used by two rules"; done | grep . && fail=1

# Prints the exhunt_rule ids (or yara:<ident>) that fire on file $2, whose
# path relative to its sample root is $1 (with the .txt suffix).
scan() {
    local rel="${1%.txt}" file="$2"
    local path name ext
    path="$(printf '%s' "$rel" | tr '[:upper:]' '[:lower:]')"
    name="${path##*/}"
    case "$name" in *.*) ext="${name##*.}" ;; *) ext="" ;; esac
    case "$path" in *\"*|*\\*) echo "CANNOT-DEFINE"; return ;; esac
    "$YR" scan -C -d "filename=\"$name\"" -d "filepath=\"$path\"" -d "extension=\"$ext\"" \
        "$TMP/rules.yarc" "$file" 2>&1 |
        while read -r ident _; do
            [ -n "$ident" ] || continue
            id="$(awk -F'\t' -v r="$ident" '$1 == r { print $2 }' "$TMP/ids")"
            echo "${id:-yara:$ident}"
        done | sort -u
}

# Calls check_one <root> <rel> <file> for each sample under <root>.
each() {
    local root="$1" fn="$2" f
    while IFS= read -r -d '' f; do
        "$fn" "$root" "${f#"$root"/}" "$f"
    done < <(find "$root" -type f -name '*.txt' -print0 | sort -z)
}

# 3. Per-rule samples.
expect_rule=""
in_match() {
    local got; got="$(scan "$2" "$3")"; checked=$((checked + 1))
    grep -qxF "$expect_rule" <<<"$got" || bad "$3: expected $expect_rule, got: ${got:-nothing}"
}
in_nomatch() {
    local got; got="$(scan "$2" "$3")"; checked=$((checked + 1))
    [ -z "$got" ] || bad "$3: expected no rule, got: $(echo $got)"
}
for id in $(cut -f2 "$TMP/ids"); do
    for kind in match nomatch; do
        n=$(find "$TESTS/$id/$kind" -type f -name '*.txt' 2>/dev/null | wc -l)
        [ "$n" -gt 0 ] || bad "rule $id has no $kind sample ($TESTS/$id/$kind/*.txt)"
    done
    expect_rule="$id"
    [ -d "$TESTS/$id/match" ] && each "$TESTS/$id/match" in_match
    [ -d "$TESTS/$id/nomatch" ] && each "$TESTS/$id/nomatch" in_nomatch
done
for d in "$TESTS"/*/; do
    d="${d%/}"; d="${d##*/}"
    grep -qxF "$d" <(cut -f2 "$TMP/ids") || bad "$TESTS/$d names no rule"
done
find "$TESTS" -type f ! -name '*.txt' | while read -r f; do echo "FAIL: $f lacks the .txt suffix"; done | grep . && fail=1

# 4. Real shells: each fires at least one rule.
any_rule() {
    local got; got="$(scan "$2" "$3")"; checked=$((checked + 1))
    [ -n "$got" ] || bad "$3: a real web shell fired no rule"
}
n_tennc=0
while IFS= read -r -d '' f; do
    any_rule "$TENNC" "${f#"$TENNC"/}" "$f"; n_tennc=$((n_tennc + 1))
done < <(find "$TENNC" -maxdepth 1 -type f -name '*.aspx.txt' -print0 | sort -z)
[ "$n_tennc" -gt 0 ] || bad "no web shells in $TENNC"

# 5. Benign pages: none fires.
each "$BENIGN" in_nomatch

# 6. Size limit for committed samples.
find "$TESTS" "$BENIGN" -type f -size +8k | while read -r f; do echo "FAIL: $f is over 8 KB"; done | grep . && fail=1

if [ "$fail" -ne 0 ]; then
    echo "check-yara-corpus: FAILED ($checked samples scanned)"
    exit 1
fi
echo "check-yara-corpus: OK ($(wc -l <"$TMP/ids") rules, $checked samples scanned, yr $("$YR" --version | awk '{print $2}'))"
