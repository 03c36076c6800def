"use client";

import type { ReactNode } from "react";

import { TreemapChart, type TreemapCell } from "@/components/PersonaTreemap";
import type { Family, PersonaSummary } from "@/lib/api";
import { categoryColor } from "@/lib/colors";
import { pct } from "@/lib/format";

/** Runs with more personas than this open on their families; smaller runs open on the personas. */
export const FAMILIES_FIRST_ABOVE = 12;

export type FamilyView = "auto" | "families" | "personas";

/** Where the overview's treemap is: which level, and which family is zoomed into (URL state). */
export interface FamilyNav {
  view: FamilyView;
  familyId: number | null;
  go: (view: FamilyView, familyId: number | null) => void;
}

/** Read `view` and `family` from the overview's URL; `push` moves to another level or family. */
export function familyNav(runId: string, params: URLSearchParams, push: (href: string) => void): FamilyNav {
  const view = params.get("view");
  const family = params.get("family");
  const familyId = family !== null && /^\d+$/.test(family) ? Number(family) : null;
  return {
    view: view === "families" || view === "personas" ? view : "auto",
    familyId,
    go: (nextView, nextFamily) => {
      const q = new URLSearchParams({ run: runId });
      if (nextView !== "auto") q.set("view", nextView);
      if (nextFamily !== null) q.set("family", String(nextFamily));
      push(`/?${q.toString()}`);
    },
  };
}

/**
 * The level switch and breadcrumbs above the overview's treemap. With families, the run opens on a
 * treemap of families (click one to zoom into its personas, "All families" to go back) or on all
 * personas; `children` draws the persona treemap for the personas shown.
 */
export default function FamilyLevel({
  nav,
  families,
  personas,
  noun,
  children,
}: {
  nav: FamilyNav;
  families: Family[];
  personas: PersonaSummary[];
  noun: string;
  children: (shown: PersonaSummary[]) => ReactNode;
}) {
  if (families.length < 2) return <>{children(personas)}</>;
  const zoomed = nav.familyId !== null ? families.find((f) => f.id === nav.familyId) : undefined;
  const level =
    zoomed !== undefined
      ? "family"
      : nav.view === "auto"
        ? personas.length > FAMILIES_FIRST_ABOVE
          ? "families"
          : "personas"
        : nav.view;

  const switcher = (
    <div className="level-switch" role="group" aria-label="Treemap level">
      <button
        type="button"
        data-testid="level-families"
        aria-pressed={level !== "personas"}
        onClick={() => nav.go("families", null)}
      >
        Families ({families.length})
      </button>
      <button
        type="button"
        data-testid="level-personas"
        aria-pressed={level === "personas"}
        onClick={() => nav.go("personas", null)}
      >
        All personas ({personas.length})
      </button>
    </div>
  );

  if (level === "personas") {
    return (
      <>
        {switcher}
        {children(personas)}
      </>
    );
  }
  if (zoomed === undefined) {
    const cells: TreemapCell[] = families
      .filter((f) => f.size > 0)
      .map((f, i) => ({
        kind: "family",
        id: f.id,
        name: f.name,
        size: f.size,
        share: f.share,
        fill: categoryColor(i),
        valueLabel: `${f.persona_ids.length} persona${f.persona_ids.length === 1 ? "" : "s"}`,
        coreShare: f.size > 0 ? f.core_size / f.size : null,
        terms: (f.top_terms ?? [])
          .slice(0, 6)
          .map((t) => t.term)
          .join(", "),
        label: `Family ${f.name}: ${pct(f.share)} of ${noun}, ${f.persona_ids.length} personas. Open family.`,
      }));
    return (
      <>
        {switcher}
        <nav className="breadcrumbs" aria-label="Breadcrumbs" data-testid="breadcrumbs">
          <span aria-current="page">All families</span>
        </nav>
        <p className="hint">
          Each cell is a family: personas whose conversations read alike. Click one (or Tab to it and press Enter) to
          see its personas.
        </p>
        <TreemapChart
          cells={cells}
          noun={noun}
          valueName="Personas"
          testId="family-treemap"
          onOpen={(cell) => nav.go("families", cell.id)}
        />
      </>
    );
  }
  const inFamily = new Set(zoomed.persona_ids);
  return (
    <>
      {switcher}
      <nav className="breadcrumbs" aria-label="Breadcrumbs" data-testid="breadcrumbs">
        <button type="button" className="linklike" onClick={() => nav.go("families", null)}>
          All families
        </button>
        <span aria-hidden="true"> › </span>
        <span aria-current="page" data-testid="family-name">
          {zoomed.name}
        </span>
        <span className="muted">
          {" "}
          · {pct(zoomed.share)} of {noun}, {zoomed.persona_ids.length} personas
        </span>
      </nav>
      {children(personas.filter((p) => inFamily.has(p.id)))}
    </>
  );
}
