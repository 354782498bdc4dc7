// End-to-end: the built sovgw, in front of two fake upstreams, driven by the official `openai` npm
// client exactly as an application would use it. Each test asserts what the application sees
// (content, headers, errors) and what reached the upstreams (which fake, which model name).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { NotFoundError } from 'openai';

import { DRIP, MODELS, UPSTREAM_MODEL, startStack } from './support/stack.js';

let stack;
let client;

before(async () => {
  stack = await startStack();
  client = stack.client();
});

after(async () => {
  await stack?.stop();
});

beforeEach(async () => {
  await stack.resetFakes();
});

const user = (content) => [{ role: 'user', content }];

/** Asserts that exactly one request reached `fake` (and none the other) and returns it. */
async function onlyRequestTo(fakeName, target) {
  const other = fakeName === 'foreign' ? 'local' : 'foreign';
  const [seen, otherSeen] = await Promise.all([stack.fakes[fakeName].requests(), stack.fakes[other].requests()]);
  assert.equal(otherSeen.length, 0, `the ${other} fake must not be called`);
  assert.equal(seen.length, 1, `the ${fakeName} fake must see exactly one request`);
  assert.equal(seen[0].method, 'POST');
  assert.equal(seen[0].target, target);
  return seen[0];
}

describe('chat.completions', () => {
  test('non-stream: content, model and sovgw headers', async () => {
    const { data: completion, response } = await client.chat.completions
      .create({ model: MODELS.chat, messages: user('ping one') })
      .withResponse();

    assert.equal(response.status, 200);
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.choices.length, 1);
    assert.equal(completion.choices[0].message.role, 'assistant');
    assert.equal(completion.choices[0].message.content, 'Hello from foreign: ping one');
    assert.equal(completion.choices[0].finish_reason, 'stop');
    // The upstream's answer is relayed as-is, so `model` is the name the target asked its upstream for.
    assert.equal(completion.model, UPSTREAM_MODEL);

    assert.equal(response.headers.get('x-sovgw-backend'), 'foreign');
    const requestId = response.headers.get('x-request-id');
    assert.match(requestId ?? '', /\S/, 'x-request-id is set');
    assert.equal(completion._request_id, requestId, 'the SDK exposes the same request id');

    const sent = await onlyRequestTo('foreign', '/v1/chat/completions');
    assert.equal(sent.bodyJson.model, UPSTREAM_MODEL, 'the gateway rewrites the model to the target model');
    assert.deepEqual(sent.bodyJson.messages, user('ping one'));
    assert.ok(!JSON.stringify(sent.headers).includes('sk-e2e-test'), "the client's API key must not reach the upstream");
  });

  test('each response has its own x-request-id', async () => {
    const ids = new Set();
    for (let i = 0; i < 3; i++) {
      const { response } = await client.chat.completions
        .create({ model: MODELS.chat, messages: user(`n${i}`) })
        .withResponse();
      ids.add(response.headers.get('x-request-id'));
    }
    assert.equal(ids.size, 3);
  });

  test('stream: deltas add up to the full text, finish_reason stop, usage chunk relayed', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({
        model: MODELS.chat,
        messages: user('tell me a short story'),
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();

    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(response.headers.get('x-sovgw-backend'), 'foreign');
    assert.match(response.headers.get('x-request-id') ?? '', /\S/);

    let text = '';
    let finishReason = null;
    let contentChunks = 0;
    let usage = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      if (choice.delta?.content) {
        text += choice.delta.content;
        contentChunks += 1;
      }
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }

    assert.equal(text, 'Hello from foreign: tell me a short story');
    assert.ok(contentChunks > 1, `content arrives in several chunks (got ${contentChunks})`);
    assert.equal(finishReason, 'stop');
    assert.ok(usage && Number.isInteger(usage.total_tokens), 'the usage chunk is relayed');

    const sent = await onlyRequestTo('foreign', '/v1/chat/completions');
    assert.equal(sent.bodyJson.stream, true);
    assert.equal(sent.bodyJson.model, UPSTREAM_MODEL);
  });
});

describe('stream relay', () => {
  test('chunks reach the client as the upstream sends them, not all at the end', async () => {
    const stream = await client.chat.completions.create({ model: MODELS.drip, messages: user('drip'), stream: true });
    const arrivals = [];
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) arrivals.push(performance.now());
    }
    assert.equal(arrivals.length, DRIP.chunks);
    // The fake waits delayMs between chunks; a buffering gateway would deliver them all at once.
    const spread = arrivals.at(-1) - arrivals[0];
    const expected = (DRIP.chunks - 1) * DRIP.delayMs;
    assert.ok(spread >= expected * 0.6, `first to last content chunk took ${spread.toFixed(0)} ms, want about ${expected}`);
  });
});

describe('completions (legacy)', () => {
  test('non-stream text completion', async () => {
    const { data: completion, response } = await client.completions
      .create({ model: MODELS.chat, prompt: 'say hi' })
      .withResponse();
    assert.equal(completion.object, 'text_completion');
    assert.match(completion.choices[0].text, /^Hello from foreign/);
    assert.equal(response.headers.get('x-sovgw-backend'), 'foreign');
    await onlyRequestTo('foreign', '/v1/completions');
  });
});

describe('embeddings', () => {
  test('embeddings.create, float encoding, one vector per input', async () => {
    const { data: result, response } = await client.embeddings
      .create({ model: MODELS.embed, input: ['alpha', 'beta'], encoding_format: 'float' })
      .withResponse();

    assert.equal(result.object, 'list');
    assert.equal(result.data.length, 2);
    result.data.forEach((item, i) => {
      assert.equal(item.object, 'embedding');
      assert.equal(item.index, i);
      assert.equal(item.embedding.length, 8);
      assert.ok(item.embedding.every(Number.isFinite), 'every component is a finite number');
    });
    assert.equal(response.headers.get('x-sovgw-backend'), 'foreign');

    const sent = await onlyRequestTo('foreign', '/v1/embeddings');
    assert.equal(sent.bodyJson.model, UPSTREAM_MODEL);
    assert.deepEqual(sent.bodyJson.input, ['alpha', 'beta']);
  });

  // Without encoding_format the SDK asks for base64 and decodes float32 itself; the gateway must
  // relay that body untouched.
  test(
    'embeddings.create with the SDK default (base64) decodes to the same vector',
    async () => {
      const asFloat = await client.embeddings.create({ model: MODELS.embed, input: ['alpha'], encoding_format: 'float' });
      const asDefault = await client.embeddings.create({ model: MODELS.embed, input: ['alpha'] });
      const sent = await stack.fakes.foreign.requests();
      assert.equal(sent.at(-1).bodyJson.encoding_format, 'base64');
      const got = Array.from(asDefault.data[0].embedding);
      assert.equal(got.length, 8);
      got.forEach((v, i) => assert.ok(Math.abs(v - asFloat.data[0].embedding[i]) < 1e-6, `component ${i}: ${v}`));
    },
  );
});

describe('models', () => {
  test('models.list() lists exactly the configured model names', async () => {
    const ids = [];
    for await (const model of client.models.list()) {
      assert.equal(model.object, 'model');
      ids.push(model.id);
    }
    assert.deepEqual(ids.sort(), Object.values(MODELS).sort());
  });
});

describe('errors', () => {
  test('an unknown model raises NotFoundError (404, code model_not_found) and calls no upstream', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'no-such-model', messages: user('hello') }),
      (err) => {
        assert.ok(err instanceof NotFoundError, `expected NotFoundError, got ${err?.constructor?.name}: ${err?.message}`);
        assert.equal(err.status, 404);
        assert.equal(err.code, 'model_not_found');
        assert.match(err.requestID ?? '', /\S/, 'errors carry x-request-id too');
        return true;
      },
    );
    const [foreign, local] = await Promise.all([stack.fakes.foreign.requests(), stack.fakes.local.requests()]);
    assert.equal(foreign.length + local.length, 0);
  });
});

describe('failover', () => {
  test('first target refuses the connection: the local fake answers', async () => {
    const { data: completion, response } = await client.chat.completions
      .create({ model: MODELS.failover, messages: user('are you there') })
      .withResponse();

    assert.equal(completion.choices[0].message.content, 'Hello from local: are you there');
    assert.equal(response.headers.get('x-sovgw-backend'), 'local');
    const sent = await onlyRequestTo('local', '/v1/chat/completions');
    assert.equal(sent.bodyJson.model, UPSTREAM_MODEL);
  });

  test('stream: first target refuses the connection, the stream comes from the local fake', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({ model: MODELS.failover, messages: user('stream please'), stream: true })
      .withResponse();
    assert.equal(response.headers.get('x-sovgw-backend'), 'local');

    let text = '';
    let finishReason = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (!choice) continue;
      text += choice.delta?.content ?? '';
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
    assert.equal(text, 'Hello from local: stream please');
    assert.equal(finishReason, 'stop');
    await onlyRequestTo('local', '/v1/chat/completions');
  });
});
