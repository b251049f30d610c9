#!/usr/bin/python3
"""Small PDF writers for the kyso test corpus (Python standard library only).

Usage: pdfgen.py COMMAND ...
  simple OUT [--pages N]             plain text document, classic xref table
  hybrid-word OUT                    hybrid-reference file laid out as Word 2016 writes it
  hybrid-single OUT                  hybrid-reference file in one section (spec example style)
  revisions IN OUT --count N         append N incremental updates with classic xref tables
  xrefstm-updates IN OUT --count N   append N incremental updates, each with an xref stream
  certify OUT --cert PEM --key PEM   document certified with DocMDP P=1 (signed with openssl cms)
  form OUT                           AcroForm: filled text field HoTen + empty signature field ChuKy1
  damage KIND IN OUT                 KIND: junk-header trailing-garbage trailing-garbage-4k truncate
                                     length-short length-long xref-shift header-only
"""
import argparse
import io
import random
import re
import subprocess
import sys
import tempfile
import zlib
import os

PRODUCER = "kyso corpus pdfgen"
DATE = "D:20261125090000+07'00'"


def b(s):
	return s.encode("latin-1") if isinstance(s, str) else s


def pdf_text(s):
	"""A PDF literal string for ASCII text."""
	return "(" + s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


class Out:
	"""Writes objects to a binary file and remembers where each one starts."""

	def __init__(self, f, pos=0):
		self.f = f
		self.pos = pos
		self.offsets = {}

	def raw(self, data):
		data = b(data)
		self.f.write(data)
		self.pos += len(data)

	def obj(self, num, body, gen=0):
		self.offsets[num] = self.pos
		self.raw("%d %d obj\n" % (num, gen))
		self.raw(body)
		self.raw("\nendobj\n")

	def stream(self, num, dict_body, data, gen=0):
		data = b(data)
		self.offsets[num] = self.pos
		self.raw("%d %d obj\n<< %s /Length %d >>\nstream\n" % (num, gen, dict_body, len(data)))
		self.raw(data)
		self.raw("\nendstream\nendobj\n")

	def xref_table(self, entries, eol=" \n"):
		"""entries: {num: (offset_or_next_free, gen, 'n'|'f')}; writes subsections."""
		start = self.pos
		self.raw("xref\n")
		nums = sorted(entries)
		i = 0
		while i < len(nums):
			j = i
			while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
				j += 1
			self.raw("%d %d\n" % (nums[i], j - i + 1))
			for n in nums[i:j + 1]:
				off, gen, kind = entries[n]
				self.raw("%010d %05d %s%s" % (off, gen, kind, eol))
			i = j + 1
		return start

	def trailer(self, dict_body, xref_off):
		self.raw("trailer\n<< %s >>\nstartxref\n%d\n%%%%EOF\n" % (dict_body, xref_off))


def file_id():
	return "<%s>" % os.urandom(16).hex()


def page_content(lines, x=72, y=770, size=12):
	ops = ["BT", "/F1 %d Tf" % size, "%d TL" % (size + 4), "%d %d Td" % (x, y)]
	for line in lines:
		ops.append("%s Tj T*" % pdf_text(line))
	ops.append("ET")
	return "\n".join(ops)


def write_simple(f, pages, title):
	"""A classic-xref document. Returns a dict describing its objects for later updates."""
	out = Out(f)
	out.raw("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	page_nums = []
	bodies = {}
	n = 5
	for p in range(pages):
		page_nums.append(n)
		n += 2
	kids = " ".join("%d 0 R" % pn for pn in page_nums)
	bodies[1] = "<< /Type /Catalog /Pages 2 0 R >>"
	bodies[2] = "<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages)
	bodies[3] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
	bodies[4] = "<< /Title %s /Producer (%s) /CreationDate (%s) >>" % (pdf_text(title), PRODUCER, DATE)
	for num in (1, 2, 3, 4):
		out.obj(num, bodies[num])
	for p, pn in enumerate(page_nums):
		bodies[pn] = ("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
			      "/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (pn + 1))
		out.obj(pn, bodies[pn])
		lines = [title, "Page %d of %d" % (p + 1, pages), ""]
		lines += ["Line %d: the quick brown fox jumps over the lazy dog." % i for i in range(1, 30)]
		out.stream(pn + 1, "", page_content(lines))
	size = n
	entries = {0: (0, 65535, "f")}
	for num, off in out.offsets.items():
		entries[num] = (off, 0, "n")
	fid = file_id()
	xo = out.xref_table(entries)
	out.trailer("/Size %d /Root 1 0 R /Info 4 0 R /ID [%s %s]" % (size, fid, fid), xo)
	return {"size": size, "bodies": bodies, "pages": page_nums, "xref": xo, "id": fid, "end": out.pos}


def cmd_simple(a):
	with open(a.out, "wb") as f:
		write_simple(f, a.pages, a.title)


def objstm(members):
	"""members: [(num, body)] -> (dict_body, data) of an object stream."""
	header = []
	parts = []
	pos = 0
	for num, body in members:
		header.append("%d %d" % (num, pos))
		body = body + "\n"
		parts.append(body)
		pos += len(body)
	head = " ".join(header) + "\n"
	data = zlib.compress(b(head + "".join(parts)))
	return "/Type /ObjStm /N %d /First %d /Filter /FlateDecode" % (len(members), len(head)), data


def xref_stream_data(rows):
	"""rows: [(type, field2, field3)] with /W [1 4 2]."""
	data = bytearray()
	for t, f2, f3 in rows:
		data += bytes([t]) + f2.to_bytes(4, "big") + f3.to_bytes(2, "big")
	return bytes(data)


def hybrid_objects(title, how):
	content = zlib.compress(b(page_content([title, "",
		"Objects 5 and 6 live in an object stream that only the /XRefStm",
		"cross-reference stream lists; " + how])))
	return {
		1: "<< /Type /Catalog /Pages 2 0 R /Lang (vi-VN) /MarkInfo << /Marked false >> >>",
		2: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		3: ("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.32 841.92] "
		    "/Resources << /Font << /F1 5 0 R >> /ProcSet [/PDF /Text] >> /Contents 4 0 R "
		    "/Group << /Type /Group /S /Transparency /CS /DeviceRGB >> /Tabs /S >>"),
		"content": content,
		5: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		6: ("<< /Title %s /Author (kyso) /Creator (Microsoft\xae Word 2016 style) "
		    "/Producer (%s) /CreationDate (%s) /ModDate (%s) >>" % (pdf_text(title), PRODUCER, DATE, DATE)),
	}


def write_hybrid_start(out, objs):
	out.raw("%PDF-1.7\r\n%\xb5\xb5\xb5\xb5\r\n")
	for num in (1, 2, 3):
		out.obj(num, objs[num])
	out.stream(4, "/Filter /FlateDecode", objs["content"])
	d, data = objstm([(5, objs[5]), (6, objs[6])])
	out.stream(7, d, data)
	rows = [(0, 0, 65535)]
	for num in range(1, 9):
		if num in (5, 6):
			rows.append((2, 7, num - 5))
		elif num == 8:
			rows.append((1, out.pos, 0))
		else:
			rows.append((1, out.offsets[num], 0))
	fid = file_id()
	xs = zlib.compress(xref_stream_data(rows))
	out.stream(8, "/Type /XRef /Size 9 /W [1 4 2] /Root 1 0 R /Info 6 0 R /ID [%s %s] "
		   "/Filter /FlateDecode" % (fid, fid), xs)
	return fid


def cmd_hybrid_word(a):
	objs = hybrid_objects("Hybrid reference file (Word 2016 layout)", "the classic table marks them free.")
	with open(a.out, "wb") as f:
		out = Out(f)
		fid = write_hybrid_start(out, objs)
		xrefstm = out.offsets[8]
		# Main table: compressed objects 5 and 6 are free entries linked from object 0.
		entries = {0: (5, 65535, "f"), 5: (6, 65535, "f"), 6: (0, 65535, "f")}
		for num in (1, 2, 3, 4, 7, 8):
			entries[num] = (out.offsets[num], 0, "n")
		t1 = out.xref_table(entries, eol="\r\n")
		out.trailer("/Size 9 /Root 1 0 R /Info 6 0 R /ID [%s %s]" % (fid, fid), t1)
		# Second, empty section whose trailer points at the xref stream, as Word writes it.
		t2 = out.pos
		out.raw("xref\r\n0 0\r\ntrailer\r\n<< /Size 9 /Root 1 0 R /Info 6 0 R /ID [%s %s] /Prev %d "
			"/XRefStm %d >>\r\nstartxref\r\n%d\r\n%%%%EOF\r\n" % (fid, fid, t1, xrefstm, t2))


def cmd_hybrid_single(a):
	objs = hybrid_objects("Hybrid reference file (single section)", "the classic table leaves them out.")
	with open(a.out, "wb") as f:
		out = Out(f)
		fid = write_hybrid_start(out, objs)
		entries = {0: (0, 65535, "f")}
		for num in (1, 2, 3, 4, 7, 8):
			entries[num] = (out.offsets[num], 0, "n")
		t1 = out.xref_table(entries)
		out.trailer("/Size 9 /Root 1 0 R /Info 6 0 R /ID [%s %s] /XRefStm %d" % (fid, fid, out.offsets[8]), t1)


def balanced_dict(data, start):
	"""The text of the << ... >> dictionary that starts at or after start."""
	i = data.index(b"<<", start)
	depth = 0
	j = i
	while j < len(data):
		if data[j:j + 2] == b"<<":
			depth += 1
			j += 2
			continue
		if data[j:j + 2] == b">>":
			depth -= 1
			j += 2
			if depth == 0:
				return data[i:j]
			continue
		if data[j:j + 1] == b"(":
			k = j + 1
			nest = 1
			while nest:
				if data[k:k + 1] == b"\\":
					k += 2
					continue
				if data[k:k + 1] == b"(":
					nest += 1
				elif data[k:k + 1] == b")":
					nest -= 1
				k += 1
			j = k
			continue
		j += 1
	raise ValueError("unterminated dictionary")


def last_trailer(data):
	"""(xref_offset, trailer_dict_bytes, is_xref_stream) of the last section."""
	i = data.rfind(b"startxref")
	m = re.match(rb"startxref\s+(\d+)", data[i:])
	if not m:
		raise ValueError("no startxref")
	off = int(m.group(1))
	if data[off:off + 4] == b"xref":
		return off, balanced_dict(data, data.index(b"trailer", off)), False
	return off, balanced_dict(data, off), True


def ref(d, key):
	m = re.search(rb"/" + key + rb"\s+(\d+)\s+(\d+)\s+R", d)
	return (int(m.group(1)), int(m.group(2))) if m else None


def trailer_facts(data):
	off, d, is_stream = last_trailer(data)
	size = int(re.search(rb"/Size\s+(\d+)", d).group(1))
	root = ref(d, b"Root")
	info = ref(d, b"Info")
	m = re.search(rb"/ID\s*\[\s*(<[0-9A-Fa-f\s]*>)", d)
	id0 = m.group(1).decode() if m else file_id()
	return {"xref": off, "size": size, "root": root, "info": info, "id0": id0, "stream": is_stream}


def cmd_revisions(a):
	data = open(a.inp, "rb").read()
	t = trailer_facts(data)
	if t["stream"]:
		sys.exit("revisions: %s ends with an xref stream; use xrefstm-updates" % a.inp)
	with open(a.out, "wb") as f:
		f.write(data)
		out = Out(f, len(data))
		if not data.endswith(b"\n"):
			out.raw("\n")
		size, prev = t["size"], t["xref"]
		info = t["info"] or (size, 0)
		if not t["info"]:
			size += 1
		extra = None
		for i in range(1, a.count + 1):
			entries = {}
			gen = info[1]
			keys = "/Title (Revision %d of %d) /Producer (%s) /ModDate (D:202611250900%02d+07'00')" % (
				i, a.count, PRODUCER, i)
			if i == 3:
				# A new object, referenced from the info dictionary for three revisions ...
				extra = size
				size += 1
				out.obj(extra, "<< /KysoRevisionNote (added in revision 3) >>")
				entries[extra] = (out.offsets[extra], 0, "n")
			if extra is not None and 3 <= i <= 5:
				keys += " /KysoNote %d 0 R" % extra
			if i == 6 and extra is not None:
				# ... then deleted: a free entry with the next generation number.
				entries[0] = (extra, 65535, "f")
				entries[extra] = (0, 1, "f")
			out.offsets.pop(info[0], None)
			out.obj(info[0], "<< %s >>" % keys, gen)
			entries[info[0]] = (out.offsets[info[0]], gen, "n")
			xo = out.xref_table(entries)
			out.trailer("/Size %d /Root %d %d R /Info %d %d R /Prev %d /ID [%s %s]" % (
				size, t["root"][0], t["root"][1], info[0], gen, prev, t["id0"], file_id()), xo)
			prev = xo


def cmd_xrefstm_updates(a):
	data = open(a.inp, "rb").read()
	t = trailer_facts(data)
	if not t["stream"]:
		sys.exit("xrefstm-updates: %s does not end with an xref stream" % a.inp)
	with open(a.out, "wb") as f:
		f.write(data)
		out = Out(f, len(data))
		if not data.endswith(b"\n"):
			out.raw("\n")
		size, prev = t["size"], t["xref"]
		info = t["info"] or (size, 0)
		if not t["info"]:
			size += 1
		for i in range(1, a.count + 1):
			out.obj(info[0], "<< /Title (Xref-stream revision %d of %d) /Producer (%s) >>" % (
				i, a.count, PRODUCER), info[1])
			xnum = size
			size += 1
			xoff = out.pos
			rows = {info[0]: (1, out.offsets[info[0]], info[1]), xnum: (1, xoff, 0)}
			nums = sorted(rows)
			index = " ".join("%d 1" % n for n in nums)
			body = xref_stream_data([rows[n] for n in nums])
			out.stream(xnum, "/Type /XRef /Size %d /Index [%s] /W [1 4 2] /Root %d %d R /Info %d %d R "
				   "/Prev %d /ID [%s %s]" % (size, index, t["root"][0], t["root"][1], info[0], info[1],
							    prev, t["id0"], file_id()), body)
			out.raw("startxref\n%d\n%%%%EOF\n" % xoff)
			prev = xoff


def cmd_certify(a):
	"""A two-page document, then an incremental update that certifies it with DocMDP P=1."""
	with tempfile.TemporaryDirectory() as tmp:
		base = os.path.join(tmp, "base.pdf")
		with open(base, "wb") as f:
			facts = write_simple(f, 2, "Certified document (DocMDP P=1: no changes allowed)")
		data = bytearray(open(base, "rb").read())
		buf = io.BytesIO()
		out = Out(buf, len(data))
		sig, field = facts["size"], facts["size"] + 1
		size = facts["size"] + 2
		page1 = facts["pages"][0]
		contents_len = 8192
		out.obj(sig, "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached "
			"/ByteRange [0 0000000000 0000000000 0000000000]                    "
			"/Contents <" + "0" * (2 * contents_len) + "> /M (" + DATE + ") /Name (Kyso Corpus Test Signer) "
			"/Reason (Certification, no changes allowed) "
			"/Reference [<< /Type /SigRef /TransformMethod /DocMDP "
			"/TransformParams << /Type /TransformParams /P 1 /V /1.2 >> >>] >>")
		out.obj(field, "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Certification) /V %d 0 R "
			"/Rect [0 0 0 0] /F 132 /P %d 0 R >>" % (sig, page1))
		out.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [%d 0 R] /SigFlags 3 >> "
			"/Perms << /DocMDP %d 0 R >> >>" % (field, sig))
		out.obj(page1, facts["bodies"][page1][:-2] + "/Annots [%d 0 R] >>" % field)
		entries = {n: (o, 0, "n") for n, o in out.offsets.items()}
		xo = out.xref_table(entries)
		out.trailer("/Size %d /Root 1 0 R /Info 4 0 R /Prev %d /ID [%s %s]" % (
			size, facts["xref"], facts["id"], file_id()), xo)
		data += buf.getvalue()
		cs = data.index(b"/Contents <" + b"0" * 64, facts["end"]) + len(b"/Contents ")
		ce = data.index(b">", cs) + 1
		br_at = data.index(b"/ByteRange [", facts["end"])
		br_end = data.index(b"]", br_at) + 1
		br = b"/ByteRange [0 %d %d %d]" % (cs, ce, len(data) - ce)
		if len(br) > br_end - br_at:
			sys.exit("certify: ByteRange placeholder too small")
		# Same width as the placeholder, so no offset moves.
		data[br_at:br_end] = br.ljust(br_end - br_at)
		tbs = os.path.join(tmp, "tbs.bin")
		with open(tbs, "wb") as f:
			f.write(data[:cs] + data[ce:])
		der = os.path.join(tmp, "sig.der")
		subprocess.run(["openssl", "cms", "-sign", "-binary", "-in", tbs, "-signer", a.cert, "-inkey", a.key,
				"-md", "sha256", "-nosmimecap", "-outform", "DER", "-out", der], check=True)
		hexsig = open(der, "rb").read().hex().encode()
		if len(hexsig) > 2 * contents_len:
			sys.exit("certify: signature larger than the /Contents placeholder")
		data[cs + 1:cs + 1 + len(hexsig)] = hexsig
		with open(a.out, "wb") as f:
			f.write(data)


def cmd_form(a):
	"""Two pages with an AcroForm: a filled text field and an empty, visible signature field."""
	with open(a.out, "wb") as f:
		out = Out(f)
		out.raw("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
		out.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R 8 0 R] "
			"/DA (/Helv 0 Tf 0 g) /DR << /Font << /Helv 3 0 R >> >> >> >>")
		out.obj(2, "<< /Type /Pages /Kids [5 0 R 9 0 R] /Count 2 >>")
		out.obj(3, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
		out.obj(4, "<< /Title (Form with an empty signature field) /Producer (%s) >>" % PRODUCER)
		out.obj(5, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
			"/Contents 6 0 R /Annots [7 0 R 8 0 R] >>")
		out.stream(6, "", page_content(["Form with an empty signature field", "",
			"Full name (field HoTen):", "", "", "Signature (field ChuKy1, unsigned):"]))
		ap = "/Tx BMC q BT /Helv 12 Tf 0 g 2 6 Td (Nguyen Van An) Tj ET Q EMC"
		out.obj(7, "<< /Type /Annot /Subtype /Widget /FT /Tx /T (HoTen) /V (Nguyen Van An) "
			"/DA (/Helv 12 Tf 0 g) /Rect [72 700 372 722] /F 4 /P 5 0 R /AP << /N 11 0 R >> >>")
		out.obj(8, "<< /Type /Annot /Subtype /Widget /FT /Sig /T (ChuKy1) /Rect [72 560 322 640] "
			"/F 4 /P 5 0 R /MK << /BC [0 0 1] >> >>")
		out.obj(9, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
			"/Contents 10 0 R >>")
		out.stream(10, "", page_content(["Page 2"]))
		out.stream(11, "/Type /XObject /Subtype /Form /BBox [0 0 300 22] /Resources << /Font << /Helv 3 0 R >> >>", ap)
		entries = {0: (0, 65535, "f")}
		for num, off in out.offsets.items():
			entries[num] = (off, 0, "n")
		fid = file_id()
		xo = out.xref_table(entries)
		out.trailer("/Size 12 /Root 1 0 R /Info 4 0 R /ID [%s %s]" % (fid, fid), xo)


def xref_table_spans(data):
	"""(offset, length) of every 'n' entry in every classic xref section on the /Prev chain."""
	spans = []
	off, d, is_stream = last_trailer(data)
	seen = set()
	while off is not None and off not in seen:
		seen.add(off)
		if data[off:off + 4] != b"xref":
			raise ValueError("xref-shift needs classic xref tables")
		pos = off + 4
		while True:
			m = re.compile(rb"\s*(\d+)\s+(\d+)[ \t]*\r?\n").match(data, pos)
			if not m:
				break
			count = int(m.group(2))
			pos = m.end()
			for k in range(count):
				entry = data[pos + 20 * k:pos + 20 * k + 20]
				if entry[17:18] == b"n":
					spans.append(pos + 20 * k)
			pos += 20 * count
		d = balanced_dict(data, data.index(b"trailer", pos))
		m = re.search(rb"/Prev\s+(\d+)", d)
		off = int(m.group(1)) if m else None
	return spans


def cmd_damage(a):
	data = bytearray(open(a.inp, "rb").read())
	rng = random.Random(a.kind)
	k = a.kind
	if k == "junk-header":
		junk = b"JUNK BEFORE THE HEADER (mail gateway banner) " + rng.randbytes(400).hex().encode() + b"\r\n"
		data = junk + data
	elif k in ("trailing-garbage", "trailing-garbage-4k"):
		n = 600 if k == "trailing-garbage" else 4096
		tail = b"\ngarbage after the end of the file\n"
		data += b"\r\n" + rng.randbytes(n - len(tail) - 2) + tail
	elif k == "truncate":
		data = data[:len(data) // 2]
	elif k in ("length-short", "length-long"):
		for m in re.finditer(rb"/Length (\d+)(\s*>>\s*stream\r?\n)", data):
			n = int(m.group(1))
			w = len(m.group(1))
			if n < 100 or n >= 10 ** w - 1:
				continue
			new = n // 2 if k == "length-short" else 10 ** w - 1
			data[m.start(1):m.end(1)] = b"%*d" % (w, new)
			break
		else:
			sys.exit("damage: no suitable stream /Length in %s" % a.inp)
	elif k == "xref-shift":
		for p in xref_table_spans(bytes(data)):
			data[p:p + 10] = b"%010d" % (int(data[p:p + 10]) + 7)
	elif k == "header-only":
		data = data[:data.index(b"\n", 9) + 1]
	else:
		sys.exit("damage: unknown kind " + k)
	with open(a.out, "wb") as f:
		f.write(data)


def main():
	p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
	sub = p.add_subparsers(dest="cmd", required=True)
	s = sub.add_parser("simple")
	s.add_argument("out")
	s.add_argument("--pages", type=int, default=2)
	s.add_argument("--title", default="kyso corpus: simple document")
	s.set_defaults(fn=cmd_simple)
	for name, fn in (("hybrid-word", cmd_hybrid_word), ("hybrid-single", cmd_hybrid_single)):
		s = sub.add_parser(name)
		s.add_argument("out")
		s.set_defaults(fn=fn)
	for name, fn in (("revisions", cmd_revisions), ("xrefstm-updates", cmd_xrefstm_updates)):
		s = sub.add_parser(name)
		s.add_argument("inp")
		s.add_argument("out")
		s.add_argument("--count", type=int, default=10)
		s.set_defaults(fn=fn)
	s = sub.add_parser("certify")
	s.add_argument("out")
	s.add_argument("--cert", required=True)
	s.add_argument("--key", required=True)
	s.set_defaults(fn=cmd_certify)
	s = sub.add_parser("form")
	s.add_argument("out")
	s.set_defaults(fn=cmd_form)
	s = sub.add_parser("damage")
	s.add_argument("kind")
	s.add_argument("inp")
	s.add_argument("out")
	s.set_defaults(fn=cmd_damage)
	a = p.parse_args()
	a.fn(a)


if __name__ == "__main__":
	main()
