/**
 * Tells `changed` the new text whenever the config file's content changes, and `removed` when the
 * file is gone (deleted or moved away) — once, until it is back. The folder is watched rather than
 * the file, so editors that save by rename and symlink swaps (NixOS `/etc`) are seen too. Bursts
 * of events are coalesced: a file missing only for a moment (mid-save) is not reported.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ConfigWatcher {
  close(): void;
}

export interface ConfigWatchHandlers {
  /** The file's new text, after a change and the quiet time. */
  changed(text: string): void;
  /** The file is gone after the quiet time; the running configuration stays. */
  removed(): void;
  /** The watch itself failed (e.g. the folder went away). */
  error(error: Error): void;
}

export function watchConfigFile(
  file: string,
  handlers: ConfigWatchHandlers,
  /** Quiet time before a change is read, in ms. Default 150. */
  debounceMs = 150,
): ConfigWatcher {
  const absolute = path.resolve(file);
  let last = readOrUndefined(absolute);
  let timer: NodeJS.Timeout | undefined;

  const check = () => {
    const text = readOrUndefined(absolute);
    if (text === last) return; // touched without a change, or still gone
    last = text;
    if (text === undefined) handlers.removed();
    else handlers.changed(text);
  };

  const watcher = fs.watch(path.dirname(absolute), (_event, name) => {
    if (name !== null && name !== path.basename(absolute)) return;
    clearTimeout(timer);
    timer = setTimeout(check, debounceMs);
  });
  watcher.on('error', (error) => handlers.error(error));

  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}

function readOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
