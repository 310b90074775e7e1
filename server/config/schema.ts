/**
 * Zod schemas for the config file's shape, with messages written for operators
 * (`expected positive integer, got -5`), and the conversion of zod issues to `ConfigProblem`s.
 *
 * The schemas check types only. Cross-field rules (command vs url, type vs kind), `${…}`
 * expansion and URL checks live in load.ts, because they need the raw entry and the environment.
 */
import { z } from 'zod';
import { ACCESS_TOKEN_ALGORITHMS, LOG_LEVELS, type ConfigProblem } from './types.js';

export const SERVER_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const SERVER_NAME_RULE = `server name must match ${SERVER_NAME_PATTERN.source} (letters, digits, "_" and "-", at most 64)`;

/** First path segments of the gateway's own routes (`/api/…`, `/ui/…`, `/static/…`, `/mcp/…`): no server may take them. */
export const RESERVED_SERVER_NAMES: ReadonlySet<string> = new Set(['api', 'ui', 'static', 'mcp']);
export const RESERVED_NAME_RULE = `server name must not be one of ${[...RESERVED_SERVER_NAMES].map((n) => JSON.stringify(n)).join(', ')} (the gateway's own routes)`;

/** The JSON type of a parsed value, as an operator would name it. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `['mcpServers', 'bad name', 'args', 2]` → `$.mcpServers["bad name"].args[2]`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '$';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      out += IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

type RawIssue = z.core.$ZodRawIssue;

function expected(what: string) {
  return (issue: RawIssue): string => `expected ${what}, got ${jsonType(issue.input)}`;
}

const string = () => z.string({ error: expected('string') });
const nonEmptyString = () => string().min(1, { error: 'expected non-empty string' });
const stringArray = () => z.array(string(), { error: expected('array of strings') });
const stringRecord = () => z.record(z.string(), string(), { error: expected('object of strings') });
const boolean = () => z.boolean({ error: expected('boolean') });

/** An integer >= `min`; numbers are echoed in the message (they are never secret), other values by type. */
/**
 * A browser origin as sent in `Origin`: `scheme://host[:port]`, nothing more. `*` is refused: a
 * gateway that starts processes must not be callable from every web page the user opens.
 */
function origin() {
  return string().refine(
    (value) => {
      if (value === '*') return false;
      try {
        const url = new URL(value);
        return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value.replace(/\/$/, '');
      } catch {
        return false;
      }
    },
    {
      error: (issue) =>
        `expected an origin like "https://chat.example.com" (scheme, host and port only; "*" is not allowed), got ${JSON.stringify(issue.input)}`,
    },
  );
}

function integer(min: 0 | 1) {
  const what = min === 1 ? 'positive integer' : 'non-negative integer';
  const error = (issue: RawIssue): string =>
    `expected ${what}, got ${typeof issue.input === 'number' ? String(issue.input) : jsonType(issue.input)}`;
  return z.int({ error }).min(min, { error });
}

/**
 * A strict object whose unknown-key issues carry the list of allowed keys as their message
 * (`listed`, when given, replaces the shape's keys in that list).
 */
function strictObject<T extends z.core.$ZodLooseShape>(shape: T, listed: readonly string[] = Object.keys(shape)) {
  const allowed = listed.join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `expected one of: ${allowed}` : `expected object, got ${jsonType(issue.input)}`,
  });
}

/** `expected one of "a", "b", got "c"`: strings are echoed (they are keywords), other values by type. */
function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (issue) =>
      `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}, got ${
        typeof issue.input === 'string' ? JSON.stringify(issue.input) : jsonType(issue.input)
      }`,
  });
}

/** The gateway's scopes (auth/identity.ts), as the resource server's `scopeMap` names them. */
const GATEWAY_SCOPES = ['tools:call', 'tools:read', 'approvals:decide', 'admin'] as const;

export const gatewaySchema = strictObject({
  toolTimeoutMs: integer(1).optional(),
  maxTimeoutMs: integer(1).optional(),
  maxTotalTimeoutMs: integer(1).optional(),
  questionTimeoutMs: integer(1).optional(),
  initTimeoutMs: integer(1).optional(),
  maxConcurrent: integer(1).optional(),
  maxQueue: integer(0).optional(),
  userConnectionIdleMs: integer(1).optional(),
  maxUserConnections: integer(1).optional(),
  pingIntervalMs: integer(0).optional(),
  pingTimeoutMs: integer(1).optional(),
  backoffInitialMs: integer(1).optional(),
  backoffMaxMs: integer(1).optional(),
  stopGraceMs: integer(1).optional(),
  allowedHosts: stringArray().optional(),
  maxBodyBytes: integer(1).optional(),
  maxJsonDepth: integer(1).optional(),
  maxConnections: integer(1).optional(),
  headersTimeoutMs: integer(1).optional(),
  requestTimeoutMs: integer(1).optional(),
  maxResultBytes: integer(1).optional(),
  maxMessageBytes: integer(1).optional(),
  heartbeatMs: integer(1).optional(),
  finishedCallTtlMs: integer(0).optional(),
  mcp: strictObject({
    maxSessions: integer(1).optional(),
    sessionIdleMs: integer(1).optional(),
  }).optional(),
  asyncCalls: strictObject({
    maxFinished: integer(0).optional(),
    maxFinishedBytes: integer(0).optional(),
    maxPerCaller: integer(1).optional(),
  }).optional(),
  activity: strictObject({
    maxRows: integer(1).optional(),
    maxAgeDays: integer(1).optional(),
  }).optional(),
  cors: strictObject({
    origins: z.array(origin(), { error: expected('array of origins') }).optional(),
  }).optional(),
  publicSpecs: boolean().optional(),
  secretsKeyFile: nonEmptyString().optional(),
  basePath: string()
    .regex(/^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$/, {
      error: 'expected a path prefix such as "/mcp" (segments after "/", no trailing "/"), or ""',
    })
    .optional(),
  sessionTtlMs: integer(1).optional(),
  openapi: strictObject({
    maxRefDepth: integer(1).optional(),
  }).optional(),
  trustTailscaleHeaders: boolean().optional(),
  redact: strictObject({
    keys: z
      .array(
        string().regex(/[^-_.\s]/, {
          error: (issue) => `expected an argument name such as "ssn" or "member_number", got ${JSON.stringify(issue.input)}`,
        }),
        { error: expected('array of argument names') },
      )
      .optional(),
  }).optional(),
  serverLogLines: integer(0).optional(),
  resourceServer: strictObject({
    issuer: nonEmptyString(),
    audience: nonEmptyString().optional(),
    jwksUri: nonEmptyString().optional(),
    algorithms: z.array(oneOf(ACCESS_TOKEN_ALGORITHMS), { error: expected('array of JWS algorithm names') }).optional(),
    introspection: strictObject({
      endpoint: nonEmptyString().optional(),
      clientId: nonEmptyString(),
      clientSecretFile: nonEmptyString(),
      cacheMs: integer(0).optional(),
    }).optional(),
    scopeMap: z
      .record(z.string(), z.array(oneOf(GATEWAY_SCOPES), { error: expected('array of gateway scopes') }), {
        error: expected('object of token scope → array of gateway scopes'),
      })
      .optional(),
    requiredScopes: stringArray().optional(),
  }).optional(),
});

// ---------------------------------------------------------------------------------------------
// Approval policy

export const APPROVAL_ACTIONS = ['allow', 'ask', 'deny'] as const;

const approvalAction = () => oneOf(APPROVAL_ACTIONS);

/** Any JSON value (the file is JSON, so every parsed value is one). */
const jsonValue = () => z.unknown();

/** A name, or a list of names (any of them). */
const names = () =>
  z.union([nonEmptyString(), z.array(nonEmptyString()).min(1, { error: 'expected at least one name' })], {
    error: (issue) => `expected a string or an array of strings, got ${jsonType(issue.input)}`,
  });

/**
 * One condition of a rule: on the call's arguments (`pointer` with `equals`, `in` or `matches`),
 * or on the user a trusted key forwarded (`user`: an id or email; `role`). Which kind a condition
 * is, whether exactly one of `equals`, `in` and `matches` is given, the pointer's syntax and the
 * regular expression are checked in load.ts.
 */
export const ruleConditionSchema = strictObject({
  pointer: string().optional(),
  equals: jsonValue().optional(),
  in: z.array(jsonValue(), { error: expected('array of JSON values') }).optional(),
  matches: string().optional(),
  user: names().optional(),
  role: names().optional(),
});

const ruleFields = {
  tool: nonEmptyString().optional(),
  action: approvalAction(),
  // A list of conditions, all of which must hold, or one condition alone (`"when": {"user": "…"}`).
  when: z
    .union([z.array(ruleConditionSchema), ruleConditionSchema], {
      error: (issue) => `expected an array of conditions or one condition, got ${jsonType(issue.input)}`,
    })
    .optional(),
};

export const approvalRuleSchema = strictObject({
  server: nonEmptyString().optional(),
  ...ruleFields,
});

/**
 * A rule inside a server entry: it applies to that server only, so a `server` key is refused
 * with a message that says where such a rule belongs (not as an unknown key, which would read
 * as a typo).
 */
export const serverApprovalRuleSchema = strictObject(
  {
    server: z
      .unknown()
      .refine((value) => value === undefined, {
        error: 'a rule inside a server entry applies to that server only: remove "server", or move the rule to $.approval.rules',
      })
      .optional(),
    ...ruleFields,
  },
  ['tool', 'action', 'when'],
);

const approvalFields = {
  default: approvalAction().optional(),
  timeoutMs: integer(1).optional(),
};

export const notifyTargetSchema = strictObject({
  url: nonEmptyString(),
  secretFile: nonEmptyString().optional(),
});

export const approvalSchema = strictObject({
  ...approvalFields,
  maxPending: integer(1).optional(),
  maxPendingPerCaller: integer(1).optional(),
  notifyIntervalMs: integer(0).optional(),
  rules: z.array(approvalRuleSchema, { error: expected('array of rules') }).optional(),
  notify: z.array(notifyTargetSchema, { error: expected('array of notify targets') }).optional(),
});

export const serverApprovalSchema = strictObject({
  ...approvalFields,
  rules: z.array(serverApprovalRuleSchema, { error: expected('array of rules') }).optional(),
});

/**
 * Values accepted for a server's `type`, and the transport each one means: ours, Claude Code's
 * (`http`), Cline's (`streamableHttp`) and mcpo's (`streamable_http`, `streamablehttp`).
 */
export const SERVER_TYPES = {
  stdio: 'stdio',
  sse: 'sse',
  'streamable-http': 'streamable-http',
  streamableHttp: 'streamable-http',
  http: 'streamable-http',
  streamable_http: 'streamable-http',
  streamablehttp: 'streamable-http',
} as const;

export type ServerType = keyof typeof SERVER_TYPES;

const serverTypeNames = Object.keys(SERVER_TYPES) as ServerType[];

export function isServerType(value: unknown): value is ServerType {
  return typeof value === 'string' && Object.hasOwn(SERVER_TYPES, value);
}

const serverType = oneOf(serverTypeNames as [ServerType, ...ServerType[]]);

/** Keys that only make sense for one kind of server; load.ts rejects them on the other kind. */
export const STDIO_ONLY_KEYS = ['args', 'env', 'cwd'] as const;
export const REMOTE_ONLY_KEYS = ['headers', 'protocol', 'auth', 'oauth', 'perUserAuth'] as const;

/** The OAuth grants the gateway uses to get a remote server's access token (`auth.grant`). */
export const OAUTH_GRANTS = ['authorization_code', 'client_credentials'] as const;

/**
 * A remote server's `auth`: `"oauth"` (every default), or the object form; load.ts checks the
 * secret file and the grant's needs.
 */
const authEntry = () =>
  z.union(
    [
      z.literal('oauth'),
      strictObject({
        grant: oneOf(OAUTH_GRANTS).optional(),
        clientId: nonEmptyString().optional(),
        clientSecretFile: nonEmptyString().optional(),
        clientKeyFile: nonEmptyString().optional(),
        scopes: stringArray().optional(),
        clientMetadataUrl: nonEmptyString().optional(),
        clientName: nonEmptyString().optional(),
      }),
    ],
    {
      error: (issue) =>
        typeof issue.input === 'string' || issue.input === null || typeof issue.input !== 'object'
          ? `expected "oauth" or an object (grant, clientId, clientSecretFile, clientKeyFile, scopes, clientMetadataUrl, clientName), got ${typeof issue.input === 'string' ? JSON.stringify(issue.input) : jsonType(issue.input)}`
          : undefined,
    },
  );

/**
 * mcpo's form of the same (`"oauth": {"server_url": …, "client_metadata": {…}}`): accepted so that an
 * mcpo config runs unchanged. Only `client_metadata.scope` and `client_name` mean something here;
 * discovery finds the rest, and tokens are always kept encrypted in the state database.
 */
const mcpoOAuthEntry = () =>
  strictObject({
    server_url: string().optional(),
    storage_type: string().optional(),
    callback_port: z.unknown().optional(),
    use_loopback: z.unknown().optional(),
    client_metadata: z
      .looseObject({ scope: string().optional(), client_name: string().optional() }, { error: expected('object') })
      .optional(),
  });

/** The MCP eras the gateway's upstream client speaks (`protocol` of a streamable HTTP server). */
export const UPSTREAM_PROTOCOLS = ['2025-11-25', '2026-07-28'] as const;

/**
 * One root: a `file://` URI or an absolute path (load.ts checks which and makes the URI), or
 * `{uri, name}`.
 */
const rootEntry = () =>
  z.union([string(), strictObject({ uri: nonEmptyString(), name: string().optional() })], {
    error: (issue) => `expected a file:// URI, an absolute path or {"uri", "name"}, got ${jsonType(issue.input)}`,
  });

export const serverEntrySchema = strictObject({
  command: nonEmptyString().optional(),
  args: stringArray().optional(),
  env: stringRecord().optional(),
  cwd: nonEmptyString().optional(),
  url: nonEmptyString().optional(),
  headers: stringRecord().optional(),
  protocol: oneOf(UPSTREAM_PROTOCOLS).optional(),
  auth: authEntry().optional(),
  oauth: mcpoOAuthEntry().optional(),
  perUserAuth: boolean().optional(),
  type: serverType.optional(),
  enabled: boolean().optional(),
  // Cline's and Claude Code's way to switch a server off; load.ts reconciles it with `enabled`.
  disabled: boolean().optional(),
  description: string().optional(),
  timeoutMs: integer(1).optional(),
  toolTimeouts: z.record(z.string(), integer(1), { error: expected('object of tool names to positive integers') }).optional(),
  initTimeoutMs: integer(1).optional(),
  maxConcurrent: integer(1).optional(),
  maxQueue: integer(0).optional(),
  disabledTools: stringArray().optional(),
  roots: z.array(rootEntry(), { error: expected('array of roots') }).optional(),
  clientRoots: boolean().optional(),
  logLevel: oneOf(LOG_LEVELS).optional(),
  exposeAsTools: strictObject({ resources: boolean().optional(), prompts: boolean().optional() }).optional(),
  elicitation: boolean().optional(),
  approval: serverApprovalSchema.optional(),
  // Cline's and Roo Code's tool names that run without asking; load.ts makes them allow rules.
  alwaysAllow: z.array(nonEmptyString(), { error: expected('array of tool names') }).optional(),
  autoApprove: z.array(nonEmptyString(), { error: expected('array of tool names') }).optional(),
});

export type ServerEntry = z.infer<typeof serverEntrySchema>;

/** A tool group: a virtual server made of tools of several servers (`/mcp/{group}`). */
export const groupEntrySchema = strictObject({
  tools: z
    .array(nonEmptyString(), { error: expected('array of "server/tool" patterns') })
    .min(1, { error: 'expected at least one "server/tool" pattern' }),
  description: string().optional(),
});

/** The top-level `sampling` section; the URL and the key file are checked in load.ts. */
export const samplingSchema = strictObject({
  url: nonEmptyString(),
  model: nonEmptyString(),
  apiKeyFile: nonEmptyString().optional(),
  maxTokens: integer(1).optional(),
  servers: z
    .union([z.literal('*'), z.array(nonEmptyString())], {
      error: (issue) =>
        `expected "*" or an array of server names, got ${typeof issue.input === 'string' ? JSON.stringify(issue.input) : jsonType(issue.input)}`,
    })
    .optional(),
  timeoutMs: integer(1).optional(),
});

export const configFileSchema = z.strictObject(
  {
    gateway: gatewaySchema.optional(),
    // Checked in load.ts, which needs the server names.
    sampling: z.unknown().optional(),
    approval: approvalSchema.optional(),
    // Entries are checked one by one in load.ts, so that each problem gets the server's path.
    mcpServers: z.record(z.string(), z.unknown(), {
      error: (issue) =>
        issue.input === undefined
          ? 'missing (expected an object of servers; use {} for none)'
          : `expected object, got ${jsonType(issue.input)}`,
    }),
    // Entries are checked one by one in load.ts too: a group's rules need the server names.
    groups: z.record(z.string(), z.unknown(), { error: expected('object of groups') }).optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? 'expected one of: gateway, approval, sampling, mcpServers, groups'
        : `expected object, got ${jsonType(issue.input)}`,
  },
);

/**
 * One problem per issue, at `base` + the issue's path; an unknown-keys issue becomes one problem
 * per key, at the key's own path. Only the first problem per path is kept, so a value that fails
 * two checks (e.g. `-1.5`: not an integer, not positive) reads as one mistake.
 */
/** Whether a union branch's issues are inside the value (it has the branch's type or value), not at its root. */
const pastItsType = (issues: readonly z.core.$ZodIssue[]) =>
  !issues.some((issue) => issue.path.length === 0 && (issue.code === 'invalid_type' || issue.code === 'invalid_value'));

export function issuesToProblems(issues: readonly z.core.$ZodIssue[], base: readonly PropertyKey[] = []): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  const add = (path: string, message: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    problems.push({ path, message });
  };
  for (const issue of issues) {
    const at = [...base, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add(formatPath([...at, key]), `unknown key ${JSON.stringify(key)} (${issue.message})`);
    } else if (issue.code === 'invalid_union' && issue.errors.filter(pastItsType).length === 1) {
      // Of the union's shapes (a list, or one item alone) the value has one: what is wrong inside it is the problem.
      for (const problem of issuesToProblems(issue.errors.find(pastItsType)!, at)) add(problem.path, problem.message);
    } else {
      add(formatPath(at), issue.message);
    }
  }
  return problems;
}
