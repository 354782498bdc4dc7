// End-to-end: sovgw between the two API dialects (issue #5). The official `@anthropic-ai/sdk` talks
// to sovgw's POST /v1/messages while the target speaks OpenAI, and the official `openai` SDK talks
// to POST /v1/chat/completions while the target is an Anthropic-protocol backend. Each test asserts
// what the application sees and what the fake upstream received (path, translated body, headers).
//
// Two stacks, so that each half fails for its own reason until the wiring lands: `inbound` has only
// OpenAI-protocol backends (it needs the /v1/messages route), `outbound` adds a fake "claude" behind
// a `protocol = "anthropic"` backend (it needs the config and the upstream client).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { APIError } from '@anthropic-ai/sdk';

import { UPSTREAM_MODEL, startStack } from './support/stack.js';

// The Anthropic SDK's key for sovgw, and the key sovgw must use upstream for the Anthropic backend.
const CLIENT_KEY = 'sk-e2e-test';
const CLAUDE_KEY = 'sk-ant-e2e-upstream-key';
const CLAUDE_MODEL = 'claude-fake-model'; // what the Anthropic-protocol target asks its upstream for

const INBOUND_MODELS = [
  { name: 'messages-test', targets: [{ backend: 'local', model: UPSTREAM_MODEL }] },
  { name: 'messages-tool-test', targets: [{ backend: 'local', model: 'fake:tool_call' }] },
];
const OUTBOUND_MODELS = [
  { name: 'claude-test', targets: [{ backend: 'claude', model: CLAUDE_MODEL }] },
  { name: 'claude-tool-test', targets: [{ backend: 'claude', model: 'fake:tool_call' }] },
  // The Anthropic backend answers 529 overloaded_error; the OpenAI-protocol local fake is next.
  {
    name: 'claude-overloaded-test',
    targets: [
      { backend: 'claude', model: 'fake:status?status=529' },
      { backend: 'local', model: UPSTREAM_MODEL },
    ],
  },
];

// The tool both SDKs declare, and what the fake's tool_call action calls it with by default.
const WEATHER_INPUT = { city: 'Seoul' };
const WEATHER_RESULT = 'Sunny, 21 C';
const anthropicTool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const openaiTool = {
  type: 'function',
  function: { name: anthropicTool.name, description: anthropicTool.description, parameters: anthropicTool.input_schema },
};

const user = (content) => [{ role: 'user', content }];

/** A message content as text: a string, or the text parts/blocks of an array, joined. */
function textOf(content) {
  if (typeof content === 'string') return content;
  return (content ?? []).filter((p) => p.type === 'text').map((p) => p.text).join('');
}

/** Asserts that exactly one request reached `fakeName` and none the others; returns it. */
async function onlyRequestTo(stack, fakeName, target) {
  const seen = {};
  await Promise.all(Object.entries(stack.fakes).map(async ([name, fake]) => (seen[name] = await fake.requests())));
  for (const [name, requests] of Object.entries(seen)) {
    if (name !== fakeName) assert.equal(requests.length, 0, `the ${name} fake must not be called`);
  }
  assert.equal(seen[fakeName].length, 1, `the ${fakeName} fake must see exactly one request`);
  assert.equal(seen[fakeName][0].method, 'POST');
  assert.equal(seen[fakeName][0].target, target);
  return seen[fakeName][0];
}

/**
 * Reads an openai chat stream to the end: the text, the finish reason, the usage chunk and the
 * tool calls assembled from their deltas (as an application would).
 */
async function collectChatStream(stream) {
  const out = { content: null, finishReason: null, usage: null, toolCalls: undefined };
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) out.usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (choice.delta?.content) out.content = (out.content ?? '') + choice.delta.content;
    for (const d of choice.delta?.tool_calls ?? []) {
      out.toolCalls ??= [];
      const call = (out.toolCalls[d.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
      if (d.id) call.id = d.id;
      if (d.function?.name) call.function.name += d.function.name;
      if (d.function?.arguments) call.function.arguments += d.function.arguments;
    }
    if (choice.finish_reason) out.finishReason = choice.finish_reason;
  }
  return out;
}

/** The client's key must never leave the building; the upstream gets its own (or none). */
function assertNoClientKey(sent) {
  assert.ok(!JSON.stringify(sent.headers).includes(CLIENT_KEY), "the client's API key must not reach the upstream");
}

describe('@anthropic-ai/sdk → sovgw /v1/messages → OpenAI-protocol upstream', () => {
  let stack;
  let anthropic;

  before(async () => {
    stack = await startStack({ extraModels: INBOUND_MODELS });
    anthropic = stack.anthropicClient();
  });
  after(async () => {
    await stack?.stop();
  });
  beforeEach(async () => {
    await stack.resetFakes();
  });

  test('sovgw serves POST /v1/messages (not a 404 for the path itself)', async () => {
    const res = await fetch(`${stack.gatewayURL}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'messages-test', max_tokens: 16, messages: user('route check') }),
    });
    const body = await res.text();
    assert.equal(res.status, 200, `POST /v1/messages answered ${res.status}: ${body}`);
    assert.equal(JSON.parse(body).type, 'message', `not an Anthropic message: ${body}`);
  });

  test('messages.create: text, end_turn, usage; the upstream got a translated chat completion', async () => {
    const { data: message, response } = await anthropic.messages
      .create({ model: 'messages-test', max_tokens: 100, system: 'You are terse.', messages: user('ping one') })
      .withResponse();

    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-sovgw-backend'), 'local');
    assert.equal(message.type, 'message');
    assert.equal(message.role, 'assistant');
    assert.equal(message.content.length, 1);
    assert.equal(message.content[0].type, 'text');
    assert.equal(message.content[0].text, 'Hello from local: ping one');
    assert.equal(message.stop_reason, 'end_turn');
    assert.ok(message.usage.input_tokens > 0, `input_tokens ${message.usage.input_tokens}`);
    assert.ok(message.usage.output_tokens > 0, `output_tokens ${message.usage.output_tokens}`);

    const sent = await onlyRequestTo(stack, 'local', '/v1/chat/completions');
    assert.equal(sent.bodyJson.model, UPSTREAM_MODEL, 'the target model replaces the client model');
    assert.equal(sent.bodyJson.max_tokens, 100);
    assert.deepEqual(
      sent.bodyJson.messages.map((m) => ({ role: m.role, text: textOf(m.content) })),
      [
        { role: 'system', text: 'You are terse.' },
        { role: 'user', text: 'ping one' },
      ],
      'system first, then the user turn',
    );
    assertNoClientKey(sent);
  });

  test('messages.stream: text deltas add up to the content; finalMessage has end_turn and usage', async () => {
    const stream = anthropic.messages.stream({
      model: 'messages-test',
      max_tokens: 100,
      messages: user('tell me a short story'),
    });
    let text = '';
    let deltas = 0;
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
        text += event.delta.text;
        deltas += 1;
      }
    }
    const message = await stream.finalMessage();

    assert.equal(text, 'Hello from local: tell me a short story');
    assert.ok(deltas > 1, `text arrives in several deltas (got ${deltas})`);
    assert.equal(textOf(message.content), text);
    assert.equal(message.stop_reason, 'end_turn');
    assert.ok(message.usage.input_tokens > 0, `input_tokens ${message.usage.input_tokens}`);
    assert.ok(message.usage.output_tokens > 0, `output_tokens ${message.usage.output_tokens}`);

    const sent = await onlyRequestTo(stack, 'local', '/v1/chat/completions');
    assert.equal(sent.bodyJson.stream, true);
  });

  /** A tool_use turn, then the tool_result turn; `call(params)` returns the final Message. */
  async function toolRoundTrip(call) {
    const question = user('weather in Seoul?');
    const first = await call({ model: 'messages-tool-test', max_tokens: 200, tools: [anthropicTool], messages: question });
    assert.equal(first.stop_reason, 'tool_use');
    const toolUse = first.content.find((b) => b.type === 'tool_use');
    assert.ok(toolUse, `a tool_use block (got ${JSON.stringify(first.content)})`);
    assert.equal(toolUse.name, 'get_weather');
    assert.deepEqual(toolUse.input, WEATHER_INPUT);
    assert.match(toolUse.id ?? '', /\S/);

    const [firstSent] = await stack.fakes.local.requests();
    assert.equal(firstSent.target, '/v1/chat/completions');
    assert.equal(firstSent.bodyJson.tools?.[0]?.type, 'function', 'tools are translated to OpenAI functions');
    assert.equal(firstSent.bodyJson.tools[0].function.name, 'get_weather');
    await stack.fakes.local.clearRequests();

    const second = await call({
      model: 'messages-tool-test',
      max_tokens: 200,
      tools: [anthropicTool],
      messages: [
        ...question,
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: WEATHER_RESULT }] },
      ],
    });
    // The fake answers a conversation that ends with a tool result by echoing that result.
    assert.equal(textOf(second.content), `Hello from local: ${WEATHER_RESULT}`);
    assert.equal(second.stop_reason, 'end_turn');

    const sent = await onlyRequestTo(stack, 'local', '/v1/chat/completions');
    const toolMessage = sent.bodyJson.messages.find((m) => m.role === 'tool');
    assert.ok(toolMessage, `a tool message upstream (got ${JSON.stringify(sent.bodyJson.messages)})`);
    assert.equal(toolMessage.tool_call_id, toolUse.id, 'the tool_use id round-trips as the tool_call_id');
    assert.equal(textOf(toolMessage.content), WEATHER_RESULT);
  }

  test('tool call, non-stream: tool_use block, then the tool_result turn gets an answer', async () => {
    await toolRoundTrip((params) => anthropic.messages.create(params));
  });

  test('tool call, stream: tool_use assembled from input_json_delta, then the answer streams', async () => {
    await toolRoundTrip((params) => anthropic.messages.stream(params).finalMessage());
  });

  test('an unknown model: APIError 404 with error.type not_found_error, no upstream called', async () => {
    await assert.rejects(
      anthropic.messages.create({ model: 'no-such-model', max_tokens: 16, messages: user('hello') }),
      (err) => {
        assert.ok(err instanceof APIError, `expected APIError, got ${err?.constructor?.name}: ${err?.message}`);
        assert.equal(err.status, 404);
        assert.equal(err.error?.type, 'error', `Anthropic error shape (got ${JSON.stringify(err.error)})`);
        assert.equal(err.error?.error?.type, 'not_found_error');
        return true;
      },
    );
    const seen = await Promise.all(Object.values(stack.fakes).map((f) => f.requests()));
    assert.equal(seen.flat().length, 0);
  });

  test('models.list and models.retrieve: the configured models in Anthropic\'s shape', async () => {
    const ids = [];
    for await (const model of anthropic.models.list()) {
      assert.equal(model.type, 'model');
      ids.push(model.id);
    }
    assert.ok(ids.includes('messages-test'), `listed: ${ids.join(', ')}`);
    const one = await anthropic.models.retrieve('messages-test');
    assert.equal(one.id, 'messages-test');
    assert.equal(one.type, 'model');
  });
});

describe('openai SDK → sovgw /v1/chat/completions → Anthropic-protocol upstream', () => {
  let stack;
  let client;
  let anthropic;

  before(async () => {
    stack = await startStack({
      extraBackends: [{ name: 'claude', protocol: 'anthropic', apiKey: CLAUDE_KEY }],
      extraModels: OUTBOUND_MODELS,
    });
    client = stack.client();
    anthropic = stack.anthropicClient();
  });
  after(async () => {
    await stack?.stop();
  });
  beforeEach(async () => {
    await stack.resetFakes();
  });

  /** What the Anthropic fake received: /v1/messages with Anthropic's headers and sovgw's key. */
  async function onlyMessagesRequest() {
    const sent = await onlyRequestTo(stack, 'claude', '/v1/messages');
    assert.equal(sent.headers['x-api-key'], CLAUDE_KEY, 'x-api-key carries the backend key from api_key_env');
    assert.equal(sent.headers['anthropic-version'], '2023-06-01');
    assert.equal(sent.headers.authorization, undefined, 'no authorization header to an Anthropic upstream');
    assertNoClientKey(sent);
    return sent;
  }

  test('chat non-stream: content, finish_reason stop, usage; the upstream got a Messages request', async () => {
    const { data: completion, response } = await client.chat.completions
      .create({
        model: 'claude-test',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'ping two' },
        ],
        max_tokens: 50,
      })
      .withResponse();

    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-sovgw-backend'), 'claude');
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.choices[0].message.role, 'assistant');
    assert.equal(completion.choices[0].message.content, 'Hello from claude: ping two');
    assert.equal(completion.choices[0].finish_reason, 'stop');
    assert.ok(completion.usage.prompt_tokens > 0 && completion.usage.completion_tokens > 0, JSON.stringify(completion.usage));

    const sent = await onlyMessagesRequest();
    assert.equal(sent.bodyJson.model, CLAUDE_MODEL);
    assert.equal(sent.bodyJson.max_tokens, 50);
    assert.equal(textOf(sent.bodyJson.system), 'Be brief.', 'the system message becomes the system field');
    assert.deepEqual(
      sent.bodyJson.messages.map((m) => ({ role: m.role, text: textOf(m.content) })),
      [{ role: 'user', text: 'ping two' }],
    );
  });

  test('chat stream with include_usage: deltas add up, finish_reason stop, a usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'claude-test',
      messages: user('stream from claude'),
      stream: true,
      stream_options: { include_usage: true },
    });
    const { content, finishReason, usage } = await collectChatStream(stream);
    assert.equal(content, 'Hello from claude: stream from claude');
    assert.equal(finishReason, 'stop');
    assert.ok(usage && Number.isInteger(usage.total_tokens) && usage.completion_tokens > 0, JSON.stringify(usage));

    const sent = await onlyMessagesRequest();
    assert.equal(sent.bodyJson.stream, true);
  });

  /** A tool call, then the tool result turn; `call(params)` returns { message, finishReason }. */
  async function toolRoundTrip(call) {
    const question = user('weather in Seoul?');
    const first = await call({ model: 'claude-tool-test', tools: [openaiTool], messages: question });
    assert.equal(first.finishReason, 'tool_calls');
    const toolCall = first.message.tool_calls?.[0];
    assert.ok(toolCall, `a tool call (got ${JSON.stringify(first.message)})`);
    assert.equal(toolCall.type, 'function');
    assert.equal(toolCall.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(toolCall.function.arguments), WEATHER_INPUT);

    const firstSent = await onlyMessagesRequest();
    assert.equal(firstSent.bodyJson.tools?.[0]?.name, 'get_weather', 'tools are translated to Anthropic tools');
    assert.deepEqual(firstSent.bodyJson.tools[0].input_schema, anthropicTool.input_schema);
    await stack.fakes.claude.clearRequests();

    const second = await call({
      model: 'claude-tool-test',
      tools: [openaiTool],
      messages: [
        ...question,
        { role: 'assistant', content: null, tool_calls: [toolCall] },
        { role: 'tool', tool_call_id: toolCall.id, content: WEATHER_RESULT },
      ],
    });
    assert.equal(second.message.content, `Hello from claude: ${WEATHER_RESULT}`);
    assert.equal(second.finishReason, 'stop');

    const sent = await onlyMessagesRequest();
    const last = sent.bodyJson.messages.at(-1);
    assert.equal(last.role, 'user');
    const result = last.content.find?.((b) => b.type === 'tool_result');
    assert.ok(result, `a tool_result block upstream (got ${JSON.stringify(last)})`);
    assert.equal(result.tool_use_id, toolCall.id, 'the tool call id round-trips as the tool_use_id');
  }

  test('tool call, non-stream: tool_calls with finish_reason tool_calls, then the answer', async () => {
    await toolRoundTrip(async (params) => {
      const completion = await client.chat.completions.create(params);
      return { message: completion.choices[0].message, finishReason: completion.choices[0].finish_reason };
    });
  });

  test('tool call, stream: tool_calls deltas assemble into one call, then the answer streams', async () => {
    await toolRoundTrip(async (params) => {
      const stream = await client.chat.completions.create({ ...params, stream: true });
      const { content, toolCalls, finishReason } = await collectChatStream(stream);
      return { message: { role: 'assistant', content, tool_calls: toolCalls }, finishReason };
    });
  });

  test('529 from the Anthropic target: fails over to the OpenAI-protocol target (openai SDK)', async () => {
    const { data: completion, response } = await client.chat.completions
      .create({ model: 'claude-overloaded-test', messages: user('are you there') })
      .withResponse();
    assert.equal(completion.choices[0].message.content, 'Hello from local: are you there');
    assert.equal(response.headers.get('x-sovgw-backend'), 'local');
    await assertFailedOverFromClaude();
  });

  test('529 from the Anthropic target: fails over to the OpenAI-protocol target (@anthropic-ai/sdk)', async () => {
    const { data: message, response } = await anthropic.messages
      .create({ model: 'claude-overloaded-test', max_tokens: 64, messages: user('still there') })
      .withResponse();
    assert.equal(textOf(message.content), 'Hello from local: still there');
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(response.headers.get('x-sovgw-backend'), 'local');
    await assertFailedOverFromClaude();
  });

  /**
   * A refused attempt at the Anthropic fake (529 is "overloaded": sovgw may make one quick retry
   * there first), then one answered request at the local fake.
   */
  async function assertFailedOverFromClaude() {
    const [claude, local, foreign] = await Promise.all(
      ['claude', 'local', 'foreign'].map((name) => stack.fakes[name].requests()),
    );
    assert.ok(claude.length >= 1 && claude.length <= 2, `the Anthropic target is tried once, retried at most once (${claude.length})`);
    for (const r of claude) assert.equal(r.target, '/v1/messages');
    assert.equal(local.length, 1, 'then the OpenAI-protocol target answers');
    assert.equal(local[0].target, '/v1/chat/completions');
    assert.equal(foreign.length, 0);
  }
});
