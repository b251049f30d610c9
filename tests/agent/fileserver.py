"""Test web system for the VGCA protocol: serves files from DIR (GET /files/NAME)
and is the FileUploadHandler (POST /upload, multipart part "uploadfile").
Each upload is kept as DIR/uploads/N.pdf with its form fields in N.json;
every request is logged to DIR/requests.log. Usage: fileserver.py DIR PORT"""
import email.parser
import email.policy
import http.server
import json
import os
import sys
import urllib.parse

DIR, PORT = sys.argv[1], int(sys.argv[2])
os.makedirs(os.path.join(DIR, "uploads"), exist_ok=True)
counter = [0]


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *a):
        with open(os.path.join(DIR, "requests.log"), "a") as f:
            f.write("%s %s auth=%s cookie=%s\n" % (self.command, self.path,
                                                    self.headers.get("Authorization", ""),
                                                    self.headers.get("Cookie", "")))

    def send(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/files/"):
            p = os.path.join(DIR, "files", os.path.basename(urllib.parse.unquote(self.path.split("?")[0])))
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    return self.send(200, f.read(), "application/pdf")
        if self.path.startswith("/web/"):
            p = os.path.join(os.environ.get("AG_WEBROOT", DIR), self.path[5:].split("?")[0])
            if os.path.isfile(p):
                ct = {"js": "text/javascript", "mjs": "text/javascript", "html": "text/html",
                      "css": "text/css"}.get(p.rsplit(".", 1)[-1], "application/octet-stream")
                with open(p, "rb") as f:
                    return self.send(200, f.read(), ct)
        self.send(404, b"{}")

    def do_PUT(self):
        # the demo page stores the document on its web system (VGCA flow)
        n = int(self.headers.get("Content-Length", "0"))
        if not self.path.startswith("/files/") or n > 50 * 1024 * 1024:
            return self.send(400, b"{}")
        name = os.path.basename(urllib.parse.unquote(self.path.split("?")[0]))
        with open(os.path.join(DIR, "files", name), "wb") as f:
            f.write(self.rfile.read(n))
        self.send(200, b"{}")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        if self.path != "/upload":
            return self.send(404, b"{}")
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body)
        fields, pdf, fname = {}, None, None
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "uploadfile":
                pdf = part.get_payload(decode=True)
                fname = part.get_filename()
            else:
                fields[name] = part.get_payload(decode=True).decode()
        if pdf is None:
            return self.send(400, json.dumps({"Status": False, "Message": "no uploadfile"}).encode())
        counter[0] += 1
        base = os.path.join(DIR, "uploads", str(counter[0]))
        with open(base + ".pdf", "wb") as f:
            f.write(pdf)
        with open(os.path.join(DIR, "files", "signed-%d.pdf" % counter[0]), "wb") as f:
            f.write(pdf)
        fields["_filename"] = fname
        with open(base + ".json", "w") as f:
            json.dump(fields, f, ensure_ascii=False)
        self.send(200, json.dumps({"Status": True, "FileName": fname,
                                   "FileServer": "/files/signed-%d.pdf" % counter[0],
                                   "DocumentNumber": fields.get("DocNumber", "")}).encode())


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), H).serve_forever()
