// Kill-switch drill under load: steady traffic (half streaming) through sovgw to a "foreign" fake
// with a "local" fake behind it; mid-run the foreign fake is killed, switched to a 403 region
// block, or black-holed. Reports client-visible errors, p50/p99 latency before/during/after the
// switch, and how long after the switch requests still touched the foreign backend.
//
//   node tests/bench/killswitch_drill.mjs [kill|region_block|black_hole ...]
//   env: SOVGW_BIN, FAKE_UPSTREAM_BIN, RATE (req/s, default 500), PHASE_S (default 6)
// Loopback only; every process it starts is stopped by PID when it ends.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const root = resolve(new URL('../..', import.meta.url).pathname);
const SOVGW = process.env.SOVGW_BIN ?? join(root, 'build/gateway/sovgw');
const FAKE = process.env.FAKE_UPSTREAM_BIN ?? join(root, 'build/tests/fakes/fake_upstream');
const RATE = Number(process.env.RATE ?? 500);
const PHASE_MS = Number(process.env.PHASE_S ?? 6) * 1000;
const children = [];

function start(bin, args, prefix) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${bin} did not become ready`)), 5000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith(prefix)) {
        clearTimeout(timer);
        ok({ child, line });
      }
    });
  });
}

function stopAll() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
}
process.on('exit', stopAll);

async function stack(dir) {
  const foreign = await start(FAKE, ['--listen', '127.0.0.1:0', '--name', 'foreign', '--record-limit', '0'], 'READY ');
  const local = await start(FAKE, ['--listen', '127.0.0.1:0', '--name', 'local', '--record-limit', '0'], 'READY ');
  const port = (r) => r.line.match(/port=(\d+)/)[1];
  // Shipped defaults except the non-stream first-byte limit, which defaults to 120 s for long
  // generations; a drill with such a limit would mostly measure that number.
  const config = `
[gateway]
listen = "127.0.0.1:0"
workers = 1
[admin]
listen = "127.0.0.1:0"
[[backends]]
name = "foreign"
base_url = "http://127.0.0.1:${port(foreign)}/v1"
jurisdiction = "US"
first_byte_timeout_ms = 5000
[[backends]]
name = "local"
base_url = "http://127.0.0.1:${port(local)}/v1"
jurisdiction = "KR"
local = true
continuation = "prefill"
[[models]]
name = "chat"
targets = [ { backend = "foreign", model = "gpt-4o" }, { backend = "local", model = "qwen" } ]
`;
  writeFileSync(join(dir, 'sovgw.toml'), config);
  const gw = await start(SOVGW, ['--config', join(dir, 'sovgw.toml')], 'READY ');
  const [, listen, admin] = gw.line.match(/listen=(\S+) admin=(\S+)/);
  return { foreign, local, url: `http://${listen}`, admin: `http://${admin}`, foreignPort: port(foreign) };
}

async function one(url, streaming) {
  const t0 = performance.now();
  const body = JSON.stringify({ model: 'chat', stream: streaming, messages: [{ role: 'user', content: 'one two three' }] });
  try {
    const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await res.text();
    const ok = res.status === 200 && (!streaming || (text.includes('data: [DONE]') && !text.includes('"error"')));
    return { t0, ms: performance.now() - t0, ok, backend: res.headers.get('x-sovgw-backend'), attempts: Number(res.headers.get('x-sovgw-attempts') ?? 0) };
  } catch (e) {
    return { t0, ms: performance.now() - t0, ok: false, backend: null, attempts: 0 };
  }
}

const pct = (xs, p) => (xs.length ? xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] : NaN);

async function drill(scenario) {
  const dir = mkdtempSync(join(tmpdir(), 'sovgw-drill-'));
  const s = await stack(dir);
  const results = [];
  const inflight = [];
  const begin = performance.now();
  let switchedAt = null;
  const total = PHASE_MS * 3;
  for (let i = 0; performance.now() - begin < total; i++) {
    const due = begin + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (switchedAt === null && performance.now() - begin >= PHASE_MS) {
      switchedAt = performance.now();
      if (scenario === 'kill') s.foreign.child.kill('SIGKILL');
      const script = scenario === 'region_block'
        ? { default: { action: 'status', status: 403, body: { error: { code: 'unsupported_country_region_territory', message: 'Country, region, or territory not supported', type: 'request_forbidden', param: null } } } }
        : { default: { action: 'hang' } };
      if (scenario !== 'kill') await fetch(`http://127.0.0.1:${s.foreignPort}/_fake/script`, { method: 'POST', body: JSON.stringify(script) });
    }
    inflight.push(one(s.url, i % 2 === 1).then((r) => results.push(r)));
  }
  await Promise.all(inflight);
  const phase = (r) => (r.t0 < switchedAt ? 'before' : r.t0 < switchedAt + PHASE_MS ? 'during' : 'after');
  // A request touched the foreign backend after the switch if it was answered by it or needed more
  // than one attempt (foreign tried first, local answered).
  const touched = results.filter((r) => r.t0 >= switchedAt && (r.backend === 'foreign' || r.attempts > 1));
  const lastForeign = Math.max(0, ...touched.map((r) => r.t0 - switchedAt));
  const touchedCount = touched.length;
  const out = { scenario, rate: RATE, requests: results.length, errors: results.filter((r) => !r.ok).length };
  for (const p of ['before', 'during', 'after']) {
    const ms = results.filter((r) => phase(r) === p && r.ok).map((r) => r.ms);
    out[p] = { n: ms.length, p50_ms: +pct(ms, 50).toFixed(2), p99_ms: +pct(ms, 99).toFixed(2) };
  }
  out.requests_touching_foreign_after_switch = touchedCount;
  out.last_touch_after_switch_ms = +lastForeign.toFixed(0);
  const backends = await (await fetch(`${s.admin}/admin/backends`)).json();
  out.foreign_state_at_end = backends.backends.find((b) => b.name === 'foreign').state;
  stopAll();
  children.length = 0;
  rmSync(dir, { recursive: true, force: true });
  return out;
}

const scenarios = process.argv.slice(2).length ? process.argv.slice(2) : ['kill', 'region_block', 'black_hole'];
for (const scenario of scenarios) console.log(JSON.stringify(await drill(scenario)));
