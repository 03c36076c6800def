import type { RunSource, RunSummary } from "./api";

/** Human-readable data source of a run: file names and the detected layout. */
export function sourceText(source: RunSource | null | undefined): string {
  const list = source?.inputs ?? [];
  const names = list.map((p) => p.split(/[\\/]/).filter(Boolean).slice(-2).join("/"));
  const shown = names.length > 3 ? `${names.slice(0, 3).join(", ")} and ${names.length - 3} more` : names.join(", ");
  // Event runs record the layout beside the inputs; conversation runs inside the ingest report (`load`).
  const rawLayout = source && "layout" in source ? source.layout : source?.load?.layout;
  const layout = typeof rawLayout === "string" ? rawLayout : null;
  return [shown || "unknown files", layout ? `(${layout} layout)` : ""].filter(Boolean).join(" ");
}

/** True for a run made from product-usage event logs (members are users, texts are event mixes). */
export function isEventRun(run: Pick<RunSummary, "kind"> | null | undefined): boolean {
  return run?.kind === "events";
}

/** What one member of a run is called on screen: "users" for event runs, else "members". */
export function memberNoun(eventRun: boolean, one = false): string {
  return eventRun ? (one ? "user" : "users") : one ? "member" : "members";
}
