/**
 * Entries → arguments: a submitted tool form read back into tool arguments, in document order
 * (see `names.ts` for what each name means).
 *
 * ## Decoding empty inputs
 *  - optional text, number, select or JSON left empty → the argument is omitted;
 *  - a required string left empty → `""` (`null` when the schema also allows null);
 *  - a required number, select or JSON field left empty → omitted (`null` when nullable), so that
 *    validation reports it as missing;
 *  - an array with no rows → omitted, or `[]` when required;
 *  - an optional object none of whose fields is filled in (text typed, a number, a choice, a
 *    checked box, a row added) → omitted; a required one → `{}` (`null` when nullable);
 *  - every array row is an item, even with all its fields empty (an empty object row is `{}`, an
 *    empty string row `""`; an empty number, select or JSON row is an error unless nullable).
 */
import { isPlainObject, setOwn } from '../../schema/json.js';
import { pointerToken } from '../../schema/pointer.js';
import { Compiler } from './compile.js';
import type { FieldError } from './fields.js';
import { FORM_PREFIX, ITEM, ROW_MARKER, unescapeSegment } from './names.js';
import { isLeaf, type LeafNode, type Node } from './nodes.js';

/**
 * The tool arguments from a submitted form: `entries` in document order (e.g.
 * `new URLSearchParams(body)`), read against the same schema the form was built from. Entries
 * whose names do not belong to the schema's form are ignored.
 */
export function decodeForm(schema: unknown, entries: Iterable<[string, string]>): { args: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  try {
    const root = new Compiler().root(schema);
    const state = new Decoder(root).read(entries);
    const result = finish(root, state, '', 'root', errors);
    if (root.kind === 'object') return { args: result?.value as Record<string, unknown>, errors };
    if (result === undefined) return { args: {}, errors };
    if (!isPlainObject(result.value)) {
      errors.push({ field: '', name: root.name, message: 'The arguments must be a JSON object.' });
      return { args: {}, errors };
    }
    return { args: result.value, errors };
  } catch {
    errors.push({ field: '', name: FORM_PREFIX, message: 'The form could not be read.' });
    return { args: {}, errors };
  }
}

/** What the entries said about one field instance: its last raw text, its properties, its rows. */
interface State {
  raw?: string;
  props?: Map<string, State>;
  rows?: State[];
}

/** Where a name leads: property keys and "current item" steps, then a leaf or an array's row marker. */
interface Target {
  steps: (string | typeof ITEM_STEP)[];
  marker: boolean;
}
const ITEM_STEP = Symbol('item');

/** Reads entries in document order into a tree of states. */
class Decoder {
  private readonly targets = new Map<string, Target | null>();

  constructor(private readonly root: Node) {}

  read(entries: Iterable<[string, string]>): State {
    const state: State = {};
    if (entries === null || entries === undefined) return state;
    try {
      for (const entry of entries as Iterable<unknown>) {
        if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'string') continue;
        const target = this.target(entry[0]);
        if (target) apply(state, target, entry[1]);
      }
    } catch {
      // An iterable that fails midway: what was read so far counts.
    }
    return state;
  }

  private target(name: string): Target | null {
    let target = this.targets.get(name);
    if (target === undefined) {
      target = resolveName(this.root, name);
      this.targets.set(name, target);
    }
    return target;
  }
}

function resolveName(root: Node, name: string): Target | null {
  if (name === FORM_PREFIX) return isLeaf(root) ? { steps: [], marker: false } : null;
  if (!name.startsWith(`${FORM_PREFIX}/`)) return null;
  const segments = name.slice(FORM_PREFIX.length + 1).split('/');
  const steps: Target['steps'] = [];
  let node: Node = root;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (node.kind === 'object') {
      const key = unescapeSegment(segment);
      const child = key === undefined ? undefined : node.byKey.get(key);
      if (child === undefined) return null;
      steps.push(key!);
      node = child;
    } else if (node.kind === 'array') {
      if (segment === ROW_MARKER && i === segments.length - 1) return { steps, marker: true };
      if (segment !== ITEM) return null;
      steps.push(ITEM_STEP);
      node = node.itemNode;
    } else return null;
  }
  return isLeaf(node) ? { steps, marker: false } : null;
}

function apply(root: State, target: Target, raw: string): void {
  let state = root;
  for (const step of target.steps) {
    if (step === ITEM_STEP) {
      const row = state.rows?.[state.rows.length - 1];
      if (row === undefined) return; // an item before any row marker: no row to fill
      state = row;
    } else {
      state.props ??= new Map();
      let child = state.props.get(step);
      if (child === undefined) {
        child = {};
        state.props.set(step, child);
      }
      state = child;
    }
  }
  if (target.marker) (state.rows ??= []).push({});
  else state.raw = raw;
}

/** A decoded value and whether the user filled something in (see "Decoding empty inputs"); undefined: omitted. */
type Decoded = { value: unknown; filled: boolean } | undefined;
type Presence = 'root' | 'row' | 'property';

function finish(node: Node, state: State | undefined, pointer: string, presence: Presence, errors: FieldError[]): Decoded {
  switch (node.kind) {
    case 'object': {
      if (presence === 'property' && state === undefined && !node.schemaRequired) return undefined;
      const object: Record<string, unknown> = {};
      let filled = false;
      for (const { key, node: child } of node.props) {
        const result = finish(child, state?.props?.get(key), `${pointer}/${pointerToken(key)}`, 'property', errors);
        if (result === undefined) continue;
        setOwn(object, key, result.value);
        filled ||= result.filled;
      }
      if (presence === 'property' && !filled) {
        if (!node.schemaRequired) return undefined;
        if (node.nullable) return { value: null, filled: false };
      }
      return { value: object, filled };
    }
    case 'array': {
      const rows = state?.rows ?? [];
      if (rows.length === 0) return presence === 'property' && !node.schemaRequired ? undefined : { value: [], filled: false };
      const items: unknown[] = [];
      rows.forEach((row, index) => {
        const result = finish(node.itemNode, row, `${pointer}/${index}`, 'row', errors);
        if (result !== undefined) items.push(result.value);
      });
      return { value: items, filled: true };
    }
    default:
      return finishLeaf(node, state?.raw, pointer, errors);
  }
}

function finishLeaf(node: LeafNode, raw: string | undefined, pointer: string, errors: FieldError[]): Decoded {
  const fail = (message: string): Decoded => {
    errors.push({ field: pointer, name: node.name, message });
    return undefined;
  };
  const text = raw ?? '';
  const empty = (): Decoded => {
    if (node.kind === 'text' && (node.isItem || node.schemaRequired))
      return { value: node.nullable && !node.isItem ? null : '', filled: false };
    if (node.kind === 'boolean') return node.isItem ? { value: false, filled: false } : undefined;
    if (node.schemaRequired && node.nullable) return { value: null, filled: false };
    if (node.isItem) return fail('Each item needs a value.');
    return undefined;
  };
  switch (node.kind) {
    case 'text':
      return text === '' ? empty() : { value: text.replace(/\r\n?/g, '\n'), filled: true };
    case 'boolean':
      if (raw === undefined) return empty();
      if (raw === 'true' || raw === 'on') return { value: true, filled: true };
      if (raw === 'false' || raw === '') return { value: false, filled: false };
      return fail('Not true or false.');
    case 'number': {
      const trimmed = text.trim();
      if (trimmed === '') return empty();
      const number = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed) ? Number(trimmed) : Number.NaN;
      if (!Number.isFinite(number)) return fail('Not a number.');
      if (node.integer && !Number.isInteger(number)) return fail('Not a whole number.');
      return { value: number, filled: true };
    }
    case 'select':
      if (text === '') return empty();
      if (!node.texts.has(text)) return fail('Not one of the choices.');
      return { value: JSON.parse(text) as unknown, filled: true };
    case 'json': {
      if (text.trim() === '') return empty();
      try {
        return { value: JSON.parse(text) as unknown, filled: true };
      } catch (error) {
        return fail(`Invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
