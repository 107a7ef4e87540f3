"""cdp.py — a small Chrome DevTools Protocol client for the board's browser
test: starts Debian's chromium headless, speaks the protocol over a WebSocket
written here (RFC 6455, client side, Python's standard library only)."""
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request


class WebSocket:
    def __init__(self, url, timeout=30):
        assert url.startswith('ws://')
        hostport, _, path = url[5:].partition('/')
        host, _, port = hostport.partition(':')
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f'GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n'
               f'Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n')
        self.sock.sendall(req.encode())
        head = b''
        while b'\r\n\r\n' not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise OSError('websocket handshake: connection closed')
            head += chunk
        if b' 101 ' not in head.split(b'\r\n')[0]:
            raise OSError('websocket handshake refused: ' + head.decode(errors='replace'))
        self.buf = b''

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise OSError('websocket closed')
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, text):
        data = text.encode()
        head = bytes([0x81])
        n = len(data)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack('>H', n)
        else:
            head += bytes([0x80 | 127]) + struct.pack('>Q', n)
        mask = os.urandom(4)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self):
        message = b''
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack('>H', self._read(2))[0]
            elif n == 127:
                n = struct.unpack('>Q', self._read(8))[0]
            payload = self._read(n)  # the server does not mask
            op = b0 & 0x0f
            if op == 8:
                raise OSError('websocket closed by the browser')
            if op in (9, 10):
                continue
            message += payload
            if b0 & 0x80:
                return message.decode()


class Browser:
    """chromium --headless with one page; call(method, **params) -> result."""

    def __init__(self, chromium, width=1400, height=900):
        self.profile = tempfile.mkdtemp(prefix='board-chromium-')
        args = [chromium, '--headless=new', '--remote-debugging-port=0', '--user-data-dir=' + self.profile,
                '--no-first-run', '--no-default-browser-check', '--disable-gpu', '--disable-extensions',
                '--disable-background-networking', '--disable-dev-shm-usage', '--hide-scrollbars',
                f'--window-size={width},{height}', 'about:blank']
        if os.geteuid() == 0:
            args.insert(1, '--no-sandbox')  # chromium refuses to run as root with its sandbox
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, 'DevToolsActivePort')
        deadline = time.time() + 30
        while not (os.path.exists(port_file) and open(port_file).read().count('\n') >= 1):
            if time.time() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError('chromium did not start (no DevToolsActivePort)')
            time.sleep(0.1)
        port = int(open(port_file).read().split('\n')[0])
        targets = json.load(urllib.request.urlopen(f'http://127.0.0.1:{port}/json/list', timeout=10))
        page = next(t for t in targets if t['type'] == 'page')
        self.ws = WebSocket(page['webSocketDebuggerUrl'])
        self.next_id = 0
        self.events = []
        self.call('Page.enable')
        self.call('Runtime.enable')

    def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({'id': mid, 'method': method, 'params': params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get('id') == mid:
                if 'error' in msg:
                    raise RuntimeError(f'{method}: {msg["error"]}')
                return msg.get('result', {})
            if 'method' in msg:
                self.events.append(msg)
                if msg['method'] == 'Page.javascriptDialogOpening':
                    # never leave a dialog open (it would block the page); the test fails on it
                    self.ws.send(json.dumps({'id': 0, 'method': 'Page.handleJavaScriptDialog',
                                             'params': {'accept': True}}))

    def js(self, expr):
        r = self.call('Runtime.evaluate', expression=expr, awaitPromise=True, returnByValue=True)
        if 'exceptionDetails' in r:
            raise RuntimeError(f'page error in {expr!r}: {r["exceptionDetails"]}')
        return r['result'].get('value')

    def wait(self, expr, timeout=10, what=None):
        deadline = time.time() + timeout
        while True:
            v = self.js(expr)
            if v:
                return v
            if time.time() > deadline:
                state = self.js("document.getElementById('status') && document.getElementById('status').textContent")
                raise AssertionError(f'timed out after {timeout}s waiting for {what or expr} (page status: {state!r})')
            time.sleep(0.1)

    def mouse(self, kind, x, y, button='none', clicks=0):
        self.call('Input.dispatchMouseEvent', type=kind, x=x, y=y, button=button, clickCount=clicks)

    def click(self, x, y):
        self.mouse('mouseMoved', x, y)
        self.mouse('mousePressed', x, y, 'left', 1)
        self.mouse('mouseReleased', x, y, 'left', 1)

    def screenshot(self, path):
        data = self.call('Page.captureScreenshot', format='png')['data']
        with open(path, 'wb') as f:
            f.write(base64.b64decode(data))

    def close(self):
        if getattr(self, 'proc', None) and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
