/**
 * The tools pages: `/tools` (grouped by server, searched as you type, paged) and
 * `/tools/{server}/{tool}` (what the tool is, its schema as a tree, and a test form generated
 * from the schema, with a raw JSON editor as the switch and the fallback).
 *
 * A test run goes through the same `ToolCaller` as `POST /api/tools/{server}/{tool}`: lookup,
 * validation, limits, timeouts, the activity log. It runs as an async call, so a long call shows
 * its progress: the call's partial (`partials/call`) re-renders itself until the call ends.
 */
import type { Request, Response } from 'express';
import type { PageRouter } from '../http/route.js';
import type { CallEnd, RunningCall } from '../calls/running-call.js';
import { prefixOf, publicOrigin } from '../http/base-path.js';
import { activityReaderOf, callerFilter } from '../http/api/activity.js';
import { answeredProblem } from '../http/call-answer.js';
import { viewerOf } from '../http/api/calls.js';
import { tooDeep } from '../http/json-body.js';
import { ProblemError, type ProblemBody } from '../errors.js';
import { callerOf } from '../http/security.js';
import { toRequestSchema } from '../openapi/tool-schema.js';
import type { ToolInfo } from '../upstream/types.js';
import { toolUi } from '../apps/tool-ui.js';
import { VERSION } from '../package-info.js';
import { curlCommand, durationText, prettyJson, resultBlocks, taskText } from './display.js';
import { isSwap, pageContext, sendView } from './render.js';
import type { UiDeps } from './routes.js';
import { schemaTree } from './schema-tree.js';
import { buildForm, decodeForm, type FieldError } from './tool-form/index.js';
import { searchTools } from './tool-search.js';
import { policyMark } from './policy-marks.js';

/** Tools per page of `/tools`. */
const PAGE_SIZE = 50;
/** How long a test run may take before the answer shows it running (with live progress) instead of its result. */
const SHOW_RUNNING_AFTER_MS = 1000;
/** Characters of a description shown in the list. */
const LIST_DESCRIPTION = 180;

const first = (value: unknown): string =>
  typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : '';

/** The normalized input schema of a tool (refs inlined), computed once per tool list. */
const formSchemas = new WeakMap<ToolInfo, Record<string, unknown>>();

/** The routes of a tool's MCP App (apps-pages.ts), when it has one. */
function appOf(server: string, tool: ToolInfo) {
  if (!toolUi(tool).resourceUri) return null;
  const base = `ui/apps/${encodeURIComponent(server)}`;
  return {
    frame: `${base}/${encodeURIComponent(tool.name)}/frame`,
    call: `${base}/call`,
    read: `${base}/read`,
    /** The tool as its server listed it: the `toolInfo` of the app's host context. */
    tool: JSON.stringify(tool.definition ?? { name: tool.name, inputSchema: tool.inputSchema }),
    version: VERSION,
  };
}

/** Where a tool's test form posts to (relative to `<base href>`). */
const actionOf = (server: string, tool: ToolInfo) => `ui/tools/${encodeURIComponent(server)}/${encodeURIComponent(tool.name)}`;

function annotationBadges(tool: ToolInfo): string[] {
  const a = tool.annotations ?? {};
  const badges: string[] = [];
  if (a.readOnlyHint === true) badges.push('read-only');
  if (a.destructiveHint === true) badges.push('destructive');
  if (a.idempotentHint === true) badges.push('idempotent');
  if (a.openWorldHint === true) badges.push('open-world');
  return badges;
}

function listDescription(tool: ToolInfo): string {
  const text = (tool.description ?? '').replace(/\s+/g, ' ').trim();
  return text.length > LIST_DESCRIPTION ? `${text.slice(0, LIST_DESCRIPTION - 1)}…` : text;
}

/** The model of `partials/call`: a call running, or how it ended. */
export function callModel(call: RunningCall, curl: string, appInput?: unknown) {
  const end: CallEnd | undefined = call.end;
  const problem: ProblemBody | undefined = end && answeredProblem(call, end);
  const result = end?.result?.result;
  return {
    id: call.id,
    server: call.server,
    tool: call.tool,
    running: !end,
    /** The approval the call waits for, while it waits. */
    waitingFor: call.state === 'waiting_for_approval' ? call.approval!.id : '',
    progress: call.progress ?? null,
    /** While the call runs as a task upstream: the task's status (and message). */
    task: end ? '' : taskText(call.task),
    percent: call.progress?.total ? Math.min(100, Math.round((call.progress.progress / call.progress.total) * 100)) : null,
    outcome: end?.outcome ?? 'running',
    status: end ? (problem?.status ?? 200) : null,
    duration: durationText(end?.result?.durationMs ?? (end ? call.elapsedMs() : null)),
    isError: result?.isError === true,
    blocks: result ? resultBlocks(result) : [],
    problem: problem
      ? {
          title: problem.title,
          detail: problem.detail ?? '',
          errors: Array.isArray(problem.errors) ? (problem.errors as FieldError[]) : [],
        }
      : null,
    curl,
    /**
     * For the tool's MCP App (static/app-host.js): the run's arguments and its result as JSON, or why the
     * run ended without one (sent to the app as `ui/notifications/tool-cancelled`).
     */
    app:
      appInput === undefined || !end
        ? null
        : end.result
          ? { input: JSON.stringify(appInput), result: end.result.json, cancelled: '' }
          : { input: JSON.stringify(appInput), result: '', cancelled: problem?.title ?? end.outcome },
  };
}

export function toolPages(pages: PageRouter, deps: UiDeps): void {
  const { supervisor, caller } = deps;

  const findTool = (serverName: string, toolName: string): ToolInfo => {
    const connection = supervisor.require(serverName);
    const tool = connection.tool(toolName);
    if (!tool) throw new ProblemError('tool-not-found', `server "${serverName}" has no tool named "${toolName}"`);
    return tool;
  };
  /** What the approval policy in force does with this tool's calls (read at use: a reload changes it). */
  const markOf = (serverName: string, tool: ToolInfo) => {
    const connection = supervisor.get(serverName);
    return connection ? policyMark(deps.approvalPolicy(), connection.currentConfig, tool) : null;
  };
  const schemaOf = (tool: ToolInfo): Record<string, unknown> => {
    let schema = formSchemas.get(tool);
    if (!schema) {
      schema = toRequestSchema(tool.inputSchema, { maxRefDepth: deps.settings().openapi.maxRefDepth }).schema as Record<string, unknown>;
      formSchemas.set(tool, schema);
    }
    return schema;
  };

  pages.get('/tools', 'tools:read', (req, res) => {
    const q = first(req.query.q).slice(0, 200);
    const server = first(req.query.server);
    const result = searchTools(supervisor.tools(), { q, server, page: Number(first(req.query.page)) || 1, pageSize: PAGE_SIZE });
    const model = {
      q,
      server,
      servers: supervisor.list().map((view) => view.name),
      result: {
        ...result,
        groups: result.groups.map((group) => ({
          server: group.server,
          tools: group.tools.map((tool) => ({
            name: tool.name,
            title: tool.title ?? '',
            description: listDescription(tool),
            badges: annotationBadges(tool),
            policy: markOf(group.server, tool),
          })),
        })),
      },
      query: (page: number) =>
        new URLSearchParams({ ...(q && { q }), ...(server && { server }), ...(page > 1 && { page: String(page) }) }).toString(),
    };
    const page = pageContext(req, 'tools');
    if (isSwap(req, 'tool-results')) return sendView(res, 'partials/tool-list', model, page);
    sendView(res, 'pages/tools', model, page);
  });

  pages.get('/tools/{server}/{tool}', 'tools:read', (req, res) => {
    const tool = findTool(req.params.server!, req.params.tool!);
    const schema = schemaOf(tool);
    let values: unknown;
    let fromNote = '';
    const from = first(req.query.from);
    if (from) {
      // Only a call whose row the reader may read (see activity-api.ts): another caller's arguments stay theirs.
      const entry = deps.activity.get(from, callerFilter(activityReaderOf(req)));
      if (entry && entry.server === req.params.server && entry.tool === tool.name) {
        if (entry.argumentsTruncated) fromNote = 'The arguments of that call were too long to keep; the form starts empty.';
        else {
          values = entry.arguments;
          fromNote = 'Filled in from an earlier call. Values that looked secret were not kept and show as "[redacted]".';
        }
      }
    }
    const form = buildForm(schema, values);
    const useJson = form.root.kind === 'json' || !form.fits;
    sendView(
      res,
      'pages/tool',
      {
        server: req.params.server,
        tool: {
          name: tool.name,
          title: tool.title ?? '',
          description: tool.description ?? '',
          badges: annotationBadges(tool),
          policy: markOf(req.params.server!, tool),
        },
        app: appOf(req.params.server!, tool),
        tree: schemaTree(schema),
        editor: {
          mode: useJson ? 'json' : 'form',
          form: form.root,
          json: values === undefined ? '{}' : prettyJson(values),
          note: fromNote,
          action: actionOf(req.params.server!, tool),
        },
        action: actionOf(req.params.server!, tool),
      },
      pageContext(req, 'tools'),
    );
  });

  /** The arguments a test form sent: from its fields, or from its JSON editor. */
  const argumentsOf = (req: Request, tool: ToolInfo): { args?: Record<string, unknown>; errors: FieldError[] } => {
    const form = req.form ?? new URLSearchParams();
    if (form.get('_mode') === 'json') {
      const text = form.get('_json') ?? '';
      try {
        const value: unknown = text.trim() === '' ? {} : JSON.parse(text);
        if (typeof value !== 'object' || value === null || Array.isArray(value))
          return { errors: [{ field: '(arguments)', message: 'must be a JSON object' }] };
        const maxDepth = deps.settings().maxJsonDepth;
        if (tooDeep(text, value, maxDepth))
          return {
            errors: [{ field: '(arguments)', message: `nests arrays and objects deeper than gateway.maxJsonDepth (${maxDepth} levels)` }],
          };
        return { args: value as Record<string, unknown>, errors: [] };
      } catch (error) {
        return { errors: [{ field: '(arguments)', message: `is not valid JSON: ${(error as Error).message}` }] };
      }
    }
    const decoded = decodeForm(schemaOf(tool), form.entries());
    return decoded.errors.length > 0 ? { errors: decoded.errors } : { args: decoded.args, errors: [] };
  };

  /** The curl command of each test run the registry still knows, and its arguments when the tool has an app, for its partial's re-renders. */
  const runs = new Map<string, { curl: string; appInput?: unknown }>();
  const runModel = (call: RunningCall) => {
    const run = runs.get(call.id);
    return callModel(call, run?.curl ?? '', run?.appInput);
  };

  pages.post('/ui/tools/{server}/{tool}/call', 'tools:call', async (req, res) => {
    const tool = findTool(req.params.server!, req.params.tool!);
    const page = pageContext(req, 'tools');
    const { args, errors } = argumentsOf(req, tool);
    if (!args) {
      sendView(res, 'partials/call-problem', { title: 'The form is not complete', detail: '', errors }, page, 422);
      return;
    }
    const curl = curlCommand(publicOrigin(req), prefixOf(req), req.params.server!, tool.name, args, Boolean(deps.apiKey));
    const call = caller.start({
      server: req.params.server!,
      tool: tool.name,
      args,
      surface: 'api',
      mode: 'async',
      caller: callerOf(req),
      callerLabel: req.identity?.label,
      requestId: req.id,
    });
    if (!(await call.accepted)) {
      // Refused before it started (unknown tool, invalid arguments, overloaded …).
      const problem = call.end!.error!.body();
      const errors = Array.isArray(problem.errors) ? (problem.errors as FieldError[]) : [];
      sendView(res, 'partials/call-problem', { title: problem.title, detail: problem.detail ?? '', errors }, page, problem.status);
      return;
    }
    // A quick call shows its result at once; a longer one shows running, and its partial polls.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([call.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, SHOW_RUNNING_AFTER_MS)))]);
    clearTimeout(timer);
    runs.set(call.id, { curl, ...(toolUi(tool).resourceUri ? { appInput: args } : {}) });
    const id = call.id;
    // At once when the call has already ended (an emitter's `end` would never come then).
    void call.done.then(() => setTimeout(() => runs.delete(id), deps.settings().finishedCallTtlMs).unref());
    sendView(res, 'partials/call', { call: runModel(call) }, page);
  });

  const runningCall = (req: Request): RunningCall => {
    const call = caller.calls.get(String(req.params.id), viewerOf(req));
    if (!call)
      throw new ProblemError(
        'call-not-found',
        `no call with id "${req.params.id}" (finished calls are kept for gateway.finishedCallTtlMs)`,
      );
    return call;
  };

  pages.get('/ui/calls/{id}', 'tools:call', (req, res) => {
    const call = runningCall(req);
    sendView(res, 'partials/call', { call: runModel(call) }, pageContext(req, 'tools'));
  });

  pages.post('/ui/calls/{id}/cancel', 'tools:call', (req, res) => {
    const call = runningCall(req);
    call.cancel();
    sendView(res, 'partials/call', { call: runModel(call) }, pageContext(req, 'tools'));
  });

  /** Switches the test form between its fields and the JSON editor, carrying the values over. */
  pages.post('/ui/tools/{server}/{tool}/editor', 'tools:read', (req: Request, res: Response) => {
    const server = String(req.params.server);
    const tool = findTool(server, String(req.params.tool));
    const schema = schemaOf(tool);
    const to = req.form?.get('_to') === 'json' ? 'json' : 'form';
    const page = pageContext(req, 'tools');
    if (to === 'json') {
      const decoded = decodeForm(schema, (req.form ?? new URLSearchParams()).entries());
      sendView(
        res,
        'partials/editor',
        {
          editor: { mode: 'json', form: buildForm(schema).root, json: prettyJson(decoded.args), note: '', action: actionOf(server, tool) },
        },
        page,
      );
      return;
    }
    let values: unknown;
    let note = '';
    try {
      const text = req.form?.get('_json') ?? '';
      values = text.trim() === '' ? undefined : JSON.parse(text);
      if (tooDeep(text, values, deps.settings().maxJsonDepth)) {
        values = undefined;
        note = 'The JSON nests deeper than gateway.maxJsonDepth, so the form could not take it over.';
      }
    } catch {
      note = 'The JSON is not valid, so the form could not take it over; fix it or start the form empty.';
    }
    const form = buildForm(schema, values);
    if (form.root.kind === 'json') note = "This tool's arguments do not fit a form; use the JSON editor.";
    else if (!form.fits && !note) note = 'Some values have no field in the form and were left out; switch back to JSON to keep them.';
    sendView(
      res,
      'partials/editor',
      {
        editor: {
          mode: form.root.kind === 'json' ? 'json' : 'form',
          form: form.root,
          json: prettyJson(values ?? {}),
          note,
          action: actionOf(server, tool),
        },
      },
      page,
    );
  });
}
