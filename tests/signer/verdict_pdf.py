#!/usr/bin/env python3
"""Incremental updates a verifier must classify, on a signed form document (pdfgen.py form).

  verdict_pdf.py certify IN OUT CERT KEY CHAIN P   certify IN (DocMDP P) with openssl cms
  verdict_pdf.py approve IN OUT CERT KEY CHAIN [LOCK]
                                                  an approval signature; LOCK (FieldMDP, in the
                                                  signature's /Reference and the field's /Lock):
                                                  All, Include:F1,F2 or Exclude:F1,F2
  (certify/approve: with $VERDICT_SIGN_CMD set, that shell command signs instead of openssl
  cms: it reads $TBS (the ByteRange bytes) and writes the DER CMS to $DER)
  verdict_pdf.py annot IN OUT                     a comment (/Text annotation) added to page 1
  verdict_pdf.py fill IN OUT                      form filling: field HoTen's /V and appearance
  verdict_pdf.py add-page IN OUT                  a new page in the page tree
  verdict_pdf.py replace IN OUT                   "replace" shadow attack: page 1's content stream
                                                  redefined with other text
  verdict_pdf.py hide IN OUT                      "hide" shadow attack: page 1 gets an overlay
                                                  stream that paints over the signed text
Each update is a classic xref section with /Prev, as pdfgen.py writes them."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ.get("KYSO_HARNESS", os.path.dirname(__file__) + "/../harness"), "corpus"))
import pdfgen  # noqa: E402


def latest(data, num):
    """Body of the last definition of object num (between 'N 0 obj' and 'endobj')."""
    ms = list(re.finditer(rb"(?<![0-9])%d 0 obj\s*" % num, data))
    if not ms:
        sys.exit("object %d not found" % num)
    s = ms[-1].end()
    return data[s:data.index(b"endobj", s)].strip().decode("latin-1")


def update(inp, out, objs, streams=(), new_size=None):
    data = open(inp, "rb").read()
    t = pdfgen.trailer_facts(data)
    if t["stream"]:
        sys.exit("%s ends with an xref stream" % inp)
    with open(out, "wb") as f:
        f.write(data)
        o = pdfgen.Out(f, len(data))
        if not data.endswith(b"\n"):
            o.raw("\n")
        for num, body in objs:
            o.obj(num, body)
        for num, d, s in streams:
            o.stream(num, d, s)
        xo = o.xref_table({n: (off, 0, "n") for n, off in o.offsets.items()})
        o.trailer("/Size %d /Root %d 0 R /Prev %d /ID [%s %s]" % (
            new_size or t["size"], t["root"][0], t["xref"], t["id0"], pdfgen.file_id()), xo)
    return t


def page1(data):
    """Object number of the first page (the form document's is 5)."""
    return 5


def cmd_fill(inp, out):
    data = open(inp, "rb").read()
    size = pdfgen.trailer_facts(data)["size"]
    field = latest(data, 7)
    field = re.sub(r"/V \([^)]*\)", "/V (Tran Thi Binh)", field)
    field = re.sub(r"/AP << /N \d+ 0 R >>", "/AP << /N %d 0 R >>" % size, field)
    ap = "/Tx BMC q BT /Helv 12 Tf 0 g 2 6 Td (Tran Thi Binh) Tj ET Q EMC"
    update(inp, out, [(7, field)], [(size, "/Type /XObject /Subtype /Form /BBox [0 0 300 22] "
                                    "/Resources << /Font << /Helv 3 0 R >> >>", ap)], size + 1)


def cmd_add_page(inp, out):
    data = open(inp, "rb").read()
    size = pdfgen.trailer_facts(data)["size"]
    pages = latest(data, 2)
    pages = re.sub(r"/Kids \[([^\]]*)\]", lambda m: "/Kids [%s %d 0 R]" % (m.group(1), size), pages)
    pages = re.sub(r"/Count (\d+)", lambda m: "/Count %d" % (int(m.group(1)) + 1), pages)
    update(inp, out, [(2, pages), (size, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                                         "/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (size + 1))],
           [(size + 1, "", pdfgen.page_content(["Trang them sau khi ky"]))], size + 2)


def cmd_replace(inp, out):
    update(inp, out, [], [(6, "", pdfgen.page_content(["So tien: 900.000.000 dong (thay sau khi ky)"]))])


def cmd_hide(inp, out):
    data = open(inp, "rb").read()
    size = pdfgen.trailer_facts(data)["size"]
    page = latest(data, page1(data))
    page = re.sub(r"/Contents \d+ 0 R", "/Contents [6 0 R %d 0 R]" % size, page)
    update(inp, out, [(page1(data), page)], [(size, "", "1 g 60 690 480 100 re f")], size + 1)


def lock_dict(lock):
    """The FieldMDP parameters for LOCK (All, Include:A,B, Exclude:A,B)."""
    action, _, names = lock.partition(":")
    fields = "".join("(%s)" % n for n in names.split(",") if n)
    return "/Action /%s%s" % (action, " /Fields [%s]" % fields if action != "All" else "")


def sign_update(inp, out, cert, key, chain, reference, reason, catalog_extra, field_extra):
    """A signature over IN in field ChuKy1 (object 8), signed with openssl cms (or $VERDICT_SIGN_CMD)."""
    data = bytearray(open(inp, "rb").read())
    t = pdfgen.trailer_facts(bytes(data))
    sig, size = t["size"], t["size"] + 1
    contents_len = 12288
    field = latest(bytes(data), 8)
    objs = []
    with tempfile.TemporaryDirectory() as tmp:
        upd = os.path.join(tmp, "u.pdf")
        field = field.rstrip()[:-2] + "%s/V %d 0 R >>" % (field_extra, sig)
        if catalog_extra:
            catalog = latest(bytes(data), 1)
            objs.append((1, catalog.rstrip()[:-2] + catalog_extra + " >>"))
        ref = " /Reference [%s]" % reference if reference else ""
        update(inp, upd, [(sig, "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached "
                                "/ByteRange [0 0000000000 0000000000 0000000000]                    "
                                "/Contents <" + "0" * (2 * contents_len) + "> /M (D:20261207090000+07'00') "
                                "/Reason (%s)%s >>" % (reason, ref)),
                          (8, field)] + objs, new_size=size)
        data = bytearray(open(upd, "rb").read())
        start = len(open(inp, "rb").read())
        cs = data.index(b"/Contents <" + b"0" * 64, start) + len(b"/Contents ")
        ce = data.index(b">", cs) + 1
        br_at = data.index(b"/ByteRange [", start)
        br_end = data.index(b"]", br_at) + 1
        br = b"/ByteRange [0 %d %d %d]" % (cs, ce, len(data) - ce)
        data[br_at:br_end] = br.ljust(br_end - br_at)
        tbs = os.path.join(tmp, "tbs.bin")
        open(tbs, "wb").write(data[:cs] + data[ce:])
        der = os.path.join(tmp, "sig.der")
        cmd = os.environ.get("VERDICT_SIGN_CMD")
        if cmd:
            subprocess.run(["sh", "-c", cmd], check=True, env=dict(os.environ, TBS=tbs, DER=der))
        else:
            subprocess.run(["openssl", "cms", "-sign", "-binary", "-in", tbs, "-signer", cert, "-inkey", key,
                            "-certfile", chain, "-md", "sha256", "-nosmimecap", "-outform", "DER", "-out", der],
                           check=True)
        hexsig = open(der, "rb").read().hex().encode()
        if len(hexsig) > 2 * contents_len:
            sys.exit("signature larger than the /Contents placeholder")
        data[cs + 1:cs + 1 + len(hexsig)] = hexsig
        open(out, "wb").write(data)


def cmd_certify(inp, out, cert, key, chain, p):
    """A certification signature (DocMDP P) over IN, like pdfgen.py certify."""
    sig = pdfgen.trailer_facts(open(inp, "rb").read())["size"]
    sign_update(inp, out, cert, key, chain,
                "<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type /TransformParams "
                "/P %s /V /1.2 >> >>" % p, "Chung thuc, P=%s" % p, " /Perms << /DocMDP %d 0 R >>" % sig, "")


def cmd_approve(inp, out, cert, key, chain, lock=None):
    """An approval signature, locking fields with FieldMDP when LOCK is given."""
    ref = ("<< /Type /SigRef /TransformMethod /FieldMDP /TransformParams << /Type /TransformParams %s "
           "/V /1.2 >> >>" % lock_dict(lock)) if lock else ""
    field_lock = " /Lock << /Type /SigFieldLock %s >> " % lock_dict(lock) if lock else ""
    sign_update(inp, out, cert, key, chain, ref, "Phe duyet", "", field_lock)


def cmd_annot(inp, out):
    data = open(inp, "rb").read()
    size = pdfgen.trailer_facts(data)["size"]
    page = latest(data, page1(data))
    page = re.sub(r"/Annots \[([^\]]*)\]", lambda m: "/Annots [%s %d 0 R]" % (m.group(1), size), page)
    update(inp, out, [(page1(data), page),
                      (size, "<< /Type /Annot /Subtype /Text /Rect [400 700 420 720] /P %d 0 R "
                             "/Contents (Ghi chu sau khi ky) /Open false >>" % page1(data))], new_size=size + 1)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"fill": cmd_fill, "add-page": cmd_add_page, "replace": cmd_replace, "hide": cmd_hide,
          "certify": cmd_certify, "approve": cmd_approve, "annot": cmd_annot}[cmd]
    fn(*args)


if __name__ == "__main__":
    main()
