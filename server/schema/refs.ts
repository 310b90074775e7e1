/**
 * `$ref` resolution within one schema document. The one resolver of the tool documents
 * (`server/openapi/tool-schema.ts`) and of the gateway's own check of arguments
 * (`server/calls/arguments.ts`), so that both read a reference alike.
 */
import { isPlainObject, own } from './json.js';
import { pointerTokens } from './pointer.js';

/**
 * The targets of the `$ref`s of one schema document, within that document: `#` and `""` (the
 * root), JSON pointers (`#/$defs/X`, `#/definitions/X`, `#/properties/a/items`, with `~0`/`~1` and
 * percent-encoding), anchors (`#name`: `$anchor`, `$dynamicAnchor`, draft-07 `$id: "#name"`), and
 * any of those behind the root's own `$id`. Others are unresolvable.
 */
export class SchemaReferences {
  private static readonly known = new WeakMap<object, SchemaReferences>();
  private anchors: Map<string, unknown> | undefined;

  /** The resolver of `root` (one per root object: its anchors are collected once). */
  static of(root: unknown): SchemaReferences {
    if (typeof root !== 'object' || root === null) return new SchemaReferences(root);
    let references = SchemaReferences.known.get(root);
    if (!references) SchemaReferences.known.set(root, (references = new SchemaReferences(root)));
    return references;
  }

  private constructor(private readonly root: unknown) {}

  resolve(ref: string): { value: unknown } | undefined {
    const fragment = this.localFragment(ref);
    if (fragment === undefined) return undefined;
    let decoded: string;
    try {
      decoded = decodeURIComponent(fragment);
    } catch {
      return undefined;
    }
    if (decoded === '') return { value: this.root };
    if (decoded.startsWith('/')) return followPointer(this.root, decoded);
    const anchors = (this.anchors ??= collectAnchors(this.root));
    return anchors.has(decoded) ? { value: anchors.get(decoded) } : undefined;
  }

  /** The fragment of a reference to this very document, or undefined for any other document. */
  private localFragment(ref: string): string | undefined {
    const hash = ref.indexOf('#');
    const base = hash < 0 ? ref : ref.slice(0, hash);
    const fragment = hash < 0 ? '' : ref.slice(hash + 1);
    if (base === '') return fragment;
    const rootId = isPlainObject(this.root) ? own(this.root, '$id') : undefined;
    if (typeof rootId === 'string' && rootId.split('#')[0] === base) return fragment;
    return undefined;
  }
}

/** RFC 6901: `/a~1b/0` → the own property "a/b" of the root, then item 0. */
function followPointer(root: unknown, pointer: string): { value: unknown } | undefined {
  let value = root;
  for (const token of pointerTokens(pointer)) {
    if (Array.isArray(value) && /^(0|[1-9]\d*)$/.test(token) && Number(token) < value.length) value = value[Number(token)];
    else if (isPlainObject(value) && Object.hasOwn(value, token)) value = value[token];
    else return undefined;
  }
  return { value };
}

/** Every `$anchor`, `$dynamicAnchor` and draft-07 `$id: "#name"` in the document; the first of a name wins. */
function collectAnchors(root: unknown): Map<string, unknown> {
  const anchors = new Map<string, unknown>();
  const seen = new Set<object>();
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) pending.push(value[i]);
      continue;
    }
    if (!isPlainObject(value)) continue;
    for (const name of [own(value, '$anchor'), own(value, '$dynamicAnchor')]) {
      if (typeof name === 'string' && !anchors.has(name)) anchors.set(name, value);
    }
    const id = own(value, '$id');
    if (typeof id === 'string' && id.startsWith('#') && !anchors.has(id.slice(1))) anchors.set(id.slice(1), value);
    const keys = Object.keys(value);
    for (let i = keys.length - 1; i >= 0; i--) pending.push(own(value, keys[i]!));
  }
  return anchors;
}
