import { describe, expect, it } from 'vitest';
import { namespacedContent, namespacedToolMeta, namespacedUri, originalUri } from './resource-uris.js';

describe('namespaced resource URIs', () => {
  it('round-trip whatever the original holds', () => {
    for (const uri of ['note://shared', 'file:///srv/a b/%20?x=1#top', 'demo://x/mcpgw://y/z', 'urn:isbn:0451450523', '']) {
      expect(originalUri(namespacedUri('my_server-1', uri))).toEqual({ server: 'my_server-1', uri });
    }
  });

  it('keep a template a template: expanding the namespaced one names the namespaced expansion', () => {
    const template = namespacedUri('e', 'demo://resource/dynamic/text/{resourceId}');
    expect(template).toBe('mcpgw://e/demo://resource/dynamic/text/{resourceId}');
    expect(originalUri(template.replace('{resourceId}', '7'))).toEqual({ server: 'e', uri: 'demo://resource/dynamic/text/7' });
  });

  it("keep MCP Apps' ui:// scheme, with the server as the first part", () => {
    expect(namespacedUri('w', 'ui://weather/app.html')).toBe('ui://w/weather/app.html');
    expect(originalUri('ui://w/weather/app.html')).toEqual({ server: 'w', uri: 'ui://weather/app.html' });
    expect(originalUri(namespacedUri('w', 'ui://'))).toEqual({ server: 'w', uri: 'ui://' });
    expect(originalUri('ui://w')).toBeUndefined();
    const meta = { ui: { resourceUri: 'ui://weather/app.html', visibility: ['model'] }, 'ui/resourceUri': 'ui://weather/app.html', x: 1 };
    expect(namespacedToolMeta(meta, 'w')).toEqual({
      ui: { resourceUri: 'ui://w/weather/app.html', visibility: ['model'] },
      'ui/resourceUri': 'ui://w/weather/app.html',
      x: 1,
    });
    const plain = { x: 1 };
    expect(namespacedToolMeta(plain, 'w')).toBe(plain);
  });

  it('are not read into URIs of other schemes or without a server', () => {
    expect(originalUri('note://shared')).toBeUndefined();
    expect(originalUri('mcpgw://')).toBeUndefined();
    expect(originalUri('mcpgw:///note://shared')).toBeUndefined();
    expect(originalUri('mcpgw://server')).toBeUndefined();
  });

  it('rewrite resource_link and embedded resource items, and leave a result without them as it is', () => {
    const plain = [{ type: 'text', text: 'hi' }];
    expect(namespacedContent(plain, 's')).toBe(plain);
    expect(
      namespacedContent(
        [
          { type: 'text', text: 'note://x' },
          { type: 'resource_link', uri: 'note://x', name: 'x' },
          { type: 'resource', resource: { uri: 'note://y', text: 'y' } },
        ],
        's',
      ),
    ).toEqual([
      { type: 'text', text: 'note://x' },
      { type: 'resource_link', uri: 'mcpgw://s/note://x', name: 'x' },
      { type: 'resource', resource: { uri: 'mcpgw://s/note://y', text: 'y' } },
    ]);
  });
});
