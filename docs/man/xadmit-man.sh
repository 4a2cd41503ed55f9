#!/bin/sh
# xadmit-man.sh HELP2MAN XADMIT COMMAND OUTPUT [INCLUDE...]: the man page of
# `xadmit COMMAND --help` (COMMAND "xadmit": xadmit(1), of `xadmit --help`),
# its one-line summary the one `xadmit --help` lists.
set -eu

help2man=$1 xadmit=$2 command=$3 output=$4
shift 4
version=$("$xadmit" --version | cut -d' ' -f2)
if [ "$command" = xadmit ]; then
  name=xadmit help="--help"
  summary=$("$xadmit" --help | sed -n '3p' | sed 's/\.$//')
else
  name=xadmit-$command help="$command --help"
  summary=$("$xadmit" --help | sed -n "s/^  $command  *//p")
fi
if [ -z "$summary" ]; then
  echo "$0: xadmit --help lists no command \"$command\"" >&2
  exit 1
fi
includes=""
for f in "$@"; do
  includes="$includes --include=$f"
done
# shellcheck disable=SC2086 # one word an include
exec "$help2man" --no-info --no-discard-stderr --locale=C.UTF-8 \
  --version-string="$name $version" --help-option="$help" --name="$summary" \
  $includes --output="$output" "$xadmit"
