/**
 * The payloads the hostile fixture servers (test/fixtures/hostile-server.mjs,
 * hostile-resources-server.mjs) put in their metadata and results, given to them as
 * `HOSTILE_PAYLOADS`; the UI tests look for them.
 */
export const XSS = {
  script: '<script>alert(1)</script>',
  img: '<img src=x onerror=alert(1)>',
  attr: '" onmouseover="alert(1)',
  hxGet: '<a hx-get="/api/servers" hx-trigger="load">x</a>',
  hxPost: `<div hx-post="ui/servers/h/enabled" hx-trigger="load" hx-vals='{"enabled":"false"}'>`,
  js: 'javascript:alert(1)',
};
