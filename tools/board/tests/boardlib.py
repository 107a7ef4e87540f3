"""boardlib.py — starting and stopping `nabla board` for the tests, and HTTP helpers."""
import http.client
import os
import re
import signal
import subprocess
import sys
import time


class Board:
    def __init__(self, nabla, logdir, *args, log=None):
        self.log = open(log or os.devnull, 'wb')
        self.proc = subprocess.Popen([nabla, 'board', '--logdir', logdir, '--port', '0', *args],
                                     stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline().decode()
        m = re.search(r'http://127\.0\.0\.1:(\d+)/', line)
        if not m:
            self.proc.kill()
            raise AssertionError(f'nabla board did not start: {line!r}')
        self.port = int(m.group(1))
        self.url = f'http://127.0.0.1:{self.port}'

    def get(self, path, timeout=10):
        """(status, headers, body bytes); path goes out exactly as given."""
        c = http.client.HTTPConnection('127.0.0.1', self.port, timeout=timeout)
        c.putrequest('GET', path, skip_accept_encoding=True)
        c.endheaders()
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, dict(r.getheaders()), body

    def json(self, path):
        import json
        status, _, body = self.get(path)
        assert status == 200, f'{path}: HTTP {status}: {body[:300]!r}'
        return json.loads(body)

    def wait_loaded(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.json('/api/status')['loading']:
                return
            time.sleep(0.05)
        raise AssertionError('the board did not finish its first scan')

    def rss_kib(self):
        with open(f'/proc/{self.proc.pid}/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1])
        return -1

    def stop(self):
        """SIGTERM; the board must exit 0 (under ASan: no leak, no error)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError('nabla board did not stop within 60 s of SIGTERM')
        self.log.close()
        assert rc == 0, f'nabla board exited with {rc}'


FAILED = []


def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what, flush=True)
    if not cond:
        FAILED.append(what)


def finish():
    if FAILED:
        print(f'{len(FAILED)} check(s) failed', flush=True)
        sys.exit(1)
    print('all checks passed', flush=True)
