// `exposeAsTools`: a server's resources and prompts as the tools read_resource and get_prompt in
// its OpenAPI tool document, called through the normal call pipeline (validation, policy,
// activity), against server-everything and a fixture server over stdio.
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, expectProblem, node } from './helpers/calls.js';
import { EVERYTHING_BIN, fixture } from './helpers/gateway.js';
import { pendingApprovals } from './helpers/ui-session.js';

const kit = callKit();
const both = { resources: true, prompts: true };
const everything = (exposeAsTools?: object) => ({
  command: node,
  args: [EVERYTHING_BIN, 'stdio'],
  ...(exposeAsTools && { exposeAsTools }),
});
const resources = (env: Record<string, string> = {}) => ({
  command: node,
  args: [fixture('media-resources-server.mjs')],
  env,
  exposeAsTools: both,
});

type Doc = {
  paths: Record<
    string,
    {
      post: {
        operationId: string;
        description?: string;
        requestBody?: { content: Record<string, { schema: { properties: Record<string, { enum?: string[] }> } }> };
      };
    }
  >;
};

describe('exposeAsTools', () => {
  it('is off by default: no read_resource or get_prompt in the document, and no such tool', async () => {
    const { app } = await kit.gateway({ e: everything() });
    const doc = (await request(app).get('/e/openapi.json').expect(200)).body as Doc;
    expect(Object.keys(doc.paths)).not.toContain('/read_resource');
    expect(Object.keys(doc.paths)).not.toContain('/get_prompt');
    expectProblem(await request(app).post('/e/read_resource').send({ uri: 'demo://resource/dynamic/text/1' }), 404, 'tool-not-found');
  });

  it('adds read_resource and get_prompt to the tool documents, describing what the server offers', async () => {
    const { app } = await kit.gateway({ e: everything(both) });
    const doc = (await request(app).get('/e/openapi.json').expect(200)).body as Doc;
    const read = doc.paths['/read_resource']!.post;
    expect(read.description).toContain('demo://resource/dynamic/text/{resourceId}');
    const prompt = doc.paths['/get_prompt']!.post;
    expect(prompt.requestBody!.content['application/json']!.schema.properties.name!.enum).toContain('args-prompt');
    const gateway = (await request(app).get('/openapi.json').expect(200)).body as Doc;
    expect(Object.keys(gateway.paths)).toEqual(expect.arrayContaining(['/e/read_resource', '/e/get_prompt']));
  });

  it('reads a resource and gets a prompt through the call pipeline, recorded under the tool name', async () => {
    const { app } = await kit.gateway({ e: everything(both), r: resources() });
    const text = await request(app).post('/e/read_resource').send({ uri: 'demo://resource/dynamic/text/2' }).expect(200);
    expect(text.body).toMatch(/^Resource 2: This is a plaintext resource/);
    const image = await request(app).post('/r/read_resource').send({ uri: 'mem://pictures/pixel.png' }).expect(200);
    expect(image.body).toMatch(/^data:image\/png;base64,iVBOR/);
    const full = await request(app).post('/api/tools/r/read_resource').send({ uri: 'mem://pictures/pixel.png' }).expect(200);
    expect(full.body.content[0]).toMatchObject({ type: 'resource', resource: { uri: 'mem://pictures/pixel.png', mimeType: 'image/png' } });

    const got = await request(app)
      .post('/e/get_prompt')
      .send({ name: 'args-prompt', arguments: { city: 'Lisbon' } })
      .expect(200);
    expect(got.body.messages[0].role).toBe('user');
    expect(JSON.stringify(got.body.messages)).toContain('Lisbon');
    const missing = await request(app).post('/e/get_prompt').send({ name: 'args-prompt', arguments: {} });
    expectProblem(missing, 422, 'invalid-arguments');
    expect(JSON.stringify(missing.body.errors)).toContain('city');
    expectProblem(await request(app).post('/e/get_prompt').send({ name: 'no-such-prompt' }), 422, 'invalid-arguments');

    const activity = await request(app).get('/api/activity?server=e&tool=read_resource').expect(200);
    expect(activity.body.items).toHaveLength(1);
    expect(activity.body.items[0]).toMatchObject({ server: 'e', tool: 'read_resource', outcome: 'ok' });
  });

  it('waits for a person under an ask rule, and runs once approved (the approval is not voided as a changed tool)', async () => {
    const KEY = 'k3y-for-feature-tools';
    const auth = { Authorization: `Bearer ${KEY}` };
    const { app } = await kit.gateway(
      { e: everything(both) },
      {},
      { apiKey: KEY, approval: { default: 'allow', rules: [{ server: 'e', tool: 'get_prompt', action: 'ask' }] } },
    );
    const answer = request(app)
      .post('/e/get_prompt')
      .set(auth)
      .send({ name: 'args-prompt', arguments: { city: 'Porto' } })
      .then((res) => res);
    const [approval] = await pendingApprovals(app, KEY);
    expect(approval).toMatchObject({ server: 'e', tool: 'get_prompt' });
    await request(app).post(`/api/approvals/${approval!.id}/approve`).set(auth).send({ binding: approval!.binding }).expect(200);
    const res = await answer;
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body.messages)).toContain('Porto');
  });

  it('is subject to the approval policy, and yields to a tool of the server with the same name', async () => {
    const { app } = await kit.gateway(
      { e: everything(both), r: resources({ RESOURCES_OWN_READ: '1' }) },
      {},
      { approval: { default: 'allow', rules: [{ server: 'e', tool: 'get_prompt', action: 'deny' }] } },
    );
    expectProblem(await request(app).post('/e/get_prompt').send({ name: 'simple-prompt' }), 403, 'denied-by-policy');
    const own = await request(app).post('/r/read_resource').send({}).expect(200);
    expect(own.body).toBe('the server’s own tool');
    const doc = (await request(app).get('/r/openapi.json').expect(200)).body as Doc;
    expect(doc.paths['/read_resource']!.post.description).toBe('The server’s own read_resource.');
    // The fixture offers no prompts, so get_prompt is not offered either.
    expect(Object.keys(doc.paths)).not.toContain('/get_prompt');
  });
});
