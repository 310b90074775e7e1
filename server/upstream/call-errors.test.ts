import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { boundedCapabilities, classifyCallError, describeError } from './call-errors.js';

describe('classifyCallError', () => {
  it('sorts the SDK errors into failure kinds, without the SDK prefixes', () => {
    const kind = (error: unknown, why?: string) => {
      const failure = classifyCallError(error, undefined, why);
      return [failure.kind, failure.message];
    };
    expect(kind(new McpError(ErrorCode.RequestTimeout, 'Request timed out'))).toEqual(['timeout', 'MCP error -32001: Request timed out']);
    expect(kind(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'), 'ping failed')).toEqual([
      'disconnected',
      'the server went away during the call (ping failed)',
    ]);
    expect(kind(new McpError(ErrorCode.InvalidParams, 'MCP error -32602: bad "x"'))).toEqual(['invalid-params', 'bad "x"']);
    expect(kind(new McpError(ErrorCode.InvalidParams, "Structured content does not match the tool's output schema: x"))[0]).toBe(
      'protocol',
    );
    expect(kind(new McpError(ErrorCode.MethodNotFound, 'no sampling'))).toEqual(['server-error', 'no sampling (JSON-RPC error -32601)']);
    expect(kind(new Error('socket hang up'))).toEqual(['protocol', 'socket hang up']);
  });

  it('makes a -32021 of either SDK a missing-capability failure with the capabilities it requires, from a 2026-07-28 server', async () => {
    const { MissingRequiredClientCapabilityError } = await import('@modelcontextprotocol/client');
    const modern = classifyCallError(
      new MissingRequiredClientCapabilityError({ requiredCapabilities: { sampling: {}, roots: {} } }, 'needs sampling'),
      undefined,
      undefined,
      true,
    );
    expect([modern.kind, modern.requiredCapabilities]).toEqual(['missing-capability', { sampling: {}, roots: {} }]);
    expect(modern.message).toBe(
      'the server requires the client capabilities sampling, roots, which the gateway cannot offer for this call (configure ' +
        'sampling: a `sampling` section that lists the server and an approval policy that does not deny sampling/createMessage, ' +
        'or an /mcp client that declares sampling; roots: `roots` or `clientRoots` for the server) (JSON-RPC error -32021: needs sampling)',
    );
    const legacy = classifyCallError(new McpError(-32021, 'needs it', { requiredCapabilities: ['sampling'] }), undefined, undefined, true);
    // Not the schema's object: something unnamed is required.
    expect([legacy.kind, legacy.requiredCapabilities]).toEqual(['missing-capability', {}]);
    expect(legacy.message).toContain('requires a client capability, which the gateway cannot offer for this call (JSON-RPC');
  });

  it("leaves a 2025-era server's -32021 its own error (the server-defined range)", () => {
    const own = classifyCallError(new McpError(-32021, 'locked', { requiredCapabilities: { sampling: {} } }), undefined, undefined);
    expect([own.kind, own.message, own.requiredCapabilities]).toEqual(['server-error', 'locked (JSON-RPC error -32021)', undefined]);
  });

  it('keeps of a -32021 only the known capabilities and small settings, as a fresh object', () => {
    const nest = (levels: number): unknown => (levels === 0 ? 1 : { a: nest(levels - 1) });
    const required = JSON.parse(
      JSON.stringify({
        sampling: { tools: {} },
        roots: nest(4),
        elicitation: nest(5),
        tasks: { big: 'x'.repeat(2000) },
        other: {},
        extensions: Object.fromEntries(Array.from({ length: 20 }, (_, index) => [`e${index}`, { v: index }])),
      }),
    ) as Record<string, unknown>;
    (required.extensions as Record<string, unknown>)['y'.repeat(65)] = {};
    const bounded = boundedCapabilities(required);
    expect(bounded).toEqual({
      sampling: { tools: {} },
      roots: nest(4),
      elicitation: {},
      tasks: {},
      extensions: Object.fromEntries(Array.from({ length: 16 }, (_, index) => [`e${index}`, { v: index }])),
    });
    expect(bounded.sampling).not.toBe(required.sampling);
    // A name is a name, not a prototype; a value that is not an object names the capability only.
    const odd = boundedCapabilities(JSON.parse('{"extensions":{"__proto__":{"polluted":true}},"sampling":"yes"}'));
    expect(Object.getPrototypeOf(odd.extensions)).toBe(Object.prototype);
    expect(Object.keys(odd.extensions as object)).toEqual(['__proto__']);
    expect(odd.sampling).toEqual({});
    expect([boundedCapabilities(['sampling']), boundedCapabilities(null)]).toEqual([{}, {}]);
  });

  it('is "cancelled" whatever the error once the signal is aborted', () => {
    const controller = new AbortController();
    controller.abort();
    expect(classifyCallError(new McpError(ErrorCode.RequestTimeout, 'x'), controller.signal, undefined).kind).toBe('cancelled');
  });
});

describe('describeError', () => {
  it('tells an HTTP status and a cause the message does not already hold', () => {
    expect(describeError(Object.assign(new Error('Not Found'), { code: 404 }))).toBe('HTTP 404: Not Found');
    expect(describeError(Object.assign(new Error('Error POSTing (404)'), { code: 404 }))).toBe('Error POSTing (404)');
    expect(describeError(new Error('fetch failed', { cause: new Error('ECONNREFUSED') }))).toBe('fetch failed (ECONNREFUSED)');
    expect(describeError(new Error('x (boom)', { cause: new Error('boom') }))).toBe('x (boom)');
    expect(describeError('plain')).toBe('plain');
  });
});
