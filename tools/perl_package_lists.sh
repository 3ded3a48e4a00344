#!/bin/sh
# Makes again the two lists the perl stacks resolve modules with, from Debian bookworm itself:
# its Perl module packages (lib*-perl) and the modules of its Perl's core (Module::CoreList).
# Usage: sh tools/perl_package_lists.sh   (needs the engine and debian:bookworm-slim)
set -eu
data=src/dotcloud_emulator/catalogue/data
docker run --rm debian:bookworm-slim sh -c '
    apt-get update >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends perl >/dev/null
    echo "# Debian bookworm'"'"'s Perl module packages (lib*-perl), from apt-cache pkgnames in debian:bookworm-slim; tools/perl_package_lists.sh makes it again." >/tmp/packages
    apt-cache pkgnames lib | grep -- "-perl\$" | sort >>/tmp/packages
    echo "# The modules of Perl 5.36'"'"'s core (Module::CoreList), which need no package; tools/perl_package_lists.sh makes it again." >/tmp/core
    perl -MModule::CoreList -e "print qq{\$_\n} for sort grep { !/^(Win32|VMS|OS2|ExtUtils::CBuilder::Platform|Amiga)/ } keys %{\$Module::CoreList::version{5.036000}}" >>/tmp/core
    cat /tmp/packages; echo ===; cat /tmp/core
' >/tmp/perl-lists.$$
sed -n '1,/^===$/p' /tmp/perl-lists.$$ | sed '$d' >"$data/debian-bookworm-perl.txt"
sed -n '/^===$/,$p' /tmp/perl-lists.$$ | sed '1d' >"$data/perl-core-5.36.txt"
rm -f /tmp/perl-lists.$$
wc -l "$data/debian-bookworm-perl.txt" "$data/perl-core-5.36.txt"
