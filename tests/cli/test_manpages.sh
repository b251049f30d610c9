#!/usr/bin/env bash
# Every program has a man page that renders without groff warnings, and
# kyso(1) documents every exit code the code defines.
. "$KYSO_HARNESS/lib.sh"
for prog in kyso kyso-agent kyso-choose; do
	page="$KYSO_SRC/docs/man/$prog.1"
	kh_check "$prog.1 exists" test -f "$page"
	kh_check "$prog.1 renders without warnings" \
		bash -c "out=\$(groff -man -Tutf8 -ww -z '$page' 2>&1); [[ -z \$out ]] || { echo \"\$out\"; false; }"
done
for code in 0 1 2 3 4 5 6; do
	kh_check "kyso.1 documents exit status $code" \
		bash -c "groff -man -Tutf8 '$KYSO_SRC/docs/man/kyso.1' 2>/dev/null | col -b | grep -Eq '^ +$code +[A-Z]'"
done
kh_done
