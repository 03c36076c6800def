/**
 * Typed client for the Personas JSON API (`/api/v1`, docs/CONTRACTS.md §6).
 *
 * The types mirror the backend's response models and the run/profile fields of CONTRACTS §3–§4.
 * Fields the UI can live without are optional so that an older run still renders.
 */

/** Base URL of the API: same origin by default, `NEXT_PUBLIC_API_BASE` to point elsewhere. */
export const API_BASE: string = (process.env.NEXT_PUBLIC_API_BASE ?? "/api/v1").replace(/\/+$/, "");

// ---------------------------------------------------------------------------------------------
// Response types
// ---------------------------------------------------------------------------------------------

export interface Page<T> {
  items: T[];
  total: number;
  offset?: number;
  limit?: number;
}

export interface RunCounts {
  input?: number;
  kept?: number;
  personas?: number;
  noise_before_reassign?: number;
  [key: string]: number | undefined;
}

export interface RunSource {
  paths?: string[];
  layout?: string;
  [key: string]: unknown;
}

export interface RunSummary {
  id: string;
  created_at?: string;
  source?: RunSource | string | null;
  counts?: RunCounts;
  unit?: string;
  /** `"events"` for a run made from product-usage event logs (members are users); absent for conversation runs. */
  kind?: string;
}

export interface FilterStage {
  stage: string;
  /** What the stage counts (event runs: "events", "users", "event types"); absent = members. */
  unit?: string;
  removed: number;
  kept: number;
  kept_share?: number;
  examples?: unknown[];
}

export interface LabelScores {
  nmi?: number;
  ari?: number;
  acc?: number;
}

export interface RunMetrics {
  noise_share?: number | null;
  silhouette?: number | null;
  dbcv?: number | null;
  stability_ari?: number | null;
  labels?: { with_noise?: LabelScores; reassigned?: LabelScores } | null;
  [key: string]: unknown;
}

export interface RunManifest extends RunSummary {
  run_id?: string;
  filtering?: FilterStage[];
  metrics?: RunMetrics;
  timings_s?: Record<string, number>;
  peak_rss_mb?: number;
  has_timestamps?: boolean;
  has_authors?: boolean;
  config?: Record<string, unknown>;
  versions?: Record<string, string>;
}

/** Share of events per `bin_days`-day bin from `start_day` (event runs), persona beside population. */
export interface ActivityByDay {
  bin_days?: number;
  start_day?: number | null;
  persona: number[];
  population: number[];
  difference?: number | null;
}

/** Hour (24) and weekday (7, Monday first) counts; null when the data has no timestamps (or, for
 * weekdays, when the times have no year). Event runs add `resolution`, `unit: "events"` and `by_day`. */
export interface Activity {
  /** The clock of the hours and weekdays: "UTC", "local" or an IANA zone (ml.ingest.timebasis); absent in
   * runs made before it was recorded. */
  time_basis?: string | null;
  resolution?: string;
  unit?: string;
  by_day?: ActivityByDay | null;
  has_timestamps?: boolean;
  note?: string | null;
  timestamped_members?: number;
  hourly: number[] | null;
  weekday: number[] | null;
  population_hourly: number[] | null;
  population_weekday: number[] | null;
  peak_hours?: number[];
  population_peak_hours?: number[];
  peak_weekdays?: number[];
  hourly_difference?: number | null;
  weekday_difference?: number | null;
  peak_lift?: number | null;
}

/** A top term or n-gram: plain text, `{term, ...}` or `[term, score]`. */
export type TermLike = string | { term?: string; ngram?: string; text?: string; score?: number } | [string, number];

/** The text of a term whatever shape it was stored in. */
export function termText(term: TermLike): string {
  if (typeof term === "string") return term;
  if (Array.isArray(term)) return String(term[0] ?? "");
  return String(term.term ?? term.ngram ?? term.text ?? "");
}

export interface FingerprintItem {
  feature: string;
  group: string;
  persona_mean: number | null;
  population_mean: number | null;
  std_diff: number | null;
  sentence?: string;
}

export interface SeparatorSignal {
  signal: string;
  kind: string;
  importance: number;
  direction?: "higher" | "lower" | string;
}

export interface Separators {
  accuracy?: number | null;
  overall_accuracy?: number | null;
  method?: string | null;
  signals: SeparatorSignal[];
}

export interface Evidence {
  member_id: string;
  text: string;
  [key: string]: unknown;
}

export interface PersonaSummary {
  id: number;
  name: string;
  size: number;
  share: number;
  top_terms?: TermLike[];
  description?: string;
  core_size?: number;
  reassigned_count?: number;
  reassigned_share?: number;
  /** Colour measures: reassigned_share, core_share, separability, night_share, ... */
  metrics?: Record<string, number | null>;
  /** Standardised difference to the population per behavioural feature. */
  feature_z?: Record<string, number | null>;
  /** The persona's family (`/runs/{id}/families`); null for runs made before families existed. */
  parent_id?: number | null;
  level?: number | null;
  [key: string]: unknown;
}

/** A family of personas: personas whose centroids sit close together. */
export interface Family {
  id: number;
  name: string;
  size: number;
  share: number;
  core_size: number;
  reassigned_count: number;
  persona_ids: number[];
  top_terms: { term: string; weight: number }[];
}

export interface FamilyTree {
  run_id: string;
  /** ["family", "persona"], or ["persona"] for runs made before families existed. */
  levels: string[];
  rule?: string | null;
  families: Family[];
}

export interface PersonaList extends Page<PersonaSummary> {
  run_id?: string;
}

/** An event that marks an event-run persona: share of its NMF component, lift vs. the population, a sentence. */
export interface TopEvent {
  event: string;
  weight?: number | null;
  lift?: number | null;
  sentence?: string;
}

export interface Persona extends PersonaSummary {
  run_id?: string;
  description: string;
  top_terms: TermLike[];
  top_ngrams?: TermLike[];
  /** Event runs only: the events that mark the persona (shown where a text run shows terms). */
  top_events?: TopEvent[];
  activity?: Activity;
  fingerprint: FingerprintItem[];
  highlights?: string[];
  evidence?: Evidence[];
  /** Privacy floor: no evidence is shown when fewer than the run's minimum of distinct authors back the persona. */
  evidence_withheld?: boolean;
  evidence_withheld_reason?: string | null;
  distinct_authors?: number | null;
  separators?: Separators;
}

export interface Member {
  member_id: string;
  persona_id?: number;
  text: string;
  distance?: number | null;
  reassigned?: boolean;
  /** 0–1: how typical the member is of its persona (1 = at the centre of the persona's core). */
  confidence?: number | null;
  author?: string | null;
  timestamp?: string | null;
  n_messages?: number;
}

export interface MapPoint {
  member_id: string;
  persona_id: number;
  x: number;
  y: number;
  reassigned?: boolean;
  confidence?: number | null;
  text?: string;
}

export interface MemberPage extends Page<Member> {
  run_id?: string;
  persona_id?: number;
  q?: string | null;
}

export interface MapResponse {
  run_id?: string;
  points: MapPoint[];
  limit?: number;
}

/** Where a recommendation comes from: signal references (`term:refund`, `feature:night_share`, ...)
 * and the member ids of evidence snippets in the persona's `evidence`. */
export interface Citations {
  signals: string[];
  evidence: string[];
}

/** One cited statement of a strategy (key message, channel, offer, KPI, risk, ...). */
export interface StrategyItem {
  text?: string;
  id?: string;
  name?: string;
  channel?: string;
  rationale?: string;
  citations?: Citations;
  [key: string]: unknown;
}

/** The strategy document of `ml.strategy.generate_strategy` (ml/strategy/schema.json). */
export interface Strategy {
  schema_version?: number;
  persona_id?: number;
  persona_name?: string;
  goal?: string;
  objective?: string;
  generated_by?: Record<string, unknown>;
  positioning?: StrategyItem;
  key_messages?: StrategyItem[];
  channels?: StrategyItem[];
  timing?: StrategyItem & { best_hours?: number[]; best_weekdays?: number[]; has_timestamps?: boolean };
  tone?: StrategyItem & { traits?: string[] };
  offers?: StrategyItem[];
  kpis?: StrategyItem[];
  risks?: StrategyItem[];
  cited_signals?: Record<string, string>;
  [key: string]: unknown;
}

export interface StrategyRequest {
  run_id: string;
  persona_id: number;
  goal: string;
  channels?: string[] | null;
}

export interface StrategyResponse {
  run_id: string;
  persona_id: number;
  goal: string;
  channels?: string[] | null;
  strategy: Strategy;
}

export interface ApiErrorBody {
  error: { code: string; message: string };
}

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

export function apiGet<T>(path: string, signal?: AbortSignal): Promise<T> {
  return request<T>(path, { signal });
}

export function apiPost<T>(path: string, payload: unknown, signal?: AbortSignal): Promise<T> {
  return request<T>(path, {
    method: "POST",
    body: JSON.stringify(payload),
    headers: { "Content-Type": "application/json" },
    signal,
  });
}

const enc = encodeURIComponent;

/** Paths of the endpoints the UI uses. */
export const paths = {
  runs: (limit = 50) => `/runs?limit=${limit}`,
  run: (runId: string) => `/runs/${enc(runId)}`,
  personas: (runId: string) => `/runs/${enc(runId)}/personas`,
  families: (runId: string) => `/runs/${enc(runId)}/families`,
  persona: (runId: string, personaId: number | string) => `/runs/${enc(runId)}/personas/${enc(String(personaId))}`,
  members: (runId: string, personaId: number | string, q: string, offset: number, limit: number) =>
    `/runs/${enc(runId)}/personas/${enc(String(personaId))}/members?` +
    new URLSearchParams({ q, offset: String(offset), limit: String(limit) }).toString(),
  map: (runId: string, limit = 5000) => `/runs/${enc(runId)}/map?limit=${limit}`,
  strategy: () => `/strategy`,
};

/** Accept both `{items, total}` pages and bare arrays. */
export function itemsOf<T>(payload: Page<T> | T[] | null | undefined): T[] {
  if (!payload) return [];
  return Array.isArray(payload) ? payload : payload.items;
}
