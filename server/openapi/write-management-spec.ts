/**
 * Writes the management API document to `openapi/gateway.json` at the package root, or to the
 * file given: `npm run openapi` (`node dist/server/openapi/write-management-spec.js [file]`).
 * The file is committed; a test fails when it no longer matches the code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT, VERSION } from '../package-info.js';
import { managementDocument } from './management.js';

/** Where `npm run openapi` writes the document. */
export const MANAGEMENT_SPEC_FILE = path.join(PACKAGE_ROOT, 'openapi', 'gateway.json');

/** The document as the committed file holds it: 2-space JSON with a trailing newline. */
export function managementSpecText(version = VERSION): string {
  return `${JSON.stringify(managementDocument(version), null, 2)}\n`;
}

export function writeManagementSpec(file = MANAGEMENT_SPEC_FILE): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, managementSpecText());
  return file;
}

/** Whether this module is the program node runs (not imported by a test). */
function isMain(): boolean {
  try {
    return process.argv[1] !== undefined && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const file = writeManagementSpec(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
  process.stdout.write(`wrote ${path.relative(process.cwd(), file) || file}\n`);
}
