/**
 * What a reload changed in the settings: the names of the settings whose values differ, as
 * `gateway.allowedHosts`, `gateway.activity.maxRows`, `approval.rules` or `sampling.model`. Never their values:
 * some are secret (a notify target's secret).
 */
import type { GatewayConfig } from './types.js';

export function changedSettings(before: GatewayConfig, after: GatewayConfig): string[] {
  const changed: string[] = [];
  compare('gateway', before.gateway, after.gateway, changed);
  compare('approval', before.approval, after.approval, changed);
  compare('sampling', before.sampling, after.sampling, changed);
  if (serialized(before.groups) !== serialized(after.groups)) changed.push('groups');
  return changed;
}

function compare(name: string, before: unknown, after: unknown, changed: string[]): void {
  if (isPlainObject(before) && isPlainObject(after)) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) compare(`${name}.${key}`, before[key], after[key], changed);
    return;
  }
  if (serialized(before) !== serialized(after)) changed.push(name);
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;

/** JSON, with regular expressions (an approval rule's `matches`) as their source. */
const serialized = (value: unknown) => JSON.stringify(value, (_key, item: unknown) => (item instanceof RegExp ? String(item) : item));
