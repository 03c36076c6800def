"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import type { ReactNode } from "react";

import { TreemapChart, type TreemapCell } from "@/components/PersonaTreemap";
import { ErrorState, Loading } from "@/components/States";
import { paths, type Family, type PersonaSummary } from "@/lib/api";
import { categoryColor } from "@/lib/colors";
import { int, pct, subPersonaWords } from "@/lib/format";
import { useApi } from "@/lib/useApi";

/** Runs with more personas than this open on their families; smaller runs open on the personas. */
export const FAMILIES_FIRST_ABOVE = 12;

export type FamilyView = "auto" | "families" | "personas";

/** Where the overview's treemap is: which level, which family and which persona is zoomed into (URL state). */
export interface FamilyNav {
  view: FamilyView;
  familyId: number | null;
  personaId: number | null;
  go: (view: FamilyView, familyId: number | null, personaId?: number | null) => void;
}

function idParam(params: URLSearchParams, name: string): number | null {
  const raw = params.get(name);
  return raw !== null && /^\d+$/.test(raw) ? Number(raw) : null;
}

/** Read `view`, `family` and `persona` from the overview's URL; `go` moves to another level. */
export function familyNav(runId: string, params: URLSearchParams, push: (href: string) => void): FamilyNav {
  const view = params.get("view");
  return {
    view: view === "families" || view === "personas" ? view : "auto",
    familyId: idParam(params, "family"),
    personaId: idParam(params, "persona"),
    go: (nextView, nextFamily, nextPersona = null) => {
      const q = new URLSearchParams({ run: runId });
      if (nextView !== "auto") q.set("view", nextView);
      if (nextFamily !== null) q.set("family", String(nextFamily));
      if (nextFamily !== null && nextPersona !== null) q.set("persona", String(nextPersona));
      push(`/?${q.toString()}`);
    },
  };
}

/** Draws the persona treemap for `shown`; `onZoom`, when given, opens a persona's sub-personas. */
export type PersonaLevel = (shown: PersonaSummary[], onZoom?: (persona: PersonaSummary) => void) => ReactNode;

/**
 * The level switch, breadcrumbs and treemap of the overview, three levels deep. With families, the run opens on
 * a treemap of families (or of all personas); a family zooms into its personas (`children` draws them), and a
 * persona there that splits zooms into its sub-personas; breadcrumbs All families › family › persona go back.
 */
export default function FamilyLevel({
  runId,
  nav,
  families,
  personas,
  noun,
  legend,
  children,
}: {
  runId: string;
  nav: FamilyNav;
  families: Family[];
  personas: PersonaSummary[];
  noun: string;
  /** Shown under the family and persona treemaps (not under sub-personas, which carry no core share). */
  legend?: ReactNode;
  children: PersonaLevel;
}) {
  if (families.length < 2) return <>{children(personas)}{legend}</>;
  const zoomed = nav.familyId !== null ? families.find((f) => f.id === nav.familyId) : undefined;
  const level = zoomed !== undefined ? "family" : nav.view === "auto" ? autoLevel(personas) : nav.view;
  const switcher = <LevelSwitch nav={nav} level={level} families={families.length} personas={personas.length} />;

  if (level === "personas") return <>{switcher}{children(personas)}{legend}</>;
  if (zoomed === undefined)
    return (
      <>
        {switcher}
        {nav.familyId !== null ? (
          <p className="hint" role="status" data-testid="family-missing">
            This run has no family {nav.familyId} (a link from another run?); all its families are shown.
          </p>
        ) : null}
        <FamilyTreemap nav={nav} families={families} personas={personas} noun={noun} />
        {legend}
      </>
    );

  const inFamily = personas.filter((p) => zoomed.persona_ids.includes(p.id));
  const open = inFamily.find((p) => p.id === nav.personaId && p.sub_persona_count > 0);
  if (open !== undefined) {
    return (
      <>
        {switcher}
        <SubPersonaLevel runId={runId} nav={nav} family={zoomed} persona={open} noun={noun} />
      </>
    );
  }
  return (
    <>
      {switcher}
      <Crumbs nav={nav} family={zoomed} noun={noun} />
      {children(inFamily, (p) => nav.go("families", zoomed.id, p.id))}
      {legend}
    </>
  );
}

function autoLevel(personas: PersonaSummary[]): "families" | "personas" {
  return personas.length > FAMILIES_FIRST_ABOVE ? "families" : "personas";
}

function LevelSwitch({ nav, level, families, personas }: { nav: FamilyNav; level: string; families: number; personas: number }) {
  return (
    <div className="level-switch" role="group" aria-label="Treemap level">
      <button type="button" data-testid="level-families" aria-pressed={level !== "personas"} onClick={() => nav.go("families", null)}>
        Families ({families})
      </button>
      <button type="button" data-testid="level-personas" aria-pressed={level === "personas"} onClick={() => nav.go("personas", null)}>
        All personas ({personas})
      </button>
    </div>
  );
}

/** Breadcrumbs All families › family (› persona): every level above the current one is a button back to it. */
function Crumbs({ nav, family, persona, noun }: { nav: FamilyNav; family?: Family; persona?: PersonaSummary; noun: string }) {
  const sep = <span aria-hidden="true"> › </span>;
  return (
    <nav className="breadcrumbs" aria-label="Breadcrumbs" data-testid="breadcrumbs">
      {family === undefined ? (
        <span aria-current="page">All families</span>
      ) : (
        <button type="button" className="linklike" onClick={() => nav.go("families", null)}>
          All families
        </button>
      )}
      {family !== undefined && persona === undefined ? (
        <>
          {sep}
          <span aria-current="page" data-testid="family-name">{family.name}</span>
          <span className="muted">
            {" "}
            · {pct(family.share)} of {noun}, {family.persona_ids.length} personas; the shares below are of all {noun}
          </span>
        </>
      ) : null}
      {family !== undefined && persona !== undefined ? (
        <>
          {sep}
          <button type="button" className="linklike" data-testid="crumb-family" onClick={() => nav.go("families", family.id)}>
            {family.name}
          </button>
          {sep}
          <span aria-current="page" data-testid="zoomed-persona-name">{persona.name}</span>
          <span className="muted">
            {" "}
            · {pct(persona.share)} of {noun}, {subPersonaWords(persona.sub_persona_count)}
          </span>
        </>
      ) : null}
    </nav>
  );
}

/** "Independent scotland, Jos a bank, Federal reserve and 10 more": a family's largest personas, what its cell lists
 * (its terms mostly repeated its name, and a family cut from many personas can hold unrelated subjects). */
export function familyMembers(family: Family, personas: PersonaSummary[], shown = 3): string {
  const inFamily = personas.filter((p) => family.persona_ids.includes(p.id)).sort((a, b) => b.size - a.size);
  const names = inFamily.slice(0, shown).map((p) => p.name);
  const rest = inFamily.length - names.length;
  return names.length ? `${names.join(", ")}${rest > 0 ? ` and ${rest} more` : ""}` : "";
}

function FamilyTreemap({ nav, families, personas, noun }: { nav: FamilyNav; families: Family[]; personas: PersonaSummary[]; noun: string }) {
  const cells: TreemapCell[] = families
    .filter((f) => f.size > 0)
    .map((f, i) => {
      const n = f.persona_ids.length;
      return {
        kind: "family",
        id: f.id,
        name: f.name,
        size: f.size,
        share: f.share,
        fill: categoryColor(i),
        valueLabel: `${n} persona${n === 1 ? "" : "s"}`,
        coreShare: f.size > 0 ? f.core_size / f.size : null,
        terms: familyMembers(f, personas) || (f.top_terms ?? []).slice(0, 6).map((t) => t.term).join(", "),
        label: `Family ${f.name}: ${pct(f.share)} of ${noun}, ${n} persona${n === 1 ? "" : "s"}. Open family.`,
      };
    });
  return (
    <>
      <Crumbs nav={nav} noun={noun} />
      <p className="hint" data-testid="family-hint">
        Each cell is a family: the run&apos;s {personas.length} personas put into {families.length} groups by how
        alike their texts read (how many groups is set by a rule, the setting hierarchy.n_families, not found in the
        data), sized by its share of {noun}; it lists its largest personas. A reading aid: a family can hold personas
        on unrelated subjects. Click one (or Tab to it and press Enter) to see its personas.
      </p>
      <TreemapChart cells={cells} noun={noun} valueName="" testId="family-treemap" onOpen={(cell) => nav.go("families", cell.id)} />
    </>
  );
}

/** Level 3: one persona's sub-personas as a treemap (area = share of the persona); a cell opens it on the persona page. */
function SubPersonaLevel({
  runId,
  nav,
  family,
  persona,
  noun,
}: {
  runId: string;
  nav: FamilyNav;
  family: Family;
  persona: PersonaSummary;
  noun: string;
}) {
  const router = useRouter();
  const subs = useApi(paths.subPersonas(runId, persona.id));
  const personaPage = `/persona/?run=${encodeURIComponent(runId)}&id=${persona.id}`;
  const cells: TreemapCell[] =
    subs.status !== "ok"
      ? []
      : subs.data.items.map((s, i) => ({
          kind: "subpersona",
          id: s.id,
          name: s.name,
          size: s.size,
          share: s.share_of_parent,
          shareOf: "of this persona",
          fill: categoryColor(i),
          valueLabel: "",
          terms: (s.top_terms ?? []).slice(0, 6).map((t) => t.term).join(", "),
          label: `Sub-persona ${s.name}: ${pct(s.share_of_parent)} of ${persona.name}, ${int(s.size)} ${noun}. Read it on the persona page.`,
        }));
  return (
    <>
      <Crumbs nav={nav} family={family} persona={persona} noun={noun} />
      <p className="hint">
        Finer groups inside this persona, found in the same clustering read at a finer grain; area = share of the
        persona; each is named by the words that set it apart from the others. Click one to read its terms and a quote
        on the persona page. <Link href={personaPage} data-testid="open-persona-page">Open the persona page →</Link>
      </p>
      {subs.status === "error" ? (
        <ErrorState error={subs.error} title="Could not load the sub-personas" />
      ) : subs.status !== "ok" ? (
        <Loading what="sub-personas" />
      ) : (
        <TreemapChart
          cells={cells}
          noun={noun}
          valueName=""
          testId="subpersona-treemap"
          onOpen={(cell) => router.push(`${personaPage}#subpersona-${cell.id}`)}
        />
      )}
    </>
  );
}
