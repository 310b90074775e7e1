/**
 * How much of an untrusted schema one walk reads. Every walker (the OpenAPI converter, the test
 * form, the schema tree) counts the nodes it makes against a budget, so that a huge schema, or one
 * whose `$ref`s blow up exponentially, costs a bounded amount of work; what is past the budget
 * is cut, each walker saying so in its own way.
 */
export class NodeBudget {
  private used = 0;

  /** `max`: most nodes one walk makes. */
  constructor(readonly max: number) {}

  /** Counts one more node; false (and nothing counted) when the budget is spent. */
  take(): boolean {
    if (this.used >= this.max) return false;
    this.used++;
    return true;
  }
}
