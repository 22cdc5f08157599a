import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * FAKE model endpoints — the one part of a real agent run that cannot exist here. Small local servers
 * speaking the Anthropic Messages API, the OpenAI Responses API and the Gemini API (streaming), answering
 * every turn with "OK: <the last user text>" and recording every request, so a test proves what the real
 * agent CLI sent (its task, the text typed into it, the earlier turns of a resumed conversation).
 */
export interface FakeModel {
  url: string;
  /** Request bodies of conversation turns (requests that carry tools), oldest first. */
  turns(): Record<string, unknown>[];
  /** The user texts of the newest turn, oldest first. */
  lastUserTexts(): string[];
  /** The next turn whose last user text contains `trigger` is answered with a shell-tool call. */
  toolOnce(trigger: string, command: string): void;
  close(): Promise<void>;
}

type Body = Record<string, unknown>;

function serve(handle: (req: http.IncomingMessage, body: Body, res: http.ServerResponse) => void | Promise<void>): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Body = {};
      try {
        const raw = Buffer.concat(chunks).toString('utf8');
        body = raw ? (JSON.parse(raw) as Body) : {};
      } catch {}
      void handle(req, body, res);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

const sse = (res: http.ServerResponse, event: string | null, data: unknown) => res.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
const textOf = (c: unknown): string =>
  typeof c === 'string' ? c : Array.isArray(c) ? c.map((p: { text?: string }) => (typeof p === 'string' ? p : (p.text ?? ''))).join('\n') : '';
const noToolCalls = (fake: string) => (): never => {
  throw new Error(`${fake}: tool calls are not faked`);
};
const closeServer = (s: http.Server) => new Promise<void>((r) => s.close(() => r()));

/** Anthropic Messages API (what Claude Code speaks): POST /v1/messages, streamed. */
export async function fakeAnthropic(): Promise<FakeModel> {
  const turns: Body[] = [];
  let tool: { trigger: string; command: string } | null = null;
  let n = 0;
  const userTexts = (b: Body) =>
    ((b.messages as { role: string; content: unknown }[] | undefined) ?? []).filter((m) => m.role === 'user').map((m) => textOf(m.content)).filter((t) => t !== '');
  const { server, url } = await serve(async (req, body, res) => {
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    if (req.url.startsWith('/v1/messages/count_tokens')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"input_tokens":10}');
      return;
    }
    const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
    if (hasTools) turns.push(body);
    const last = userTexts(body).slice(-1)[0] ?? '';
    const id = `msg_fake_${++n}`;
    const useTool = hasTools && tool !== null && last.includes(tool.trigger) && (body.tools as { name: string }[]).some((t) => t.name === 'Bash');
    // "SLOW" in the user's text: the answer takes 2 s, so a test can see the agent working.
    if (hasTools && last.includes('SLOW')) await new Promise((r) => setTimeout(r, 2000));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    sse(res, 'message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model: body.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 1 } } });
    if (useTool) {
      const input = JSON.stringify({ command: tool!.command, description: 'run the command the test asked for' });
      tool = null;
      sse(res, 'content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: `toolu_fake_${n}`, name: 'Bash', input: {} } });
      sse(res, 'content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: input } });
      sse(res, 'content_block_stop', { type: 'content_block_stop', index: 0 });
      sse(res, 'message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 5 } });
    } else {
      const text = `OK: ${last.replace(/\s+/g, ' ').slice(0, 60)}`;
      sse(res, 'content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
      sse(res, 'content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
      sse(res, 'content_block_stop', { type: 'content_block_stop', index: 0 });
      sse(res, 'message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } });
    }
    sse(res, 'message_stop', { type: 'message_stop' });
    res.end();
  });
  return {
    url,
    turns: () => turns,
    lastUserTexts: () => (turns.length ? userTexts(turns[turns.length - 1]!) : []),
    toolOnce: (trigger, command) => void (tool = { trigger, command }),
    close: () => closeServer(server),
  };
}

/** OpenAI Responses API (what Codex CLI speaks): POST /v1/responses, streamed. */
export async function fakeOpenAi(): Promise<FakeModel> {
  const turns: Body[] = [];
  let n = 0;
  const userTexts = (b: Body) =>
    ((b.input as { role?: string; content?: unknown }[] | undefined) ?? [])
      .filter((m) => m.role === 'user')
      .map((m) => textOf(m.content))
      .filter((t) => t !== '' && !/^\s*<(environment_context|user_instructions|permissions)/.test(t));
  const { server, url } = await serve((req, body, res) => {
    if (req.method !== 'POST' || !req.url?.endsWith('/responses')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'gpt-5-codex', object: 'model', owned_by: 'fake' }], models: [] }));
      return;
    }
    // Every request but the hidden title generation (a JSON-schema answer with no tools) is a turn.
    const titleRequest = (body.text as { format?: { type?: string } } | undefined)?.format?.type === 'json_schema';
    if (!titleRequest) turns.push(body);
    const text = `OK: ${(userTexts(body).slice(-1)[0] ?? '').replace(/\s+/g, ' ').slice(0, 60)}`;
    const id = `resp_fake_${++n}`;
    const item = { type: 'message', id: `msg_${n}`, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] };
    const usage = { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 };
    const base = { id, object: 'response', created_at: Math.floor(Date.now() / 1000), model: body.model };
    let seq = 0;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    sse(res, 'response.created', { type: 'response.created', sequence_number: seq++, response: { ...base, status: 'in_progress', output: [] } });
    sse(res, 'response.output_item.added', { type: 'response.output_item.added', sequence_number: seq++, output_index: 0, item: { ...item, status: 'in_progress', content: [] } });
    sse(res, 'response.content_part.added', { type: 'response.content_part.added', sequence_number: seq++, item_id: item.id, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
    sse(res, 'response.output_text.delta', { type: 'response.output_text.delta', sequence_number: seq++, item_id: item.id, output_index: 0, content_index: 0, delta: text });
    sse(res, 'response.output_text.done', { type: 'response.output_text.done', sequence_number: seq++, item_id: item.id, output_index: 0, content_index: 0, text });
    sse(res, 'response.content_part.done', { type: 'response.content_part.done', sequence_number: seq++, item_id: item.id, output_index: 0, content_index: 0, part: { type: 'output_text', text, annotations: [] } });
    sse(res, 'response.output_item.done', { type: 'response.output_item.done', sequence_number: seq++, output_index: 0, item });
    sse(res, 'response.completed', { type: 'response.completed', sequence_number: seq++, response: { ...base, status: 'completed', output: [item], usage } });
    res.end();
  });
  return {
    url,
    turns: () => turns,
    lastUserTexts: () => (turns.length ? userTexts(turns[turns.length - 1]!) : []),
    toolOnce: noToolCalls('fakeOpenAi'),
    close: () => closeServer(server),
  };
}

/** Gemini API (what Gemini CLI speaks): POST /v1beta/models/M:streamGenerateContent?alt=sse and :generateContent. */
export async function fakeGemini(): Promise<FakeModel> {
  const turns: Body[] = [];
  const userTexts = (b: Body) =>
    ((b.contents as { role?: string; parts?: { text?: string }[] }[] | undefined) ?? [])
      .filter((c) => c.role === 'user')
      .map((c) => (c.parts ?? []).map((p) => p.text ?? '').filter((t) => !t.startsWith('<session_context>')).join('\n'))
      .filter((t) => t !== '');
  const { server, url } = await serve((req, body, res) => {
    const streaming = req.url?.includes(':streamGenerateContent');
    if (req.method !== 'POST' || !(streaming || req.url?.includes(':generateContent'))) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    const last = userTexts(body).slice(-1)[0] ?? '';
    const chunk = (text: string) => ({ candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 } });
    if (!streaming) {
      // The CLI's router asks which model to use (JSON); any small answer works.
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(chunk('{"reasoning":"simple","model_choice":"flash"}')));
      return;
    }
    turns.push(body);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    sse(res, null, chunk(`OK: ${last.replace(/\s+/g, ' ').slice(0, 60)}`));
    res.end();
  });
  return {
    url,
    turns: () => turns,
    lastUserTexts: () => (turns.length ? userTexts(turns[turns.length - 1]!) : []),
    toolOnce: noToolCalls('fakeGemini'),
    close: () => closeServer(server),
  };
}
