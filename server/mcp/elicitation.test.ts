// The one reading of a client's elicitation capability (form/url modes), as both eras' elicitors use it.
import { describe, expect, it } from 'vitest';
import { clientElicitor, elicitationModes } from './elicitation.js';
import { modernQuestions } from './modern-questions.js';

describe('elicitationModes', () => {
  it('reads form and url modes; a bare {} is form; anything else declares nothing', () => {
    expect(elicitationModes({})).toEqual({ form: true, url: false });
    expect(elicitationModes({ form: {} })).toEqual({ form: true, url: false });
    expect(elicitationModes({ url: {} })).toEqual({ form: false, url: true });
    expect(elicitationModes({ form: {}, url: {} })).toEqual({ form: true, url: true });
    for (const nothing of [undefined, null, true, 5, 'form', []]) expect(elicitationModes(nothing)).toEqual({ form: false, url: false });
  });

  it('both eras ask the client only in the modes it declared', () => {
    const form = { mode: 'form', message: 'm', requestedSchema: { type: 'object', properties: {} }, params: {} } as const;
    const url = { mode: 'url', message: 'm', url: 'https://example.com', elicitationId: 'e', params: {} } as const;
    const signal = new AbortController().signal;
    const send = () => Promise.resolve({ action: 'decline' as const });
    for (const [capability, asks] of [
      [{ url: {} }, { form: false, url: true }],
      [{}, { form: true, url: false }],
      [true, { form: false, url: false }],
    ] as const) {
      const legacy = clientElicitor(capability as never, send);
      const modern = modernQuestions(capability as never, false).elicit!;
      for (const elicitor of [legacy, modern]) {
        expect(elicitor(form as never, signal, 1000) !== undefined, JSON.stringify(capability)).toBe(asks.form);
        expect(elicitor(url as never, signal, 1000) !== undefined, JSON.stringify(capability)).toBe(asks.url);
      }
    }
  });
});
