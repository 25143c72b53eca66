// The real OpenAI and Anthropic SDKs against a node's LLM endpoints: prints one JSON document of what each
// client parsed. Run by io.agentmesh.node.llm.api.NpmClientsTest (and its live variant) as
//   node clients.mjs http://127.0.0.1:PORT
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';

const base = process.argv[2];
const openai = new OpenAI({ baseURL: `${base}/llm/openai/v1`, apiKey: 'unused-by-agentmesh' });
const anthropic = new Anthropic({ baseURL: `${base}/llm/anthropic`, apiKey: 'unused-by-agentmesh' });
const out = {};

function failure(e) {
  return { name: e?.constructor?.name, status: e?.status ?? null, type: e?.error?.error?.type ?? e?.error?.type ?? null,
           code: e?.code ?? null, message: String(e?.message ?? e) };
}

async function attempt(name, fn) {
  try {
    out[name] = { ok: await fn() };
  } catch (e) {
    out[name] = { error: failure(e) };
  }
}

const user = [{ role: 'user', content: 'Say hello' }];
const weatherTool = { type: 'function', function: { name: 'weather', description: 'the weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };

await attempt('openaiPlain', async () => {
  const c = await openai.chat.completions.create({ model: process.env.MODEL_TEXT ?? 'gpt-4o', messages: user,
    max_tokens: 50 });
  return { id: c.id, model: c.model, content: c.choices[0].message.content, finish: c.choices[0].finish_reason,
           usage: c.usage };
});

await attempt('openaiTools', async () => {
  const c = await openai.chat.completions.create({ model: process.env.MODEL_TOOLS ?? 'tooly',
    messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: [weatherTool] });
  const call = c.choices[0].message.tool_calls?.[0];
  return { finish: c.choices[0].finish_reason, toolName: call?.function?.name,
           arguments: call ? JSON.parse(call.function.arguments) : null };
});

await attempt('openaiStream', async () => {
  const stream = await openai.chat.completions.create({ model: process.env.MODEL_TEXT ?? 'gpt-4o', messages: user,
    stream: true, stream_options: { include_usage: true } });
  const deltas = [];
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (choice?.delta?.content) deltas.push(choice.delta.content);
    if (choice?.finish_reason) finish = choice.finish_reason;
    if (chunk.usage) usage = chunk.usage;
  }
  return { deltas, finish, usage };
});

await attempt('openaiStreamHelper', async () => {
  const runner = openai.chat.completions.stream({ model: process.env.MODEL_TOOLS ?? 'tooly',
    messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: [weatherTool] });
  const final = await runner.finalChatCompletion();
  const call = final.choices[0].message.tool_calls?.[0];
  return { finish: final.choices[0].finish_reason, toolName: call?.function?.name,
           arguments: call ? JSON.parse(call.function.arguments) : null };
});

if (!process.env.LIVE) {
  await attempt('openaiStreamBroken', async () => {
    const stream = await openai.chat.completions.create({ model: 'broke', messages: user, stream: true });
    const deltas = [];
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) deltas.push(chunk.choices[0].delta.content);
    }
    return { deltas };
  });

  await attempt('openaiNotLeader', async () => {
    return await openai.chat.completions.create({ model: 'leaderless', messages: user });
  });
}

await attempt('openaiModels', async () => {
  const ids = [];
  for await (const m of openai.models.list()) ids.push(m.id);
  return ids;
});

await attempt('anthropicPlain', async () => {
  const m = await anthropic.messages.create({ model: process.env.MODEL_TEXT ?? 'gpt-4o', max_tokens: 50,
    messages: user });
  return { id: m.id, model: m.model, text: m.content.filter(b => b.type === 'text').map(b => b.text).join(''),
           stop: m.stop_reason, usage: m.usage };
});

await attempt('anthropicTools', async () => {
  const m = await anthropic.messages.create({ model: process.env.MODEL_TOOLS ?? 'tooly', max_tokens: 50,
    messages: [{ role: 'user', content: 'Weather in Paris?' }],
    tools: [{ name: 'weather', description: 'the weather in a city',
              input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }] });
  const use = m.content.find(b => b.type === 'tool_use');
  return { stop: m.stop_reason, toolName: use?.name, input: use?.input };
});

await attempt('anthropicStream', async () => {
  const stream = anthropic.messages.stream({ model: process.env.MODEL_TEXT ?? 'gpt-4o', max_tokens: 50,
    messages: user });
  const deltas = [];
  stream.on('text', t => deltas.push(t));
  const final = await stream.finalMessage();
  return { deltas, text: final.content.filter(b => b.type === 'text').map(b => b.text).join(''),
           stop: final.stop_reason, usage: final.usage };
});

if (!process.env.LIVE) {
  await attempt('anthropicStreamBroken', async () => {
    const stream = anthropic.messages.stream({ model: 'broke', max_tokens: 50, messages: user });
    return await stream.finalMessage();
  });

  await attempt('anthropicBudget', async () => {
    return await anthropic.messages.create({ model: 'poor', max_tokens: 50, messages: user });
  });
}

if (process.env.LIVE) {
  await attempt('openaiUnknownModel', async () => {
    return await openai.chat.completions.create({ model: 'no-such-model', messages: user });
  });
  // About a million bytes of prompt: more than the test model's context of 100,000 tokens.
  await attempt('anthropicHugePrompt', async () => {
    return await anthropic.messages.create({ model: process.env.MODEL_TEXT, max_tokens: 50,
      messages: [{ role: 'user', content: 'word '.repeat(200000) }] });
  });
}

console.log(JSON.stringify(out));
