import { describe, expect, it } from 'vitest';
import { ResourceWatches } from './resource-watches.js';

function books(refuse = false) {
  const sent: string[] = [];
  const watches = new ResourceWatches({
    subscribe: async (uri) => {
      sent.push(`subscribe ${uri}`);
      if (refuse) throw new Error('no such resource');
    },
    unsubscribe: async (uri) => {
      sent.push(`unsubscribe ${uri}`);
    },
  });
  return { sent, watches };
}

describe('resource watches', () => {
  it('subscribes upstream for the first watcher of a URI only, and unsubscribes when the last one leaves', async () => {
    const { sent, watches } = books();
    const heard: string[] = [];
    const endA = await watches.watch('a://1', (uri) => heard.push(`A ${uri}`));
    const endB = await watches.watch('a://1', (uri) => heard.push(`B ${uri}`));
    expect(sent).toEqual(['subscribe a://1']);
    watches.updated('a://1');
    watches.updated('a://2');
    expect(heard).toEqual(['A a://1', 'B a://1']);
    endA();
    endA();
    expect(sent).toEqual(['subscribe a://1']);
    expect(watches.uris()).toEqual(['a://1']);
    endB();
    expect(sent).toEqual(['subscribe a://1', 'unsubscribe a://1']);
    expect(watches.size).toBe(0);
  });

  it('keeps no watcher the server refused', async () => {
    const { sent, watches } = books(true);
    await expect(watches.watch('a://1', () => undefined)).rejects.toThrow('no such resource');
    expect(watches.size).toBe(0);
    expect(sent).toEqual(['subscribe a://1']);
  });
  it('makes a watcher that comes while the first subscription is on its way wait for it, and share its refusal', async () => {
    let refuse!: (error: Error) => void;
    const sent: string[] = [];
    const watches = new ResourceWatches({
      subscribe: (uri) => {
        sent.push(`subscribe ${uri}`);
        return new Promise<void>((_, reject) => (refuse = reject));
      },
      unsubscribe: async () => undefined,
    });
    const first = watches.watch('a://1', () => undefined);
    const second = watches.watch('a://1', () => undefined);
    refuse(new Error('no such resource'));
    await expect(first).rejects.toThrow('no such resource');
    await expect(second).rejects.toThrow('no such resource');
    expect(sent).toEqual(['subscribe a://1']);
    expect(watches.size).toBe(0);
  });
});
