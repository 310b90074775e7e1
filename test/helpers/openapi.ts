/** Checks every OpenAPI document must pass: `@redocly/openapi-core` lint and swagger-parser validation. */
import SwaggerParser from '@apidevtools/swagger-parser';
import { createConfig, lintFromString } from '@redocly/openapi-core';

let config: Awaited<ReturnType<typeof createConfig>> | undefined;

/** The problems of severity `error` under Redocly's `recommended` rules (what `redocly lint` reports). */
export async function lintErrors(document: object): Promise<string[]> {
  config ??= await createConfig({ extends: ['recommended'] });
  const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: 'openapi.json', config });
  return problems
    .filter((problem) => problem.severity === 'error')
    .map((problem) => `${problem.ruleId}: ${problem.message} at ${problem.location.map((l) => l.pointer).join(', ')}`);
}

/** Resolves when swagger-parser accepts the document; rejects with its complaint otherwise. */
export async function validateDocument(document: object): Promise<void> {
  await SwaggerParser.validate(structuredClone(document) as never);
}

/** Every `$ref` value in a document. */
export function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refsIn(item, found);
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string') found.push(item);
      else refsIn(item, found);
    }
  }
  return found;
}
