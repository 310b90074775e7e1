import { describe, expect, it } from 'vitest';
import { NodeBudget } from './budget.js';

describe('NodeBudget', () => {
  it('grants exactly `max` nodes, then none', () => {
    const budget = new NodeBudget(2);
    expect([budget.take(), budget.take(), budget.take(), budget.take()]).toEqual([true, true, false, false]);
    expect(new NodeBudget(0).take()).toBe(false);
  });
});
