/**
 * A string-keyed table for entries that come and go on every tool call (the calls in flight).
 *
 * Why not a `Map`: when V8 grows or compacts a Map's hash table it allocates a new one and leaves
 * the old one pointing to it (for iterators that were on it), with its entries in place. A table
 * that once reached the old generation (a full collection moves the live one there) so keeps
 * every later table, and every entry ever put in them, alive through the collections of the
 * young generation until the next full one: with 16 calls in flight that moved about 1.3 MB of
 * finished calls to the old generation at each of them, 15–20 µs of GC per call (README,
 * "Performance"). An object without a prototype used as a dictionary has no such link: a table
 * it replaces keeps its entries for one collection at most.
 *
 * Keys must not look like array indices (`"0"`, `"42"`): `values()` gives those in numeric order,
 * the others in the order they were set. Call ids (UUIDs, `g:<n>`) never do.
 */
export class ChurnTable<V> {
  private byKey: Record<string, V> = Object.create(null) as Record<string, V>;
  private count = 0;

  /** Entries in the table. */
  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    return this.byKey[key];
  }

  has(key: string): boolean {
    return key in this.byKey;
  }

  set(key: string, value: V): void {
    if (!(key in this.byKey)) this.count++;
    this.byKey[key] = value;
  }

  /** Removes the entry; whether there was one. */
  delete(key: string): boolean {
    if (!(key in this.byKey)) return false;
    delete this.byKey[key];
    this.count--;
    return true;
  }

  /** The entries, in the order their keys were first set. */
  values(): V[] {
    return Object.values(this.byKey);
  }

  /** The keys and entries, in the order the keys were first set. */
  entries(): [string, V][] {
    return Object.entries(this.byKey);
  }

  clear(): void {
    this.byKey = Object.create(null) as Record<string, V>;
    this.count = 0;
  }
}

/**
 * The objects of the calls in flight, in no particular order (not a `Set`, for the reason above;
 * an array keeps no links either). Each is added once.
 */
export class ChurnList<T> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  add(item: T): void {
    this.items.push(item);
  }

  /** Removes `item` (the last one takes its place); whether it was there. */
  delete(item: T): boolean {
    const index = this.items.lastIndexOf(item);
    if (index === -1) return false;
    const last = this.items.pop()!;
    if (index < this.items.length) this.items[index] = last;
    return true;
  }

  /** A copy of the items, safe to iterate while they change. */
  values(): T[] {
    return this.items.slice();
  }
}
