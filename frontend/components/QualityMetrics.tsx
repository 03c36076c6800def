import type { ConversationMetrics, EventMetrics, RunManifest } from "@/lib/api";
import { finite, num, pct } from "@/lib/format";

interface Row {
  label: string;
  value: string;
  meaning: string;
}

/** How k was chosen, in words: the pipeline writes "fixed" or "cv (...)" (cross-validation on held-out events). */
function kMeaning(by: string | null | undefined, dropped?: number | null): string {
  const extra = dropped
    ? ` ${dropped} more ${dropped === 1 ? "component was" : "components were"} no user's largest share and ${dropped === 1 ? "was" : "were"} dropped.`
    : "";
  if (by === "fixed") return `Number of personas (NMF components), set in the run's config.${extra}`;
  const rule = by?.includes("standard error")
    ? "the smallest k within one standard error of the best"
    : "the k that best rebuilds users' held-out events";
  return `Number of personas (NMF components), chosen by cross-validation: ${rule}.${extra}`;
}

/**
 * The mixed share read where it is a quarter or more (ml/events/profile.py's MIXED_NOTE and mixed_note, which the CLI
 * prints): OULAD BBB 2014J's two personas left 35% of the users within the margin of both, with nothing to say what
 * that means.
 */
export function mixedReading(share: number | null): string {
  if (share === null || share < 0.25) return "";
  return " Here a quarter or more: these users' event mixes sit nearly as close to a second persona as to their own, so read the personas as tendencies, not firm groups; the members export marks each user clear or mixed.";
}

/** Quality of an event run (NMF on users × events): k, mixed users, separation, balance, stability. */
function eventRows(m: EventMetrics): Row[] {
  const k = finite(m.k);
  return [
    {
      label: "Personas (k)",
      value: k === null ? "–" : String(k),
      meaning: kMeaning(m.k_chosen_by, m.empty_components_dropped),
    },
    {
      label: "Mixed share",
      value: pct(finite(m.mixed_share)),
      meaning: "Users whose top two personas are nearly tied (flagged as mixed); lower is crisper." +
        mixedReading(finite(m.mixed_share)),
    },
    {
      label: "Silhouette",
      value: num(finite(m.silhouette)),
      meaning: "How much nearer users' event mixes are to their own persona than to the next (−1…1); higher is better separated.",
    },
    {
      label: "Balance",
      value: num(finite(m.balance)),
      meaning: `Evenness of persona sizes (0…1, normalised entropy); the smallest persona holds ${pct(finite(m.min_share))} of users.`,
    },
    {
      label: "Stability (ARI)",
      value: num(finite(m.stability_ari)),
      meaning: "Agreement of personas refitted on 80% of users with the full fit (0…1); higher is more reproducible." +
        stabilityReading(finite(m.stability_ari), "users"),
    },
  ];
}

/**
 * The stability's reading on Steinley's (2004) bands for the adjusted Rand index (≥ 0.90 excellent, ≥ 0.80 good,
 * ≥ 0.65 moderate, below that poor), as ml/runtime/quality.py words it for the CLI: an events review found
 * Moodle's personas at 0.34 with nothing but "higher is more reproducible" beside it.
 */
/** A stability under this is poor on Steinley's bands: the run's personas are tentative (ml/runtime/quality.py's
 * POOR_BELOW). */
export const POOR_BELOW = 0.65;

export function stabilityReading(ari: number | null | undefined, who: string): string {
  if (ari === null || ari === undefined) return "";
  if (ari >= 0.9) return " Excellent (0.90 or more, on Steinley's 2004 bands for this index).";
  if (ari >= 0.8) return " Good (0.80–0.90, on Steinley's 2004 bands for this index).";
  if (ari >= POOR_BELOW) return " Moderate (0.65–0.80, on Steinley's 2004 bands for this index): the larger personas hold, the edges move.";
  return ` Poor (below 0.65, on Steinley's 2004 bands for this index): a refit regroups many ${who}, so present these personas as tentative.`;
}

/**
 * The persona counts of the stability check's two refits, where they refitted every member (a sample's count is a
 * smaller set's), as ml/runtime/quality.py's refit_counts_note says them in the CLI: a help-desk export found 33
 * personas in one run and 38 after 7 timestamps turned unreadable, within the 32–50 that ten seeds of the same data
 * gave. Counts within a tenth of the run's either way come without the warning.
 */
export function refitCounts(m: ConversationMetrics, members: number | undefined): string {
  const counts = m.stability_personas;
  const n = m.n_personas;
  if (!counts?.length || !n || members === undefined || m.stability_rows !== members) return "";
  if (counts.every((c) => c === n)) return ` Two refits of every member with other seeds found ${n} personas each, as this run did.`;
  const moves = counts.some((c) => Math.abs(c - n) > 0.1 * n);
  return (
    ` Two refits of every member with other seeds found ${counts.join(" and ")} personas (this run ${n})` +
    (moves ? ": the count moves with the seed on this data, so take it as approximate." : ".")
  );
}

/** The run's quality metrics, each with a one-line meaning (an event run has metrics of its own). */
export default function QualityMetrics({ manifest }: { manifest: RunManifest }) {
  if (manifest.kind === "events") return <MetricList rows={eventRows(manifest.metrics ?? {})} />;
  return <MetricList rows={conversationRows(manifest.metrics ?? {}, manifest.counts?.kept)} />;
}

/** Quality of a conversation run (HDBSCAN on embeddings ⊕ features), and label agreement when the data has labels. */
function conversationRows(m: ConversationMetrics, members: number | undefined): Row[] {
  const rows: Row[] = [
    {
      label: "Noise share",
      value: pct(finite(m.noise_share)),
      meaning:
        "Members the clustering could not place before reassignment to the nearest persona; lower is crisper." +
        ((finite(m.noise_share) ?? 0) >= 0.5
          ? " Here more than half: most members joined a persona by nearness, not as part of a dense group, so a persona is best read from its core members (its evidence) and its edges are loose."
          : ""),
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
      meaning: "Agreement between the personas of two refits with other seeds, on every member or a sample of them (0…1); higher is more reproducible." +
        stabilityReading(finite(m.stability_ari), "members") +
        refitCounts(m, members),
    },
  ];
  const scored = m.labels?.reassigned ?? m.labels?.with_noise;
  if (scored) {
    const column = m.labels?.column ? ` in column “${m.labels.column}”` : "";
    const classes = m.labels?.n_classes;
    // ACC matches one persona per class: with 25 personas and 3 labels at most 3 count ("accuracy 12.2%" read as a
    // failure beside a 65% majority label, an explorer review); purity reads each persona as its commonest label
    const purity =
      typeof scored.purity === "number"
        ? ` Purity ${pct(scored.purity)}: members whose persona's commonest label is theirs` +
          (typeof scored.majority === "number" ? ` (one label for everyone would score ${pct(scored.majority)})` : "") +
          "."
        : "";
    rows.push({
      label: "Label agreement",
      value: `NMI ${num(finite(scored.nmi))}`,
      meaning:
        `Agreement with the data set's own labels${column}, used for evaluation only (ARI ${num(finite(scored.ari))}).` +
        purity +
        ` One-to-one accuracy ${pct(finite(scored.acc))}` +
        (classes
          ? ` (each of the ${classes} labels matched to at most one persona and each persona to at most one label; the members of the others count as misses).`
          : "."),
    });
  }
  return rows;
}

function MetricList({ rows }: { rows: Row[] }) {
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
