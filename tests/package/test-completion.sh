#!/usr/bin/env bash
# data/completion/xadmit driven as bash drives it (COMP_WORDS, COMP_CWORD,
# then _xadmit, whose COMPREPLY is read): a command, an option, a policy,
# a host kind and a request name from a ledger.
# test-completion.sh COMPLETION XADMIT
# Not -e nor -u: completions run in interactive shells, which have neither.
completion=$1 xadmit=$2
bash_completion=/usr/share/bash-completion/bash_completion
if [ ! -f "$bash_completion" ]; then
    echo "SKIP: no bash-completion ($bash_completion), which loads and helps the completion"
    exit 77
fi
# shellcheck source=/dev/null
source "$bash_completion"
# shellcheck source=/dev/null
source "$completion"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

failed=0
# expect WANTED WORD...: completing the last WORD offers exactly WANTED
expect() {
    local wanted=$1
    shift
    COMP_WORDS=("$xadmit" "$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="${COMP_WORDS[*]}"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _xadmit xadmit
    if [ "${COMPREPLY[*]}" = "$wanted" ]; then
        echo "ok: xadmit $* -> $wanted"
    else
        echo "FAIL: xadmit $*: offered '${COMPREPLY[*]}', wanted '$wanted'"
        failed=1
    fi
}

expect "submit status" s
expect "host plan boot daemon submit status cancel explain report config bench help --help --version" ""
expect "--policy" boot --po
expect "--max-batch" daemon --max
expect "batch xenopsd xenopsd-nodeclaim xenopsd-legacy exact" plan --policy ""
expect "xenopsd xenopsd-nodeclaim xenopsd-legacy" boot --policy=x
expect "batch,xenopsd-legacy" bench --policies batch,xenopsd-l
expect "sim xen sim:" host --host ""
expect "csv" report --format c

# two requests in a ledger, one of them cancelled: both are names
on_host=(--host sim --sim-state "$dir/state.json" --db "$dir/ledger.db")
for name in web-01 web-02; do
    "$xadmit" submit -q "${on_host[@]}" --name $name --memory 1024 --vcpus 1 >/dev/null ||
        exit 1
done
"$xadmit" cancel -q "${on_host[@]}" web-01 >/dev/null || exit 1
expect "web-02 web-01" cancel "${on_host[@]}" we
expect "web-01" explain "${on_host[@]}" web-01
exit $failed
