// Secrets in tool arguments stay out of every record and page: the activity log (API and page) and
// approvals (API and page) redact the built-in secret names, the credentials of URLs, and the
// names of `gateway.redact.keys`, which a config reload changes for the next call. A real gateway,
// a real MCP server that echoes what reached it (the secrets do reach it), a real SQLite file.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../server/config/load.js';
import { callKit, expectProblem, node } from './helpers/calls.js';
import { fixture, tempDir, FAST } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';

/** A server with tools `store` (runs) and `store_held` (asks), taking any arguments and answering with them. */
function storeServer(dir: string) {
  const file = path.join(dir, 'store-tools.json');
  const schema = { type: 'object', additionalProperties: true };
  fs.writeFileSync(
    file,
    JSON.stringify([
      { name: 'store', description: 'Stores a record.', inputSchema: schema },
      { name: 'store_held', description: 'Stores a record, once approved.', inputSchema: schema },
    ]),
  );
  return { command: node, args: [fixture('schema-server.mjs')], env: { FIXTURE_TOOLS_FILE: file } };
}

const ARGS = {
  name: 'Ann',
  pin: '4821-pin-secret',
  mfa_code: '902113',
  DATABASE_URL: 'postgres://app:pg-pass-77@db.internal/orders',
  backup: 'postgres://backup:bk-pass-88@db.internal/orders',
  webhook: 'https://hooks.example/in?v=1&sig=sig-val-42&access_token=hook-tok-99',
  memberNumber: 'M-31337',
  pinned: true,
};
const SECRETS = ['4821-pin-secret', '902113', 'pg-pass-77', 'bk-pass-88', 'sig-val-42', 'hook-tok-99', 'M-31337'];
const REDACTED = {
  name: 'Ann',
  pin: '[redacted]',
  mfa_code: '[redacted]',
  DATABASE_URL: '[redacted]',
  backup: 'postgres://[redacted]@db.internal/orders',
  webhook: 'https://hooks.example/in?v=1&sig=[redacted]&access_token=[redacted]',
  memberNumber: '[redacted]',
  pinned: true,
};

describe('redaction', () => {
  const kit = callKit();

  it('keeps secrets out of the activity log and approvals, their API and their pages', async () => {
    const dir = tempDir();
    const approval = { default: 'allow', rules: [{ tool: 'store_held', action: 'ask' }] };
    const { app } = await kit.gateway({ vault: storeServer(dir) }, { redact: { keys: ['member_number'] } }, { approval });

    const ran = await request(app).post('/vault/store').send(ARGS);
    expect(ran.status).toBe(200);
    expect(ran.body).toEqual({ tool: 'store', arguments: ARGS }); // the server got the real values
    const entry = await waitUntil(async () => (await request(app).get('/api/activity?tool=store')).body.items[0]);
    expect(entry.arguments).toEqual(REDACTED);
    const activityPage = await request(app).get(`/activity/${entry.id}`).set('Accept', 'text/html');
    expect(activityPage.status).toBe(200);
    // The page's Arguments block (the result below it is the tool's answer: this tool echoes them).
    const shownArguments = /<h2>Arguments<\/h2>\s*<pre[^>]*>([\s\S]*?)<\/pre>/.exec(activityPage.text)?.[1];
    expect(shownArguments).toContain('[redacted]');
    for (const secret of SECRETS) expect(shownArguments).not.toContain(secret);

    const held = request(app)
      .post('/vault/store_held')
      .send(ARGS)
      .then((res) => res);
    const pending = await waitUntil(async () => (await request(app).get('/api/approvals?state=pending')).body.items[0]);
    expect(pending.arguments).toEqual(REDACTED);
    const approvalPage = await request(app).get(`/approvals/${pending.id}`).set('Accept', 'text/html');
    expect(approvalPage.status).toBe(200);
    expect(approvalPage.text).toContain('[redacted]');
    for (const secret of SECRETS) expect(approvalPage.text).not.toContain(secret);
    await request(app).post(`/api/approvals/${pending.id}/deny`).expect(200);
    expectProblem(await held, 403, 'approval-denied');
  });

  it('applies a reloaded gateway.redact.keys to the next call', async () => {
    const dir = tempDir();
    const servers = { vault: storeServer(dir) };
    const { app, gateway } = await kit.gateway(servers, { redact: { keys: ['member_number'] } });
    const stored = async (memberNumber: string) => {
      expect((await request(app).post('/vault/store').send({ memberNumber })).status).toBe(200);
      return waitUntil(async () => {
        const items = (await request(app).get('/api/activity?tool=store')).body.items as { arguments: { memberNumber: string } }[];
        return items.length > 0 && items[0]!.arguments.memberNumber !== undefined ? items[0]!.arguments : undefined;
      });
    };
    expect(await stored('M-1')).toEqual({ memberNumber: '[redacted]' });
    const reloaded = parseConfigText(
      JSON.stringify({ approval: { default: 'allow' }, gateway: FAST, mcpServers: servers }),
      path.join(dir, 'config.json'),
    );
    await gateway.reload(reloaded);
    expect((await request(app).post('/vault/store').send({ memberNumber: 'M-2' })).status).toBe(200);
    const second = await waitUntil(async () =>
      (await request(app).get('/api/activity?tool=store')).body.items.find(
        (item: { arguments: { memberNumber: string } }) => item.arguments.memberNumber !== '[redacted]',
      ),
    );
    expect(second.arguments).toEqual({ memberNumber: 'M-2' });
  });
});
