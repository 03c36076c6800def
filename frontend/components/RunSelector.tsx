"use client";

import type { RunSummary } from "@/lib/api";

/** A run to offer: one from the run list, or only the id of a linked run the list does not hold. */
export type RunChoice = Pick<RunSummary, "id"> & Partial<Pick<RunSummary, "created_at" | "counts" | "series">>;
import { dateTime } from "@/lib/format";

/** Pick one of the store's runs (newest first). */
export default function RunSelector({
  runs,
  value,
  onChange,
}: {
  runs: RunChoice[];
  value: string;
  onChange: (runId: string) => void;
}) {
  return (
    <div className="controls">
      <label htmlFor="run-select">Run</label>
      <select id="run-select" value={value} onChange={(e) => onChange(e.target.value)} data-testid="run-select">
        {runs.map((r) => (
          <option key={r.id} value={r.id}>
            {r.id} — {dateTime(r.created_at)}
            {r.counts?.personas !== undefined ? ` — ${r.counts.personas} personas` : ""}
            {r.series ? ` — series ${r.series}` : ""}
          </option>
        ))}
      </select>
    </div>
  );
}
