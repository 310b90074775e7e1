/**
 * QR codes as inline SVG, for a page's model. The SVG carries no `style` attribute and no
 * `<style>` element (the UI's CSP forbids inline style), only presentation attributes; it has a
 * `viewBox` and no width or height, so CSS sizes it. The `qrcode` package is loaded on the first
 * code, not at start-up (only pairing shows one).
 */

/** Modules of quiet zone around the code (the spec asks for 4; 2 scans well on a plain page). */
const MARGIN = 2;

const escapeAttribute = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The QR code of `text` (error correction level M) as an `<svg>` element with `role="img"`.
 * `label` is its `aria-label`; default `QR code` (the text itself may be a secret link).
 * Throws when the text is too long for a QR code.
 */
export async function qrSvg(text: string, label = 'QR code'): Promise<string> {
  const { default: QRCode } = await import('qrcode');
  const { size, data } = QRCode.create(text, { errorCorrectionLevel: 'M' }).modules;
  const total = size + 2 * MARGIN;
  // One rectangle per run of dark modules in a row.
  let path = '';
  for (let row = 0; row < size; row++) {
    let col = 0;
    while (col < size) {
      if (!data[row * size + col]) {
        col++;
        continue;
      }
      const start = col;
      while (col < size && data[row * size + col]) col++;
      path += `M${start + MARGIN} ${row + MARGIN}h${col - start}v1h-${col - start}z`;
    }
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${total} ${total}" role="img" aria-label="${escapeAttribute(label)}" shape-rendering="crispEdges">` +
    `<rect width="${total}" height="${total}" fill="#ffffff"/>` +
    `<path fill="#000000" d="${path}"/>` +
    `</svg>`
  );
}
