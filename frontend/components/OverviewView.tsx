"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useMemo, useState } from "react";

import ComparisonLink from "@/components/ComparisonLink";
import FilterFunnel from "@/components/FilterFunnel";
import PersonaTreemap from "@/components/PersonaTreemap";
import QualityMetrics from "@/components/QualityMetrics";
import RunSelector, { type RunChoice } from "@/components/RunSelector";
import { EmptyRuns, ErrorState, Loading } from "@/components/States";
import FamilyLevel, { familyNav, type FamilyNav } from "@/components/FamilyLevel";
import { paths, runFileUrl, type Family, type PersonaSummary, type RunFileName, type RunManifest } from "@/lib/api";
import { dataPeriod, dateTime, int, pct } from "@/lib/format";
import { useFeatureWords } from "@/lib/features";
import { availableMeasures, coloring, type Coloring } from "@/lib/measures";
import { isEventRun, memberNoun, sourceText } from "@/lib/runs";
import { useApi } from "@/lib/useApi";

/** Overview of one run: selector, treemap, funnel, metrics and a persona table. */
export default function OverviewView() {
  const params = useSearchParams();
  const router = useRouter();
  const runs = useApi(paths.runs());

  if (runs.status === "loading" || runs.status === "idle") return <Loading what="runs" />;
  if (runs.status === "error") return <ErrorState error={runs.error} title="Could not load the runs" />;
  const list = runs.data.items;
  if (list.length === 0) return <EmptyRuns />;

  const requested = params.get("run");
  const runId = requested && requested !== "latest" ? requested : (list[0]?.id ?? "latest");
  const choices = list.some((r) => r.id === runId) ? list : [{ id: runId }, ...list];
  return (
    <RunOverview
      key={runId}
      runId={runId}
      runs={choices}
      onSelect={(id) => router.push(`/?run=${encodeURIComponent(id)}`)}
      nav={familyNav(runId, params, (href) => router.push(href))}
    />
  );
}

function RunOverview({
  runId,
  runs,
  onSelect,
  nav,
}: {
  runId: string;
  runs: RunChoice[];
  onSelect: (id: string) => void;
  nav: FamilyNav;
}) {
  const manifest = useApi(paths.run(runId));
  const personas = useApi(paths.personas(runId));
  const tree = useApi(paths.families(runId));
  const families = useMemo(() => (tree.status === "ok" ? tree.data.families : []), [tree]);
  const items = useMemo(() => (personas.status === "ok" ? personas.data.items : []), [personas]);

  const head = (
    <div className="page-head">
      <div>
        <h1>Run overview</h1>
        {manifest.status === "ok" ? (
          <>
            <RunMeta manifest={manifest.data} />
            <ComparisonLink runId={runId} series={manifest.data.series} />
          </>
        ) : null}
      </div>
      <RunSelector runs={runs} value={runId} onChange={onSelect} />
    </div>
  );
  if (manifest.status === "error") return <>{head}<ErrorState error={manifest.error} title={`Could not load run ${runId}`} /></>;
  if (manifest.status !== "ok") return <>{head}<Loading what="the run" /></>;
  const m = manifest.data;
  const eventRun = isEventRun(m);
  const noun = memberNoun(eventRun);
  return (
    <>
      {head}
      <RunCounts manifest={m} />
      <GranularityNote manifest={m} />
      <div className="grid grid-3">
        <section className="panel span-2" aria-labelledby="treemap-title">
          <h2 id="treemap-title">
            Personas by share
            <Link href={`/map/?run=${encodeURIComponent(runId)}`} className="muted" style={{ fontSize: "0.9rem" }}>
              {eventRun ? "User map →" : "Member map →"}
            </Link>
          </h2>
          {personas.status === "ok" ? (
            <TreemapPanel runId={runId} items={items} families={families} nav={nav} eventRun={eventRun} />
          ) : personas.status === "error" ? (
            <ErrorState error={personas.error} title="Could not load the personas" />
          ) : (
            <Loading what="personas" />
          )}
        </section>
        <section className="panel" aria-labelledby="metrics-title">
          <h2 id="metrics-title">Quality</h2>
          <QualityMetrics manifest={m} />
        </section>
        <section className="panel span-2" aria-labelledby="personas-title">
          <h2 id="personas-title">All personas</h2>
          {personas.status === "ok" ? <PersonaTable runId={runId} items={items} families={families} eventRun={eventRun} /> : null}
        </section>
        <DownloadPanel runId={runId} noun={noun} eventRun={eventRun} />
        <FunnelPanel manifest={m} />
      </div>
    </>
  );
}

function RunMeta({ manifest: m }: { manifest: RunManifest }) {
  const span = m.kind !== "events" && m.time ? dataPeriod(m.time) : null;
  return (
    <p className="meta" data-testid="run-meta">
      Run <strong>{m.id}</strong> · created {dateTime(m.created_at)} · source {sourceText(m.source)}
      {span ? <span data-testid="run-period"> · data from {span} (UTC)</span> : null}
      {isEventRun(m) ? " · each member is one user" : m.unit ? ` · each member is one ${m.unit}` : ""}
    </p>
  );
}

function FunnelPanel({ manifest: m }: { manifest: RunManifest }) {
  return (
    <section className="panel" aria-labelledby="funnel-title">
      <h2 id="funnel-title">Filtering funnel</h2>
      <p className="hint">
        {isEventRun(m)
          ? "What each step of building the users × events matrix kept (events, users or event types)."
          : "Members left after each of the filtering stages."}
      </p>
      <FilterFunnel
        input={m.counts.input}
        stages={m.filtering ?? []}
        kept={m.counts.kept}
        agentsRemoved={"agent_messages_removed" in m.counts ? m.counts.agent_messages_removed : null}
      />
    </section>
  );
}

/** The run's headline counts, per run kind. */
function RunCounts({ manifest: m }: { manifest: RunManifest }) {
  return m.kind === "events" ? (
    <div className="stat-row" aria-label="Run counts">
      <Stat label="event rows in" value={int(m.counts.input)} />
      <Stat label="users kept" value={int(m.counts.kept)} />
      <Stat label="event types" value={int(m.counts.event_types)} />
      <Stat label="personas" value={int(m.counts.personas)} />
      <Stat label="users flagged as mixed" value={int(m.counts.mixed)} />
    </div>
  ) : (
    <div className="stat-row" aria-label="Run counts">
      <Stat label="messages read" value={int(m.counts.input)} />
      <Stat label="members kept" value={int(m.counts.kept)} />
      <Stat label="personas" value={int(m.counts.personas)} />
      <Stat label="noise before reassignment" value={int(m.counts.noise_before_reassign)} />
    </div>
  );
}

/** How fine the personas are cut: the smallest persona the clustering allowed and why (manifest
 * `cluster.granularity`), and what to do for finer or coarser ones. The size follows the whole dump (0.5% of
 * its fitted members by default, at most 80), so topics that are small beside the rest of the dump join a neighbour. */
function GranularityNote({ manifest: m }: { manifest: RunManifest }) {
  if (m.kind === "events") return null;
  const g = m.cluster?.granularity;
  const size = g?.chosen ?? m.cluster?.min_cluster_size;
  if (!size) return null;
  const cluster = (m.config?.cluster ?? {}) as { min_cluster_share?: number; min_cluster_size?: number | null };
  // above reduce.fit_sample_size the clustering is fitted on a sample; its sizes count the sample's members
  const placed = m.counts.placed ?? 0;
  const fitted = m.counts.kept - placed;
  const sample = placed > 0 ? `${int(fitted)} sampled members it was fitted on` : `${int(m.counts.kept)} members`;
  let rule = "";
  if (g?.rule === "share" && typeof cluster.min_cluster_share === "number") {
    // the share rule stops at cluster.largest_min_cluster_size (runs since 2026-12-02)
    const most = g.bounded ? `, and never more than ${int(size)}` : "";
    rule = ` (${pct(cluster.min_cluster_share, 1)} of the ${sample}, never fewer than 10${most})`;
  } else if (g?.rule === "fixed" && cluster.min_cluster_size) {
    rule = ` (--min-cluster-size ${int(cluster.min_cluster_size)} of all members${placed > 0 ? ", scaled to the sample" : ""})`;
  }
  // runs before the manifest counted them say the rescued groups only in words
  const words = g?.why?.match(/(\d+) smaller clusters \(min_cluster_size (\d+)\)/);
  const rescued = g?.rescued ?? (words ? Number(words[1]) : 0);
  const rescueSize = g?.rescue_size ?? (words ? Number(words[2]) : 0);
  return (
    <div className="hint" data-testid="granularity-note" style={{ maxWidth: "60rem" }}>
      <p style={{ margin: 0 }}>
        The clustering made a persona of a group of at least {int(size)}
        {placed > 0 ? " sampled" : ""} members{rule}
        {rescued ? `, and of ${int(rescued)} smaller dense groups (from ${int(rescueSize)} members) among the rest` : ""}
        .{placed > 0 ? ` The other ${int(placed)} members were placed beside the sampled ones.` : ""} Smaller topics
        join their nearest persona, where its sub-personas may show them. For finer or coarser
        personas, run again with <code>--min-cluster-size N</code>.
      </p>
      {g?.why ? (
        <details>
          <summary>How the size was chosen</summary>
          {g.why}
        </details>
      ) : null}
    </div>
  );
}

/** The treemap of the run's personas (or families), coloured by a chosen measure, with its legends. */
function TreemapPanel({
  runId,
  items,
  families,
  nav,
  eventRun,
}: {
  runId: string;
  items: PersonaSummary[];
  families: Family[];
  nav: FamilyNav;
  eventRun: boolean;
}) {
  const [measureKey, setMeasureKey] = useState("persona");
  const noun = memberNoun(eventRun);
  const words = useFeatureWords();
  const measures = useMemo(() => availableMeasures(items, eventRun, words), [items, eventRun, words]);
  const measure = measures.find((m) => m.key === measureKey) ?? measures[0];
  const scale = useMemo(() => (measure ? coloring(measure, items, families) : null), [measure, items, families]);
  if (!measure || !scale) return <Loading what="personas" />;
  if (items.length === 0) return <p className="state-none">This run found no personas.</p>;
  const forcedLabel = eventRun ? "flagged as mixed" : "reassigned from noise";
  return (
    <FamilyLevel
      runId={runId}
      nav={nav}
      families={families}
      personas={items}
      noun={noun}
      legend={<ForcedLegend eventRun={eventRun} />}
    >
      {(shown, onZoom) => (
        <>
          <div className="controls">
            <label htmlFor="measure-select">Colour by</label>
            <select id="measure-select" data-testid="measure-select" value={measure.key} onChange={(e) => setMeasureKey(e.target.value)}>
              {measures.map((ms) => (
                <option key={ms.key} value={ms.key}>
                  {ms.label}
                </option>
              ))}
            </select>
          </div>
          <p className="hint">
            Area = share of {noun}. {measure.description} Click a cell (or Tab to it and press Enter) to open the
            persona{onZoom ? "; a cell marked ▸ opens its sub-personas first" : ""}.
          </p>
          <PersonaTreemap
            runId={runId}
            personas={shown}
            measure={measure}
            coloring={scale}
            noun={noun}
            forcedLabel={forcedLabel}
            onZoom={onZoom}
          />
          {measure.kind !== "category" ? <ScaleLegend scale={scale} diverging={measure.kind === "diverging" || measure.kind === "centred"} /> : null}
        </>
      )}
    </FamilyLevel>
  );
}

function ForcedLegend({ eventRun }: { eventRun: boolean }) {
  return (
    <p className="legend" data-testid="forced-legend">
      <span>
        <span className="swatch hatched" aria-hidden="true" />
        {eventRun
          ? "hatched part = users flagged as mixed (no clear persona)"
          : "hatched part = members the clustering left as noise and reassigned to their nearest persona"}
      </span>
    </p>
  );
}

function ScaleLegend({ scale, diverging }: { scale: Coloring; diverging: boolean }) {
  return (
    <div className="legend" aria-label="Colour scale">
      <span>{scale.format(scale.min)}</span>
      <span
        className="ramp"
        style={{
          background: diverging
            ? "linear-gradient(to right, #2166ac, #f7f7f7, #b2182b)"
            : "linear-gradient(to right, #440154, #2a788e, #22a884, #7ad151, #fde725)",
        }}
      />
      <span>{scale.format(scale.max)}</span>
      <span>grey = no value</span>
    </div>
  );
}

/** Every persona of the run in a table: family, size, share, core, reassigned (mixed) and top terms. */
function PersonaTable({
  runId,
  items,
  families,
  eventRun,
}: {
  runId: string;
  items: PersonaSummary[];
  families: Family[];
  eventRun: boolean;
}) {
  const familyName = new Map(families.map((f) => [f.id, f.name]));
  const toned = items.some((p) => p.tone_reading != null);
  return (
    <table data-testid="persona-table">
      <thead>
        <tr>
          <th scope="col">Persona</th>
          {families.length ? <th scope="col">Family</th> : null}
          <th scope="col" className="num">{eventRun ? "Users" : "Members"}</th>
          <th scope="col" className="num">Share</th>
          <th scope="col" className="num">Core</th>
          <th scope="col" className="num">{eventRun ? "Mixed" : "Reassigned"}</th>
          {toned ? (
            <th scope="col" title="Negative tone against the other personas' members (VADER)">
              Tone
            </th>
          ) : null}
          <th scope="col">{eventRun ? "Top events" : "Top terms"}</th>
        </tr>
      </thead>
      <tbody>
        {[...items].sort((a, b) => b.size - a.size || a.id - b.id).map((p) => (
          <tr key={p.id}>
            <td>
              <Link href={`/persona/?run=${encodeURIComponent(runId)}&id=${p.id}`}>{p.name}</Link>
            </td>
            {families.length ? (
              <td className="muted">{p.parent_id != null ? familyName.get(p.parent_id) ?? "–" : "–"}</td>
            ) : null}
            <td className="num">{int(p.size)}</td>
            <td className="num">{pct(p.share)}</td>
            <td className="num">{int(p.core_size)}</td>
            <td className="num">{int(p.reassigned_count)}</td>
            {toned ? (
              <td className="muted nowrap" data-testid="tone-cell">
                {p.tone_reading && p.tone_reading !== "like everyone" ? p.tone_reading : "–"}
              </td>
            ) : null}
            <td className="muted">{(p.top_terms ?? []).slice(0, 6).map((t) => t.term).join(", ")}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Links to the run's printable report and its exports. */
function DownloadPanel({ runId, noun, eventRun }: { runId: string; noun: string; eventRun: boolean }) {
  return (
    <section className="panel" aria-labelledby="download-title">
      <h2 id="download-title">Download</h2>
      <p className="hint">Take the personas with you (member texts masked as shown here).</p>
      <ul className="downloads" data-testid="downloads">
        <li>
          <a href={runFileUrl(runId, "report.html")} target="_blank" rel="noopener" data-testid="download-report">
            Printable report
          </a>{" "}
          <span className="muted">(one page per persona; print to PDF)</span>
        </li>
        <li>
          {noun === "users" ? "Users" : "Members"} with persona, core/{eventRun ? "mixed" : "reassigned"} and
          confidence: <Formats runId={runId} files={["export/members.csv", "export/members.parquet"]} />
        </li>
        <li>
          Personas (profile, terms, fingerprint, evidence):{" "}
          <Formats runId={runId} files={["export/personas.json", "export/personas.csv"]} />
        </li>
      </ul>
    </section>
  );
}

/** Download links for one export in several formats ("CSV · Parquet"); `files` are the API's export routes. */
function Formats({ runId, files }: { runId: string; files: RunFileName[] }) {
  return (
    <>
      {files.map((file, i) => {
        const [what, format = ""] = file.replace(/^export\//, "").split(".");
        return (
          <span key={file}>
            {i ? " · " : ""}
            <a href={runFileUrl(runId, file)} download data-testid={`download-${what}-${format}`}>
              {format === "parquet" ? "Parquet" : format.toUpperCase()}
            </a>
          </span>
        );
      })}
    </>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat">
      <span className="value">{value}</span>
      <span className="label">{label}</span>
    </div>
  );
}
