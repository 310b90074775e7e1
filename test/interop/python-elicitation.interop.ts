// A server of the MCP Python SDK asking for input (`npm run test:interop`, not part of `npm test`;
// issue 18): python_elicitation_server.py (FastMCP over stdio) asks by a form-mode elicitation
// (`ask_name`) and a URL-mode one (`open_link`). Through REST a person answers on a question card
// (here through `/api/questions`); through `/mcp/{server}` an MCP client that declared both modes
// (the TypeScript SDK's) answers itself. Either way the answer reaches the Python server, which
// repeats it in its result.
//
// Needs python3 (with venv and pip, and pip's configured package index or wheelhouse for the SDK's
// dependencies) and:
//   PYTHON_MCP_DIR  a clone (or bare git directory) of github.com/modelcontextprotocol/python-sdk;
//   PYTHON_MCP_REF  the tag to read (default v1.29.0; URL mode needs 1.23 or later).
// The SDK and its dependencies go into a virtual environment in a temporary folder.
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { callKit } from '../helpers/calls.js';
import { tempDir } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/process.js';
import { pythonWithMcp, type PythonMcp } from './fetched-tools.js';

const kit = callKit();
const KEY = 'interop-python-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}` };
const SERVER_PY = path.resolve(import.meta.dirname, 'python_elicitation_server.py');

const textOf = (result: unknown) => (result as { content: { text: string }[] }).content.map((item) => item.text).join('\n');

describe('a Python SDK server asking for input, through the gateway', () => {
  let sdk: PythonMcp;

  beforeAll(() => {
    const dir = process.env.PYTHON_MCP_DIR;
    if (!dir) throw new Error('PYTHON_MCP_DIR is not set: see the top of test/interop/python-elicitation.interop.ts');
    const ref = process.env.PYTHON_MCP_REF || 'v1.29.0';
    sdk = pythonWithMcp(dir, ref, ref.replace(/^v/, ''), tempDir('mcp-gateway-python-sdk-'));
  }, 300_000);

  async function pythonGateway() {
    const py = {
      command: sdk.python,
      args: [SERVER_PY],
      cwd: tempDir(),
      env: { PYTHONPATH: sdk.pythonPath, PYTHONDONTWRITEBYTECODE: '1' },
    };
    const started = await kit.gateway({ py }, {}, { apiKey: KEY });
    return { ...started, base: await kit.listen(started.app) };
  }

  it('REST: a person answers the form and the URL question on question cards', async () => {
    const { app, gateway } = await pythonGateway();
    const form = request(app).post('/py/ask_name').set(auth).send({});
    const formDone = form.then((res) => res);
    const asked = await waitUntil(() => gateway.questions.list('pending')[0], 30_000, 'the form question');
    expect(asked).toMatchObject({ server: 'py', tool: 'ask_name', mode: 'form', message: 'What is your name?' });
    await request(app)
      .post(`/api/questions/${asked.id}`)
      .set(auth)
      .send({ action: 'accept', content: { name: 'Ada', subscribe: true } })
      .expect(200);
    expect(JSON.stringify((await formDone).body)).toContain('Hello, Ada! subscribe=True');

    const link = request(app)
      .post('/py/open_link')
      .set(auth)
      .send({})
      .then((res) => res);
    const opened = await waitUntil(() => gateway.questions.list('pending')[0], 30_000, 'the URL question');
    expect(opened).toMatchObject({ server: 'py', tool: 'open_link', mode: 'url', url: 'https://example.com/sign-in' });
    await request(app).post(`/api/questions/${opened.id}`).set(auth).send({ action: 'decline' }).expect(200);
    expect(JSON.stringify((await link).body)).toContain('link: decline');
  });

  it('/mcp: a client that declared form and URL elicitation answers both itself', async () => {
    const { base, gateway } = await pythonGateway();
    const client = new Client({ name: 'answering-client', version: '1' }, { capabilities: { elicitation: { form: {}, url: {} } } });
    const asked: { mode?: string; message?: string; url?: string }[] = [];
    client.setRequestHandler('elicitation/create', async (req) => {
      const params = req.params as { mode?: string; message?: string; url?: string };
      asked.push(params);
      return params.mode === 'url' ? { action: 'accept' } : { action: 'accept', content: { name: 'Grace', subscribe: false } };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/py`), { requestInit: { headers: auth } }));
    kit.defer(() => client.close());

    expect(textOf(await client.callTool({ name: 'ask_name', arguments: {} }))).toContain('Hello, Grace! subscribe=False');
    expect(textOf(await client.callTool({ name: 'open_link', arguments: {} }))).toContain('link: accept');
    expect(asked).toEqual([
      expect.objectContaining({ message: 'What is your name?' }),
      expect.objectContaining({ mode: 'url', message: 'Sign in to continue', url: 'https://example.com/sign-in' }),
    ]);
    // The client answered: no card was made.
    expect(gateway.questions.list()).toEqual([]);
  });
});
