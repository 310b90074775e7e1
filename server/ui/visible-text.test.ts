import { describe, expect, it } from 'vitest';
import { asIs, escapeHtml, lines, visible, visibleLines } from './visible-text.js';

const C0 = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('');

describe('visible text', () => {
  it('writes out bidirectional controls, zero-width characters and control characters', () => {
    expect(visible('rm\u202Efdp.exe')).toBe('rm\\u202Efdp.exe');
    expect(visible('a\u2066b\u2069c\u200Bd\u200Ee\u061Cf')).toBe('a\\u2066b\\u2069c\\u200Bd\\u200Ee\\u061Cf');
    expect(visible(`${C0}\u007f\u0085`)).toBe(
      '\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\u0008\\t\\n\\u000B\\u000C\\r\\u000E\\u000F' +
        '\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001A\\u001B\\u001C\\u001D\\u001E\\u001F\\u007F\\u0085',
    );
    expect(visible('\u2028\u2029\uFEFF\u00AD\u3164')).toBe('\\u2028\\u2029\\uFEFF\\u00AD\\u3164');
    // Tag characters (hidden text) and lone surrogates, as JSON writes them.
    expect(visible('a\u{E0041}b\uD800c')).toBe('a\\uDB40\\uDC41b\\uD800c');
  });

  it('leaves ordinary text alone, emoji joined by a zero-width joiner included', () => {
    for (const text of ['plain name', 'Grüße, 東京, مرحبا, שלום', '👩‍💻 and 👍🏽', 'a "quoted" <b>']) expect(visible(text)).toBe(text);
    expect(visible('a\u200Db')).toBe('a\\u200Db');
  });

  it('keeps line breaks and tabs in text of several lines, and JSON text keeps its meaning', () => {
    expect(visibleLines('one\ntwo\tthree\r\nfour\rfive\u202E')).toBe('one\ntwo\tthree\r\nfour\\rfive\\u202E');
    const value = { name: 'x\u202Ey\u2028\u007f\u200B', list: ['\u2066'] };
    const shown = visibleLines(JSON.stringify(value, null, 2));
    expect(shown).not.toMatch(/[\u202E\u2028\u007f\u200B\u2066]/);
    expect(JSON.parse(shown)).toEqual(value);
  });

  it('escapes HTML after making the text visible; form values are only HTML-escaped', () => {
    expect(escapeHtml('<b title="x">\u202E\'&')).toBe('&lt;b title=&quot;x&quot;&gt;\\u202E&#39;&amp;');
    expect(escapeHtml(lines('a\nb\u202E<'))).toBe('a\nb\\u202E&lt;');
    expect(escapeHtml(asIs('a\u202E\n"'))).toBe('a\u202E\n&quot;');
    expect(escapeHtml(42)).toBe('42');
  });
});
