/**
 * Typed client for the Personas JSON API (`/api/v1`, docs/api.md).
 *
 * Every type here comes from `api.gen.ts`, which `bash scripts/gen_client.sh` generates from the
 * server's OpenAPI schema (`openapi.json`), the strategy document's too (ml/strategy/schema.json, served as
 * the `Strategy` components); tests/test_generated_client.py fails when either is stale.
 * Endpoints are named by their schema path (`apiPath("/runs/{run_id}", ...)`), so a renamed route, a
 * missing parameter or a changed response model is a type error here, not a blank panel at run time.
 */

import type { components, paths as Endpoints } from "./api.gen";

/** Base URL of the API: same origin by default, `NEXT_PUBLIC_API_BASE` to point elsewhere. */
export const API_BASE: string = (process.env.NEXT_PUBLIC_API_BASE ?? "/api/v1").replace(/\/+$/, "");

// ---------------------------------------------------------------------------------------------
// Response types: the server's models, by name
// ---------------------------------------------------------------------------------------------

type Schemas = components["schemas"];

/** A run in the run list; `kind` tells a conversation run from an event run (members are users). */
export type RunSummary = Schemas["RunPage"]["items"][number];
export type RunSource = NonNullable<RunSummary["source"]>;
/** `GET /runs/{id}`: a conversation or an event run's manifest (narrow on `kind`). */
export type RunManifest = Answer<"/runs/{run_id}">;
export type ConversationMetrics = Schemas["ConversationMetrics"];
export type EventMetrics = Schemas["EventMetrics"];
export type FilterStage = NonNullable<RunManifest["filtering"]>[number];
export type PersonaSummary = Schemas["PersonaSummary"];
export type PersonaList = Schemas["PersonaList"];
/** `GET /runs/{id}/personas/{pid}`: a conversation or an event persona (narrow on `kind`). */
export type Persona = Answer<"/runs/{run_id}/personas/{persona_id}">;
export type Activity = Schemas["Activity"] | Schemas["EventActivity"];
export type WeekdayDates = Schemas["WeekdayDates"];
export type FingerprintItem = Schemas["FingerprintItem"] | Schemas["EventFingerprintItem"];
export type Separators = Schemas["Separators"];
export type Evidence = Schemas["Evidence"];
export type TopEvent = Schemas["TopEvent"];
export type Term = Schemas["Term"];
export type Family = Schemas["FamilyRecord"];
export type FamilyTree = Schemas["FamilyTree"];
export type Member = Schemas["MemberPage"]["items"][number];
export type MemberPage = Schemas["MemberPage"];
export type MapPoint = Schemas["MapPoint"];
export type MapResponse = Schemas["MapResponse"];
export type FeatureInfo = Schemas["FeatureInfo"];
export type StrategyRequest = Schemas["StrategyRequest"];
/** An event run's outcome rates per persona (`manifest.metrics.outcomes`, ml.events.outcomes). */
export type Outcomes = Schemas["Outcomes"];
export type OutcomeTable = Schemas["OutcomeTable"];
/** `POST /strategy`; its `strategy` document is typed by ml/strategy/schema.json, which the OpenAPI schema holds. */
export type StrategyResponse = Schemas["StrategyResponse"];
export type Strategy = Schemas["Strategy"];
export type StrategyCitations = Schemas["StrategyCitations"];
export type ApiErrorBody = Schemas["ErrorResponse"];
/** `GET /runs/{id}/comparison`: the run compared with its baseline (docs/drift.md). */
export type Comparison = Schemas["Comparison"];
export type BasePersona = Schemas["BasePersona"];
export type NewPersona = Schemas["NewPersona"];
export type LineageLink = Schemas["Link"];
export type ShareCI = Schemas["ShareCI"];
export type Shift = Schemas["Shift"];
export type MoversPage = Schemas["MoversPage"];
export type Move = Schemas["Move"];

// ---------------------------------------------------------------------------------------------
// Endpoints: URLs built from the schema's paths, carrying the type of their JSON answer
// ---------------------------------------------------------------------------------------------

type Prefix = "/api/v1";
type StripPrefix<K> = K extends `${Prefix}${infer Route}` ? Route : never;
/** The API's routes as the schema names them, without the `/api/v1` prefix (`"/runs/{run_id}"`). */
export type Route = StripPrefix<keyof Endpoints>;
type Method = "get" | "post";
type Operation<R extends Route, M extends Method> = Endpoints[`${Prefix}${R}`][M];
type RoutesWith<M extends Method> = { [R in Route]: Operation<R, M> extends undefined ? never : R }[Route];

type JsonOk<Op> = Op extends { responses: { 200: { content: { "application/json": infer Body } } } } ? Body : never;
type JsonBody<Op> = Op extends { requestBody: { content: { "application/json": infer Body } } } ? Body : never;
type PathArg<Op> = Op extends { parameters: { path: infer P } } ? { path: P } : { path?: never };
type QueryArg<Op> = Op extends { parameters: { query?: infer Q } } ? { query?: Q } : { query?: never };
/** The path and query parameters of a route's operation, as the schema declares them. */
export type Params<R extends Route, M extends Method = "get"> = PathArg<Operation<R, M>> & QueryArg<Operation<R, M>>;
/** The JSON body of a route's 200 answer. */
export type Answer<R extends Route, M extends Method = "get"> = JsonOk<Operation<R, M>>;

declare const answerType: unique symbol;
/** A URL under API_BASE (a plain string at run time) that remembers the type of its JSON answer. */
export type ApiPath<T> = string & { readonly [answerType]?: T };

type Scalar = string | number | boolean;

function fill(route: string, params: { path?: object; query?: object }): string {
  const values = (params.path ?? {}) as Record<string, Scalar>;
  const url = route.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`apiPath: ${route} needs the path parameter ${name}`);
    return encodeURIComponent(String(values[name]));
  });
  const query = Object.entries((params.query ?? {}) as Record<string, Scalar | null | undefined>).filter(
    (entry): entry is [string, Scalar] => entry[1] !== undefined && entry[1] !== null,
  );
  return query.length ? `${url}?${new URLSearchParams(query.map(([k, v]) => [k, String(v)])).toString()}` : url;
}

/** The URL of a GET route with its parameters filled in (values URL-encoded), typed by its answer. */
export function apiPath<R extends RoutesWith<"get">>(route: R, params: Params<R>): ApiPath<Answer<R>> {
  return fill(route, params);
}

type RunFile<R> = R extends `/runs/{run_id}/${infer File}` ? (File extends `export/${string}` | "report.html" ? File : never) : never;
/** A run's downloads and report as the schema names them (`"export/members.csv"`, `"report.html"`). */
export type RunFileName = RunFile<Route>;

/** A link (for `<a href>`) to one of a run's downloads or its printable report; `query` narrows it to one persona
 * or one family (its members, or its report pages). */
export function runFileUrl(runId: string, file: RunFileName, query?: { persona?: number; family?: number }): string {
  return `${API_BASE}${fill(`/runs/{run_id}/${file}`, { path: { run_id: runId }, query })}`;
}

/** The endpoints the explorer reads. */
export const paths = {
  runs: (limit = 50) => apiPath("/runs", { query: { limit } }),
  run: (runId: string) => apiPath("/runs/{run_id}", { path: { run_id: runId } }),
  personas: (runId: string) => apiPath("/runs/{run_id}/personas", { path: { run_id: runId } }),
  families: (runId: string) => apiPath("/runs/{run_id}/families", { path: { run_id: runId } }),
  persona: (runId: string, personaId: number) =>
    apiPath("/runs/{run_id}/personas/{persona_id}", { path: { run_id: runId, persona_id: personaId } }),
  subPersonas: (runId: string, personaId: number) =>
    apiPath("/runs/{run_id}/personas/{persona_id}/sub-personas", { path: { run_id: runId, persona_id: personaId } }),
  members: (runId: string, personaId: number, q: string, offset: number, limit: number) =>
    apiPath("/runs/{run_id}/personas/{persona_id}/members", {
      path: { run_id: runId, persona_id: personaId },
      query: { q, offset, limit },
    }),
  map: (runId: string, limit = 5000) => apiPath("/runs/{run_id}/map", { path: { run_id: runId }, query: { limit } }),
  comparison: (runId: string) => apiPath("/runs/{run_id}/comparison", { path: { run_id: runId } }),
  movers: (runId: string, offset: number, limit: number, from?: number | null, to?: number | null) =>
    apiPath("/runs/{run_id}/movers", {
      path: { run_id: runId },
      query: { offset, limit, from_persona: from ?? undefined, to_persona: to ?? undefined },
    }),
  series: (name: string) => apiPath("/series/{name}", { path: { name }, query: { limit: 200 } }),
  features: () => apiPath("/features", {}),
  ready: () => apiPath("/ready", {}),
};

// ---------------------------------------------------------------------------------------------
// Fetching
// ---------------------------------------------------------------------------------------------

/** An API call failed: HTTP status (0 = network), the API's error code and a readable message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

function isErrorBody(body: unknown): body is ApiErrorBody {
  if (typeof body !== "object" || body === null || !("error" in body)) return false;
  const err = (body as { error: unknown }).error;
  return typeof err === "object" && err !== null && "message" in err;
}

async function request<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, {
      ...init,
      headers: { Accept: "application/json", ...(init?.headers ?? {}) },
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, "network", `Cannot reach the Personas API at ${API_BASE || "/"}: is the backend running?`);
  }
  const text = await response.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    if (isErrorBody(body)) throw new ApiError(response.status, body.error.code, body.error.message);
    throw new ApiError(response.status, "http_error", `The API answered ${response.status} ${response.statusText}`);
  }
  if (body === null) throw new ApiError(response.status, "bad_response", "The API answered with something other than JSON");
  return body as T;
}

/** GET a URL made by `apiPath`/`paths`; resolves to its typed JSON answer. */
export function apiGet<T>(path: ApiPath<T>, signal?: AbortSignal): Promise<T> {
  return request<T>(path, { signal });
}

/** `POST /strategy`, its document typed by ml/strategy/schema.json: the OpenAPI schema declares it only as an
 * object; the generator's documents are checked against that schema in tests/test_strategy.py and
 * tests/backend/test_assign_strategy.py. */
export function postStrategy(body: StrategyRequest, signal?: AbortSignal): Promise<StrategyResponse> {
  return apiPost("/strategy", body, signal) as Promise<StrategyResponse>;
}

/** POST `body` (the route's request model) to a POST route without path parameters. */
export function apiPost<R extends RoutesWith<"post">>(
  route: R,
  body: JsonBody<Operation<R, "post">>,
  signal?: AbortSignal,
): Promise<Answer<R, "post">> {
  return request<Answer<R, "post">>(fill(route, {}), {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "Content-Type": "application/json" },
    signal,
  });
}
