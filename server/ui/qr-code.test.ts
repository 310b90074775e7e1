import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { qrSvg } from './qr-code.js';

const LINK = 'https://gateway.example/pair#Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE';

/** The dark modules the path draws, as a size × size matrix (margin removed). */
function modulesOf(svg: string, size: number, margin: number): boolean[] {
  const d = /<path fill="#000000" d="([^"]*)"/.exec(svg)?.[1] ?? '';
  const grid = new Array<boolean>(size * size).fill(false);
  for (const [, x, y, w] of d.matchAll(/M(\d+) (\d+)h(\d+)v1h-\3z/g)) {
    for (let i = 0; i < Number(w); i++) grid[(Number(y) - margin) * size + Number(x) - margin + i] = true;
  }
  return grid;
}

describe('qrSvg', () => {
  it('is an inline SVG that CSS can size, without inline style', async () => {
    const svg = await qrSvg(LINK);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" ')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect(svg).toMatch(/ viewBox="0 0 (\d+) \1"/);
    expect(svg).toContain('role="img"');
    expect(svg).toContain('aria-label="QR code"');
    expect(svg).not.toMatch(/style/i);
    // The <svg> itself has no fixed size.
    expect(svg.slice(0, svg.indexOf('>'))).not.toMatch(/ (width|height)=/);
  });

  it('draws exactly the modules of the code, inside a 2-module margin', async () => {
    const { size, data } = QRCode.create(LINK, { errorCorrectionLevel: 'M' }).modules;
    const svg = await qrSvg(LINK);
    expect(svg).toContain(`viewBox="0 0 ${size + 4} ${size + 4}"`);
    expect(modulesOf(svg, size, 2)).toEqual(Array.from(data, (bit) => bit === 1));
  });

  it('escapes the label', async () => {
    const svg = await qrSvg('x', 'a "b" <c> & d');
    expect(svg).toContain('aria-label="a &quot;b&quot; &lt;c&gt; &amp; d"');
  });
});
