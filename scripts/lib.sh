# Shared by the install scripts: messages, /etc/os-release, and this machine's apt sources.
# shellcheck shell=bash

say() { printf '==> %s\n' "$*" >&2; }
die() { printf '==> ERROR: %s\n' "$*" >&2; exit 1; }

os_field() {  # os_field ID|VERSION_ID|VERSION_CODENAME|ID_LIKE
    [ -r /etc/os-release ] || return 0
    ( . /etc/os-release; eval "printf '%s' \"\${$1:-}\"" )
}

apt_source_pairs() {  # "URI SUITE" for each enabled deb source of this machine
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk 'function flush() {
                 if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled != "no") {
                     n = split(uris, u, " "); m = split(suites, s, " ")
                     for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print u[i], s[j]
                 }
                 types = uris = suites = ""; enabled = "yes"
             }
             BEGIN { enabled = "yes" }
             /^[ \t]*#/ { next }
             /^[ \t]*$/ { flush(); next }
             { k = tolower($1); $1 = "" }
             k == "types:" { types = $0 }
             k == "uris:" { uris = $0 }
             k == "suites:" { suites = $0 }
             k == "enabled:" { enabled = tolower($2) }
             END { flush() }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ } print $i, $(i + 1) }' "$f"
    done
}

source_for_suite() {  # source_for_suite SUITE: the first apt source URI carrying SUITE (or nothing)
    { apt_source_pairs || true; } | awk -v c="$1" '$2 == c { print $1; exit }'
}
