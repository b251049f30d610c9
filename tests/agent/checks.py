"""Protocol checks against a running kyso-agent; one check per call:
checks.py NAME. Environment: AG_KYSO, AG_VNPT, AG_VGCA (ports), AG_ORIGIN
(allowed), AG_PDF (a PDF to sign), AG_WORK (scratch dir), AG_FILES (test web
system base URL), AG_FILESDIR (its directory), AG_PELOG (fake pinentry log)."""
import base64
import concurrent.futures
import hashlib
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wsclient import WS, Closed, Refused, tls_connect  # noqa: E402

E = os.environ
ORIGIN = E.get("AG_ORIGIN", "")
WORK = E.get("AG_WORK", "/tmp")
KYSO, VNPT, VGCA = int(E.get("AG_KYSO", 0)), int(E.get("AG_VNPT", 0)), int(E.get("AG_VGCA", 0))


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def expect(cond, msg):
    if not cond:
        fail(msg)


def pdf_b64(path=None):
    with open(path or E["AG_PDF"], "rb") as f:
        return base64.b64encode(f.read()).decode()


def vnpt_call(fid, args, cb="callbackDefault", ws=None):
    own = ws is None
    ws = ws or WS(VNPT, "/plugin", ORIGIN)
    ws.send(json.dumps({"functionID": fid, "funcCallback": cb, "args": args, "domain": "127.0.0.1"}))
    r = ws.recv()
    if own:
        ws.close()
    res, _, name = r.rpartition("*")
    expect(name == cb, "callback name %r, want %r (reply %r)" % (name, cb, r[:200]))
    return res


def vnpt_json(fid, args, **kw):
    res = vnpt_call(fid, args, **kw)
    try:
        return json.loads(res)
    except ValueError:
        fail("VNPT result is not JSON: %r" % res[:200])


def https(method, path, body=None, headers=None, port=None):
    c = http.client.HTTPSConnection("127.0.0.1", port or KYSO, timeout=120,
                                    context=ssl._create_unverified_context())
    h = {"Host": "localhost:%d" % (port or KYSO)}
    h.update(headers or {})
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data


def save(name, data):
    p = os.path.join(WORK, name)
    with open(p, "wb") as f:
        f.write(data)
    return p


def pelog_has(*words):
    with open(E["AG_PELOG"], encoding="utf-8", errors="replace") as f:
        desc = [ln for ln in f if ln.startswith("SETDESC")]
    expect(desc, "no SETDESC in the pinentry log")
    last = desc[-1]
    for w in words:
        expect(w in last, "prompt %r does not name %r" % (last[:300], w))


# ---- VNPT ----------------------------------------------------------------------

def c_vnpt_basic():
    expect(vnpt_call(7, [], cb="cbCheck") == "1", "checkPlugin != 1")
    # pages gate on this protocol level (VR2)
    expect(vnpt_call(11, [""]) == "1.0.4.3", "getVersion")
    # setLicenseKey: code first, "code":1 without a space (VR3)
    lic = vnpt_call(6, [base64.b64encode(b"<License/>").decode()])
    expect(lic.startswith('{"code":1') and lic.split(":")[1][0] == "1", "setLicenseKey %r" % lic)
    # an unsupported function: code 5 with a Vietnamese text
    r = vnpt_json(24, [0])
    expect(r["code"] == 5 and "kyso-agent" in r["error"] and "hỗ trợ" in r["error"],
           "unsupported functionID: %r" % r)
    # checkPluginAdvanced: never "1" and never SignalReturn: (fact sheet 8)
    adv = vnpt_call(13, ["nFENt"])
    expect(adv == "-1", "checkPluginAdvanced %r" % adv)
    # chooseFile: "" = nothing chosen; setLanguage / SetShowCertListDialog acknowledged
    expect(vnpt_call(5, [""]) == "", "chooseFile")
    expect(vnpt_json(23, ["vi_vn"])["code"] == 0, "setLanguage")
    expect(vnpt_json(37, ["1"])["code"] == 0, "SetShowCertListDialog")
    # several calls on one persistent socket, like vnpt-plugin.js
    ws = WS(VNPT, "/plugin", ORIGIN)
    for i in range(3):
        expect(vnpt_call(7, [], cb="cb%d" % i, ws=ws) == "1", "persistent socket call %d" % i)
    ws.close()


def c_vnpt_certinfo():
    # the three call styles: V19 ["0"], V8 ["0", null], V8 with a serial
    for args in (["0"], ["0", None], ["1"]):
        r = vnpt_json(0, args)
        expect("code" not in r, "getCertInfo success must not carry code: %r" % r)
        for k in ("serial", "subjectCN", "issuerCN", "notBefore", "notAfter", "base64",
                  "signatureAlgorithm", "keyUsage"):
            expect(isinstance(r.get(k), str) and r[k], "getCertInfo %r: %s missing in %r" % (args, k, r))
    der = base64.b64decode(r["base64"])
    save("vnpt-cert.der", der)
    expect(r["subjectCN"] == "Nguyễn Văn An", "subjectCN %r" % r["subjectCN"])
    expect("DigitalSignature" in r["keyUsage"] or "NonRepudiation" in r["keyUsage"], "keyUsage %r" % r)
    r2 = vnpt_json(0, ["0", r["serial"]])
    expect(r2.get("serial") == r["serial"], "getCertInfo with the serial")


def c_vnpt_certcheck():
    cert = base64.b64encode(open(os.path.join(WORK, "vnpt-cert.der"), "rb").read()).decode()
    v = vnpt_call(15, [cert, None, None])
    expect(v == "0", "ValidateCertificateBase64 of the token's cert: %r" % v)
    expect(vnpt_call(14, ["", None, None]) == "0", "ValidateCertificate (serial form)")
    expect(vnpt_call(17, [cert, "1/1/2200 0:0:0"]) == "2", "CheckValidTimeBase64 after notAfter")
    expect(vnpt_call(17, [cert, "1/1/1990 0:0:0"]) == "3", "CheckValidTimeBase64 before notBefore")
    expect(vnpt_call(16, ["", None]) == "0", "CheckValidTime now")
    expect(vnpt_call(15, ["bm90IGEgY2VydA==", None, None]) == "8", "not a certificate")
    # a self-signed certificate is not from a trusted CA
    key, crt = os.path.join(WORK, "self.key"), os.path.join(WORK, "self.der")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                    "-outform", "DER", "-subj", "/CN=Tu ky", "-days", "30"], check=True, capture_output=True)
    self_b64 = base64.b64encode(open(crt, "rb").read()).decode()
    expect(vnpt_call(15, [self_b64, None, None]) == "7", "self-signed: untrusted CA")
    # revocation checks are not done by kyso-agent: 6, never a false 0
    expect(vnpt_call(19, [cert, None, "http://127.0.0.1:9/ocsp"]) == "6", "CheckOCSPBase64")
    expect(vnpt_call(22, [cert, None, None, None]) == "6", "CheckCRLBase64")


def c_vnpt_sign():
    signer = {"page": 1, "llx": 50, "lly": 50, "urx": 250, "ury": 120, "Signer": "Nguyễn Văn An",
              "Description": "Ký bởi: Nguyễn Văn An", "SigningTime": "10:00:00 25/11/2026",
              "DocumentNumber": "12/QĐ-UBND", "DocumentDate": "25/11/2026",
              "FileName": "quyet-dinh-12.pdf", "Role": "approval"}
    r = vnpt_json(2, [pdf_b64(), json.dumps(signer, ensure_ascii=False)], cb="onSigned")
    expect(r["code"] == 0, "SignPDF: %r" % r)
    signed = base64.b64decode(r["data"])
    save("vnpt-signed.pdf", signed)
    # the visible signature sits where the page asked (PdfSigner rectangle, PDF points)
    tail = signed[os.path.getsize(E["AG_PDF"]):]
    expect(b"/Widget" in tail and b"/Rect [50 50 250 120]" in tail,
           "no widget at the PdfSigner rectangle in the update")
    pelog_has(ORIGIN, "quyet-dinh-12.pdf", "ký duyệt")
    # SignPDFMultiplePages signs too
    r = vnpt_json(12, [pdf_b64(), json.dumps({"page": 1, "PagesArray": "1,2"})])
    expect(r["code"] == 0, "SignPDFMultiplePages: %r" % r)


def elements(res):
    """signArrDataAdvanced reply: a JSON array of JSON strings (VR6)."""
    arr = json.loads(res)
    expect(isinstance(arr, list) and all(isinstance(x, str) for x in arr), "not an array of strings: %r" % res[:200])
    return [json.loads(x) for x in arr]


def cms_verify(cms_der, content, name):
    save(name + ".p7s", cms_der)
    save(name + ".txt", content)
    v = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", os.path.join(WORK, name + ".p7s"),
                        "-content", os.path.join(WORK, name + ".txt"), "-CAfile", E["KH_PKI_ROOT_CERT"],
                        "-purpose", "any", "-out", "/dev/null"], capture_output=True, text=True)
    expect(v.returncode == 0, "openssl cms does not verify %s: %s%s" % (name, v.stdout, v.stderr))


def c_vnpt_hash():
    data = b"noi dung van ban can ky"
    serial = vnpt_json(0, ["0", None])["serial"]
    # the iOffice token login: cmsdetached over "1234567890", showCertList "1"
    item = json.dumps({"data": base64.b64encode(b"1234567890").decode(), "type": "cmsdetached"})
    el = elements(vnpt_call(10, [json.dumps([item]), None, "1", "1"]))
    expect(len(el) == 1 and el[0]["code"] == 0 and el[0]["error"] == "" and el[0]["serial"] == serial,
           "cmsdetached element %r" % el)
    cms_verify(base64.b64decode(el[0]["data"]), b"1234567890", "cmsdetached")
    # Odoo-style hash items: base64 digest, sigOptions a JSON string; detached -> CMS, else raw
    dg = base64.b64encode(hashlib.sha256(data).digest()).decode()
    det = json.dumps({"data": dg, "type": "hash",
                      "sigOptions": json.dumps({"DigestAlgorithm": "SHA256", "encoding": "utf8", "detached": True})})
    raw = json.dumps({"data": dg, "type": "hash", "sigOptions": json.dumps({"DigestAlgorithm": "SHA256",
                                                                           "detached": False})})
    bad = json.dumps({"data": "AAAA", "type": "hash", "sigOptions": "null"})
    xls = json.dumps({"data": "AAAA", "type": "xlsx", "sigOptions": "null"})
    el = elements(vnpt_call(10, [json.dumps([det, raw, bad, xls]), serial, "0", "1"]))
    expect(len(el) == 4, "one element per item %r" % el)
    expect(el[0]["code"] == 0 and el[0]["error"] == "" and "serial" not in el[0], "hash detached %r" % el[0])
    cms_verify(base64.b64decode(el[0]["data"]), data, "hash-detached")
    expect(el[1]["code"] == 0 and el[1]["error"] == "", "hash raw %r" % el[1])
    expect(el[2]["code"] == 1 and el[2]["error"], "a 3-byte hash is refused in its element: %r" % el[2])
    expect(el[3]["code"] == 5 and el[3]["error"], "unsupported type in its element: %r" % el[3])
    # the serial as pages hand it back: with or without the leading zero of a whole byte
    # ("02A0…" from getCertInfo, "2A0…" from a page that read it as a number)
    for variant in (serial.lstrip("0") or "0", "0" + serial):
        ev = elements(vnpt_call(10, [json.dumps([det]), variant, "0", "1"]))
        expect(ev[0]["code"] == 0, "serial %r names the token's certificate: %r" % (variant, ev[0]))
    save("hash-data.bin", data)
    save("hash-sig.bin", base64.b64decode(el[1]["data"]))
    c = vnpt_json(0, [])
    save("hash-cert.der", base64.b64decode(c["base64"]))
    pub = subprocess.run(["openssl", "x509", "-inform", "DER", "-in", os.path.join(WORK, "hash-cert.der"),
                          "-pubkey", "-noout"], capture_output=True, check=True).stdout
    save("hash-pub.pem", pub)
    v = subprocess.run(["openssl", "dgst", "-sha256", "-verify", os.path.join(WORK, "hash-pub.pem"),
                        "-signature", os.path.join(WORK, "hash-sig.bin"), os.path.join(WORK, "hash-data.bin")],
                       capture_output=True, text=True)
    expect(v.returncode == 0, "openssl does not verify the raw hash signature: " + v.stdout + v.stderr)
    # kyso's older shape (bare hex digest) still signs, answered in the vendor shape
    el = elements(vnpt_call(10, [json.dumps([hashlib.sha256(data).hexdigest()]), "", "0", "0"]))
    expect(el[0]["code"] == 0 and el[0]["data"], "older hex shape %r" % el)
    # signCms (4): one detached CMS, VR5 shape
    r = vnpt_json(4, [base64.b64encode(data).decode()])
    expect(r["code"] == 0 and r["error"] == "", "signCms %r" % r)
    cms_verify(base64.b64decode(r["data"]), data, "signcms")


def c_vnpt_pdf_item():
    # the usual PDF path: one pdf item whose sigOptions is a stringified PdfSigner
    signer = {"page": 1, "llx": 200, "lly": 40, "urx": 400, "ury": 110, "SigVisible": True,
              "AdvancedCustom": False, "FileName": "cong-van-5.pdf", "SigningTime": None}
    item = json.dumps({"data": pdf_b64(), "type": "pdf", "sigOptions": json.dumps(signer)})
    el = elements(vnpt_call(10, [json.dumps([item]), "", "0", "1"]))
    expect(len(el) == 1 and el[0]["code"] == 0 and el[0]["error"] == "", "pdf element %r" % {k: str(v)[:80] for k, v in el[0].items()})
    signed = base64.b64decode(el[0]["data"])
    save("vnpt-item-signed.pdf", signed)
    tail = signed[os.path.getsize(E["AG_PDF"]):]
    expect(b"/Rect [200 40 400 110]" in tail, "the widget sits at the PdfSigner rectangle")
    pelog_has(ORIGIN, "cong-van-5.pdf")
    # SigVisible=false: no widget; sigOptions "null": invisible too
    signer["SigVisible"] = False
    for so in (json.dumps(signer), "null"):
        item = json.dumps({"data": pdf_b64(), "type": "pdf", "sigOptions": so})
        el = elements(vnpt_call(10, [json.dumps([item]), "", "0", "1"]))
        expect(el[0]["code"] == 0, "pdf element %r" % el[0].get("error"))
        tail = base64.b64decode(el[0]["data"])[os.path.getsize(E["AG_PDF"]):]
        expect(b"/Rect [0 0 0 0]" in tail or b"/Rect[0 0 0 0]" in tail or b"/Widget" not in tail,
               "SigVisible=false / no PdfSigner still drew a widget")
        save("vnpt-item-invisible.pdf", base64.b64decode(el[0]["data"]))
    # no name anywhere: the dialog names the size, not "(không tên)"
    pelog_has(ORIGIN, "Tài liệu PDF (")
    # AdvancedCustom: no placement form in pinentry; the dialog says where the signature goes
    adv = {"AdvancedCustom": True, "FileName": "x" * 150 + "-bao-cao-cuoi.pdf"}
    item = json.dumps({"data": pdf_b64(), "type": "pdf", "sigOptions": json.dumps(adv)})
    el = elements(vnpt_call(10, [json.dumps([item]), "", "0", "1"]))
    expect(el[0]["code"] == 0, "AdvancedCustom %r" % el[0].get("error"))
    expect(b"/Rect [0 0 150 75]" in base64.b64decode(el[0]["data"])[os.path.getsize(E["AG_PDF"]):],
           "AdvancedCustom without a rectangle: the default 0 0 150 75")
    # a long name is shortened in the middle: its end, the role, signer and token stay in view
    pelog_has("trang 1, vị trí 0,0-150,75", "…", "bao-cao-cuoi.pdf", "Người ký", "kyso-rsa")
    with open(E["AG_PELOG"], encoding="utf-8") as f:
        last = [ln for ln in f if ln.startswith("SETDESC")][-1]
    expect("x" * 80 not in last, "the long name was not shortened")


EINVOICE = """<?xml version="1.0" encoding="UTF-8"?>
<HDon><DLHDon Id="data"><TTChung><PBan>2.0.0</PBan><THDon>Hóa đơn giá trị gia tăng</THDon>
<KHMSHDon>1</KHMSHDon><KHHDon>C26TAA</KHHDon><SHDon>123</SHDon><NLap>2026-12-07</NLap></TTChung>
<NDHDon><NBan><Ten>Công ty Thử Nghiệm</Ten><MST>0100109106</MST></NBan>
<TToan><TgTTTBSo>1100000</TgTTTBSo></TToan></NDHDon></DLHDon>
<DSCKS><NBan/></DSCKS></HDon>
""".encode()


def xmlsec_verify(xml, name, tamper=False):
    save(name + ".xml", xml.replace("Thử Nghiệm".encode(), b"Khac") if tamper else xml)
    pem = subprocess.run(["openssl", "x509", "-inform", "DER", "-in", os.path.join(WORK, "vnpt-cert.der")],
                         capture_output=True, check=True).stdout
    save("xml-cert.pem", pem)
    return subprocess.run(["xmlsec1", "--verify", "--id-attr:Id", "DLHDon", "--pubkey-cert-pem",
                           os.path.join(WORK, "xml-cert.pem"), os.path.join(WORK, name + ".xml")],
                          capture_output=True, text=True)


def c_vnpt_xml():
    # signXML (V8): the invoice data (#data) signed, Signature under DSCKS/NBan
    xs = {"NodeToSign": "data", "ParrentTagSigning": "DSCKS/NBan", "DigestMethod": "SHA256",
          "SigningType": "Enveloped"}
    r = vnpt_json(1, [base64.b64encode(EINVOICE).decode(), json.dumps(xs)])
    expect(r["code"] == 0 and r["error"] == "", "signXML %r" % {k: str(v)[:120] for k, v in r.items()})
    xml = base64.b64decode(r["data"])
    expect(b"<DSCKS><NBan><Signature" in xml, "Signature not under DSCKS/NBan: %r" % xml[-300:])
    v = xmlsec_verify(xml, "einvoice")
    expect(v.returncode == 0, "xmlsec1 --verify refuses the signed invoice: " + v.stdout + v.stderr)
    v = xmlsec_verify(xml, "einvoice-tampered", tamper=True)
    expect(v.returncode != 0, "xmlsec1 accepts a changed invoice")
    # xml item of signArrDataAdvanced: the whole document, Signature under the root
    item = json.dumps({"data": base64.b64encode(EINVOICE).decode(), "type": "xml", "sigOptions": "null"})
    el = elements(vnpt_call(10, [json.dumps([item]), "", "0", "1"]))
    expect(el[0]["code"] == 0 and el[0]["error"] == "", "xml item %r" % el[0].get("error"))
    v = xmlsec_verify(base64.b64decode(el[0]["data"]), "einvoice-item")
    expect(v.returncode == 0, "xmlsec1 --verify refuses the xml item: " + v.stdout + v.stderr)
    # not XML / no such element: code 1 with a Vietnamese text
    r = vnpt_json(1, [base64.b64encode(b"<a><b></a>").decode()])
    expect(r["code"] == 1 and r["error"], "bad XML %r" % r)
    r = vnpt_json(1, [base64.b64encode(EINVOICE).decode(), json.dumps({"NodeToSign": "khong-co"})])
    expect(r["code"] == 1 and "Ký xml" in r["error"], "missing Id %r" % r)


def c_vnpt_verify():
    r = vnpt_json(42, [pdf_b64(os.path.join(WORK, "vnpt-signed.pdf")), "0"])
    expect(r["code"] == 0, "VerifyPdf: %r" % r)
    expect("Nguy" in json.dumps(r["data"], ensure_ascii=False), "report names no signer: %r" % r)
    expect("file" not in r["data"] and "/tmp" not in json.dumps(r["data"]) and WORK not in json.dumps(r["data"]),
           "the verify answer carries a local path: %r" % r["data"].get("file"))


def c_vnpt_cancel():
    open(os.path.join(WORK, "cancel"), "w").close()
    try:
        r = vnpt_json(2, [pdf_b64(), "{}"])
    finally:
        os.remove(os.path.join(WORK, "cancel"))
    expect(r["code"] == 11, "cancelled prompt gives code %r, want 11" % r.get("code"))


def c_vnpt_removed():
    r = vnpt_json(2, [pdf_b64(), "{}"])
    expect(r["code"] != 0 and r["error"], "token removed mid-signature: %r" % r)
    print("error text:", r["error"])
    expect(vnpt_call(7, []) == "1", "agent alive after the removal")


# ---- VGCA ----------------------------------------------------------------------

def vgca(op, payload):
    ws = WS(VGCA, "/" + op, ORIGIN)
    ws.send(payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False))
    r = ws.recv()
    ws.close()
    try:
        return json.loads(r)
    except ValueError:
        fail("VGCA reply is not JSON: %r" % r[:200])


def c_vgca_sign():
    base = E["AG_FILES"]
    ops = [("SignApproved", {}), ("SignIssued", {"DocNumber": "123/BCY-CTSBMTT",
                                                  "IssuedDate": "2019-03-12T12:00:00+07:00"}),
           ("SignAppendix", {"DocNumber": "123/BCY-CTSBMTT"}), ("SignCopy", {}), ("Comment", {})]
    for i, (op, extra) in enumerate(ops):
        n_before = len([x for x in os.listdir(os.path.join(E["AG_FILESDIR"], "uploads")) if x.endswith(".pdf")])
        p = {"FileUploadHandler": base + "/upload", "SessionId": "sess-%d" % i, "JWTToken": "jwt-%d" % i,
             "FileName": base + "/files/van%20ban.pdf",
             "MetaData": [{"Key": "docid", "Value": str(100 + i)}]}
        p.update(extra)
        r = vgca(op, p)
        expect(r.get("Status") == 0, "%s: %r" % (op, r))
        expect(r.get("FileServer") == "/files/signed-%d.pdf" % (n_before + 1), "%s FileServer %r" % (op, r))
        if op == "SignIssued":
            expect(r["DocumentNumber"] == "123/BCY-CTSBMTT" and r["DocumentDate"].startswith("2019-03-12"),
                   "SignIssued number/date %r" % r)
        f = json.load(open(os.path.join(E["AG_FILESDIR"], "uploads", "%d.json" % (n_before + 1))))
        expect(f.get("SessionId") == "sess-%d" % i and f.get("docid") == str(100 + i),
               "%s upload fields %r" % (op, f))
        expect(f.get("_filename") == "van ban.pdf", "upload file name %r" % f.get("_filename"))
    log = open(os.path.join(E["AG_FILESDIR"], "requests.log")).read()
    expect("auth=Bearer jwt-0" in log, "JWTToken not sent as a bearer token")
    expect("cookie=ASP.NET_SessionId=sess-0" in log, "SessionId not sent as the session cookie")
    pelog_has(ORIGIN, "van ban.pdf", "ký ý kiến")


def c_vgca_certinfo():
    r = vgca("GetCertInfo", "get_cert_info")
    expect(r.get("Status") == 0 and r.get("Base64"), "GetCertInfo %r" % r)
    expect(isinstance(r.get("CertInfo"), dict) and r["CertInfo"].get("Base64") == r["Base64"],
           "GetCertInfo without nested CertInfo %r" % r)


def c_vgca_msg():
    data = b"ma xac thuc 123"
    cert = vgca("GetCertInfo", "get_cert_info")["Base64"]
    save("vgca-cert.der", base64.b64decode(cert))
    pub = subprocess.run(["openssl", "x509", "-inform", "DER", "-in", os.path.join(WORK, "vgca-cert.der"),
                          "-pubkey", "-noout"], capture_output=True, check=True).stdout
    save("vgca-pub.pem", pub)
    save("vgca-data.bin", data)

    def raw_ok(sig_b64, what):
        save("vgca-sig.bin", base64.b64decode(sig_b64))
        v = subprocess.run(["openssl", "dgst", "-sha256", "-verify", os.path.join(WORK, "vgca-pub.pem"),
                            "-signature", os.path.join(WORK, "vgca-sig.bin"), os.path.join(WORK, "vgca-data.bin")],
                           capture_output=True, text=True)
        expect(v.returncode == 0, "%s signature does not verify: %s%s" % (what, v.stdout, v.stderr))

    # {HashAlg, HashValue, Encode}
    r = vgca("SignMsg", {"HashAlg": "SHA256", "HashValue": base64.b64encode(hashlib.sha256(data).digest()).decode(),
                         "Encode": "RSA"})
    expect(r.get("Status") == 0 and r.get("Signature") and r.get("CertBase64") == cert, "SignMsg hash %r" % r)
    raw_ok(r["Signature"], "SignMsg (hash)")
    # bare base64 of the message
    r = vgca("SignMsg", base64.b64encode(data).decode())
    expect(r.get("Status") == 0 and r.get("Signature"), "SignMsg base64 %r" % r)
    raw_ok(r["Signature"], "SignMsg (base64)")
    # /Auth: the auth-code text
    r = vgca("Auth", data.decode())
    expect(r.get("Status") == 0 and r.get("Signature"), "Auth %r" % r)
    raw_ok(r["Signature"], "Auth")
    r = vgca("GetLicenseRequest", "request")
    expect(r.get("Status") == 0, "GetLicenseRequest %r" % r)
    r = vgca("SignMsg", {"HashAlg": "SHA256", "HashValue": "AAAA"})
    expect(r.get("Status") not in (0, None) and r.get("Message"), "bad SignMsg %r" % r)


def c_vgca_foreign():
    before = open(os.path.join(E["AG_FILESDIR"], "requests.log")).read().count("\n")
    r = vgca("SignApproved", {"FileUploadHandler": "http://127.0.0.1:9/upload",
                              "FileName": "http://127.0.0.1:9/files/x.pdf"})
    msg = r.get("Message", "")  # the agent answers in its UI language (vi by default)
    expect(r.get("Status") not in (0, None) and ("site" in msg or "trang web" in msg),
           "foreign URL %r" % r)
    r = vgca("SignApproved", {"FileUploadHandler": "", "FileName": E["AG_FILES"] + "/files/van%20ban.pdf"})
    expect(r.get("Status") not in (0, None), "missing FileUploadHandler %r" % r)
    after = open(os.path.join(E["AG_FILESDIR"], "requests.log")).read().count("\n")
    expect(before == after, "the agent fetched something for a refused request")
    r = vgca("SignLylich", {})
    expect(r.get("Status") not in (0, None), "unknown endpoint %r" % r)


def c_vgca_cancel():
    open(os.path.join(WORK, "cancel"), "w").close()
    try:
        r = vgca("SignApproved", {"FileUploadHandler": E["AG_FILES"] + "/upload",
                                  "FileName": E["AG_FILES"] + "/files/van%20ban.pdf"})
    finally:
        os.remove(os.path.join(WORK, "cancel"))
    expect(r.get("Status") not in (0, None), "cancelled: Status %r" % r)


# ---- kyso API -------------------------------------------------------------------

def c_kyso_http():
    st, h, b = https("GET", "/v1/status")
    expect(st == 200 and json.loads(b)["service"] == "kyso-agent", "status %d %r" % (st, b[:100]))
    st, h, b = https("GET", "/v1/certificates", headers={"Origin": ORIGIN})
    expect(st == 200 and json.loads(b)["certificates"], "certificates %d" % st)
    expect(h.get("access-control-allow-origin") == ORIGIN, "no CORS header")
    pdf = open(E["AG_PDF"], "rb").read()
    st, h, b = https("POST", "/v1/sign/pdf?role=issue&doc_number=5%2FTB&doc_date=2026-11-25&document=th%C3%B4ng%20b%C3%A1o.pdf",
                     body=pdf, headers={"Origin": ORIGIN, "Content-Type": "application/pdf"})
    expect(st == 200 and b.startswith(b"%PDF-") and len(b) > len(pdf), "sign/pdf %d %r" % (st, b[:200]))
    expect(b[:len(pdf)] == pdf, "incremental update must keep the original bytes")
    save("kyso-signed.pdf", b)
    pelog_has(ORIGIN, "thông báo.pdf", "văn thư cấp số/ngày")
    st, h, b = https("POST", "/v1/verify", body=b, headers={"Origin": ORIGIN})
    expect(st == 200 and json.loads(b)["ok"], "verify %d %r" % (st, b[:200]))
    d = hashlib.sha256(b"abc").hexdigest()
    st, h, b = https("POST", "/v1/sign/hash", body=json.dumps({"hash": d, "document": "abc"}),
                     headers={"Origin": ORIGIN, "Content-Type": "application/json"})
    j = json.loads(b)
    expect(st == 200 and j["signatures"][0]["signature"], "sign/hash %d %r" % (st, b[:200]))


def c_kyso_ws():
    ws = WS(KYSO, "/v1/ws", ORIGIN)
    ws.send(json.dumps({"id": 1, "op": "status"}))
    r = json.loads(ws.recv())
    expect(r["ok"] and r["id"] == 1, "ws status %r" % r)
    ws.send(json.dumps({"id": "a", "op": "sign_pdf", "pdf": pdf_b64(), "role": "initial", "document": "nhap.pdf"}))
    r = json.loads(ws.recv())
    expect(r["ok"] and r["id"] == "a" and base64.b64decode(r["pdf"]).startswith(b"%PDF-"), "ws sign %r" % str(r)[:200])
    ws.close()


def c_preflight():
    st, h, b = https("OPTIONS", "/v1/sign/pdf", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Private-Network": "true"})
    expect(st == 204 and h.get("access-control-allow-origin") == ORIGIN and
           h.get("access-control-allow-private-network") == "true", "preflight %d %r" % (st, h))
    st, h, b = https("OPTIONS", "/v1/sign/pdf", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Private-Network": "true"})
    expect(st == 403 and "access-control-allow-private-network" not in h and
           "access-control-allow-origin" not in h, "preflight from a foreign origin %d %r" % (st, h))


# ---- hostile input -----------------------------------------------------------------

def c_origin_refused():
    for port, path in ((VNPT, "/plugin"), (VGCA, "/SignApproved"), (KYSO, "/v1/ws")):
        for origin in ("https://evil.example", None, "null", ORIGIN + ".evil.example"):
            try:
                WS(port, path, origin).close()
                fail("WebSocket upgrade with Origin %r on %d accepted" % (origin, port))
            except Refused:
                pass
    st, h, b = https("POST", "/v1/sign/pdf", body=b"%PDF-1.4", headers={"Origin": "https://evil.example"})
    expect(st == 403, "foreign origin POST %d" % st)
    st, h, b = https("GET", "/v1/certificates")
    expect(st == 403, "no Origin certificates %d" % st)
    st, h, b = https("POST", "/v1/sign/pdf", body=b"%PDF-1.4")
    expect(st == 403, "no Origin POST %d" % st)


def c_rebinding():
    for hh in ("evil.example:%d" % VNPT, "attacker.localhost.evil:%d" % VNPT, "127.0.0.1.nip.io"):
        try:
            WS(VNPT, "/plugin", ORIGIN, host_header=hh).close()
            fail("upgrade with Host %r accepted" % hh)
        except Refused:
            pass
    st, h, b = https("GET", "/v1/status", headers={"Host": "evil.example"})
    expect(st == 421, "HTTP Host evil.example: %d" % st)
    st, h, b = https("GET", "/v1/certificates", headers={"Host": "evil.example", "Origin": ORIGIN})
    expect(st == 421, "HTTP Host evil.example with Origin: %d" % st)
    # loopback names are fine
    WS(VNPT, "/plugin", ORIGIN, host_header="127.0.0.1:%d" % VNPT).close()
    WS(VNPT, "/plugin", ORIGIN, host_header="[::1]:%d" % VNPT).close()


def c_bad_json():
    ws = WS(VNPT, "/plugin", ORIGIN)
    for bad in ("{", "[]", "null", '{"functionID":"abc"}', '{"functionID":2,"args":"x"}',
                '{"functionID":2,"args":[123]}', '{"functionID":2,"args":["%%%", "{}"]}',
                '{"functionID":2,"args":["' + base64.b64encode(b"not a pdf").decode() + '"]}',
                '{"functionID":2,"args":["' + pdf_b64() + '", "{\\"page\\":\\"x\\"}"]}',
                '{"functionID":2,"args":["' + pdf_b64() + '", "{\\"page\\":1,\\"llx\\":10,\\"urx\\":5}"]}',
                '{"functionID":10,"args":["[{\\"hash\\":\\"zz\\"}]"]}',
                '{"functionID":2,"funcCallback":"a*b","args":[]}'):
        ws.send(bad)
        r = ws.recv()
        res = json.loads(r.rsplit("*", 1)[0])
        if isinstance(res, list):  # signArrDataAdvanced: one element per item
            res = json.loads(res[0])
        expect(res["code"] == 1 and res["error"], "bad input %r -> %r" % (bad[:60], r[:200]))
    expect(vnpt_call(7, [], ws=ws) == "1", "socket still works after bad input")
    ws.close()
    ws = WS(VGCA, "/SignApproved", ORIGIN)
    ws.send("not json")
    r = json.loads(ws.recv())
    expect(r["Status"] != 0, "VGCA bad JSON %r" % r)
    ws.close()
    ws = WS(KYSO, "/v1/ws", ORIGIN)
    ws.send('{"op": 5}')
    r = json.loads(ws.recv())
    expect(r["ok"] is False and r["error"]["code"] == "bad-input", "kyso bad op %r" % r)
    ws.close()
    st, h, b = https("POST", "/v1/sign/hash", body=b'{"hash": 5}', headers={"Origin": ORIGIN})
    expect(st == 400, "sign/hash wrong type %d" % st)
    st, h, b = https("GET", "/v1/nothing", headers={"Origin": ORIGIN})
    expect(st == 404, "unknown endpoint %d" % st)


def c_huge():
    limit = 50 * 1024 * 1024
    # HTTP: 50 MB + 1 byte refused from Content-Length, before reading it
    s = tls_connect(KYSO)
    s.sendall(("POST /v1/sign/pdf HTTP/1.1\r\nHost: localhost\r\nOrigin: %s\r\n"
               "Content-Length: %d\r\n\r\n" % (ORIGIN, limit + 1)).encode())
    resp = s.recv(4096).decode(errors="replace")
    s.close()
    expect(" 413 " in resp.split("\r\n")[0], "50 MB + 1 byte: %r" % resp[:100])
    # a body longer than its Content-Length is cut off
    # VNPT: a 50 MB + 1 byte PDF in base64 -> code 1 (too large)
    big = b"%PDF-1.4\n" + b"0" * (limit + 1 - 9)
    b64 = base64.b64encode(big).decode()
    ws = WS(VNPT, "/plugin", ORIGIN)
    ws.send('{"functionID":2,"funcCallback":"cbBig","args":["' + b64 + '","{}"]}', frag=1 << 20)
    r = ws.recv()
    res = json.loads(r.rsplit("*", 1)[0])
    expect(res["code"] == 1 and "50 MB" in res["error"], "50 MB + 1 via VNPT: %r" % r[:200])
    del b64, big
    # a frame over the message limit is dropped with an error, the socket lives on
    ws.send_frame(1, b"x" * (72 * 1024 * 1024))
    r = ws.recv()
    expect('"code":1' in r and "larger" in r, "huge frame: %r" % r[:200])
    expect(vnpt_call(7, [], ws=ws) == "1", "socket works after a huge frame")
    ws.close()


def c_slowloris():
    t0 = time.time()
    s = tls_connect(KYSO)
    s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: localhost\r\n")
    closed = False
    # meanwhile others are served
    st, h, b = https("GET", "/v1/status")
    expect(st == 200, "status while a slow client hangs: %d" % st)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            s.sendall(b"X-a: b\r\n")
            s.settimeout(1)
            d = s.recv(100)
            if d == b"":
                closed = True
                break
        except socket.timeout:
            continue
        except (OSError, ssl.SSLError):
            closed = True
            break
    dt = time.time() - t0
    expect(closed, "a slow header sender is still connected after 30 s")
    print("slow client dropped after %.1f s" % dt)
    # a WebSocket message that never ends is dropped too
    ws = WS(VNPT, "/plugin", ORIGIN)
    ws.send_frame(1, b'{"functionID":', fin=False)
    t1 = time.time()
    try:
        ws.s.settimeout(60)
        ws.recv()
        fail("unfinished message answered")
    except (Closed, OSError, ssl.SSLError):
        pass
    print("unfinished WebSocket message dropped after %.1f s" % (time.time() - t1))
    expect(time.time() - t1 < 45, "unfinished WebSocket message kept too long")


def prompts():
    """how many PIN prompts the fake pinentry has answered so far"""
    with open(E["AG_PELOG"], encoding="utf-8", errors="replace") as f:
        return sum(1 for ln in f if ln.strip() == "GETPIN")


def c_concurrent():
    n = 20
    pdf = pdf_b64()
    p0 = prompts()
    t0 = time.time()

    def one(i):
        ws = WS(VNPT, "/plugin", ORIGIN, timeout=300)
        ws.send(json.dumps({"functionID": 2, "funcCallback": "cb%d" % i, "args": [pdf, "{}"]}))
        r = ws.recv()
        ws.close()
        return r, time.time()

    with concurrent.futures.ThreadPoolExecutor(n) as ex:
        res = list(ex.map(one, range(n)))
    for i, (r, _) in enumerate(res):
        body, _, cb = r.rpartition("*")
        expect(cb == "cb%d" % i and json.loads(body)["code"] == 0, "request %d: %r" % (i, r[:100]))
    dt = time.time() - t0
    print("%d concurrent signatures on %d connections in %.1f s" % (n, n, dt))
    expect(dt < 120, "%d concurrent signatures took %.1f s (limit 120 s)" % (n, dt))
    # every request went through its own prompt: none lost, none merged
    expect(prompts() - p0 == n, "%d PIN prompts for %d signatures" % (prompts() - p0, n))
    # in order on one connection
    p0 = prompts()
    t0 = time.time()
    ws = WS(VNPT, "/plugin", ORIGIN, timeout=300)
    for i in range(n):
        ws.send(json.dumps({"functionID": 2, "funcCallback": "seq%d" % i, "args": [pdf, "{}"]}))
    got = []
    for i in range(n):
        r = ws.recv()
        body, _, cb = r.rpartition("*")
        expect(json.loads(body)["code"] == 0, "seq %d: %r" % (i, r[:100]))
        got.append(cb)
    ws.close()
    dt = time.time() - t0
    expect(got == ["seq%d" % i for i in range(n)], "answers out of order: %r" % got)
    expect(prompts() - p0 == n, "%d PIN prompts for %d pipelined signatures" % (prompts() - p0, n))
    expect(dt < 120, "%d pipelined signatures took %.1f s (limit 120 s)" % (n, dt))
    print("%d pipelined signatures answered in order in %.1f s" % (n, dt))


def c_busy():
    pdf = pdf_b64()
    ws = WS(VNPT, "/plugin", ORIGIN, timeout=300)
    n = int(E.get("AG_BUSY_N", "12"))
    for i in range(n):
        ws.send(json.dumps({"functionID": 2, "funcCallback": "b%d" % i, "args": [pdf, "{}"]}))
    ok, busy = [], []
    for i in range(n):
        r = ws.recv()
        body, _, cb = r.rpartition("*")
        j = json.loads(body)
        (ok if j["code"] == 0 else busy).append((cb, j))
    ws.close()
    # the agent answers in its UI language (vi by default)
    expect(busy and all(("busy" in j["error"] or "bận" in j["error"]) for _, j in busy),
           "busy answers: %r" % busy[:2])
    expect([c for c, _ in ok] == sorted([c for c, _ in ok], key=lambda c: int(c[1:])), "accepted out of order")
    print("%d accepted, %d busy" % (len(ok), len(busy)))


# ---- PIN cache (agent started with --pin-cache $AG_CACHE_SECS s, --lang en) ----------

def pe_counts():
    with open(E["AG_PELOG"], encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    return {k: sum(1 for ln in lines if ln == k or ln.startswith(k + " "))
            for k in ("GETPIN", "CONFIRM", "SETNOTOK")}


def sign_counted(want_code=0):
    """one VNPT SignPDF; the dialogs it caused"""
    before = pe_counts()
    r = vnpt_json(2, [pdf_b64(), json.dumps({"FileName": "cache.pdf", "Role": "approval"})])
    after = pe_counts()
    d = dict((k, after[k] - before[k]) for k in after)
    expect(r["code"] == want_code, "SignPDF code %r, want %r (%r)" % (r["code"], want_code, r.get("error")))
    if want_code == 0:
        expect(base64.b64decode(r["data"]).startswith(b"%PDF-"), "no signed PDF")
    return d


def flag(name, on):
    p = os.path.join(WORK, name)
    if on:
        open(p, "w").close()
    elif os.path.exists(p):
        os.remove(p)


def stamp_file():
    return os.path.join(WORK, "cached-at")


def c_cache_off():
    # --pin-cache 0: one dialog (consent + PIN) per signature, no third button
    for i in range(2):
        d = sign_counted()
        expect(d == {"GETPIN": 1, "CONFIRM": 0, "SETNOTOK": 0}, "signature %d without cache: %r" % (i, d))
    pelog_has(ORIGIN, "cache.pdf", "approval")


def c_cache_no_optin():
    # the offer is there, the user does not take it: the PIN is asked every time
    for i in range(2):
        d = sign_counted()
        expect(d == {"GETPIN": 1, "CONFIRM": 1, "SETNOTOK": 1}, "signature %d, no opt-in: %r" % (i, d))
    pelog_has("Enter the token PIN")


def c_cache_optin():
    flag("remember", True)
    try:
        d = sign_counted()
    finally:
        flag("remember", False)
    with open(stamp_file(), "w") as f:
        f.write(str(time.time()))
    expect(d == {"GETPIN": 1, "CONFIRM": 1, "SETNOTOK": 1}, "opt-in signature: %r" % d)
    # within the window: the consent dialog only, naming site, document and role
    d = sign_counted()
    expect(d == {"GETPIN": 0, "CONFIRM": 1, "SETNOTOK": 0}, "second signature in the window: %r" % d)
    pelog_has(ORIGIN, "cache.pdf", "approval", "remember")
    # consent per signature remains: refusing it signs nothing (code 11)...
    flag("cancel", True)
    try:
        d = sign_counted(want_code=11)
    finally:
        flag("cancel", False)
    expect(d["GETPIN"] == 0 and d["CONFIRM"] == 1, "refused with a cached PIN: %r" % d)
    # ...and keeps the remembered PIN for the next one
    d = sign_counted()
    expect(d == {"GETPIN": 0, "CONFIRM": 1, "SETNOTOK": 0}, "after a refusal: %r" % d)
    secs = float(E["AG_CACHE_SECS"])
    left = float(open(stamp_file()).read()) + secs - time.time()
    expect(left > 0, "the test was too slow for the %.0f s window" % secs)


def c_cache_cancel_not_remember():
    # docs/agent.md "Dialog buttons": a Cancel that a pinentry reports with
    # NOT_CONFIRMED (an old pinentry without SETNOTOK; the window's close
    # button) is a Cancel: nothing signed (code 11), no PIN asked, nothing
    # remembered: the next signature asks for the PIN again
    for mode in ("old", "closed"):
        flag(mode, True)
        try:
            d = sign_counted(want_code=11)
        finally:
            flag(mode, False)
        expect(d["CONFIRM"] == 1 and d["GETPIN"] == 0, "%s: cancel led to %r" % (mode, d))
        d = sign_counted()
        expect(d == {"GETPIN": 1, "CONFIRM": 1, "SETNOTOK": 1},
               "%s: after the cancel the PIN was not asked again: %r" % (mode, d))
    # the explicit choice: the PIN dialog says it will be remembered
    flag("remember", True)
    try:
        sign_counted()
    finally:
        flag("remember", False)
    pelog_has("will remember this PIN")
    d = sign_counted()
    expect(d["GETPIN"] == 0, "the explicit choice was not remembered: %r" % d)


def c_cache_expired():
    secs = float(E["AG_CACHE_SECS"])
    wait = float(open(stamp_file()).read()) + secs + 1.5 - time.time()
    if wait > 0:
        time.sleep(wait)
    d = sign_counted()
    expect(d["GETPIN"] == 1, "after the window the PIN is asked again: %r" % d)


def c_cache_wrong_pin():
    flag("remember", True)
    try:
        sign_counted()
    finally:
        flag("remember", False)
    with open(E["KYSO_FAULT_FILE"], "w") as f:
        f.write("wrong-pin\n")
    try:
        d = sign_counted(want_code=3)
    finally:
        open(E["KYSO_FAULT_FILE"], "w").close()
    expect(d["GETPIN"] == 0, "the cached PIN was used: %r" % d)
    d = sign_counted()
    expect(d["GETPIN"] == 1, "after a wrong PIN the PIN is asked again: %r" % d)


def c_cache_removed():
    flag("remember", True)
    try:
        sign_counted()
    finally:
        flag("remember", False)
    d = sign_counted()
    expect(d["GETPIN"] == 0, "cached: %r" % d)
    # the token goes away while the agent is idle, and comes back
    with open(E["KYSO_FAULT_FILE"], "w") as f:
        f.write("removed\n")
    time.sleep(float(E.get("AG_PRESENCE_WAIT", "9")))
    open(E["KYSO_FAULT_FILE"], "w").close()
    d = sign_counted()
    expect(d["GETPIN"] == 1, "after the token was removed the PIN is asked again: %r" % d)


if __name__ == "__main__":
    globals()["c_" + sys.argv[1]]()
    print("ok", sys.argv[1])
