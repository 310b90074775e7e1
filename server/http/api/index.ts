/**
 * The management API, one module per resource, in the order the app mounts them (before the
 * static files, the documents and the pages). The management document (server/openapi/
 * management.ts) describes `MANAGEMENT_ROUTES`: these and the documents.
 */
import { ACTIVITY_ROUTES } from './activity.js';
import { APPROVAL_ROUTES } from './approvals.js';
import { CALL_ROUTES } from './calls.js';
import { DEVICE_ROUTES } from './devices.js';
import { DOCUMENT_ROUTES } from './documents.js';
import { HEALTH_ROUTES } from './health.js';
import { KEY_ROUTES } from './keys.js';
import { METRICS_ROUTES } from './metrics.js';
import { PROMPT_ROUTES } from './prompts.js';
import { PROTECTED_RESOURCE_ROUTES } from './protected-resource.js';
import { RESOURCE_ROUTES } from './resources.js';
import { QUESTION_ROUTES } from './questions.js';
import { SERVER_ROUTES } from './servers.js';
import { TOOL_ROUTES } from './tools.js';

export const API_ROUTES = [
  ...HEALTH_ROUTES,
  ...PROTECTED_RESOURCE_ROUTES,
  ...SERVER_ROUTES,
  ...TOOL_ROUTES,
  ...RESOURCE_ROUTES,
  ...PROMPT_ROUTES,
  ...CALL_ROUTES,
  ...APPROVAL_ROUTES,
  ...QUESTION_ROUTES,
  ...ACTIVITY_ROUTES,
  ...KEY_ROUTES,
  ...DEVICE_ROUTES,
  ...METRICS_ROUTES,
];

/** Every route of the management document, in its order. */
export const MANAGEMENT_ROUTES = [...API_ROUTES, ...DOCUMENT_ROUTES];
