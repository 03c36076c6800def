"use client";

import Link from "next/link";

import { Origin, splitParent, splitPieces, StatusBadge, ToneLine } from "@/components/ChangeTables";
import { paths, type Persona } from "@/lib/api";
import { pct } from "@/lib/format";
import { useApi } from "@/lib/useApi";

/**
 * Where this persona comes from when its run was compared with a baseline (docs/drift.md): its status badge,
 * the baseline persona(s) it continues, its share then → now, and a link to the run's "What changed" page.
 * Nothing for a run without a comparison.
 */
export default function PersonaLineage({ p }: { p: Persona }) {
  const comparison = useApi(paths.comparison(p.run_id));
  if (comparison.status !== "ok") return null;
  const c = comparison.data;
  const mine = c.new_personas.find((n) => n.id === p.id);
  if (mine === undefined) return null;
  // a piece of a split is not its whole parent: its share beside the parent's then and all pieces' now
  const parent = splitParent(mine, c);
  const split = parent ? splitPieces(parent, c) : null;
  const share = parent && split
    ? split.pieces.length > 1
      ? `share ${pct(mine.now.share)}, one of ${split.pieces.length} pieces of a persona that held ${pct(parent.then.share)} (together now ${pct(split.together)})`
      : `share ${pct(mine.now.share)}, split from a persona that held ${pct(parent.then.share)}`
    : `share ${mine.then ? `${pct(mine.then.share)} → ` : ""}${pct(mine.now.share)}`;
  return (
    <p className="comparison-note" data-testid="persona-lineage">
      <span className="muted">Since the baseline run: </span>
      <StatusBadge status={mine.status} />
      <span className="muted"> · {share} · </span>
      <Link href={`/changes/?run=${encodeURIComponent(p.run_id)}`}>What changed →</Link>
      <Origin p={mine} comparison={c} />
      <ToneLine p={mine} />
    </p>
  );
}
