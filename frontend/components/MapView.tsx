"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useMemo, useState } from "react";
import { CartesianGrid, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from "recharts";

import { ErrorState, Loading } from "@/components/States";
import { paths, type MapPoint } from "@/lib/api";
import { categoryColor, personaColors, textOn } from "@/lib/colors";
import { int, truncate } from "@/lib/format";
import { isEventRun } from "@/lib/runs";
import { useApi } from "@/lib/useApi";

const LIMIT = 3000;

/** A point with map coordinates (a run stored without a 2-D map has none to draw). */
interface Dot extends MapPoint {
  x: number;
  y: number;
  personaName: string;
}

/** 2-D map of a run's members (UMAP coordinates), coloured by persona; hover shows a snippet
 * (for an event run: its users, and the snippet is the user's event mix). */
export default function MapView() {
  const params = useSearchParams();
  const runId = params.get("run") || "latest";
  const map = useApi(paths.map(runId, LIMIT));
  const personas = useApi(paths.personas(runId));
  const manifest = useApi(paths.run(runId));
  const eventRun = manifest.status === "ok" && isEventRun(manifest.data);
  const tree = useApi(paths.families(runId));
  const families = useMemo(() => (tree.status === "ok" ? tree.data.families : []), [tree]);
  const [hidden, setHidden] = useState<Set<number>>(new Set());
  const [colorBy, setColorBy] = useState<"persona" | "family">("persona");

  const list = useMemo(() => (personas.status === "ok" ? personas.data.items : []), [personas]);
  const groups = useMemo(() => {
    if (map.status !== "ok") return [];
    const names = new Map(list.map((p) => [p.id, p.name]));
    const byPersona = new Map<number, Dot[]>();
    for (const pt of map.data.points) {
      const { x, y } = pt;
      if (typeof x !== "number" || typeof y !== "number") continue;
      const dots = byPersona.get(pt.persona_id) ?? [];
      dots.push({ ...pt, x, y, personaName: names.get(pt.persona_id) ?? `Persona ${pt.persona_id}` });
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
  const palette = useMemo(
    () =>
      personaColors(
        groups.map((g) => g.id),
        families,
      ),
    [groups, families],
  );
  const colorOf = (g: { id: number; index: number }) =>
    byFamily ? categoryColor(familyIndex.get(g.id) ?? families.length) : (palette.get(g.id) ?? categoryColor(g.index));
  /** Name labels at the centre (median x, y) of each shown persona, or of each family. */
  const labels = useMemo(() => {
    const shownGroups = groups.filter((g) => !hidden.has(g.id));
    const sets = byFamily
      ? families.map((f, i) => ({
          key: `f${f.id}`,
          name: f.name,
          color: categoryColor(i),
          dots: shownGroups.filter((g) => f.persona_ids.includes(g.id)).flatMap((g) => g.dots),
        }))
      : shownGroups.map((g) => ({ key: `p${g.id}`, name: g.name, color: colorOf(g), dots: g.dots }));
    const median = (v: number[]) => {
      const s = [...v].sort((a, b) => a - b);
      return s[Math.floor(s.length / 2)] ?? 0;
    };
    return sets
      .filter((l) => l.dots.length > 0)
      .sort((a, b) => b.dots.length - a.dots.length)
      .map((l) => ({ key: l.key, name: l.name, color: l.color, x: median(l.dots.map((d) => d.x)), y: median(l.dots.map((d) => d.y)) }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [groups, hidden, byFamily, families, palette]);
  const legend = byFamily
    ? families.map((f, i) => ({
        key: f.id,
        name: f.name,
        color: categoryColor(i),
        ids: f.persona_ids,
        count: groups.filter((g) => f.persona_ids.includes(g.id)).reduce((n, g) => n + g.dots.length, 0),
      }))
    : groups.map((g) => ({ key: g.id, name: g.name, color: colorOf(g), ids: [g.id], count: g.dots.length }));

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
                      if (!active || !dot || !("member_id" in dot)) return null;
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
                        shape={memberDot}
                        isAnimationActive={false}
                      />
                    ))}
                  <Scatter
                    name="labels"
                    className="map-labels"
                    data={labels}
                    shape={(props: unknown) => <MapLabel {...(props as LabelProps)} />}
                    isAnimationActive={false}
                    legendType="none"
                  />
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
            <p className="legend">
              <span>
                <svg width="12" height="12" aria-hidden="true">
                  <circle cx="6" cy="6" r="4" fill="#555" />
                </svg>{" "}
                core member
              </span>
              <span>
                <svg width="12" height="12" aria-hidden="true">
                  <circle cx="6" cy="6" r="4" fill="#555" fillOpacity={0.2} stroke="#555" />
                </svg>{" "}
                {eventRun ? "flagged as mixed" : "reassigned from noise (placed by nearest persona)"}
              </span>
            </p>
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

interface DotProps {
  cx?: number;
  cy?: number;
  fill?: string;
  payload?: Dot;
}

/** A member: filled when the clustering placed it, hollow when it was reassigned from noise. */
function memberDot(props: unknown) {
  const { cx = 0, cy = 0, fill = "#555", payload } = props as DotProps;
  const forced = Boolean(payload?.reassigned);
  return (
    <circle
      cx={cx}
      cy={cy}
      r={forced ? 2.6 : 2.4}
      fill={fill}
      fillOpacity={forced ? 0.18 : 0.8}
      stroke={forced ? fill : "none"}
      strokeWidth={forced ? 1 : 0}
      data-reassigned={forced ? "1" : "0"}
    />
  );
}

interface LabelProps {
  cx?: number;
  cy?: number;
  payload?: { key: string; name: string; color: string };
}

/** A persona's (or family's) name at its centre, on a white halo so it reads over the dots. */
function MapLabel({ cx = 0, cy = 0, payload }: LabelProps) {
  if (!payload) return <g />;
  const name = payload.name.length > 28 ? `${payload.name.slice(0, 27)}…` : payload.name;
  return (
    <g pointerEvents="none" data-testid="map-label" data-label={payload.name}>
      <text
        x={cx}
        y={cy}
        textAnchor="middle"
        dominantBaseline="middle"
        fontSize={12}
        fontWeight={600}
        stroke="#ffffff"
        strokeWidth={3.5}
        strokeLinejoin="round"
        paintOrder="stroke"
        fill={textOn(payload.color) === "#ffffff" ? payload.color : "#222"}
      >
        {name}
      </text>
    </g>
  );
}
