#!/usr/bin/env bash
# Every user-facing string has a Vietnamese translation: the template made
# from the sources today has no msgid missing from vi.po, nothing fuzzy or
# untranslated, and msgfmt --check accepts it.
. "$KYSO_HARNESS/lib.sh"
kh_tmpdir
cd "$KYSO_SRC"
find core detect middleware signer installer diagnostics cli agent -name '*.c' | sort |
	xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ --no-location \
		-o "$KH_TMP/now.pot" -f -
msgmerge --quiet --no-fuzzy-matching -o "$KH_TMP/merged.po" data/po/vi.po "$KH_TMP/now.pot"
stats=$(msgfmt --check --statistics -o /dev/null "$KH_TMP/merged.po" 2>&1)
echo "$stats"
kh_check "msgfmt --check accepts vi.po" msgfmt --check -o /dev/null data/po/vi.po
kh_check "no untranslated or fuzzy strings" bash -c "! grep -Eq 'untranslated|fuzzy' <<<'$stats'"
kh_check "at least one translated string" bash -c "grep -Eq '^[0-9]+ translated' <<<'$stats'"
kh_done
