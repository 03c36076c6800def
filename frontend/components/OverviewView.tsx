"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useMemo, useState } from "react";

import { clockLabel } from "@/components/ActivityPanel";
import ComparisonLink, { ComparedLater } from "@/components/ComparisonLink";
import OutcomesPanel from "@/components/OutcomesPanel";
import PersonaTreemap from "@/components/PersonaTreemap";
import QualityMetrics from "@/components/QualityMetrics";
import { FunnelPanel, GranularityNote, LongMembersNote, RunCounts, RunMeta } from "@/components/RunFacts";
import RunSelector, { type RunChoice } from "@/components/RunSelector";
import { EmptyRuns, ErrorState, Loading } from "@/components/States";
import FamilyLevel, { familyNav, type FamilyNav } from "@/components/FamilyLevel";
import { paths, runFileUrl, type Family, type PersonaSummary, type RunFileName } from "@/lib/api";
import { int, pct, shownTerm } from "@/lib/format";
import { useFeatureWords } from "@/lib/features";
import { availableMeasures, coloring, type Coloring } from "@/lib/measures";
import { isEventRun, memberNoun, mostlyForced, nameDescribesFew } from "@/lib/runs";
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
            <ComparisonLink
              runId={runId}
              series={manifest.data.series}
              hasComparison={manifest.data.has_comparison}
              events={isEventRun(manifest.data)}
            />
            <ComparedLater runId={runId} series={manifest.data.series} />
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
      <LongMembersNote manifest={m} />
      <div className="grid grid-3">
        <section className="panel span-2" aria-labelledby="treemap-title">
          <h2 id="treemap-title">
            Personas by share
            <Link href={`/map/?run=${encodeURIComponent(runId)}`} className="muted" style={{ fontSize: "0.9rem" }}>
              {eventRun ? "User map →" : "Member map →"}
            </Link>
          </h2>
          {personas.status === "ok" ? (
            <TreemapPanel runId={runId} items={items} families={families} nav={nav} eventRun={eventRun}
              clock={m.kind !== "events" && m.time?.basis ? clockLabel(m.time.basis) : undefined} />
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
        <PersonaTablePanel runId={runId} items={personas.status === "ok" ? items : null} families={families}
          familyId={nav.familyId} eventRun={eventRun} />
        <DownloadPanel runId={runId} noun={noun} eventRun={eventRun} />
        <OutcomesPanel manifest={m} personas={personas.status === "ok" ? items : null} />
        <FunnelPanel manifest={m} />
      </div>
    </>
  );
}

/** The treemap of the run's personas (or families), coloured by a chosen measure, with its legends. */
function TreemapPanel({
  runId,
  items,
  families,
  nav,
  eventRun,
  clock,
}: {
  runId: string;
  items: PersonaSummary[];
  families: Family[];
  nav: FamilyNav;
  eventRun: boolean;
  clock?: string;
}) {
  const [measureKey, setMeasureKey] = useState("persona");
  const noun = memberNoun(eventRun);
  const words = useFeatureWords();
  const measures = useMemo(() => availableMeasures(items, eventRun, words, clock), [items, eventRun, words, clock]);
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
            coreWord={eventRun ? "clear" : "core"}
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

/**
 * The persona table under the treemap. Zoomed into a family, it lists that family's personas (what the treemap
 * shows), with a button to list every persona; otherwise every persona of the run.
 */
function PersonaTablePanel({
  runId,
  items,
  families,
  familyId,
  eventRun,
}: {
  runId: string;
  items: PersonaSummary[] | null;
  families: Family[];
  familyId: number | null;
  eventRun: boolean;
}) {
  const [allFor, setAllFor] = useState<number | null>(null);
  const family = familyId !== null && families.length >= 2 ? families.find((f) => f.id === familyId) : undefined;
  const scoped = family !== undefined && allFor !== family.id;
  const shown = items === null ? null : scoped ? items.filter((p) => family.persona_ids.includes(p.id)) : items;
  return (
    <section className="panel span-3" aria-labelledby="personas-title">
      <h2 id="personas-title" data-testid="persona-table-title">
        {scoped ? `Personas in ${family.name}` : "All personas"}
      </h2>
      {family !== undefined && items !== null ? (
        <p className="hint" data-testid="persona-table-scope">
          {scoped
            ? `${shown?.length ?? 0} of the run's ${items.length} personas, those of the family opened above. `
            : `Every persona of the run; the family ${family.name} is opened above. `}
          <button type="button" className="linklike" data-testid="persona-table-toggle"
            onClick={() => setAllFor(scoped ? family.id : null)}>
            {scoped ? `List all ${items.length} personas` : `List only ${family.name}`}
          </button>
          {" · "}the family&apos;s {memberNoun(eventRun)} as{" "}
          <a href={runFileUrl(runId, "export/members.csv", { family: family.id })} download data-testid="family-members-csv">
            CSV
          </a>
          {" · "}its{" "}
          <a href={runFileUrl(runId, "report.html", { family: family.id })} target="_blank" rel="noopener" data-testid="family-report">
            printable pages
          </a>
        </p>
      ) : null}
      {/* scoped to one family, the family column would repeat its name on every row */}
      {shown !== null ? <PersonaTable runId={runId} items={shown} families={scoped ? [] : families} eventRun={eventRun} /> : null}
    </section>
  );
}

/** Personas in a table: family, size, share, core, reassigned (mixed) and top terms. */
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
    <div className="table-scroll">
      <table data-testid="persona-table">
        <thead>
          <tr>
            <th scope="col">Persona</th>
            {families.length ? <th scope="col">Family</th> : null}
            <th scope="col" className="num">{eventRun ? "Users" : "Members"}</th>
            <th scope="col" className="num">Share</th>
            <th scope="col" className="num col-detail">{eventRun ? "Clear" : "Core"}</th>
            <th scope="col" className="num col-detail">{eventRun ? "Mixed" : "Reassigned"}</th>
            {toned ? (
              <th
                scope="col"
                title="Whether its members use negative words more or less often than the other personas' members (VADER's word list; it misses polite complaints, so compare personas, not levels)"
              >
                Tone (negative words)
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
                {mostlyForced(p) ? (
                  <span
                    className="muted"
                    data-testid="loose-mark"
                    title={`More than half of its ${eventRun ? "users are flagged as mixed" : "members were reassigned from noise"} (${int(p.reassigned_count ?? 0)} of ${int(p.size)}): a loose grouping, which its core ${eventRun ? "users" : "members"} show best`}
                  >
                    {" "}
                    · loose
                  </span>
                ) : null}
                {nameDescribesFew(p) ? (
                  <span
                    className="muted"
                    data-testid="name-few-mark"
                    title={`Its name's words are in ${pct(p.name_share ?? 0, 0)} of its members' texts: the name describes few of them; read its evidence before presenting it`}
                  >
                    {" "}
                    · name in {pct(p.name_share ?? 0, 0)}
                  </span>
                ) : null}
              </td>
              {families.length ? (
                <td className="muted">{p.parent_id != null ? familyName.get(p.parent_id) ?? "–" : "–"}</td>
              ) : null}
              <td className="num">{int(p.size)}</td>
              <td className="num">{pct(p.share)}</td>
              <td className="num col-detail">{int(p.core_size)}</td>
              <td className="num col-detail">{int(p.reassigned_count)}</td>
              {toned ? (
                <td className="muted nowrap" data-testid="tone-cell">
                  {/* "like the others": reads like the other personas' members; "–": no tone measured */}
                  {p.tone_reading === "like everyone" ? "like the others" : p.tone_reading || "–"}
                </td>
              ) : null}
              <td className="muted">{(p.top_terms ?? []).slice(0, 6).map(shownTerm).join(", ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Links to the run's printable report and its exports. */
function DownloadPanel({ runId, noun, eventRun }: { runId: string; noun: string; eventRun: boolean }) {
  return (
    <section className="panel" aria-labelledby="download-title">
      <h2 id="download-title">Download</h2>
      <p className="hint">
        {eventRun
          ? "Take the personas with you (each user as their mix of events; no texts)."
          : "Take the personas with you (member texts masked as shown here)."}
      </p>
      <ul className="downloads" data-testid="downloads">
        <li>
          <a href={runFileUrl(runId, "report.html")} target="_blank" rel="noopener" data-testid="download-report">
            Printable report
          </a>{" "}
          <span className="muted">
            ({eventRun ? "what was read" : "what was read, the families"}, then one page per persona; print to PDF)
          </span>
        </li>
        <li>
          {noun === "users" ? "Users" : "Members"} with persona, {eventRun ? "clear/mixed" : "core/reassigned"} and
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
