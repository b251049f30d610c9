#!/usr/bin/env bash
# The structure rules of docs/architecture.md, checked on a built tree:
#   check-structure.sh SOURCE_DIR BUILD_DIR
# 1. every cmd_*.c is in cli/;
# 2. no library links a program (agent/, pkcs11/'s module, cli/): from
#    CMake's own target graph;
# 3. every external symbol of a library carries its prefix (nm), and the
#    shared object exports exactly the PKCS#11 entry points;
# 4. no block of 10 or more identical lines stands twice outside tests/
#    (tests/lint/dup_blocks.py).
# Prints each violation; exit 1 when there is one.
set -uo pipefail
src=$(cd "${1:?source dir}" && pwd)
bld=$(cd "${2:?build dir}" && pwd)
rc=0
bad() {
	printf 'structure: %s\n' "$*"
	rc=1
}

# 1
while IFS= read -r f; do
	bad "$f: a subcommand outside cli/"
done < <(cd "$src" && git ls-files '*cmd_*.c' | grep -v '^cli/')

# 2
dot=$(mktemp -d)
trap 'rm -rf "$dot"' EXIT
(cd "$dot" && cmake --graphviz=g.dot "$bld" >/dev/null 2>&1) || bad "cmake --graphviz failed"
libs="kyso_core kyso_detect kyso_middleware kyso_signer kyso_installer kyso_diagnostics"
programs="kyso kyso-agent kyso_agent_core kyso-pkcs11"
if [[ -f $dot/g.dot ]]; then
	python3 - "$dot/g.dot" "$libs" "$programs" <<'PY' || rc=1
import re, sys
text = open(sys.argv[1]).read()
libs, programs = sys.argv[2].split(), set(sys.argv[3].split())
names = dict(re.findall(r'"(node\d+)"\s*\[\s*label\s*=\s*"([^"]+)"', text))
edges = {}
for a, b in re.findall(r'"(node\d+)"\s*->\s*"(node\d+)"', text):
    edges.setdefault(names.get(a), set()).add(names.get(b))
bad = False
for lib in libs:
    seen, todo = set(), [lib]
    while todo:
        n = todo.pop()
        for m in edges.get(n, ()):
            if m not in seen:
                seen.add(m)
                todo.append(m)
    for p in sorted(seen & programs) + sorted(m for m in seen if m and m.startswith('kyso-')):
        print(f'structure: library {lib} links the program target {p}')
        bad = True
sys.exit(1 if bad else 0)
PY
fi

# 3: library -> allowed prefixes of its external symbols
declare -A prefix=(
	[core]='kyso_'
	[detect]='kyso_'
	[middleware]='kyso_'
	[signer]='kyso_'
	[installer]='kyso_setup_'
	[diagnostics]='kyso_doctor_|kyso_reports_'
)
for lib in "${!prefix[@]}"; do
	a=$(find "$bld/$lib" -maxdepth 1 -name "libkyso_$lib.a" | head -n 1)
	[[ -n $a ]] || {
		bad "libkyso_$lib.a not built in $bld/$lib"
		continue
	}
	while IFS= read -r sym; do
		bad "$lib exports $sym (prefix ${prefix[$lib]})"
	done < <(nm --defined-only -g "$a" 2>/dev/null | awk '$2 ~ /^[TDBRCV]$/ {print $3}' |
		grep -v '^\.' | grep -Ev "^(${prefix[$lib]})" | sort -u)
done

# 3b: the shared object kyso ships exports what its version script lists
so=$bld/lib/kyso-pkcs11.so
if [[ -f $so ]]; then
	while IFS= read -r sym; do
		bad "kyso-pkcs11.so exports $sym (pkcs11/exports.map allows C_* only)"
	done < <(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^C_' | sort -u)
	n=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -c '^C_')
	[[ $n -ge 68 ]] || bad "kyso-pkcs11.so exports $n C_* functions, PKCS#11 2.40 has 68"
else
	bad "kyso-pkcs11.so not built in $bld/lib"
fi

# 4
python3 "$src/tests/lint/dup_blocks.py" "$src" || rc=1
exit $rc
