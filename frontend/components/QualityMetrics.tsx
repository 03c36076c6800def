import type { RunMetrics } from "@/lib/api";
import { num, pct } from "@/lib/format";

interface Row {
  label: string;
  value: string;
  meaning: string;
}

function finite(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** The run's quality metrics, each with a one-line meaning. */
export default function QualityMetrics({ metrics }: { metrics: RunMetrics | undefined }) {
  const m = metrics ?? {};
  const rows: Row[] = [
    {
      label: "Noise share",
      value: pct(finite(m.noise_share)),
      meaning: "Members the clustering could not place before reassignment to the nearest persona; lower is crisper.",
    },
    {
      label: "Silhouette",
      value: num(finite(m.silhouette)),
      meaning: "How much nearer members are to their own persona than to the next (−1…1); higher is better separated.",
    },
    {
      label: "DBCV",
      value: num(finite(m.dbcv)),
      meaning: "Density-based cluster validity (−1…1); higher means dense personas with clear gaps between them.",
    },
    {
      label: "Stability (ARI)",
      value: num(finite(m.stability_ari)),
      meaning: "Agreement of personas found again on resampled data (0…1); higher is more reproducible.",
    },
  ];
  const labels = m.labels ?? undefined;
  const scored = labels?.reassigned ?? labels?.with_noise;
  if (scored) {
    rows.push({
      label: "Label agreement",
      value: `NMI ${num(finite(scored.nmi))}`,
      meaning: `Agreement with the data set's own labels, used for evaluation only (ARI ${num(finite(scored.ari))}, accuracy ${pct(finite(scored.acc))}).`,
    });
  }
  return (
    <dl className="metric-list" data-testid="quality-metrics">
      {rows.map((r) => (
        <div key={r.label}>
          <dt>{r.label}</dt>
          <dd className="value">{r.value}</dd>
          <dd className="meaning">{r.meaning}</dd>
        </div>
      ))}
    </dl>
  );
}
