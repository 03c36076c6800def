"use client";

import Link from "next/link";

import { growthRatio, Origin, RedrawnNote, splitParent, splitPieces, StatusBadge, ToneLine } from "@/components/ChangeTables";
import { paths, type Comparison, type NewPersona, type Persona } from "@/lib/api";
import { int, pct } from "@/lib/format";
import { useApi } from "@/lib/useApi";

/**
 * Where this persona comes from when its run was compared with a baseline (docs/drift.md): its status badge,
 * the baseline persona(s) it continues, its share then → now, and a link to the run's "What changed" page.
 * Nothing for a run without a comparison.
 */
export default function PersonaLineage({ p }: { p: Persona }) {
  const run = useApi(paths.run(p.run_id));
  // the comparison is asked for only when the run has one: no 404 for the runs without
  const comparison = useApi(run.status === "ok" && run.data.has_comparison ? paths.comparison(p.run_id) : null);
  if (comparison.status !== "ok") return null;
  const c = comparison.data;
  const mine = c.new_personas.find((n) => n.id === p.id);
  if (mine === undefined) return null;
  return (
    <p className="comparison-note" data-testid="persona-lineage">
      <span className="muted">Since the baseline run: </span>
      <StatusBadge status={mine.status} />
      <span className="muted"> · {shareWords(mine, c)} · </span>
      <Link href={`/changes/?run=${encodeURIComponent(p.run_id)}`}>What changed →</Link>
      <Origin p={mine} comparison={c} />
      <ToneLine p={mine} />
      <RedrawnNote p={mine} ratio={growthRatio(c)} />
    </p>
  );
}

/** "share 21.6% → 22.2% (206 → 223 conversations)"; a piece of a split is not its whole parent: its share beside the parent's then and all
 * pieces' now. */
function shareWords(mine: NewPersona, c: Comparison): string {
  const now = pct(mine.now.share);
  const parent = splitParent(mine, c);
  const unit = `${c.new.unit || "member"}s`;
  if (!parent) {
    // with the counts: a share can fall while the count grows (an analyst review of a cumulative export)
    const counts = mine.then ? `${int(mine.then.count)} → ${int(mine.now.count)} ${unit}` : `${int(mine.now.count)} ${unit}`;
    return `share ${mine.then ? `${pct(mine.then.share)} → ` : ""}${now} (${counts})`;
  }
  const { pieces, together, merged } = splitPieces(parent, c);
  if (merged.length) {
    const into = merged.map((q) => `“${q.name}”`).join(", ");
    return `share ${now}, a piece of a persona that held ${pct(parent.then.share)}; another part of it merged into ${into}`;
  }
  if (pieces.length < 2) return `share ${now}, split from a persona that held ${pct(parent.then.share)}`;
  return `share ${now}, one of ${pieces.length} pieces of a persona that held ${pct(parent.then.share)} (together now ${pct(together)})`;
}
