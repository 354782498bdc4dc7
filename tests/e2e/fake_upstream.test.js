// The fake upstream itself, read by the official SDKs with no gateway in between: proves that what
// tests/fakes answers on /v1/messages and /v1/chat/completions (text, streams, tool calls, in-band
// errors, error statuses) is what the real `@anthropic-ai/sdk` and `openai` clients accept, so a
// failure in anthropic.test.js points at sovgw, not at the fake.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Anthropic, { APIError as AnthropicAPIError } from '@anthropic-ai/sdk';
import OpenAI, { APIError as OpenAIAPIError } from 'openai';

import { startReady } from './support/process.js';
import { fakeBin } from './support/stack.js';

let dir;
let fake;
let anthropic;
let openai;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sovgw-e2e-fake-'));
  fake = await startReady(fakeBin, ['--listen', '127.0.0.1:0', '--name', 'solo'], /^READY port=(\d+)$/, {
    name: 'solo',
    logDir: dir,
  });
  const origin = `http://127.0.0.1:${fake.match[1]}`;
  anthropic = new Anthropic({ apiKey: 'sk-ant-fake', baseURL: origin, maxRetries: 0, timeout: 10_000 });
  openai = new OpenAI({ apiKey: 'sk-fake', baseURL: `${origin}/v1`, maxRetries: 0, timeout: 10_000 });
});

after(async () => {
  await fake?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const user = (content) => [{ role: 'user', content }];

describe('@anthropic-ai/sdk against the fake', () => {
  test('messages.create and messages.stream give the same Message', async () => {
    const params = { model: 'claude-x', max_tokens: 50, system: 'terse', messages: user('hi there') };
    const created = await anthropic.messages.create(params);
    assert.equal(created.content[0].text, 'Hello from solo: hi there');
    assert.equal(created.stop_reason, 'end_turn');

    const stream = anthropic.messages.stream(params);
    const deltas = [];
    stream.on('text', (delta) => deltas.push(delta));
    const streamed = await stream.finalMessage();
    assert.equal(deltas.join(''), 'Hello from solo: hi there');
    assert.ok(deltas.length > 1);
    assert.equal(streamed.stop_reason, 'end_turn');
    assert.deepEqual(streamed.usage, created.usage);
  });

  test('tool_call: a tool_use block, streamed or not; a tool_result turn gets an answer', async () => {
    for (const call of [(p) => anthropic.messages.create(p), (p) => anthropic.messages.stream(p).finalMessage()]) {
      const first = await call({ model: 'fake:tool_call', max_tokens: 50, messages: user('weather?') });
      assert.equal(first.stop_reason, 'tool_use');
      const toolUse = first.content.find((b) => b.type === 'tool_use');
      assert.deepEqual(toolUse.input, { city: 'Seoul' });
      const second = await call({
        model: 'fake:tool_call',
        max_tokens: 50,
        messages: [
          ...user('weather?'),
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: 'Rain' }] },
        ],
      });
      assert.equal(second.content[0].text, 'Hello from solo: Rain');
    }
  });

  test('error_after: the SDK raises the in-band overloaded_error', async () => {
    const stream = anthropic.messages.stream({ model: 'fake:error_after?chunks=2', max_tokens: 50, messages: user('x') });
    await assert.rejects(stream.finalMessage(), (err) => {
      assert.ok(err instanceof AnthropicAPIError, String(err));
      assert.equal(err.type, 'overloaded_error');
      return true;
    });
  });

  test('status 529: APIError with status 529 and type overloaded_error', async () => {
    await assert.rejects(
      anthropic.messages.create({ model: 'fake:status?status=529', max_tokens: 5, messages: user('x') }),
      (err) => err instanceof AnthropicAPIError && err.status === 529 && err.type === 'overloaded_error',
    );
  });
});

describe('openai SDK against the fake', () => {
  test('tool_call: tool_calls with parsed arguments, streamed (via the SDK helper) or not', async () => {
    const params = { model: 'fake:tool_call', messages: user('weather?') };
    const created = await openai.chat.completions.create(params);
    assert.equal(created.choices[0].finish_reason, 'tool_calls');
    assert.deepEqual(JSON.parse(created.choices[0].message.tool_calls[0].function.arguments), { city: 'Seoul' });

    const streamed = await openai.chat.completions.stream(params).finalChatCompletion();
    assert.equal(streamed.choices[0].finish_reason, 'tool_calls');
    const call = streamed.choices[0].message.tool_calls[0];
    assert.match(call.id, /^call_fake\d+$/);
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Seoul' });
  });

  test('error_after: the SDK raises the in-band error', async () => {
    const stream = await openai.chat.completions.create({ model: 'fake:error_after?chunks=1', messages: user('x'), stream: true });
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) void chunk;
      })(),
      (err) => err instanceof OpenAIAPIError && /server had an error/.test(err.message),
    );
  });
});
