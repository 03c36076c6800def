"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useMemo, useState } from "react";
import { CartesianGrid, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from "recharts";

import { PlacedLabel, type LabelBox, type LabelProps, type Placement } from "@/components/MapLabels";
import { ErrorState, Loading } from "@/components/States";
import { paths } from "@/lib/api";
import { int, truncate } from "@/lib/format";
import { toggled, useMapLayers, type Dot, type DotGroup, type LegendEntry } from "@/lib/mapLayers";
import { isEventRun } from "@/lib/runs";
import { useApi } from "@/lib/useApi";

const LIMIT = 3000;

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
  const [focus, setFocus] = useState<Focus | null>(null);
  // the colouring is in the URL (`colour=family`), so a link or Back shows the map as it was
  const router = useRouter();
  const colorBy: ColourMode = params.get("colour") === "family" ? "family" : "persona";
  const setColorBy = (mode: ColourMode) => {
    const q = new URLSearchParams(params.toString());
    if (mode === "family") q.set("colour", "family");
    else q.delete("colour");
    router.replace(`/map/?${q.toString()}`, { scroll: false });
  };
  const list = useMemo(() => (personas.status === "ok" ? personas.data.items : []), [personas]);
  const points = map.status === "ok" ? map.data.points : null;
  const byFamily = colorBy === "family" && families.length > 0;
  const measured = eventRun && !!points && new Set(points.map((pt) => pt.persona_id)).size === 2; // lean × volume axes
  const layers = useMapLayers(points, list, families, hidden, byFamily, !measured);

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
  const toggle = (ids: number[]) => setHidden(toggled(hidden, ids));
  const shown = map.data.points.length;
  return (
    <>
      {back}
      <MapHead shown={shown} eventRun={eventRun} two={new Set(map.data.points.map((pt) => pt.persona_id)).size === 2} />
      <section className="panel" aria-label="Member map">
        {shown === 0 ? (
          <p className="state-none">This run has no members to show.</p>
        ) : (
          <>
            <MapChart layers={layers} hidden={hidden} focus={focus} eventRun={eventRun} />
            {layers.gaps ? (
              <p className="hint" data-testid="map-gaps" style={{ margin: "0.25rem 0" }}>
                Empty space between groups that lie far apart is shortened ({layers.gaps}{" "}
                {layers.gaps === 1 ? "stretch" : "stretches"}), so that no distant group squeezes the others: within
                each side distances are as the layout made them, across a shortened stretch they are not to scale.
              </p>
            ) : null}
            {families.length > 1 ? <ColourBy value={colorBy} onChange={setColorBy} families={families.length} /> : null}
            <MapKey
              legend={layers.legend}
              hidden={hidden}
              toggle={toggle}
              setFocus={setFocus}
              byFamily={byFamily}
              eventRun={eventRun}
            />
            <PersonaLinks runId={map.data.run_id} groups={layers.groups} />
          </>
        )}
      </section>
    </>
  );
}

function PersonaLinks({ runId, groups }: { runId: string; groups: DotGroup[] }) {
  return (
    <p className="hint" style={{ marginTop: "0.5rem" }}>
      Open a persona:{" "}
      {groups.map((g, i) => (
        <span key={g.id}>
          {i ? " · " : ""}
          <Link href={`/persona/?run=${encodeURIComponent(runId)}&id=${g.id}`}>{g.name}</Link>
        </span>
      ))}
    </p>
  );
}

/** `two`: an event run of two personas is laid out by its two measures (ml.events.pipeline: lean and volume), not a
 * projection. */
function MapHead({ shown, eventRun, two }: { shown: number; eventRun: boolean; two: boolean }) {
  const sample = shown >= LIMIT ? ` (a sample stratified by persona)` : "";
  return (
    <div className="page-head">
      <div>
        <h1>{eventRun ? "User map" : "Member map"}</h1>
        {eventRun && two ? (
          <p className="meta">
            {int(shown)} users{sample}: across, how far each leans to one persona or the other (their shares of the two
            patterns); up, how many events they logged (log scale). Hover a point to read the user&apos;s event mix.
          </p>
        ) : eventRun ? (
          <p className="meta">
            {int(shown)} users{sample} placed by a 2-D projection of their shares of the personas&apos; patterns; nearby
            users did similar things. Hover a point to read the user&apos;s event mix.
          </p>
        ) : (
          <p className="meta">
            {int(shown)} members{sample} placed by the 2-D projection of their texts and behaviour; nearby members
            wrote alike. Hover a point to read it.
          </p>
        )}
      </div>
    </div>
  );
}

type ColourMode = "persona" | "family";

function ColourBy({ value, onChange, families }: { value: ColourMode; onChange: (v: ColourMode) => void; families: number }) {
  return (
    <div className="controls" style={{ marginTop: "0.5rem" }}>
      <label htmlFor="map-color">Colour by</label>
      <select
        id="map-color"
        data-testid="map-color"
        value={value}
        onChange={(e) => onChange(e.target.value === "family" ? "family" : "persona")}
      >
        <option value="persona">Persona</option>
        <option value="family">Family ({families})</option>
      </select>
    </div>
  );
}

/** The dots' extent along `axis` with 4% of it added on each side: at the data's own extent a persona at the edge sat
 * on the axis line under its own name, and the top row of dots was cut by the plot's border (an explorer review). */
export function padded(groups: { dots: { x: number; y: number }[] }[], axis: "x" | "y"): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const g of groups) {
    for (const d of g.dots) {
      lo = Math.min(lo, d[axis]);
      hi = Math.max(hi, d[axis]);
    }
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  const pad = (hi - lo || 1) * 0.04;
  return [lo - pad, hi + pad];
}

/** The persona(s) picked out by pointing at (or tabbing to) a legend entry: their ids and their label's key. */
interface Focus {
  ids: number[];
  label: string;
}

/** The scatter of member dots (one series per shown persona) with name labels and a hover snippet. With a `focus`,
 * the other personas' dots fade and only the focused name is shown, in full: a map of 30 colours stays readable. */
function MapChart({
  layers,
  hidden,
  focus: picked,
  eventRun,
}: {
  layers: ReturnType<typeof useMapLayers>;
  hidden: Set<number>;
  focus: Focus | null;
  eventRun: boolean;
}) {
  const [boxes] = useState(() => new Map<string, LabelBox>()); // each placed name's box, by label key (kept across renders)
  const focus = picked && !picked.ids.every((id) => hidden.has(id)) ? picked : null;
  const labels = focus
    ? layers.labels.filter((l) => l.key === focus.label).map((l) => ({ ...l, full: true }))
    : layers.labels;
  const placement: Placement = { boxes, rank: new Map(labels.map((l, i) => [l.key, i])) };
  return (
    <div className="chart chart-lg" data-testid="member-map">
      <ResponsiveContainer width="100%" height="100%">
        <ScatterChart margin={{ top: 10, right: 10, bottom: 10, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis type="number" dataKey="x" name="x" tick={false} domain={padded(layers.groups, "x")} allowDataOverflow />
          <YAxis type="number" dataKey="y" name="y" tick={false} width={10} domain={padded(layers.groups, "y")} allowDataOverflow />
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
                  {dot.text ? (
                    truncate(dot.text, 220)
                  ) : dot.text_withheld ? (
                    <span className="muted">(text withheld: too few authors behind this persona)</span>
                  ) : (
                    <span className="muted">(no text)</span>
                  )}
                  {dot.reassigned ? <div className="muted">{eventRun ? "flagged as mixed" : "reassigned from noise"}</div> : null}
                </div>
              );
            }}
          />
          {layers.groups
            .filter((g) => !hidden.has(g.id))
            .map((g) => {
              const faded = focus !== null && !focus.ids.includes(g.id);
              return (
                <Scatter
                  key={g.id}
                  name={g.name}
                  data={g.dots}
                  fill={layers.colorOf(g)}
                  shape={(p: unknown) => memberDot(p, faded)}
                  isAnimationActive={false}
                />
              );
            })}
          <Scatter
            name="labels"
            className="map-labels"
            data={labels}
            shape={(props: unknown) => {
              const p = props as LabelProps;
              return <PlacedLabel {...p} placement={placement} />; // larger groups' names first (rank)
            }}
            isAnimationActive={false}
            legendType="none"
          />
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}

/** "181" when every member is on the map, "181; 109 shown" when the map holds a sample of them (the persona's
 * size is what every other page says; the dots are what this one shows). */
export function legendCount(l: LegendEntry): string {
  return l.size != null && l.size > l.count ? `${int(l.size)}; ${int(l.count)} shown` : int(l.count);
}

/** Legend buttons that show or hide personas (or families) and, pointed at or focused, pick out their members;
 * and what filled and hollow dots mean. */
function MapKey({
  legend,
  hidden,
  toggle,
  setFocus,
  byFamily,
  eventRun,
}: {
  legend: LegendEntry[];
  hidden: Set<number>;
  toggle: (ids: number[]) => void;
  setFocus: (focus: Focus | null) => void;
  byFamily: boolean;
  eventRun: boolean;
}) {
  return (
    <>
      <p className="hint" style={{ margin: "0.5rem 0 0.25rem" }}>
        Point at a name (or Tab to it) to pick out its {eventRun ? "users" : "members"}; click it to hide or show them.
        A name that would cover a larger {byFamily ? "family" : "persona"}&apos;s on the map is left off there.
        {byFamily ? (
          <span data-testid="family-map-note">
            {" "}
            A family groups personas whose texts read alike on average, and the map places each member by its own
            words and behaviour, so one family&apos;s personas can lie in several places; its name sits at the middle of
            all its members.
          </span>
        ) : null}
      </p>
      <div
        className="legend"
        role="group"
        aria-label={byFamily ? "Show or hide families" : "Show or hide personas"}
        data-testid="map-legend"
      >
        {legend.map((l) => {
          const off = l.ids.every((id) => hidden.has(id));
          const pick = () => setFocus(off ? null : { ids: l.ids, label: `${byFamily ? "f" : "p"}${l.key}` });
          return (
            <button
              key={l.key}
              type="button"
              aria-pressed={!off}
              onClick={() => {
                toggle(l.ids);
                setFocus(null); // hidden or shown again: the whole map, not a pick
              }}
              onMouseEnter={pick}
              onMouseLeave={() => setFocus(null)}
              onFocus={pick}
              onBlur={() => setFocus(null)}
              title={off ? "Show" : "Hide"}
            >
              <span className="swatch" style={{ background: l.color }} />
              {l.name} ({legendCount(l)})
            </button>
          );
        })}
      </div>
      <p className="legend">
        <span>
          <svg width="12" height="12" aria-hidden="true">
            <circle cx="6" cy="6" r="4" fill="#555" />
          </svg>{" "}
          {eventRun ? "clear member" : "core member"}
        </span>
        <span>
          <svg width="12" height="12" aria-hidden="true">
            <circle cx="6" cy="6" r="4" fill="#555" fillOpacity={0.2} stroke="#555" />
          </svg>{" "}
          {eventRun ? "flagged as mixed" : "reassigned from noise (placed by nearest persona)"}
        </span>
      </p>
    </>
  );
}

interface DotProps {
  cx?: number;
  cy?: number;
  fill?: string;
  payload?: Dot;
}

/** A member: filled when the clustering placed it, hollow when it was reassigned from noise; faint when another
 * persona is picked out in the legend. */
function memberDot(props: unknown, faded = false) {
  const { cx = 0, cy = 0, fill = "#555", payload } = props as DotProps;
  const forced = Boolean(payload?.reassigned);
  return (
    <circle
      cx={cx}
      cy={cy}
      r={forced ? 2.6 : 2.4}
      fill={faded ? "#9aa0a6" : fill}
      fillOpacity={faded ? 0.12 : forced ? 0.18 : 0.8}
      stroke={forced && !faded ? fill : "none"}
      strokeWidth={forced && !faded ? 1 : 0}
      data-reassigned={forced ? "1" : "0"}
      data-faded={faded ? "1" : "0"}
    />
  );
}
