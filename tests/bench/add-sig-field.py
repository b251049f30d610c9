#!/usr/bin/env python3
"""add-sig-field.py IN OUT: copy IN and append an incremental update with one empty
signature field (an invisible widget on the first page), for `mutool sign`, which only
signs existing fields. Prints the field's object number. For the classic-xref files
kh-bigpdf writes (uncompressed catalog and page objects)."""
import re
import sys

src, dst = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
tr = data[data.rindex(b"trailer"):]
root = int(re.search(rb"/Root\s+(\d+)\s+0\s+R", tr).group(1))
size = int(re.search(rb"/Size\s+(\d+)", tr).group(1))
startxref = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
extra = re.search(rb"(/Info\s+\d+\s+0\s+R)", tr)
ids = re.search(rb"(/ID\s*\[[^\]]*\])", tr)


def obj(num):
    m = re.search(rb"(?<![0-9])%d 0 obj\s*(<<.*?>>)\s*endobj" % num, data, re.S)
    return m.group(1)


cat = obj(root)
pages = int(re.search(rb"/Pages\s+(\d+)\s+0\s+R", cat).group(1))
page = None
m = re.search(rb"(?<![0-9])(\d+) 0 obj\s*<<\s*/Type\s*/Page\b(?!s)", data)
page = int(m.group(1))
pg = obj(page)
field = size
new = {
    field: b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /Rect [0 0 0 0] /F 132 /P %d 0 R >>" % page,
    root: cat[:-2] + b" /AcroForm << /Fields [%d 0 R] /SigFlags 3 >> >>" % field,
    page: pg[:-2] + b" /Annots [%d 0 R] >>" % field,
}
out = bytearray(data)
if not out.endswith(b"\n"):
    out += b"\n"
offs = {}
for n in sorted(new):
    offs[n] = len(out)
    out += b"%d 0 obj\n" % n + new[n] + b"\nendobj\n"
x = len(out)
out += b"xref\n0 1\n0000000000 65535 f \n"
for n in sorted(new):
    out += b"%d 1\n%010d 00000 n \n" % (n, offs[n])
out += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d " % (size + 1, root, startxref)
if extra:
    out += extra.group(1) + b" "
if ids:
    out += ids.group(1) + b" "
out += b">>\nstartxref\n%d\n%%%%EOF\n" % x
open(dst, "wb").write(out)
print(field)
