/**
 * The gateway's own secret: 32 random bytes in `<state-dir>/gateway.secret` (64 hex digits and a
 * newline, file mode 0600), made on the first start and read at every start after.
 *
 * Nothing uses the secret itself: each purpose derives its own 32-byte key from it with HKDF-SHA256
 * (`key('approval-binding')`), so that keys for different purposes are independent and a new
 * purpose (say, encrypting tokens at rest) needs no new file. The secret and its keys are never
 * logged: a `GatewaySecret` prints as `[GatewaySecret]` in logs, JSON and `util.inspect`.
 *
 * The file is made atomically (written under a temporary name, then linked into place), so two
 * gateways starting on one state folder at once end up with the same secret. A file readable by
 * others is narrowed to 0600 (`tightened` says so). A file that is not 64 hex digits is an error:
 * it is never replaced silently, since whatever the secret protects would be lost with it.
 * Deleting the file makes a new secret at the next start; what depends on it today (the
 * `binding` of pending approvals) does not outlive a restart anyway.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';

/** The file's name inside the state folder. */
export const SECRET_FILE = 'gateway.secret';

/** What a derived key is for; each purpose gets its own key. */
export type SecretPurpose = 'approval-binding' | 'oauth-records';

const SECRET_BYTES = 32;
const SECRET_TEXT = /^[0-9a-f]{64}$/;

export class GatewaySecret {
  readonly #secret: Buffer;
  readonly #keys = new Map<SecretPurpose, Buffer>();

  constructor(secret: Buffer) {
    if (secret.length !== SECRET_BYTES) throw new Error(`a gateway secret is ${SECRET_BYTES} bytes, got ${secret.length}`);
    this.#secret = Buffer.from(secret);
  }

  /** The 32-byte key for `purpose`: HKDF-SHA256 of the secret, with "mcp-gateway <purpose>" as its info. */
  key(purpose: SecretPurpose): Buffer {
    let key = this.#keys.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.#secret, Buffer.alloc(0), `mcp-gateway ${purpose}`, SECRET_BYTES));
      this.#keys.set(purpose, key);
    }
    return key;
  }

  toJSON(): string {
    return '[GatewaySecret]';
  }

  [inspect.custom](): string {
    return '[GatewaySecret]';
  }
}

export interface LoadedSecret {
  secret: GatewaySecret;
  /** The path of the file. */
  file: string;
  /** Whether this start made the file. */
  created: boolean;
  /** The mode the file had when it was readable by others, before it was narrowed to 0600. */
  tightened?: number;
}

/** Reads the secret from `stateDir`, making it (and the folder, mode 0700) first if there is none. */
export function loadGatewaySecret(stateDir: string): LoadedSecret {
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  return loadKeyFile(path.join(stateDir, SECRET_FILE), { what: 'gateway secret', create: true });
}

/**
 * Reads a 32-byte key written as 64 hex digits (`openssl rand -hex 32`) from `file`, making it
 * first when `create` allows and there is none; `what` names it in errors. The same rules as the
 * gateway secret's: made atomically, narrowed to 0600, never replaced, never quoted.
 */
export function loadKeyFile(file: string, { what, create }: { what: string; create: boolean }): LoadedSecret {
  const created = create && !fs.existsSync(file) && createSecretFile(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    throw new Error(`cannot read the ${what} ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
  if (!stat.isFile()) throw new Error(`${file} is not a file; move it away so that the gateway can make its ${what} there`);
  let tightened: number | undefined;
  // A file the operator gave (a systemd credential, read-only) is theirs to keep as they chose.
  if (create && (stat.mode & 0o077) !== 0) {
    fs.chmodSync(file, 0o600);
    tightened = stat.mode & 0o777;
  }
  // Never quote the content in an error: it may be most of the secret.
  const text = fs.readFileSync(file, 'utf8').trim().toLowerCase();
  if (!SECRET_TEXT.test(text)) {
    throw new Error(`${file} does not hold a ${what} (expected 64 hex digits); restore it from a backup, or delete it to make a new one`);
  }
  return { secret: new GatewaySecret(Buffer.from(text, 'hex')), file, created, ...(tightened !== undefined && { tightened }) };
}

/** Makes the file atomically; false when another process made it first. */
function createSecretFile(file: string): boolean {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  fs.writeFileSync(temporary, `${randomBytes(SECRET_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    try {
      fs.linkSync(temporary, file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
      // A file system without hard links: an exclusive copy (not atomic, but never over another's file).
      fs.copyFileSync(temporary, file, fs.constants.COPYFILE_EXCL);
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}
