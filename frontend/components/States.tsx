"use client";

import { paths, type ApiError } from "@/lib/api";
import { useApi } from "@/lib/useApi";

/** Shown while data is on its way. */
export function Loading({ what = "data" }: { what?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite" data-testid="loading">
      <span className="spinner" aria-hidden="true" />
      Loading {what}…
    </div>
  );
}

/** An API call failed: say what and what to try. */
export function ErrorState({ error, title = "Something went wrong" }: { error: ApiError; title?: string }) {
  const hint =
    error.status === 0
      ? "Check that the backend is running (python -m backend --store URL) and reload."
      : error.status === 404
        ? "It may have been deleted, or the link is out of date: go back to the overview."
        : "Reload the page; if it persists, check the backend's log.";
  return (
    <div className="state state-error" role="alert" data-testid="error-state">
      <h2>{title}</h2>
      <p>{error.message}</p>
      <p className="muted">{hint}</p>
    </div>
  );
}

/** The store holds no runs yet: explain how to create one. */
export function EmptyRuns() {
  const ready = useApi(paths.ready());
  const store = ready.status === "ok" && ready.data.store ? ready.data.store : null;
  return (
    <section className="state state-empty" data-testid="empty-state" aria-labelledby="empty-title">
      <h2 id="empty-title">No runs yet</h2>
      <p>
        This store has no published pipeline runs. Create one from a conversation dump (CSV, JSONL or Parquet) and
        publish it to the store this server reads:
      </p>
      <pre>
        <code>python -m ml.run data/sample/twcs_sample.csv --out runs/first --store &quot;$PERSONAS_STORE_URL&quot;</code>
      </pre>
      {store ? (
        <p>
          This server reads the store <code>{store}</code>: pass the same URL to <code>--store</code> (or set{" "}
          <code>PERSONAS_STORE_URL</code> for both).
        </p>
      ) : null}
      <p className="muted">Then reload this page. See the README for the input formats and options.</p>
    </section>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <p className="state state-none">{children}</p>;
}
