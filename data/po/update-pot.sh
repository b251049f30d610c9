#!/bin/bash
# Extracts translatable strings into data/po/kyso.pot and merges them into
# each .po file (msgmerge). Run after adding _("...") strings: ./dev po
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
find core detect middleware signer installer diagnostics cli agent -name '*.c' | sort |
	xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ --add-comments=TRANSLATORS \
		--package-name=kyso --no-location --sort-output -o data/po/kyso.pot -f -
for po in data/po/*.po; do
	msgmerge --quiet --update --backup=none --no-fuzzy-matching "$po" data/po/kyso.pot
done
