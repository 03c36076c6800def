"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useMemo, useState } from "react";
import { CartesianGrid, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from "recharts";

import { ErrorState, Loading } from "@/components/States";
import {
  itemsOf,
  paths,
  type FamilyTree,
  type MapPoint,
  type MapResponse,
  type PersonaList,
  type RunManifest,
} from "@/lib/api";
import { categoryColor } from "@/lib/colors";
import { int, truncate } from "@/lib/format";
import { isEventRun } from "@/lib/runs";
import { useApi } from "@/lib/useApi";

const LIMIT = 3000;

interface Dot extends MapPoint {
  personaName: string;
}

/** 2-D map of a run's members (UMAP coordinates), coloured by persona; hover shows a snippet
 * (for an event run: its users, and the snippet is the user's event mix). */
export default function MapView() {
  const params = useSearchParams();
  const runId = params.get("run") || "latest";
  const map = useApi<MapResponse>(paths.map(runId, LIMIT));
  const personas = useApi<PersonaList>(paths.personas(runId));
  const manifest = useApi<RunManifest>(paths.run(runId));
  const eventRun = manifest.status === "ok" && isEventRun(manifest.data);
  const tree = useApi<FamilyTree>(paths.families(runId));
  const families = useMemo(() => (tree.status === "ok" ? tree.data.families : []), [tree]);
  const [hidden, setHidden] = useState<Set<number>>(new Set());
  const [colorBy, setColorBy] = useState<"persona" | "family">("persona");

  const list = useMemo(() => (personas.status === "ok" ? itemsOf(personas.data) : []), [personas]);
  const groups = useMemo(() => {
    if (map.status !== "ok") return [];
    const names = new Map(list.map((p) => [p.id, p.name]));
    const byPersona = new Map<number, Dot[]>();
    for (const pt of map.data.points) {
      const dots = byPersona.get(pt.persona_id) ?? [];
      dots.push({ ...pt, personaName: names.get(pt.persona_id) ?? `Persona ${pt.persona_id}` });
      byPersona.set(pt.persona_id, dots);
    }
    const order = list.length ? list.map((p) => p.id) : [...byPersona.keys()].sort((a, b) => a - b);
    return order
      .map((id, index) => ({ id, index, name: names.get(id) ?? `Persona ${id}`, dots: byPersona.get(id) ?? [] }))
      .filter((g) => g.dots.length > 0);
  }, [map, list]);
  /** persona id → index of its family (colour), and the legend entries for the chosen colouring. */
  const familyIndex = useMemo(
    () => new Map(families.flatMap((f, i) => f.persona_ids.map((pid) => [pid, i] as [number, number]))),
    [families],
  );
  const byFamily = colorBy === "family" && families.length > 0;
  const colorOf = (g: { id: number; index: number }) =>
    categoryColor(byFamily ? (familyIndex.get(g.id) ?? families.length) : g.index);
  const legend = byFamily
    ? families.map((f, i) => ({
        key: f.id,
        name: f.name,
        color: categoryColor(i),
        ids: f.persona_ids,
        count: groups.filter((g) => f.persona_ids.includes(g.id)).reduce((n, g) => n + g.dots.length, 0),
      }))
    : groups.map((g) => ({ key: g.id, name: g.name, color: categoryColor(g.index), ids: [g.id], count: g.dots.length }));

  const back = (
    <p className="breadcrumb">
      <Link href={`/?run=${encodeURIComponent(runId)}`}>← Run overview</Link>
    </p>
  );
  if (map.status === "error" || personas.status === "error") {
    const error = map.status === "error" ? map.error : personas.status === "error" ? personas.error : null;
    return (
      <>
        {back}
        {error ? <ErrorState error={error} title="Could not load the map" /> : null}
      </>
    );
  }
  if (map.status !== "ok" || personas.status !== "ok") {
    return (
      <>
        {back}
        <Loading what="the member map" />
      </>
    );
  }

  const toggle = (ids: number[]) => {
    const next = new Set(hidden);
    const show = ids.every((id) => next.has(id));
    for (const id of ids) {
      if (show) next.delete(id);
      else next.add(id);
    }
    setHidden(next);
  };
  const shown = map.data.points.length;

  return (
    <>
      {back}
      <div className="page-head">
        <div>
          <h1>{eventRun ? "User map" : "Member map"}</h1>
          {eventRun ? (
            <p className="meta">
              {int(shown)} users{shown >= LIMIT ? ` (a sample stratified by persona)` : ""} placed by a 2-D projection of
              their event mixes; nearby users did similar things. Hover a point to read the user&apos;s event mix.
            </p>
          ) : (
            <p className="meta">
              {int(shown)} members{shown >= LIMIT ? ` (a sample stratified by persona)` : ""} placed by the 2-D projection
              of their texts and behaviour; nearby members wrote alike. Hover a point to read it.
            </p>
          )}
        </div>
      </div>
      <section className="panel" aria-label="Member map">
        {shown === 0 ? (
          <p className="state-none">This run has no members to show.</p>
        ) : (
          <>
            <div className="chart chart-lg" data-testid="member-map">
              <ResponsiveContainer width="100%" height="100%">
                <ScatterChart margin={{ top: 10, right: 10, bottom: 10, left: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis type="number" dataKey="x" name="x" tick={false} domain={["dataMin", "dataMax"]} />
                  <YAxis type="number" dataKey="y" name="y" tick={false} width={10} domain={["dataMin", "dataMax"]} />
                  <ZAxis range={[18, 18]} />
                  <Tooltip
                    isAnimationActive={false}
                    cursor={false}
                    content={({ active, payload }) => {
                      const dot = payload?.[0]?.payload as Dot | undefined;
                      if (!active || !dot) return null;
                      return (
                        <div className="tooltip" data-testid="map-tooltip">
                          <strong>{dot.personaName}</strong>
                          {dot.text ? truncate(dot.text, 220) : <span className="muted">(no text)</span>}
                          {dot.reassigned ? (
                            <div className="muted">{eventRun ? "flagged as mixed" : "reassigned from noise"}</div>
                          ) : null}
                        </div>
                      );
                    }}
                  />
                  {groups
                    .filter((g) => !hidden.has(g.id))
                    .map((g) => (
                      <Scatter
                        key={g.id}
                        name={g.name}
                        data={g.dots}
                        fill={colorOf(g)}
                        fillOpacity={0.75}
                        isAnimationActive={false}
                      />
                    ))}
                </ScatterChart>
              </ResponsiveContainer>
            </div>
            {families.length > 1 ? (
              <div className="controls" style={{ marginTop: "0.5rem" }}>
                <label htmlFor="map-color">Colour by</label>
                <select
                  id="map-color"
                  data-testid="map-color"
                  value={colorBy}
                  onChange={(e) => setColorBy(e.target.value === "family" ? "family" : "persona")}
                >
                  <option value="persona">Persona</option>
                  <option value="family">Family ({families.length})</option>
                </select>
              </div>
            ) : null}
            <div
              className="legend"
              role="group"
              aria-label={byFamily ? "Show or hide families" : "Show or hide personas"}
              data-testid="map-legend"
            >
              {legend.map((l) => {
                const off = l.ids.every((id) => hidden.has(id));
                return (
                  <button key={l.key} type="button" aria-pressed={!off} onClick={() => toggle(l.ids)} title={off ? "Show" : "Hide"}>
                    <span className="swatch" style={{ background: l.color }} />
                    {l.name} ({int(l.count)})
                  </button>
                );
              })}
            </div>
            <p className="hint" style={{ marginTop: "0.5rem" }}>
              Open a persona:{" "}
              {groups.map((g, i) => (
                <span key={g.id}>
                  {i ? " · " : ""}
                  <Link href={`/persona/?run=${encodeURIComponent(map.data.run_id ?? runId)}&id=${g.id}`}>{g.name}</Link>
                </span>
              ))}
            </p>
          </>
        )}
      </section>
    </>
  );
}
