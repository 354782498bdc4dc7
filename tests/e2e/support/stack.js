// The system under test for the end-to-end suite: two fake upstreams ("foreign", abroad, and "local",
// on-premises) and the built sovgw in front of them, all on ports chosen by the kernel and read back
// from their READY lines. A test file may ask for more fakes, each its own backend in a given
// protocol, and more models. One stack per test file (or per describe); stop() ends every process
// by PID.
//
//   const stack = await startStack();
//   const client = stack.client();              // official openai SDK pointed at sovgw
//   const claude = stack.anthropicClient();     // official @anthropic-ai/sdk pointed at sovgw
//   await stack.fakes.local.requests();         // what reached the local fake
//   await stack.stop();
//
//   // An extra fake "claude" behind an Anthropic-protocol backend, with its upstream key in the env:
//   await startStack({
//     extraBackends: [{ name: 'claude', protocol: 'anthropic', apiKey: 'sk-ant-upstream' }],
//     extraModels: [{ name: 'claude-test', targets: [{ backend: 'claude', model: 'fake-model' }] }],
//   });
//
// Binaries come from SOVGW_BIN and FAKE_UPSTREAM_BIN (default: build/ at the repository root).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

import { startReady } from './process.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const sovgwBin = path.resolve(process.env.SOVGW_BIN ?? path.join(repoRoot, 'build/gateway/sovgw'));
export const fakeBin = path.resolve(
  process.env.FAKE_UPSTREAM_BIN ?? path.join(repoRoot, 'build/tests/fakes/fake_upstream'),
);

// The models the gateway is configured with, as clients name them.
export const MODELS = {
  chat: 'gpt-test', // foreign fake
  embed: 'embed-test', // foreign fake
  local: 'local-test', // local fake
  failover: 'failover-test', // a closed port first, then the local fake
  drip: 'drip-test', // foreign fake, a stream of 5 chunks 100 ms apart
};
export const DRIP = { chunks: 5, delayMs: 100 };
// The model name every target asks its upstream for (the fake answers any name).
export const UPSTREAM_MODEL = 'fake-model';

const FAKE_READY = /^READY port=(\d+)$/;
const SOVGW_READY = /^READY listen=(\S+):(\d+) admin=(\S+):(\d+)$/;

/** A port nothing listens on: bind an ephemeral port, then release it. */
async function closedPort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The environment variable that carries an extra backend's upstream API key to sovgw. */
export const apiKeyEnvFor = (backendName) => `SOVGW_E2E_${backendName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_KEY`;

/**
 * `[[backends]]` for an extra fake: an OpenAI backend's base_url ends in /v1; an Anthropic one is
 * the bare origin (sovgw appends /v1/messages and /v1/models itself).
 */
function extraBackendToml({ name, protocol = 'openai', apiKey, local = true, jurisdiction = 'KR' }, port) {
  const origin = `http://127.0.0.1:${port}`;
  return `
[[backends]]
name = "${name}"
protocol = "${protocol}"
base_url = "${protocol === 'anthropic' ? origin : `${origin}/v1`}"
jurisdiction = "${jurisdiction}"
local = ${local}
${apiKey === undefined ? '' : `api_key_env = "${apiKeyEnvFor(name)}"\n`}`;
}

function modelToml({ name, targets }) {
  const list = targets.map((t) => `{ backend = "${t.backend}", model = "${t.model}" }`).join(', ');
  return `
[[models]]
name = "${name}"
targets = [${list}]
`;
}

function configToml({ foreignPort, localPort, deadPort }) {
  return `# Written by tests/e2e/support/stack.js
[gateway]
listen = "127.0.0.1:0"
workers = 1

[admin]
listen = "127.0.0.1:0"

[[backends]]
name = "foreign"
protocol = "openai"
base_url = "http://127.0.0.1:${foreignPort}/v1"
jurisdiction = "US"
local = false

[[backends]]
name = "local"
protocol = "openai"
base_url = "http://127.0.0.1:${localPort}/v1"
jurisdiction = "KR"
local = true

# Nothing listens here: connecting is refused at once.
[[backends]]
name = "closed"
protocol = "openai"
base_url = "http://127.0.0.1:${deadPort}/v1"
jurisdiction = "US"
local = false
connect_timeout_ms = 1000

[[models]]
name = "${MODELS.chat}"
targets = [{ backend = "foreign", model = "${UPSTREAM_MODEL}" }]

[[models]]
name = "${MODELS.embed}"
targets = [{ backend = "foreign", model = "${UPSTREAM_MODEL}" }]

[[models]]
name = "${MODELS.local}"
targets = [{ backend = "local", model = "${UPSTREAM_MODEL}" }]

[[models]]
name = "${MODELS.drip}"
targets = [{ backend = "foreign", model = "fake:stream?chunks=${DRIP.chunks}&delay_ms=${DRIP.delayMs}" }]

[[models]]
name = "${MODELS.failover}"
targets = [{ backend = "closed", model = "${UPSTREAM_MODEL}" }, { backend = "local", model = "${UPSTREAM_MODEL}" }]
`;
}

/** Control-endpoint client for one fake upstream (tests/fakes/README.md). */
function fakeControl(name, port, proc) {
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, target, body) => {
    const res = await fetch(base + target, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`fake ${name}: ${method} ${target} -> ${res.status}`);
    const text = await res.text();
    return text ? JSON.parse(text) : undefined;
  };
  return {
    name,
    port,
    pid: proc.pid,
    baseURL: `${base}/v1`,
    /** Requests received on /v1/*, oldest first, with `bodyJson` parsed when the body is JSON. */
    requests: async () =>
      (await call('GET', '/_fake/requests')).map((r) => {
        let bodyJson;
        try {
          bodyJson = JSON.parse(r.body);
        } catch {
          bodyJson = undefined;
        }
        return { ...r, bodyJson };
      }),
    clearRequests: () => call('DELETE', '/_fake/requests'),
    script: (script) => call('POST', '/_fake/script', script),
    clearScript: () => call('DELETE', '/_fake/script'),
    stats: () => call('GET', '/_fake/stats'),
    stop: () => proc.stop(),
  };
}

/**
 * Starts the foreign fake, the local fake and sovgw (with a temp config). On any failure the
 * processes already started are stopped before the error propagates.
 * `extraBackends`: [{ name, protocol: 'openai'|'anthropic', apiKey?, local?, jurisdiction? }], each
 * served by its own fake (answering "Hello from NAME: ..."); an apiKey is passed to sovgw in the
 * variable apiKeyEnvFor(name). `extraModels`: [{ name, targets: [{ backend, model }] }].
 */
export async function startStack({ startupTimeoutMs = 10_000, extraBackends = [], extraModels = [] } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sovgw-e2e-'));
  const procs = [];
  const stopAll = async () => {
    // Gateway first, so it does not log upstream failures caused by the fakes going away.
    const results = {};
    for (const { name, proc } of [...procs].reverse()) results[name] = await proc.stop();
    return results;
  };

  try {
    const start = async (name, bin, args, re, env = undefined) => {
      const proc = await startReady(bin, args, re, { name, logDir: dir, timeoutMs: startupTimeoutMs, env });
      procs.push({ name, proc });
      return proc;
    };
    const foreignProc = await start('foreign', fakeBin, ['--listen', '127.0.0.1:0', '--name', 'foreign'], FAKE_READY);
    const localProc = await start('local', fakeBin, ['--listen', '127.0.0.1:0', '--name', 'local'], FAKE_READY);
    const foreign = fakeControl('foreign', Number(foreignProc.match[1]), foreignProc);
    const local = fakeControl('local', Number(localProc.match[1]), localProc);

    const extras = {};
    const env = { ...process.env };
    let extraToml = '';
    for (const backend of extraBackends) {
      const proc = await start(backend.name, fakeBin, ['--listen', '127.0.0.1:0', '--name', backend.name], FAKE_READY);
      extras[backend.name] = fakeControl(backend.name, Number(proc.match[1]), proc);
      extraToml += extraBackendToml(backend, extras[backend.name].port);
      if (backend.apiKey !== undefined) env[apiKeyEnvFor(backend.name)] = backend.apiKey;
    }
    extraToml += extraModels.map(modelToml).join('');

    const configPath = path.join(dir, 'sovgw.toml');
    const config = configToml({ foreignPort: foreign.port, localPort: local.port, deadPort: await closedPort() });
    writeFileSync(configPath, config + extraToml);
    const gw = await start('sovgw', sovgwBin, ['--config', configPath], SOVGW_READY, env);
    const [, listenHost, listenPort, adminHost, adminPort] = gw.match;
    const gatewayURL = `http://${listenHost}:${listenPort}`;
    const baseURL = `${gatewayURL}/v1`;
    const fakes = { foreign, local, ...extras };

    return {
      dir,
      configPath,
      baseURL,
      /** The gateway's origin without /v1: the Anthropic SDK's baseURL (it appends /v1/messages). */
      gatewayURL,
      adminURL: `http://${adminHost}:${adminPort}`,
      sovgw: gw,
      fakes,
      /** The official SDK, pointed at sovgw; no retries so every test sees the gateway's own answer. */
      client: (options = {}) =>
        new OpenAI({ apiKey: 'sk-e2e-test', baseURL, maxRetries: 0, timeout: 10_000, ...options }),
      /** The official Anthropic SDK, pointed at sovgw; no retries, like client(). */
      anthropicClient: (options = {}) =>
        new Anthropic({ apiKey: 'sk-e2e-test', baseURL: gatewayURL, maxRetries: 0, timeout: 10_000, ...options }),
      /** Resets every fake's request log and script between tests. */
      resetFakes: async () => {
        await Promise.all(Object.values(fakes).flatMap((f) => [f.clearRequests(), f.clearScript()]));
      },
      /** Stops sovgw and every fake; keeps the temp dir (config, stderr logs) when SOVGW_E2E_KEEP=1. */
      stop: async () => {
        const results = await stopAll();
        if (process.env.SOVGW_E2E_KEEP === '1') console.error(`sovgw-e2e: kept ${dir}`);
        else rmSync(dir, { recursive: true, force: true });
        return results;
      },
    };
  } catch (err) {
    await stopAll();
    // Keep the logs of a failed start for a look; the error names the directory.
    err.message += `\n(config and logs kept in ${dir})`;
    throw err;
  }
}
