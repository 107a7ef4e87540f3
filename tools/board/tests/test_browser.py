"""test_browser.py — `nabla board` in a real, headless Debian chromium, driven
through the DevTools protocol (cdp.py). About 15 s.

usage: test_browser.py CHROMIUM NABLA BOARD_FIXTURE WORKDIR

Writes logs with board_fixture (HW2, the learning-rate runs, a histogram run,
an image run, a run named <img src=x onerror=alert(1)>, a truncated file),
starts the board on a free loopback port, checks the page, and writes a
screenshot of each view to WORKDIR/screens/."""
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from boardlib import Board, check, finish  # noqa: E402
from cdp import Browser  # noqa: E402

chromium, nabla, fixture, work = sys.argv[1:5]
work = os.path.join(work, 'browser')
shutil.rmtree(work, ignore_errors=True)
logs, screens = os.path.join(work, 'logs'), os.path.join(work, 'screens')
os.makedirs(screens)
subprocess.run([fixture, 'logs', logs], check=True)
subprocess.run([fixture, 'bad', os.path.join(work, 'bad')], check=True)
os.makedirs(os.path.join(logs, 'truncated'))
shutil.copy(os.path.join(work, 'bad', 'truncated', 'events.out.tfevents.0.fixture'),
            os.path.join(logs, 'truncated', 'events.out.tfevents.0.fixture'))
XSS = '<img src=x onerror=alert(1)>'
RUNS = sorted(['hw2', 'train', 'lr_0.01', 'lr_0.1', 'lr_0.5', 'hist', 'images', XSS, 'truncated'])

t0 = time.time()
board = Board(nabla, logs, '--reload', '0.5', log=os.path.join(work, 'board.log'))
br = Browser(chromium)
try:
    br.call('Page.navigate', url=board.url + '/')
    br.wait("document.body && document.body.getAttribute('data-rendered') !== null && "
            "document.querySelectorAll('#runs .run').length >= 9", what='the run list')

    # runs and tags
    names = br.js("[...document.querySelectorAll('#runs .run-name')].map(e => e.textContent)")
    check(sorted(names) == RUNS, f'the run names are listed: {names}')
    tags = br.js("[...document.querySelectorAll('#view .chart')].map(c => c.dataset.tag)")
    check(sorted(tags) == ['loss', 'xss'], f'the scalar tags are listed: {tags}')

    # the script in the run name never ran and is shown as text
    check(not any(e['method'] == 'Page.javascriptDialogOpening' for e in br.events),
          'the run named <img src=x onerror=alert(1)> opened no dialog')
    check(br.js("document.querySelectorAll('img[src=x], #runs img').length") == 0,
          'no <img> element was made from the run name')
    check(XSS in names, 'the run name shows as its characters')

    # the read error of the truncated file is reported, with its byte offset
    errs = br.js("[...document.querySelectorAll('#errors li')].map(e => e.textContent)")
    check(any(e.startswith('truncated: ') and 'truncated record header at byte' in e and
              re.search(r'\(byte \d+\)', e) for e in errs), f'the truncated file is reported: {errs}')

    # the loss chart: 100 points per learning-rate run, values as written (10 (1 - lr)^s)
    def curve(run, cls):
        return br.js(f"""(() => {{
            const svg = document.querySelector('#view .chart[data-tag="loss"] svg');
            const p = [...svg.querySelectorAll('path.{cls}')].find(e => e.getAttribute('data-run') === {json.dumps(run)});
            if (!p) return null;
            return {{d: p.getAttribute('d'), y0: +svg.dataset.y0, y1: +svg.dataset.y1,
                     top: +svg.dataset.top, bottom: +svg.dataset.bottom}};
        }})()""")

    def values(c):
        pts = re.findall(r'[ML]([-\d.]+),([-\d.]+)', c['d'])
        # invert the chart's y mapping: y = top + (1 - (v - y0)/(y1 - y0)) (bottom - top)
        return [c['y0'] + (1 - (float(y) - c['top']) / (c['bottom'] - c['top'])) * (c['y1'] - c['y0'])
                for _, y in pts]

    for lr in (0.01, 0.1, 0.5):
        c = curve(f'lr_{lr}', 'raw')
        v = values(c) if c else []
        expect = [10 * (1 - lr) ** s for s in range(100)]
        tol = (c['y1'] - c['y0']) * 2e-4 if c else 0  # 3 decimals of a pixel
        check(len(v) == 100 and max(abs(a - b) for a, b in zip(v, expect)) <= tol,
              f'lr_{lr}: 100 points drawn at the values written (max error {max((abs(a - b) for a, b in zip(v, expect)), default=-1):.2e} <= {tol:.2e})')

    # the tooltip at step 50: run, step and value of each run
    box = br.js("""(() => { const r = document.querySelector('#view .chart[data-tag="loss"] svg').getBoundingClientRect();
                    return [r.left, r.top, r.width, r.height]; })()""")
    L, R = 56, 12  # the chart's margins (app.js drawChart)
    x = box[0] + L + 50 / 99 * (box[2] - L - R)
    br.mouse('mouseMoved', x, box[1] + box[3] / 2)
    rows = br.wait("""(() => { const t = document.getElementById('tooltip'); if (t.hidden) return null;
                       return [...t.querySelectorAll('tr[data-run]')].map(r => [...r.children].map(c => c.textContent)); })()""",
                   what='the tooltip')
    row = {r[1]: r for r in rows}
    # every run with the tag; truncated holds steps 0..5 (its file stops inside record 7)
    ok = set(row) == {'lr_0.01', 'lr_0.1', 'lr_0.5', 'train', 'truncated'} and row['truncated'][4] == '5'
    for lr in (0.01, 0.1, 0.5):
        r = row.get(f'lr_{lr}')
        ok = ok and r is not None and r[4] == '50' and math.isclose(float(r[3]), 10 * (1 - lr) ** 50, rel_tol=1e-3)
    check(ok, f'the tooltip shows run, step 50 and the value: {rows}')
    br.mouse('mouseMoved', 5, 5)

    # smoothing: 0 draws the raw values; 0.9 draws TensorBoard's debiased EMA
    def set_smoothing(w):
        br.js(f"(() => {{ const s = document.getElementById('smoothing'); s.value = {w}; "
              "s.dispatchEvent(new Event('input')); })()")
    set_smoothing(0)
    d0 = curve('lr_0.5', 'smoothed')
    check(values(d0) and max(abs(a - b) for a, b in zip(values(d0), values(curve('lr_0.5', 'raw')))) < 1e-6,
          'smoothing 0: the smoothed curve is the raw one')
    set_smoothing(0.9)
    d9 = curve('lr_0.5', 'smoothed')
    ema, last, want = 0.0, 0.0, []
    for s in range(100):
        last = last * 0.9 + 0.1 * (10 * 0.5 ** s)
        want.append(last / (1 - 0.9 ** (s + 1)))
    got = values(d9)
    tol = (d9['y1'] - d9['y0']) * 2e-4
    check(d9['d'] != d0['d'] and len(got) == 100 and max(abs(a - b) for a, b in zip(got, want)) <= tol,
          'smoothing 0.9 changes the path to the debiased EMA')
    set_smoothing(0.6)
    br.screenshot(os.path.join(screens, 'scalars.png'))

    # log-scale y and the x axis modes redraw the chart
    br.js("document.getElementById('logy').click()")
    check(br.js("document.querySelector('#view .chart[data-tag=\"loss\"] svg').dataset.logy") == '1', 'log-scale y')
    c = curve('lr_0.5', 'raw')
    lv = values(c)
    check(len(lv) == 100 and abs(lv[10] - math.log10(10 * 0.5 ** 10)) <= (c['y1'] - c['y0']) * 2e-4,
          'log-scale y draws log10 of the values')
    br.js("document.getElementById('logy').click()")
    # the x axis: relative time starts at 0 and spans the longest run; wall time spans the wall times
    walls = [board.json(f'/api/scalars?run={r}&tag=loss')['points'] for r in ('lr_0.01', 'lr_0.1', 'lr_0.5', 'train', 'truncated')]
    ax = """(() => { const s = document.querySelector('#view .chart[data-tag="loss"] svg');
             return [s.dataset.xaxis, +s.dataset.x0, +s.dataset.x1]; })()"""
    br.js("document.querySelector('input[name=xaxis][value=relative]').click()")
    got = br.js(ax)
    span = max(p[-1][0] - p[0][0] for p in walls)
    check(got[0] == 'relative' and (got[1] == 0 or span == 0) and (abs(got[2] - span) < 1e-6 or span == 0),
          f'relative time: the axis spans 0..{span:.6f} s: {got}')
    br.js("document.querySelector('input[name=xaxis][value=wall]').click()")
    got = br.js(ax)
    lo, hi = min(p[0][0] for p in walls), max(p[-1][0] for p in walls)
    check(got[0] == 'wall' and abs(got[1] - lo) < 1e-3 and abs(got[2] - hi) < 1e-3 or (hi == lo and got[0] == 'wall'),
          f'wall time: the axis spans the wall times: {got}')
    br.js("document.querySelector('input[name=xaxis][value=step]').click()")
    check(br.js(ax)[1:] == [0, 99], 'step axis spans steps 0..99')

    # tag filter (regular expression)
    br.js("(() => { const f = document.getElementById('tag-filter'); f.value = '^xs'; f.dispatchEvent(new Event('input')); })()")
    br.wait("[...document.querySelectorAll('#view .chart')].map(c => c.dataset.tag).join() === 'xss'", what='the tag filter')
    check(True, 'the tag filter ^xs leaves only xss')
    br.js("(() => { const f = document.getElementById('tag-filter'); f.value = ''; f.dispatchEvent(new Event('input')); })()")
    br.wait("document.querySelectorAll('#view .chart').length === 2", what='the tag filter cleared')

    # CSV and JSON download links, fetched as the page would
    br.wait("document.querySelectorAll('#view .chart[data-tag=\"loss\"] .downloads a').length >= 10", what='the links')
    links = br.js("""[...document.querySelectorAll('#view .chart[data-tag="loss"] .downloads a')].map(a => a.href)""")
    csv_link = next((h for h in links if 'lr_0.1' in h and 'format=csv' in h), None)
    csv = br.js(f"fetch({json.dumps(csv_link)}).then(r => r.text())") if csv_link else ''
    lines = csv.strip().split('\n')
    check(lines[0] == 'Wall time,Step,Value' and len(lines) == 101 and
          all(int(l.split(',')[1]) == i and math.isclose(float(l.split(',')[2]), 10 * 0.9 ** i, rel_tol=1e-6)
              for i, l in enumerate(lines[1:])), 'the CSV download holds the 100 points')
    js_link = next((h for h in links if 'lr_0.1' in h and 'format=json' in h), None)
    pts = br.js(f"fetch({json.dumps(js_link)}).then(r => r.json())")['points'] if js_link else []
    check(len(pts) == 100 and pts[7][1] == 7 and math.isclose(pts[7][2], 10 * 0.9 ** 7, rel_tol=1e-6),
          'the JSON download holds the 100 points')

    # live: a point appended to a run while the page is open appears
    subprocess.run([fixture, 'append', os.path.join(logs, 'lr_0.1'), '100', '0.5'], check=True)
    br.wait("(() => { const p = [...document.querySelectorAll('#view .chart[data-tag=\"loss\"] path.raw')]"
            ".find(e => e.getAttribute('data-run') === 'lr_0.1'); return p && +p.dataset.points === 101; })()",
            timeout=10, what='the appended point')
    check(True, 'a point appended to lr_0.1 appears without a reload')
    subprocess.run([fixture, 'append', os.path.join(logs, 'zz_new'), '0', '3'], check=True)
    br.wait("[...document.querySelectorAll('#runs .run-name')].some(e => e.textContent === 'zz_new')",
            timeout=10, what='the new run')
    check(True, 'a new run appears without a reload')

    # graph: HW2, Middle_section collapsed, then expanded by a click
    br.js("document.querySelector('#tabs button[data-tab=graph]').click()")
    br.wait("!!document.querySelector('#graph-canvas .gnode')", what='the graph')
    br.js("(() => { const s = document.getElementById('graph-run'); s.value = 'hw2'; s.dispatchEvent(new Event('change')); })()")
    br.wait("!!document.querySelector('#graph-canvas .gnode[data-name=\"Middle_section\"]')", what='the HW2 graph')

    def shown():
        return br.js("[...document.querySelectorAll('#graph-canvas .gnode')].map(g => g.getAttribute('data-name'))")
    before = shown()
    check(set(before) == {'Input_placeholder', 'Middle_section', 'Final_node'},
          f'HW2 shows its three scopes, collapsed: {before}')
    br.screenshot(os.path.join(screens, 'graph_collapsed.png'))

    def click_node(name):
        r = br.js(f"""(() => {{ const g = [...document.querySelectorAll('#graph-canvas .gnode')]
                      .find(e => e.getAttribute('data-name') === {json.dumps(name)});
                      const b = g.querySelector('rect').getBoundingClientRect();
                      // an open scope is clicked on its label (its middle holds its nodes)
                      return g.classList.contains('open') ? [b.left + 12, b.top + 8] : [b.left + b.width / 2, b.top + b.height / 2]; }})()""")
        br.click(r[0], r[1])
    click_node('Middle_section')
    after = set(shown())
    want = {'Middle_section/prod_b', 'Middle_section/Mean', 'Middle_section/sum_a', 'Middle_section/add_d'}
    check(want <= after, f'expanding Middle_section shows prod_b, Mean, sum_a, add_d: {sorted(after)}')
    click_node('Middle_section/prod_b')
    op = br.wait("document.getElementById('node-op') && document.getElementById('node-op').children[1].textContent",
                 what='the node panel')
    check(op == 'Prod', f'selecting prod_b shows its op type: {op!r}')
    check(br.js("document.querySelectorAll('#graph-canvas path.edge').length") >= 5, 'edges are drawn')
    br.screenshot(os.path.join(screens, 'graph.png'))
    click_node('Middle_section')
    check(not (want & set(shown())), 'a second click closes Middle_section')
    # the training graph: gradients/ and GradientDescent/ scopes; search opens the scopes of a node
    br.js("(() => { const s = document.getElementById('graph-run'); s.value = 'train'; s.dispatchEvent(new Event('change')); })()")
    br.wait("!!document.querySelector('#graph-canvas .gnode[data-name=\"gradients\"]')", what='the train graph')
    top = set(shown())
    check({'gradients', 'GradientDescent'} <= top, f'the training graph has gradients/ and GradientDescent/: {sorted(top)}')
    found = br.js("board.findNode('GradientDescent/update_weights/ApplyGradientDescent')")
    check(found and 'GradientDescent/update_weights/ApplyGradientDescent' in shown() and
          br.js("document.getElementById('node-op').children[1].textContent") == 'ApplyGradientDescent',
          'searching a node opens its scopes and selects it')
    check(br.js("document.querySelectorAll('#graph-canvas path.edge.control').length") >= 1,
          'control edges are drawn dashed')

    # histograms and distributions
    br.js("document.querySelector('#tabs button[data-tab=histograms]').click()")
    n = br.wait("(() => { const s = document.querySelector('#view .hist svg'); return s && s.querySelectorAll('path.hist-step').length; })()",
                what='the histogram')
    check(n == 10, f'the histogram draws its 10 steps: {n}')
    br.screenshot(os.path.join(screens, 'histograms.png'))
    br.js("document.querySelector('#tabs button[data-tab=distributions]').click()")
    n = br.wait("(() => { const s = document.querySelector('#view .dist svg'); return s && s.querySelectorAll('path.band').length; })()",
                what='the distribution')
    check(n == 4 and br.js("document.querySelectorAll('#view .dist svg path.median').length") == 1,
          'the distribution draws 4 percentile bands and the median')
    br.screenshot(os.path.join(screens, 'distributions.png'))

    # images: the slider picks the step; the pixels are the ones written (40 s + 10 x)
    br.js("document.querySelector('#tabs button[data-tab=images]').click()")
    br.wait("(() => { const i = document.querySelector('#view .img-card img'); return i && i.complete && i.naturalWidth; })()",
            what='the image')
    pix = """(() => { const i = document.querySelector('#view .img-card img');
              if (!i.complete || !i.naturalWidth) return null;
              const c = document.createElement('canvas'); c.width = i.naturalWidth; c.height = i.naturalHeight;
              const g = c.getContext('2d'); g.drawImage(i, 0, 0);
              return [i.dataset.step, c.width, c.height, ...[0, 3, 7].map(x => g.getImageData(x, 2, 1, 1).data[0])]; })()"""
    v = br.js(pix)
    check(v == ['2', 8, 6, 80, 110, 150], f'the image at the last step (2) is 8x6 with the pixels written: {v}')
    br.js("(() => { const s = document.querySelector('#view .img-card input[type=range]'); s.value = 0; "
          "s.dispatchEvent(new Event('input')); })()")
    v = br.wait(f"(() => {{ const v = {pix}; return v && v[0] === '0' ? v : null; }})()", what='step 0')
    check(v == ['0', 8, 6, 0, 30, 70], f'the slider shows step 0 with its pixels: {v}')
    br.screenshot(os.path.join(screens, 'images.png'))
    check(not any(e['method'] == 'Page.javascriptDialogOpening' for e in br.events), 'no dialog opened at all')
    errors = [e for e in br.events if e['method'] == 'Runtime.exceptionThrown']
    check(not errors, f'no uncaught script error in the page: {errors[:1]}')
finally:
    br.close()
    board.stop()
print(f'browser test took {time.time() - t0:.1f} s', flush=True)
finish()
