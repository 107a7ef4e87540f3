"""test_board.py — `nabla board`'s JSON API, safety and load (no browser).

usage: test_board.py api|load NABLA BOARD_FIXTURE WORKDIR

api  (about 5 s): the API's answers against the values board_fixture wrote
     (computed here again), the page's files, errors, paths that leave the
     logdir (.., %2e%2e, absolute, symbolic links), bad event files (corrupt,
     truncated, garbage, a huge announced length), a port already in use.
load (about 40 s): 10,000 runs, a run of 1,000,000 points (first answer under
     1 s, memory stated and bounded), 100 concurrent loopback clients for 10 s
     (no failed request; the board exits cleanly, so ASan finds no leak)."""
import json
import re
import os
import shutil
import struct
import subprocess
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from boardlib import Board, check, finish  # noqa: E402

mode, nabla, fixture, work = sys.argv[1:5]
work = os.path.join(work, mode)
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)


def f32(x):
    return struct.unpack('f', struct.pack('f', x))[0]


def png_gray(data):
    """Pixels of an 8-bit greyscale PNG (rows of ints), decoded here."""
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    at, idat = 8, b''
    w = h = None
    while at < len(data):
        n, kind = struct.unpack('>I4s', data[at:at + 8])
        body = data[at + 8:at + 8 + n]
        if kind == b'IHDR':
            w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
            assert depth == 8 and ctype == 0, (depth, ctype)
        elif kind == b'IDAT':
            idat += body
        at += 12 + n
    raw, rows, prev = zlib.decompress(idat), [], [0] * w
    for y in range(h):
        f, line = raw[y * (w + 1)], list(raw[y * (w + 1) + 1:(y + 1) * (w + 1)])
        for x in range(w):
            a = line[x - 1] if x else 0
            b, c = prev[x], prev[x - 1] if x else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return rows


def record_offsets(path):
    """Byte offsets of the records of an intact event file (its framing read here)."""
    data, at, out = open(path, 'rb').read(), 0, []
    while at + 12 <= len(data):
        out.append(at)
        at += 12 + struct.unpack('<Q', data[at:at + 8])[0] + 4
    return out


def api():
    logs, bad, outside = (os.path.join(work, d) for d in ('logs', 'bad', 'outside'))
    subprocess.run([fixture, 'logs', logs], check=True)
    subprocess.run([fixture, 'bad', bad], check=True)
    # safety fixtures: a run that is a symlink out of the logdir, an event file symlinked
    # from outside into a run, and a symlink that stays inside (it must be read)
    # (two different secret files: the logdir walk lists each file once by device and
    # inode, so one file reached through both links would be listed under one run only)
    subprocess.run([fixture, 'append', os.path.join(outside, 'secret'), '0', '42'], check=True)
    subprocess.run([fixture, 'append', os.path.join(outside, 'secret2'), '0', '42'], check=True)
    os.symlink(os.path.join(outside, 'secret'), os.path.join(logs, 'escape'))
    os.makedirs(os.path.join(logs, 'linkfile'))
    secret_file = os.path.join(outside, 'secret2', os.listdir(os.path.join(outside, 'secret2'))[0])
    os.symlink(secret_file, os.path.join(logs, 'linkfile', 'events.out.tfevents.1.link'))
    os.symlink(os.path.join(logs, 'lr_0.5'), os.path.join(logs, 'inside_link'))
    # names that are not clean UTF-8 text: a byte 0xff, a tab, a quote and a backslash
    subprocess.run([fixture.encode(), b'append', os.path.join(logs, 'odd').encode() + b'/bad\xffname', b'0', b'1'], check=True)
    subprocess.run([fixture, 'append', os.path.join(logs, 'odd', 'tab\t"q"\\'), '0', '1'], check=True)

    b = Board(nabla, logs, log=os.path.join(work, 'board.log'))
    try:
        b.wait_loaded()
        runs = {r['name']: r for r in b.json('/api/runs')['runs']}
        xss = '<img src=x onerror=alert(1)>'
        check(set(runs) == {'hw2', 'train', 'lr_0.01', 'lr_0.1', 'lr_0.5', 'hist', 'images', xss, 'escape',
                            'linkfile', 'odd/bad\ufffdname', 'odd/tab\t"q"\\'},
              f'/api/runs lists the runs: {sorted(runs)}')
        check(runs['lr_0.1']['scalars'] == ['loss'] and runs['hist']['histograms'] == ['weights'] and
              runs['images']['images'] == ['pattern'] and runs['hw2']['graph'] and not runs['lr_0.1']['graph'],
              'tags and graphs per run')
        raw = b.get('/api/runs')[2]
        check(b'"odd/bad\\ufffdname"' in raw and b'"odd/tab\\u0009\\"q\\"\\\\"' in raw,
              'a byte that is not UTF-8 becomes U+FFFD; tab, quote and backslash are escaped')
        check(b'<img' not in raw and b'\\u003cimg src=x onerror=alert(1)\\u003e' in raw,
              'names go out JSON-escaped, < and > as \\u003c \\u003e')

        # scalars: the values written, 10 (1 - lr)^s as float32
        for lr in (0.01, 0.1, 0.5):
            d = b.json(f'/api/scalars?run=lr_{lr}&tag=loss')
            v, want = 10.0, []
            for s in range(100):
                want.append(f32(v))
                v *= 1 - lr
            check(d['total'] == 100 and [p[1] for p in d['points']] == list(range(100)) and
                  all(abs(p[2] - w) <= 1e-6 * abs(w) + 1e-45 for p, w in zip(d['points'], want)),
                  f'/api/scalars lr_{lr}: steps 0..99, values 10 (1-lr)^s')
        d = b.json('/api/scalars?run=lr_0.1&tag=loss&max=5')
        check([p[1] for p in d['points']] == [int(j * 99 / 4 + 0.5) for j in range(5)],
              f'max=5 downsamples evenly with first and last: {[p[1] for p in d["points"]]}')
        status, hdr, body = b.get('/api/scalars?run=train&tag=loss&format=csv')
        lines = body.decode().strip().split('\n')
        check(status == 200 and hdr['Content-Type'].startswith('text/csv') and lines[0] == 'Wall time,Step,Value' and
              [(int(l.split(',')[1]), f32(float(l.split(',')[2]))) for l in lines[1:]] ==
              [(s, f32(100.0 / (s + 1))) for s in range(0, 51, 10)], 'CSV of train/loss')

        # histograms: 100 values (j - 50)(s + 1)/50 at steps 0..9
        hs = b.json('/api/histograms?run=hist&tag=weights')['histograms']
        ok = [h['step'] for h in hs] == list(range(10))
        for s, h in enumerate(hs):
            vals = [f32((j - 50) * (s + 1) / 50.0) for j in range(100)]
            ok = ok and h['num'] == 100 and sum(h['counts']) == 100 and h['min'] == min(vals) and h['max'] == max(vals)
            ok = ok and abs(h['sum'] - sum(vals)) < 1e-4 and abs(h['sum_squares'] - sum(x * x for x in vals)) < 1e-3 * (s + 1) ** 2
            # every value lies in its bucket: count the values per bucket here
            lim = h['limits']
            per = [0] * len(lim)
            for x in vals:
                per[next(i for i, l in enumerate(lim) if x < l or i == len(lim) - 1)] += 1
            ok = ok and per == h['counts']
        check(ok, '/api/histograms: steps, num, min, max, sum, sum_squares, bucket counts')

        # images: 8 wide, 6 high, grey 40 s + 10 x
        ims = b.json('/api/images?run=images&tag=pattern')['images']
        check([(i['step'], i['width'], i['height'], i['channels']) for i in ims] == [(s, 8, 6, 1) for s in range(3)],
              '/api/images lists 3 steps of 8x6 greyscale')
        ok = True
        for i in ims:
            status, hdr, body = b.get(f'/api/image?run=images&tag=pattern&index={i["index"]}')
            ok = ok and status == 200 and hdr['Content-Type'] == 'image/png' and \
                png_gray(body) == [[40 * i['step'] + 10 * x for x in range(8)] for _ in range(6)]
        check(ok, '/api/image: PNGs with the pixels written')

        # graph
        g = b.json('/api/graph?run=hw2')
        nodes = {n['name']: n for n in g['nodes']}
        check({'Input_placeholder/a', 'Middle_section/prod_b', 'Middle_section/Mean', 'Middle_section/sum_a',
               'Middle_section/add_d', 'Final_node/final_multiply_node'} <= set(nodes) and
              nodes['Middle_section/prod_b']['op'] == 'Prod' and
              nodes['Middle_section/prod_b']['inputs'][0] == 'Input_placeholder/a' and
              nodes['Input_placeholder/a']['attrs']['dtype'] == 'DT_FLOAT' and
              nodes['Final_node/final_multiply_node']['inputs'] == ['Middle_section/add_d', 'Middle_section/sum_a'],
              '/api/graph: HW2 nodes, ops, inputs, attrs')
        tg = b.json('/api/graph?run=train')
        check(any(n['name'].startswith('gradients/') for n in tg['nodes']) and
              any(n['op'] == 'ApplyGradientDescent' for n in tg['nodes']) and
              any(i.startswith('^') for n in tg['nodes'] for i in n['inputs']),
              '/api/graph: the training graph has gradients/, ApplyGradientDescent and control inputs')

        # the page
        st, hdr, body = b.get('/')
        check(st == 200 and hdr['Content-Type'].startswith('text/html') and b'<script src="app.js"' in body and
              "script-src 'self'" in hdr.get('Content-Security-Policy', ''), 'the page, with its CSP')
        check(b.get('/app.js')[0] == 200 and b.get('/style.css')[0] == 200, 'the page\'s script and style')

        # errors
        for path, code in [('/api/scalars?run=nope&tag=loss', 404), ('/api/scalars?run=lr_0.1&tag=nope', 404),
                           ('/api/scalars?tag=loss', 400), ('/api/scalars?run=lr_0.1', 400),
                           ('/api/scalars?run=lr_0.1&tag=loss&max=1', 400),
                           ('/api/scalars?run=lr_0.1&tag=loss&format=xml', 400), ('/api/nope', 404),
                           ('/api/graph?run=lr_0.1', 404), ('/api/image?run=images&tag=pattern&index=3', 404),
                           ('/api/image?run=images&tag=pattern&index=-1', 404), ('/nope.html', 404)]:
            st, hdr, body = b.get(path)
            check(st == code and 'error' in json.loads(body), f'{path}: HTTP {code} with a message: {body[:120]!r}')

        # nothing outside the logdir
        for path in ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/%2E%2E/%2E%2E/etc/passwd',
                     '/..%2f..%2f..%2fetc%2fpasswd', '//etc/passwd', '/etc/passwd', '/api/../../../etc/passwd',
                     '/index.html/../../../../etc/passwd', '/api/image?run=../../../../etc&tag=passwd&index=0',
                     '/api/scalars?run=/etc/passwd&tag=loss', '/api/scalars?run=%2e%2e/outside/secret&tag=loss',
                     '/api/scalars?run=' + outside + '/secret&tag=loss', '/api/graph?run=../outside/secret',
                     '/' + secret_file, '/api/scalars?run=escape&tag=loss', '/api/scalars?run=linkfile&tag=loss']:
            st, hdr, body = b.get(path)
            # the secret event's value 42 as a JSON number (the error text echoes the
            # path, whose event file name holds a timestamp and a pid: digits such as 42)
            check(st in (400, 404) and b'root:' not in body and not re.search(rb'(?<![0-9.])42(\.0*)?(?![0-9.])', body),
                  f'{path} is refused: HTTP {st}')
        check(runs['escape']['scalars'] == [] and 'leaves the logdir' in runs['escape']['errors'][0]['message'] and
              runs['linkfile']['scalars'] == [] and 'leaves the logdir' in runs['linkfile']['errors'][0]['message'],
              'symlinks that leave the logdir are not read, and say so')
        # inside_link -> lr_0.5: the walk lists a directory reached by two paths once
        # (under its real name), so the run is read and not shown twice
        check('inside_link' not in runs and runs['lr_0.5']['scalars'] == ['loss'] and
              b.json('/api/scalars?run=lr_0.5&tag=loss')['total'] == 100,
              'a symlink inside the logdir to a run is read once, as that run')
        c = __import__('http.client').client.HTTPConnection('127.0.0.1', b.port, timeout=5)
        c.request('POST', '/api/runs', body=b'x')
        check(c.getresponse().status == 405, 'POST is refused (405)')
        c.close()

        # a port already in use: a clear message, exit status 1
        p = subprocess.run([nabla, 'board', '--logdir', logs, '--port', str(b.port)], capture_output=True, timeout=30)
        check(p.returncode == 1 and b'already in use' in p.stderr and b'--port' in p.stderr,
              f'a taken port: {p.stderr.decode().strip()}')
        # a non-loopback host warns; tried on the taken port so that nothing listens beyond loopback
        p = subprocess.run([nabla, 'board', '--logdir', logs, '--host', '0.0.0.0', '--port', str(b.port)],
                           capture_output=True, timeout=30)
        check(p.returncode == 1 and b'WARNING: listening on 0.0.0.0, not a loopback address' in p.stderr and
              b'no authentication' in p.stderr, 'a non-loopback host prints the warning')
        p = subprocess.run([nabla, 'board', '--logdir', os.path.join(work, 'nonexistent')], capture_output=True, timeout=30)
        check(p.returncode == 1 and b'cannot open logdir' in p.stderr, f'a missing logdir: {p.stderr.decode().strip()}')
        p = subprocess.run([nabla, 'board', '--port', '99999', '--logdir', logs], capture_output=True, timeout=30)
        check(p.returncode == 2 and b'--port must be' in p.stderr, 'a bad port is a usage error')
    finally:
        b.stop()

    # bad event files: each run keeps what came before the bad record, says where it stopped
    good = os.path.join(bad, 'good', os.listdir(os.path.join(bad, 'good'))[0])
    off = record_offsets(good)
    t0 = time.time()
    b = Board(nabla, bad, log=os.path.join(work, 'board_bad.log'))
    try:
        first = b.get('/api/status')[0] == 200 and time.time() - t0
        b.wait_loaded()
        runs = {r['name']: r for r in b.json('/api/runs')['runs']}

        def steps(run):
            return [p[1] for p in b.json(f'/api/scalars?run={run}&tag=loss')['points']] if runs[run]['scalars'] else []
        err = {r: (runs[r]['errors'] or [{}])[0] for r in runs}
        check(steps('good') == list(range(10)) and not runs['good']['errors'], 'good: 10 points, no error')
        check(steps('corrupt') == [0, 1, 2, 3] and err['corrupt'].get('offset') == off[5] and
              'data CRC mismatch' in err['corrupt']['message'] and f'byte {off[5]}' in err['corrupt']['message'],
              f'corrupt: steps 0..3 kept, the error at record 5 (byte {off[5]}): {err["corrupt"]}')
        check(steps('truncated') == [0, 1, 2, 3, 4, 5] and err['truncated'].get('offset') == off[7] and
              'truncated record header' in err['truncated']['message'],
              f'truncated: steps 0..5 kept, the error at byte {off[7]}: {err["truncated"]}')
        check(steps('garbage') == [] and err['garbage'].get('offset') == 0 and 'CRC' in err['garbage']['message'],
              f'garbage: nothing read, the error at byte 0: {err["garbage"]}')
        check(steps('hugelen') == [] and err['hugelen'].get('offset') == off[1] and
              '1099511627776 payload bytes announced' in err['hugelen']['message'],
              f'a huge announced length is refused, not allocated: {err["hugelen"]}')
        check(first is not False and first < 1.0, f'bad files: first answer after {first:.3f} s')
    finally:
        b.stop()


def load():
    # 10,000 runs
    many = os.path.join(work, 'many')
    t = time.time()
    subprocess.run([fixture, 'many', many, '10000', '3'], check=True)
    print(f'wrote 10,000 runs in {time.time() - t:.1f} s', flush=True)
    t0 = time.time()
    b = Board(nabla, many, log=os.path.join(work, 'board_many.log'))
    try:
        st = b.get('/api/status')[0]
        first = time.time() - t0
        check(st == 200 and first < 1.0, f'10,000 runs: first answer after {first:.3f} s (< 1 s)')
        b.wait_loaded(timeout=300)
        loaded = time.time() - t0
        t = time.time()
        d = b.json('/api/runs')
        tr = time.time() - t
        check(len(d['runs']) == 10000 and all(r['scalars'] == ['loss'] for r in d['runs']),
              f'10,000 runs listed (read in {loaded:.1f} s; /api/runs in {tr:.3f} s, {len(b.get("/api/runs")[2]) / 1e6:.1f} MB)')
        pts = b.json('/api/scalars?run=run09999&tag=loss')['points']
        check([p[1:] for p in pts] == [[0, 0], [1, 1], [2, 2]], 'the last run holds its 3 points')
        rss = b.rss_kib()
        print(f'10,000 runs: peak RSS {rss / 1024:.1f} MiB', flush=True)
    finally:
        b.stop()

    # 1,000,000 points in one run
    big = os.path.join(work, 'big')
    t = time.time()
    subprocess.run([fixture, 'many', big, '1', '1000000'], check=True)
    size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(big) for f in fs)
    print(f'wrote 1,000,000 points ({size / 1e6:.1f} MB) in {time.time() - t:.1f} s', flush=True)
    t0 = time.time()
    b = Board(nabla, big, log=os.path.join(work, 'board_big.log'))
    try:
        st = b.get('/api/status')[0]
        first = time.time() - t0
        check(st == 200 and first < 1.0, f'1,000,000 points: first answer after {first:.3f} s (< 1 s)')
        # answers while loading stay quick
        worst = 0
        while b.json('/api/status')['loading']:
            t = time.time()
            b.get('/api/runs')
            worst = max(worst, time.time() - t)
            time.sleep(0.05)
        loaded = time.time() - t0
        check(worst < 1.0, f'answers during the load within {worst:.3f} s (< 1 s); loaded in {loaded:.1f} s')
        d = b.json('/api/scalars?run=run00000&tag=loss')
        s = [p[1] for p in d['points']]
        stride = s[1] - s[0] if len(s) > 1 else 0
        check(d['total'] == 1000000 and d['kept'] <= 10001 and s[0] == 0 and s[-1] == 999999 and
              all(b2 - a == stride for a, b2 in zip(s[:-2], s[1:-1])) and
              all(p[2] == p[1] % 1000 for p in d['points']),
              f'1,000,000 points kept as {d["kept"]}, every {stride}th and the last, values right')
        d = b.json('/api/scalars?run=run00000&tag=loss&max=1000')
        check(len(d['points']) == 1000 and d['points'][-1][1] == 999999, 'max=1000 gives 1000 points with the last')
        rss = b.rss_kib()
        if os.environ.get('NB_BOARD_SANITIZED') == '1':  # ASan's shadow and quarantine make RSS meaningless
            print(f'1,000,000 points: peak RSS {rss / 1024:.1f} MiB under ASan (bound checked in the normal build)')
        else:
            check(rss < 200 * 1024, f'1,000,000 points: peak RSS {rss / 1024:.1f} MiB (< 200 MiB)')
    finally:
        b.stop()

    # 100 concurrent loopback clients for 10 s
    logs = os.path.join(work, 'logs')
    subprocess.run([fixture, 'logs', logs], check=True)
    b = Board(nabla, logs, '--reload', '0.2', log=os.path.join(work, 'board_clients.log'))
    b.wait_loaded()
    paths = ['/', '/app.js', '/api/status', '/api/runs', '/api/scalars?run=lr_0.1&tag=loss',
             '/api/histograms?run=hist&tag=weights', '/api/image?run=images&tag=pattern&index=1',
             '/api/graph?run=train', '/api/scalars?run=nope&tag=x']
    expect = {p: (404 if 'nope' in p else 200) for p in paths}
    counts = {'ok': 0, 'fail': 0}
    failures = []
    lock = threading.Lock()
    stop_at = time.time() + 10
    rss0 = None

    def client(k):
        i = k
        while time.time() < stop_at:
            p = paths[i % len(paths)]
            i += 1
            try:
                st = b.get(p, timeout=10)[0]
                good = st == expect[p]
            except Exception as e:  # noqa: BLE001
                good, st = False, repr(e)
            with lock:
                counts['ok' if good else 'fail'] += 1
                if not good and len(failures) < 5:
                    failures.append((p, st))

    threads = [threading.Thread(target=client, args=(k,)) for k in range(100)]
    t0 = time.time()
    for th in threads:
        th.start()
    # a writer appends while the clients read (the scanner takes the write lock)
    for s in range(20):
        subprocess.run([fixture, 'append', os.path.join(logs, 'lr_0.1'), str(100 + s), '0.25'], check=True)
        if s == 2:
            rss0 = b.rss_kib()
        time.sleep(0.4)
    for th in threads:
        th.join()
    took = time.time() - t0
    rss1 = b.rss_kib()
    check(counts['fail'] == 0, f'100 clients for {took:.1f} s: {counts["ok"]} requests '
          f'({counts["ok"] / took:.0f}/s), {counts["fail"]} failed {failures}')
    b.wait_loaded()
    time.sleep(0.5)
    check(b.json('/api/scalars?run=lr_0.1&tag=loss')['total'] == 120, 'the 20 appended points were all read')
    print(f'100 clients: peak RSS {rss0 / 1024:.1f} MiB after 1 s, {rss1 / 1024:.1f} MiB after 10 s', flush=True)
    b.stop()


def bench():
    """Not a test: time to first chart and memory for 100 runs x 100,000 points,
    against nabla's reader alone (board_fixture read)."""
    d = os.path.join(work, 'bench')
    t = time.time()
    subprocess.run([fixture, 'many', d, '100', '100000'], check=True)
    size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(d) for f in fs)
    print(f'wrote 100 runs x 100,000 points ({size / 1e6:.0f} MB) in {time.time() - t:.1f} s', flush=True)
    subprocess.run([fixture, 'read', d], check=True)  # warms the page cache too
    r = subprocess.run([fixture, 'read', d], check=True, capture_output=True, text=True)
    print('nabla reader alone: ' + r.stdout.strip(), flush=True)
    t0 = time.time()
    b = Board(nabla, d, log=os.path.join(work, 'board_bench.log'))
    try:
        b.get('/api/status')
        t_first_answer = time.time() - t0
        while True:  # the first chart: run00000's curve complete
            st, _, body = b.get('/api/scalars?run=run00000&tag=loss&max=2000')
            if st == 200 and json.loads(body)['total'] == 100000:
                break
            time.sleep(0.01)
        t_first_chart = time.time() - t0
        b.wait_loaded(timeout=600)
        t_all = time.time() - t0
        t = time.time()
        for k in range(100):
            b.get(f'/api/scalars?run=run{k:05d}&tag=loss&max=2000')
        t_series = time.time() - t
        print(f'board: first answer {t_first_answer:.3f} s, first chart (run00000 complete) {t_first_chart:.2f} s, '
              f'all 100 runs {t_all:.2f} s; 100 x /api/scalars?max=2000 in {t_series:.2f} s; '
              f'peak RSS {b.rss_kib() / 1024:.1f} MiB', flush=True)
    finally:
        b.stop()
    shutil.rmtree(d)


{'api': api, 'load': load, 'bench': bench}[mode]()
finish()
