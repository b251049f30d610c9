"""Minimal WebSocket client over TLS (RFC 6455), stdlib only, for the agent
tests: full control of the handshake headers (Origin, Host) and of framing
(fragments, huge frames)."""
import base64
import os
import socket
import ssl
import struct


class Closed(Exception):
    pass


class Refused(Exception):
    pass


def tls_connect(port, host="127.0.0.1", timeout=30):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    cafile = os.environ.get("AG_CA")
    if cafile:
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.check_hostname = True
    raw = socket.create_connection((host, port), timeout=timeout)
    return ctx.wrap_socket(raw, server_hostname="localhost" if host == "127.0.0.1" else host)


class WS:
    def __init__(self, port, path, origin=None, host_header=None, timeout=60):
        self.s = tls_connect(port, timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        hdrs = [f"GET {path} HTTP/1.1",
                f"Host: {host_header or 'localhost:%d' % port}",
                "Upgrade: websocket", "Connection: Upgrade",
                f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        if origin is not None:
            hdrs.append(f"Origin: {origin}")
        self.s.sendall(("\r\n".join(hdrs) + "\r\n\r\n").encode())
        resp = b""
        while b"\r\n\r\n" not in resp:
            try:
                d = self.s.recv(4096)
            except (ConnectionError, ssl.SSLError, socket.timeout):
                d = b""
            if not d:
                raise Refused("connection closed during the handshake")
            resp += d
        head, self.buf = resp.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise Refused(head.split(b"\r\n")[0].decode(errors="replace"))

    def send_frame(self, opcode, payload, fin=True):
        b0 = (0x80 if fin else 0) | opcode
        n = len(payload)
        if n < 126:
            h = struct.pack("!BB", b0, 0x80 | n)
        elif n < 65536:
            h = struct.pack("!BBH", b0, 0x80 | 126, n)
        else:
            h = struct.pack("!BBQ", b0, 0x80 | 127, n)
        # big test payloads use the all-zero masking key (legal, and XOR is then a no-op)
        mask = os.urandom(4) if n <= 65536 else b"\0\0\0\0"
        if n and mask != b"\0\0\0\0":
            k = (mask * (n // 4 + 1))[:n]
            payload = (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")
        self.s.sendall(h + mask + payload)

    def send(self, text, frag=None):
        data = text.encode() if isinstance(text, str) else text
        if frag is None or len(data) <= frag:
            self.send_frame(1, data)
            return
        for i in range(0, len(data), frag):
            chunk = data[i:i + frag]
            last = i + frag >= len(data)
            self.send_frame(1 if i == 0 else 0, chunk, fin=last)

    def _need(self, n):
        while len(self.buf) < n:
            d = self.s.recv(1 << 20)
            if not d:
                raise Closed("closed")
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        msg = b""
        while True:
            b0, b1 = self._need(2)
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack("!H", self._need(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._need(8))[0]
            payload = self._need(n)
            op = b0 & 0x0f
            if op == 8:
                raise Closed("close frame %r" % payload[:2])
            if op == 9:
                self.send_frame(10, payload)
                continue
            msg += payload
            if b0 & 0x80:
                return msg.decode()

    def close(self):
        try:
            self.send_frame(8, b"\x03\xe8")
            self.s.close()
        except OSError:
            pass
