/**
 * The test form of an MCP tool, generated from its (normalized) JSON Schema `inputSchema` — see
 * `toRequestSchema` in `server/openapi/tool-schema.ts` — and the decoding of a submitted form back
 * into tool arguments. Pure: no I/O, inputs are never changed, nothing here throws.
 *
 * Schemas come from untrusted servers: every keyword is checked for the shape of its value (a
 * keyword of the wrong shape is ignored), only own properties are read, and the walk is bounded:
 * objects and arrays nest at most {@link FORM_LIMITS}.maxDepth levels, one form holds at most
 * `maxFields` schema fields (rows prefilled from values are capped separately by *
 * The parts: `fields.ts` (what a form is made of), `names.ts` (the HTML names of its inputs),
 * `compile.ts` (schema → nodes, one per schema position), `build.ts` (nodes + values → fields) and
 * `decode.ts` (submitted entries → arguments).
 */
export { buildForm } from './build.js';
export { decodeForm } from './decode.js';
export { FORM_PREFIX } from './names.js';
export {
  FORM_LIMITS,
  type ArrayField,
  type BooleanField,
  type FieldError,
  type FormField,
  type JsonField,
  type NumberField,
  type ObjectField,
  type SelectField,
  type SelectOption,
  type TextField,
  type TextInputType,
  type ToolForm,
} from './fields.js';
