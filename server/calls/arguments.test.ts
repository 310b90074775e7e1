import { describe, expect, it } from 'vitest';
import { checkArguments } from './arguments.js';

/** Playwright's MCP server lists defaulted parameters as required (zod `.default()`), e.g. browser_take_screenshot. */
const SCREENSHOT = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['png', 'jpeg'], default: 'png' },
    scale: { $ref: '#/definitions/Scale' },
    filename: { type: 'string' },
    clip: { type: 'object', properties: { x: { type: 'number' }, unit: { type: 'string', default: 'px' } }, required: ['x', 'unit'] },
    frames: { type: 'array', items: { type: 'object', properties: { at: { type: 'integer', default: 0 } }, required: ['at'] } },
  },
  required: ['type', 'scale'],
  additionalProperties: false,
  definitions: { Scale: { type: 'string', enum: ['css', 'device'], default: 'css' } },
};

describe('checkArguments', () => {
  it('fills in the default of a required property left out (through a $ref too), without changing the given arguments', () => {
    const given = { filename: 'page.png' };
    const { errors, args } = checkArguments(SCREENSHOT, given);
    expect(errors).toEqual([]);
    expect(args).toEqual({ filename: 'page.png', type: 'png', scale: 'css' });
    expect(given).toEqual({ filename: 'page.png' });
  });

  it('keeps given values, and fills defaults inside objects and array items', () => {
    const { errors, args } = checkArguments(SCREENSHOT, { type: 'jpeg', clip: { x: 1 }, frames: [{}, { at: 5 }] });
    expect(errors).toEqual([]);
    expect(args).toEqual({ type: 'jpeg', scale: 'css', clip: { x: 1, unit: 'px' }, frames: [{ at: 0 }, { at: 5 }] });
  });

  it('answers the very same object when nothing is missing', () => {
    const given = { type: 'png', scale: 'device' };
    expect(checkArguments(SCREENSHOT, given).args).toBe(given);
  });

  it('still rejects a required property without a default, and wrong values', () => {
    const { errors, args } = checkArguments(SCREENSHOT, { clip: {}, scale: 'huge' });
    expect(errors).toEqual(
      expect.arrayContaining([
        { field: 'clip.x', message: 'is required' },
        { field: 'scale', message: 'must be equal to one of the allowed values: "css", "device"' },
      ]),
    );
    expect(errors.map((error) => error.field)).not.toContain('type');
    expect(args).toEqual({ clip: {}, scale: 'huge' });
  });

  it('fills a null default, and a default object whose own required properties have defaults', () => {
    const schema = {
      type: 'object',
      properties: {
        note: { type: ['string', 'null'], default: null },
        options: { type: 'object', default: {}, properties: { mode: { type: 'string', default: 'fast' } }, required: ['mode'] },
      },
      required: ['note', 'options'],
    };
    const { errors, args } = checkArguments(schema, {});
    expect(errors).toEqual([]);
    expect(args).toEqual({ note: null, options: { mode: 'fast' } });
  });
});
