"use client";

import Link from "next/link";

import { subPersonasOf } from "@/components/SubPersonaPanel";
import { paths, type Persona } from "@/lib/api";
import { useApi } from "@/lib/useApi";

/**
 * Breadcrumbs of a persona page, the tree from the top: Run overview › its family (zoomed into on the
 * overview) › this persona, and how many sub-personas lie below it. Runs without families skip that step.
 */
export default function PersonaTrail({ p }: { p: Persona }) {
  const parent = p.kind === "conversations" && typeof p.parent_id === "number" ? p.parent_id : null;
  const tree = useApi(parent === null ? null : paths.families(p.run_id));
  const family = tree.status === "ok" ? tree.data.families.find((f) => f.id === parent) : undefined;
  const run = encodeURIComponent(p.run_id);
  const subs = subPersonasOf(p).length;
  return (
    <nav className="breadcrumbs breadcrumb" aria-label="Breadcrumbs" data-testid="persona-breadcrumbs">
      <Link href={`/?run=${run}`}>Run overview</Link>
      {family ? (
        <>
          <span aria-hidden="true"> › </span>
          <Link href={`/?run=${run}&view=families&family=${family.id}`} data-testid="breadcrumb-family">
            Family: {family.name}
          </Link>
        </>
      ) : null}
      <span aria-hidden="true"> › </span>
      <span aria-current="page">{p.name || `Persona ${p.id}`}</span>
      {subs ? (
        <>
          <span aria-hidden="true"> › </span>
          <a className="muted" href="#subpersonas-title" data-testid="breadcrumb-subpersonas">
            {subs} sub-personas
          </a>
        </>
      ) : null}
    </nav>
  );
}
