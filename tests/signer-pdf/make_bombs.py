#!/usr/bin/env python3
"""PDF bombs for the reader's budgets (test_budgets.sh). Usage:
  make_bombs.py xref OUT       50 xref-stream sections of 8 Mi entries each
                               (W [1 0 0], 1 byte per entry, Flate): ~400 KB
                               of file that would be ~10 GB of entries
  make_bombs.py xref-total OUT 50 sections, each within the object numbers a
                               file of its size may have, together far over
  make_bombs.py objstm OUT [K] 2000 form fields spread round-robin over K
                               object streams (default 40) of 2 MiB decoded
                               each: a one-stream cache decodes 4 GB
A catalog, page tree and form are there: each file is otherwise readable."""
import sys
import zlib


class Pdf:
    def __init__(self):
        self.out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        self.offsets = {}

    def obj(self, num, body, stream=None):
        self.offsets[num] = len(self.out)
        self.out += b"%d 0 obj\n" % num + body
        if stream is not None:
            self.out += b"\nstream\n" + stream + b"\nendstream"
        self.out += b"\nendobj\n"


def base(p, fields=None):
    p.obj(1, b"<< /Type /Catalog /Pages 2 0 R%s >>" %
          (b" /AcroForm 4 0 R" if fields else b""))
    p.obj(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    p.obj(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")


def xref_sections(p, count, entries_each, first_num):
    prev = None
    data = zlib.compress(b"\x00" * entries_each, 9)
    for k in range(count):
        off = len(p.out)
        d = b"<< /Type /XRef /Size %d /Index [0 %d] /W [1 0 0] /Root 1 0 R /Filter /FlateDecode /Length %d%s >>" % (
            entries_each, entries_each, len(data), b" /Prev %d" % prev if prev is not None else b"")
        p.obj(first_num + k, d, data)
        prev = off
    p.out += b"startxref\n%d\n%%%%EOF\n" % prev


def xref_bomb(total_target=None):
    p = Pdf()
    base(p)
    if total_target is None:
        xref_sections(p, 50, 8 << 20, 10)
        return p.out
    # pad to the target size first, so the object-number limit is known
    pad = total_target - len(p.out) - 50 * 400
    p.obj(5, b"<< /Length %d >>" % pad, bytes((i * 131 + 7) & 0xFF for i in range(pad)))
    max_objects = 1024 + total_target // 2
    xref_sections(p, 50, max_objects - 2048, 10)
    return p.out


def objstm_bomb(k=40, nfields=2000, stream_size=2 << 20):
    p = Pdf()
    base(p, fields=True)
    first_field = 100
    streams = {}  # stream index -> list of (num, bytes)
    for i in range(nfields):
        num = first_field + i
        body = b"<< /FT /Tx /T (f%d) /V (v%d) >>" % (i, i)
        streams.setdefault(i % k, []).append((num, body))
    fields = b" ".join(b"%d 0 R" % (first_field + i) for i in range(nfields))
    p.obj(4, b"<< /Fields [%s] >>" % fields)
    entries = {}  # num -> (type, f2, f3)
    for num, off in p.offsets.items():
        entries[num] = (1, off, 0)
    stm_first = first_field + nfields + 10
    for s, objs in streams.items():
        head, body = b"", b""
        for idx, (num, b) in enumerate(objs):
            head += b"%d %d " % (num, len(body))
            body += b + b"\n"
            entries[num] = (2, stm_first + s, idx)
        data = head + body
        data += b"\x00" * (stream_size - len(data))  # NUL is white space
        z = zlib.compress(data, 9)
        num = stm_first + s
        p.obj(num, b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>" %
              (len(objs), len(head), len(z)), z)
        entries[num] = (1, p.offsets[num], 0)
    xnum = stm_first + k
    entries[xnum] = (1, len(p.out), 0)
    size = xnum + 1
    rows = bytearray()
    for n in range(size):
        t, f2, f3 = entries.get(n, (0, 0, 0))
        rows += bytes([t]) + f2.to_bytes(4, "big") + f3.to_bytes(2, "big")
    off = len(p.out)
    p.obj(xnum, b"<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>" % (size, len(rows)),
          bytes(rows))
    p.out += b"startxref\n%d\n%%%%EOF\n" % off
    return p.out


if __name__ == "__main__":
    kind, out = sys.argv[1], sys.argv[2]
    if kind == "xref":
        data = xref_bomb()
    elif kind == "xref-total":
        data = xref_bomb(400_000)
    elif kind == "objstm":
        data = objstm_bomb(int(sys.argv[3]) if len(sys.argv) > 3 else 40)
    else:
        sys.exit("unknown kind " + kind)
    with open(out, "wb") as f:
        f.write(data)
