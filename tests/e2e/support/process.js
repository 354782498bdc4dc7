// Child processes for the end-to-end tests: start a binary, wait for its READY line on stdout under
// a deadline, keep its stderr in a file for diagnosis, and stop it by PID (SIGTERM, then SIGKILL).
//
//   const fake = await startReady(bin, ['--name', 'local'], /^READY port=(\d+)$/, { name: 'local', logDir });
//   console.log(fake.match[1]);  await fake.stop();
//
// Every started process is remembered until it exits, so a crash of the test process itself
// (uncaught error, SIGINT/SIGTERM from the runner) still kills the children it started.
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

const live = new Set();

function killAllNow() {
  for (const child of live) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    killAllNow();
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  });
}

function tail(file, bytes = 4000) {
  try {
    const text = readFileSync(file, 'utf8');
    return text.length > bytes ? `...${text.slice(-bytes)}` : text;
  } catch {
    return '';
  }
}

/**
 * Spawns `bin args`, resolves once a stdout line matches `readyRe`.
 * Rejects (after killing the child) if it exits first or `timeoutMs` passes.
 * @returns {Promise<{pid:number, match:RegExpMatchArray, stderrFile:string, exited:Promise<{code:number|null,signal:string|null}>, stop:()=>Promise<{code:number|null,signal:string|null}>}>}
 */
export async function startReady(bin, args, readyRe, { name, logDir, timeoutMs = 10_000, env } = {}) {
  const stderrFile = path.join(logDir, `${name}.stderr.log`);
  const stderr = createWriteStream(stderrFile);
  const stderrClosed = new Promise((resolve) => stderr.once('close', resolve));
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  live.add(child);
  child.stderr.pipe(stderr);

  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  // spawn() reports a missing binary as an 'error' event, not an exit.
  const spawnFailed = new Promise((_, reject) => child.once('error', reject));

  const stop = async (graceMs = 5_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    }
    return exited;
  };

  // Everything after READY goes nowhere in particular; keep draining stdout so the child never blocks.
  const lines = createInterface({ input: child.stdout });
  const otherStdout = [];
  const ready = new Promise((resolve) => {
    lines.on('line', (line) => {
      const match = line.match(readyRe);
      if (match) resolve(match);
      else if (otherStdout.length < 20) otherStdout.push(line);
    });
  });

  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no READY line within ${timeoutMs} ms`)), timeoutMs);
  });
  const died = exited.then(({ code, signal }) => {
    throw new Error(`exited before READY (code ${code}, signal ${signal})`);
  });

  try {
    const match = await Promise.race([ready, deadline, died, spawnFailed]);
    return { pid: child.pid, match, stderrFile, exited, stop };
  } catch (err) {
    await stop(1_000);
    // The pipe ends the file when the child's stderr closes; wait briefly so the tail is complete.
    await Promise.race([stderrClosed, new Promise((resolve) => setTimeout(resolve, 500))]);
    const detail = [
      `${name}: ${bin} ${args.join(' ')}: ${err.message}`,
      otherStdout.length ? `stdout:\n${otherStdout.join('\n')}` : '',
      `stderr (${stderrFile}):\n${tail(stderrFile)}`,
    ];
    throw new Error(detail.filter(Boolean).join('\n'));
  } finally {
    clearTimeout(timer);
  }
}

export { tail as tailFile };
