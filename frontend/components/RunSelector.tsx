"use client";

import type { RunSummary } from "@/lib/api";

/** A run to offer: one from the run list, or only the id of a linked run the list does not hold. */
export type RunChoice = Pick<RunSummary, "id"> &
  Partial<Pick<RunSummary, "created_at" | "counts" | "series" | "source" | "unit">>;
import { dateTime } from "@/lib/format";
import { sourceText } from "@/lib/runs";

/** A run as a person reads it: when, from what, how many personas, its series, then its id. */
export function runLabel(r: RunChoice): string {
  if (r.created_at === undefined) return `run ${r.id}`;
  const parts = [dateTime(r.created_at)];
  if (r.source) parts.push(sourceText(r.source, false));
  // "20 personas of authors": three runs of one file by message, conversation and author read alike before
  if (r.counts?.personas !== undefined) parts.push(`${r.counts.personas} personas${r.unit ? ` of ${r.unit}s` : ""}`);
  if (r.series) parts.push(`series ${r.series}`);
  return `${parts.join(" · ")} — run ${r.id}`;
}

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
            {runLabel(r)}
          </option>
        ))}
      </select>
    </div>
  );
}
