#!/usr/bin/env bash
# Every command `xadmit --help` lists has its page, xadmit-COMMAND(1), which
# man renders with each long option of `xadmit COMMAND --help` in it.
# test-man.sh XADMIT MAN_DIR
set -uo pipefail

xadmit=$1 pages=$2
if ! command -v man >/dev/null; then
    echo "SKIP: no man (Debian's man-db) to render the pages"
    exit 77
fi
failed=0
# check PAGE HELP_WORD...: PAGE renders, holding every long option of
# `xadmit HELP_WORD...`
check() {
    local page=$1 text option
    shift
    if [ ! -f "$pages/$page.1" ]; then
        echo "FAIL: no $page.1 in $pages (docs/man/meson.build's man_commands)"
        failed=1
        return
    fi
    # no hyphenation nor adjusting: each option stays one word
    text=$(MANWIDTH=200 MAN_KEEP_FORMATTING=0 man -l -P cat "$pages/$page.1" 2>&1 | col -b)
    for option in $("$xadmit" "$@" 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        if ! grep -q -- "$option" <<<"$text"; then
            echo "FAIL: $page(1) does not render $option"
            failed=1
        fi
    done
    grep -q "^NAME" <<<"$text" || { echo "FAIL: $page(1) has no NAME"; failed=1; }
    echo "ok: $page(1)"
}

check xadmit --help
for command in $("$xadmit" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\)  .*/\1/p'); do
    check "xadmit-$command" "$command" --help
done
exit $failed
