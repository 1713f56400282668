#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# capture-mailer.sh - a sendmail stand-in for the expiry daemon's tests.
#
# Reads one message on stdin (as sendmail -t -oi does; its arguments are
# ignored) and, when it "accepts" it, stores it as $AK_MAILDIR/<n>.eml,
# n = 1, 2, ...: written to a temporary file first and then linked to the
# first free number (ln fails if the name exists), so concurrent senders
# (several daemons) never share or overwrite a file, and a reader never
# sees half a message.
#
# Its answer, checked in this order:
#   $AK_MAILDIR/hang exists or AK_MAILER_HANG=1: sleep (a mailer that
#     hangs; for the timeout), reading nothing;
#   $AK_MAILDIR/exit holds a number, else AK_MAILER_EXIT (default 0): the
#     exit status. The file can be changed while a daemon runs ("fail
#     now, recover later"). Not 0: the message is stored as <n>.rej
#     instead (an attempt the daemon must retry or record).
#   AK_MAILER_DELAY (seconds, may be fractional): wait that long after
#     reading the message and before accepting it (a mailer that takes a
#     moment to queue; the crash tests kill the daemon in that moment).
# Every run appends "<status> <n>" to $AK_MAILDIR/attempts.
set -u
dir=${AK_MAILDIR:?AK_MAILDIR must name the capture directory}
[ -d "$dir" ] || { echo "capture-mailer: $dir: no such directory" >&2; exit 78; }

if [ -e "$dir/hang" ] || [ "${AK_MAILER_HANG:-0}" = 1 ]; then
    exec sleep 3600
fi

status=${AK_MAILER_EXIT:-0}
if [ -r "$dir/exit" ]; then
    status=$(cat "$dir/exit")
fi
case $status in
'' | *[!0-9]*) echo "capture-mailer: bad exit status '$status'" >&2; exit 78 ;;
esac

tmp=$(mktemp "$dir/.incoming.XXXXXX") || exit 75
if ! cat >"$tmp"; then
    rm -f "$tmp"
    exit 75
fi
if [ -n "${AK_MAILER_DELAY:-}" ]; then
    sleep "$AK_MAILER_DELAY"
fi
ext=eml
[ "$status" -eq 0 ] || ext=rej
# Start after the messages already there (ls is cheap); ln decides.
n=$(($(ls "$dir" | grep -c "\.$ext\$") + 1))
while ! ln "$tmp" "$dir/$n.$ext" 2>/dev/null; do
    n=$((n + 1))
done
rm -f "$tmp"
echo "$status $n" >>"$dir/attempts"
exit "$status"
