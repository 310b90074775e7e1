/**
 * Calls `onChange` with the new text whenever the config file's content changes. The folder is
 * watched rather than the file, so editors that save by rename and symlink swaps (NixOS
 * `/etc`) are seen too. Bursts of events are coalesced.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ConfigWatcher {
  close(): void;
}

export function watchConfigFile(
  file: string,
  onChange: (text: string) => void,
  onError: (error: Error) => void,
  /** Quiet time before a change is read, in ms. Default 150. */
  debounceMs = 150,
): ConfigWatcher {
  const absolute = path.resolve(file);
  let last = readOrUndefined(absolute);
  let timer: NodeJS.Timeout | undefined;

  const check = () => {
    const text = readOrUndefined(absolute);
    if (text === undefined || text === last) return; // deleted mid-save, or touched without a change
    last = text;
    onChange(text);
  };

  const watcher = fs.watch(path.dirname(absolute), (_event, name) => {
    if (name !== null && name !== path.basename(absolute)) return;
    clearTimeout(timer);
    timer = setTimeout(check, debounceMs);
  });
  watcher.on('error', onError);

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
