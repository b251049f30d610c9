# Fills msgstr entries of a .po file from a JSON {msgid: translation} table:
#   python3 data/po/fill-po.py data/po/vi.po table.json   (prints msgids still missing)
import re, sys, json
po, table = sys.argv[1], json.load(open(sys.argv[2]))
src = open(po, encoding='utf-8').read()
def unq(block):
    return ''.join(json.loads(x) for x in re.findall(r'"(?:[^"\\]|\\.)*"', block))
def q(s):
    lines = s.split('\n')
    parts = [l + '\n' for l in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    if len(parts) <= 1:
        return json.dumps(s, ensure_ascii=False)
    return '""\n' + '\n'.join(json.dumps(p, ensure_ascii=False) for p in parts)
out = []
entries = src.split('\n\n')
missing = []
for e in entries:
    m = re.search(r'^msgid ((?:".*"\n?)+)msgstr ((?:".*"\n?)+)', e, re.M)
    if not m:
        out.append(e); continue
    mid = unq(m.group(1))
    if mid == '':
        out.append(e.replace('charset=ASCII', 'charset=UTF-8')); continue
    cur = unq(m.group(2))
    if mid in table:
        e = e[:m.start(2)] + q(table[mid]) + ('\n' if m.group(2).endswith('\n') else '') + e[m.end(2):]
    elif not cur:
        missing.append(mid)
    out.append(e)
open(po, 'w', encoding='utf-8').write('\n\n'.join(out))
for x in missing: print('MISSING:', repr(x))
