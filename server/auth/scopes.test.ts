// The scope lookup compiled from declared routes (scopes.ts): matched as Express matches, the first
// declared route wins, the tool-call front before anything, and whatever no route answers needs admin.
import { describe, expect, it } from 'vitest';
import type { ScopedRoute } from '../http/route.js';
import { compileScopes } from './scopes.js';

const ROUTES: ScopedRoute[] = [
  { method: 'post', path: '/{server}/{tool}', scope: 'tools:call', callFront: true },
  { method: 'post', path: '/api/tools/{server}/{tool}', scope: 'tools:call', callFront: true },
  { method: 'get', path: '/', scope: 'tools:read' },
  { method: 'get', path: '/api/keys', scope: 'admin' },
  { method: 'get', path: '/api/approvals/{id}', scope: ['approvals:decide', 'tools:call'] },
  { method: 'post', path: '/api/approvals/{id}/approve', scope: 'approvals:decide' },
  { method: 'get', path: '/static/{file+}', scope: 'tools:read' },
  { method: 'get', path: '/{server}/docs', scope: 'tools:read' },
  { method: 'get', path: '/approvals/{id}', scope: 'approvals:decide' },
  { method: 'post', path: '/ui/logout', scope: ['tools:read', 'tools:call', 'approvals:decide'] },
];

describe('compileScopes', () => {
  const requiredScope = compileScopes(ROUTES);

  it('gives each route its declared scope, HEAD as GET, with or without one trailing slash, in any case of its literal segments', () => {
    expect(requiredScope('GET', '/')).toBe('tools:read');
    expect(requiredScope('HEAD', '/')).toBe('tools:read');
    expect(requiredScope('GET', '/api/approvals/apr_1')).toEqual(['approvals:decide', 'tools:call']);
    expect(requiredScope('GET', '/API/Approvals/apr_1/')).toEqual(['approvals:decide', 'tools:call']);
    expect(requiredScope('POST', '/api/approvals/apr_1/approve')).toBe('approvals:decide');
    expect(requiredScope('POST', '/ui/logout/')).toEqual(['tools:read', 'tools:call', 'approvals:decide']);
    expect(requiredScope('GET', '/static/swagger-ui/swagger-ui.css')).toBe('tools:read');
  });

  it('lets the first declared route win: /{server}/docs before /approvals/{id}', () => {
    expect(requiredScope('GET', '/approvals/docs')).toBe('tools:read');
    expect(requiredScope('GET', '/approvals/apr_1')).toBe('approvals:decide');
  });

  it('takes a POST the tool-call front serves as a call before any other route', () => {
    expect(requiredScope('POST', '/fx/echo')).toBe('tools:call');
    expect(requiredScope('POST', '/api/tools/fx/echo/')).toBe('tools:call');
    // A reserved first segment is a gateway route, not a tool call.
    expect(requiredScope('POST', '/ui/logout')).toEqual(['tools:read', 'tools:call', 'approvals:decide']);
    expect(requiredScope('POST', '/api/keys')).toBe('admin');
  });

  it('fails closed: a method or path no declared route answers needs admin', () => {
    for (const [method, path] of [
      ['GET', '//'],
      ['GET', '/api/approvals/apr_1/approve'],
      ['DELETE', '/api/approvals/apr_1'],
      ['GET', '/api/approvals/apr_1/x/y'],
      ['PUT', '/'],
      ['OPTIONS', '/api/approvals/apr_1'],
      ['GET', '/static'],
      ['GET', '/nothing/here/at/all'],
      ['GET', '/fx/echo'],
    ] as const) {
      expect(requiredScope(method, path), `${method} ${path}`).toBe('admin');
    }
  });

  it('refuses a tool-call front whose routes disagree on their scope', () => {
    expect(() => compileScopes([...ROUTES, { method: 'post', path: '/x/{y}', scope: 'admin', callFront: true }])).toThrow(
      /different scopes/,
    );
  });
});
