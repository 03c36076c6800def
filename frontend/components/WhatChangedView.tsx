"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";

import { BaseRunGone, GoneTable, NewPersonaTable, StatusBadge, splitParent } from "@/components/ChangeTables";
import LineageSankey from "@/components/LineageSankey";
import MoversTable from "@/components/MoversTable";
import { ErrorState, Loading } from "@/components/States";
import { POOR_BELOW } from "@/components/QualityMetrics";
import { paths, type ApiError, type Comparison } from "@/lib/api";
import { dataPeriod, int, pct, periodClock } from "@/lib/format";
import { STATUS, membersRecur, personaNames, psiFigure, shiftMeaning, shiftWords, type LineageStatus } from "@/lib/lineage";
import { useApi } from "@/lib/useApi";

/** The run has no stored comparison: the API's 404 `comparison_not_found`. */
export function isNoComparison(error: ApiError): boolean {
  return error.status === 404 && error.code === "comparison_not_found";
}

/** How to get a comparison for a run made without one (`events`: an event run, whose command names its kind). */
export function NoComparison({ runId, events = false }: { runId: string; events?: boolean }) {
  return (
    <div className="state state-empty" data-testid="no-comparison">
      <h2>No comparison for this run</h2>
      <p>
        Run {runId} was not compared with an earlier run. Re-run the pipeline on fresh data with a baseline, and the
        comparison is stored with the new run:
      </p>
      <pre>
        <code>
          python -m ml.run {events ? "--kind events " : ""}NEW_DATA.csv --out runs/next --series NAME --baseline latest
        </code>
      </pre>
      <p className="muted">
        <code>--baseline latest</code> compares with the newest run of the series (or of the store); <code>--baseline RUN_ID</code>{" "}
        with a run of your choice. See docs/drift.md.
      </p>
    </div>
  );
}

/** `/changes/?run=RUN`: what changed between the run's baseline and the run. */
export default function WhatChangedView() {
  const params = useSearchParams();
  const runId = params.get("run") || "latest";
  const manifest = useApi(paths.run(runId));
  // asked only when the run has one (the manifest's has_comparison): no 404 in the console for the others
  const has = manifest.status === "ok" && manifest.data.has_comparison;
  const comparison = useApi(has ? paths.comparison(runId) : null);
  const back = (
    <p className="breadcrumb">
      <Link href={`/?run=${encodeURIComponent(runId)}`}>← Run overview</Link>
    </p>
  );
  if (manifest.status === "ok" && !manifest.data.has_comparison) {
    return (
      <>
        {back}
        <h1>What changed</h1>
        <NoComparison runId={manifest.data.id} events={manifest.data.kind === "events"} />
      </>
    );
  }
  const failed = manifest.status === "error" ? manifest : comparison;
  if (failed.status === "error") {
    return (
      <>
        {back}
        <h1>What changed</h1>
        {isNoComparison(failed.error) ? (
          <NoComparison runId={runId} />
        ) : (
          <ErrorState error={failed.error} title={`Could not load what changed in run ${runId}`} />
        )}
      </>
    );
  }
  if (comparison.status !== "ok") return <>{back}<Loading what="the comparison" /></>;
  return (
    <>
      {back}
      <ChangesPage c={comparison.data} />
    </>
  );
}

/** What a split or merged count counts: "4 pieces of 2 baseline personas", "2 personas holding 5 of the
 * baseline's" (the counts are this run's personas; the report counts the baseline's split ones). */
function PieceCount({ c, status, n }: { c: Comparison; status: "split" | "merged"; n: number }) {
  // the baseline personas these pieces come from (a split's parent is itself "merged" when its largest part
  // went into a merger, so the parents' own statuses would miss it); a split piece's own parent only, not a baseline
  // persona that merged into it (an airline review read "13 pieces of 7" where the run split 6)
  const pieces = c.new_personas.filter((p) => p.status === status);
  const base = new Set(
    status === "split"
      ? pieces.map((p) => splitParent(p, c)?.id).filter((id) => id !== undefined)
      : pieces.flatMap((p) => p.base_ids ?? []),
  ).size;
  if (!base) return null;
  const text =
    status === "split"
      ? ` (${n} ${n === 1 ? "piece" : "pieces"} of ${base} baseline ${base === 1 ? "persona" : "personas"})`
      : ` (${n === 1 ? "1 persona holding" : `${n} personas holding`} ${base} of the baseline's)`;
  return <span className="muted" data-testid={`${status}-pieces`}>{text}</span>;
}

const ORDER: LineageStatus[] = ["continued", "grown", "shrunk", "split", "merged", "born", "died"];

/** Personas per status: this run's (continued … born) and the baseline's gone ones. */
function statusCounts(c: Comparison): { status: LineageStatus; n: number }[] {
  return ORDER.map((status) => ({
    status,
    n: status === "died" ? c.counts.base_died ?? 0 : c.counts[`new_${status}`] ?? 0,
  })).filter((x) => x.n > 0);
}

function ChangesPage({ c }: { c: Comparison }) {
  const noun = `${c.new.unit}s`;
  const base = useApi(paths.run(c.base.run_id));
  const gone = base.status === "error" && base.error.status === 404;
  return (
    <BaseRunGone.Provider value={gone}>
      <ChangesHead c={c} gone={gone} />
      <SameDataNotice c={c} />
      <TentativeNotice c={c} />
      <div className="grid grid-3">
        <ShiftPanel c={c} />
        <section className="panel span-2" aria-labelledby="status-title">
          <h2 id="status-title">Personas by change</h2>
          <ul className="status-counts" data-testid="status-counts">
            {statusCounts(c).map(({ status, n }) => (
              <li key={status}>
                <StatusBadge status={status} /> <strong>{n}</strong>{" "}
                <span className="muted">· {STATUS[status].meaning}</span>
                {status === "split" || status === "merged" ? <PieceCount c={c} status={status} n={n} /> : null}
                {status === "continued" ? <RedrawnCount n={c.new_personas.filter((p) => p.share_recut).length} /> : null}
                {status === "split" ? <RecutNote n={c.new_personas.filter((p) => p.recut).length} what="here" /> : null}
                {status === "merged" ? (
                  <RecutNote n={c.base_personas.filter((p) => p.recut).length} what="of the baseline" />
                ) : null}
              </li>
            ))}
          </ul>
          <ToneChanges c={c} />
          {c.notes?.length ? (
            <p className="hint" style={{ marginTop: "0.75rem" }} data-testid="comparison-notes">
              {c.notes.map((n) => plainNote(n, c.new.unit, c.movers.key)).join(" ")}
            </p>
          ) : null}
        </section>
        <section className="panel span-3" aria-labelledby="flows-title">
          <h2 id="flows-title">Where the personas went</h2>
          <p className="hint">
            Each band carries share of {noun} from a baseline persona to the persona that continues it here
            {c.movers.n_shared > 0 && membersRecur(c) && c.new_personas.some((p) => p.status === "split")
              ? `; where it split, its share follows where its ${noun} found in both runs went`
              : ""}
            . Bars are links: click one (or Tab to it and press Enter) to open that persona
            {gone ? " (this run's bars only: the baseline run is not in the store)" : ""}.
          </p>
          <LineageSankey comparison={c} />
        </section>
        <section className="panel span-3" aria-labelledby="table-title">
          <h2 id="table-title">Persona by persona</h2>
          <p className="hint">
            Share then → now with its 95% interval and its count ({c.new.unit || "member"}s: a share can fall while
            the count grows, when the run as a whole grew more); Δ in percentage points (for the pieces of a split: all pieces together
            against the persona they split from; none when part of it went into a merger). A baseline persona&apos;s share
            then is shown on each of its pieces and in a persona it merged into, so that column does not add up to 100%.{" "}
            {c.new.kind === "events"
              ? "Events: the persona's top events that are new here, and those it no longer leads with."
              : "Terms: the persona's top terms that are new here, and those it no longer uses."}
          </p>
          <NewPersonaTable comparison={c} />
        </section>
        <section className="panel span-2" aria-labelledby="movers-title">
          <h2 id="movers-title">Who moved</h2>
          <p className="hint">
            {int(c.movers.n_moved)} of the {int(c.movers.n_shared)} {c.movers.key === "none" || c.movers.key === "member" ? `${c.new.unit || "member"}s` : `${c.movers.key}s`} found
            in both runs now belong to another persona lineage
            {c.movers.n_unchanged ? (
              <span data-testid="movers-unchanged">
                {c.new.kind === "events"
                  ? ` (${int(c.movers.n_unchanged)} of them hold the same events as in the baseline: this run's fit grouped them elsewhere, they did nothing new)`
                  : ` (${int(c.movers.n_unchanged)} of them hold the same texts as in the baseline: this run's fit grouped them elsewhere, they wrote nothing new)`}
              </span>
            ) : null}
            {c.movers.n_regrouped ? (
              <span data-testid="regrouped">
                ; {int(c.movers.n_regrouped)} more are in a piece of their persona&apos;s split or in the persona it merged
                into: their persona was re-cut around them, so they are not counted as moving
              </span>
            ) : null}
            .
            {c.movers.key === "author" ? (
              <span data-testid="movers-by-author">
                {" "}
                These personas group {c.new.unit}s, not people: an author counts as moving when most of their{" "}
                {c.new.unit}s now sit in another persona than most of them did in the baseline (a question about bags one
                month, about a cancellation the next), which is what people writing about new things look like, not
                only churn.
              </span>
            ) : null}
          </p>
          <MoversTable comparison={c} />
        </section>
        <section className="panel" aria-labelledby="gone-title">
          <h2 id="gone-title">Gone since the baseline</h2>
          <GoneTable comparison={c} />
        </section>
      </div>
    </BaseRunGone.Provider>
  );
}

/** " from 16 Feb 2015 – 20 Feb 2015 (UTC-08:00)": the dates on the run's charts' clock (`basis`), or nothing for
 * a run without timestamps. */
function spanText(ref: Comparison["new"]): string {
  const span = dataPeriod(ref, ref.basis);
  return span ? ` from ${span} (${periodClock(ref.basis)})` : "";
}

/** The baseline run's id, linked to its overview while the store holds it; a run deleted since reads "(deleted
 * from the store)" without a link (it led to "Could not load run …"), and so do its personas on the page. */
function BaseRunLink({ runId, gone }: { runId: string; gone: boolean }) {
  if (gone) {
    return (
      <span data-testid="base-run-deleted">
        {runId} (not in the store: deleted since, or a run directory never published)
      </span>
    );
  }
  return <Link href={`/?run=${encodeURIComponent(runId)}`}>{runId}</Link>;
}

function ChangesHead({ c, gone }: { c: Comparison; gone: boolean }) {
  const noun = `${c.new.unit}s`;
  return (
    <div className="page-head">
      <div>
        <h1>What changed</h1>
        <p className="meta" data-testid="changes-meta">
          Run <strong>{c.new.run_id}</strong> ({int(c.new.n_members)} {noun}
          {spanText(c.new)}, {c.new.n_personas} personas) compared with its baseline{" "}
          <BaseRunLink runId={c.base.run_id} gone={gone} /> ({int(c.base.n_members)}{" "}
          {noun}
          {spanText(c.base)}, {c.base.n_personas} personas)
        </p>
      </div>
    </div>
  );
}

/** Two fits of the same data (another seed, other settings): said first, so that the splits, merges and
 * movers below are not read as customers changing (ml/lineage/compare.py, ``same_members``). */
function SameDataNotice({ c }: { c: Comparison }) {
  if (!c.notes?.some((n) => n.startsWith(SAME_MEMBERS))) return null;
  return (
    <p className="panel" role="note" data-testid="same-data" style={{ borderLeft: "4px solid #D55E00" }}>
      <strong>Both runs hold the same {int(c.new.n_members)} {c.new.unit}s.</strong> Nothing changed in the data:
      every split, merge, share change and mover below comes from fitting the personas again (another seed or other
      settings), not from the customers.
    </p>
  );
}

/** Either run's personas rated tentative by its own stability check (poor on Steinley's bands, below 0.65, as the
 * Quality panel reads it): the changes between two such fits are as much the fits' as the customers' (an airline
 * review read 23 of 43 personas "merged" between weeks whose runs the CLI called tentative, and nothing here said
 * so). */
export function TentativeNotice({ c }: { c: Comparison }) {
  const poor = [
    { label: "the baseline", ari: c.base.stability_ari },
    { label: "this run", ari: c.new.stability_ari },
  ].filter((r) => typeof r.ari === "number" && r.ari < POOR_BELOW);
  if (!poor.length) return null;
  const which = poor.map((r) => `${r.label} (stability ${(r.ari as number).toFixed(2)})`).join(" and ");
  return (
    <p className="hint" role="note" data-testid="tentative-fits">
      The personas of {which} are tentative:{" "}
      {c.new.kind === "events"
        ? "a refit on 80% of the users agrees poorly with the full fit"
        : `a refit with another seed regroups many ${c.new.unit}s`}{" "}
      (poor on Steinley&apos;s bands, below 0.65). Read the splits, merges and moves below as much as the fits&apos; as the
      customers&apos;
      {c.shift.basis === "placed"
        ? `; the population shift, which places both runs' ${c.new.unit}s on the baseline's personas, is the steadier figure.`
        : "."}
    </p>
  );
}

/** Personas that continue one of the baseline and now write clearly more (or less) negatively. */
function ToneChanges({ c }: { c: Comparison }) {
  const lines = (["more negative", "less negative"] as const)
    .map((reading) => ({ reading, personas: c.new_personas.filter((p) => p.tone?.reading === reading) }))
    .filter((x) => x.personas.length > 0);
  if (!lines.length) return null;
  return (
    <p className="hint" style={{ marginTop: "0.75rem" }} data-testid="tone-changes">
      {lines.map(({ reading, personas }) => (
        <span key={reading} style={{ display: "block" }}>
          <strong>Now {reading}:</strong>{" "}
          {personas
            .flatMap((p) => (p.tone ? [`${p.name} (${pct(p.tone.then, 0)} → ${pct(p.tone.now, 0)} use negative words)`] : []))
            .join("; ")}
        </span>
      ))}
    </p>
  );
}

function ShiftPanel({ c }: { c: Comparison }) {
  const fit = c.fit_shift ?? c.shift;
  const unmatched = fit.buckets.find((b) => b.bucket === "unmatched");
  const placed = c.shift.basis === "placed";
  return (
    <section className="panel" aria-labelledby="shift-title" data-testid="shift-panel">
      <h2 id="shift-title">Population shift</h2>
      <p className={`shift shift-${c.shift.level}`} data-testid="shift-level">
        {shiftWords(c.shift)}
      </p>
      <p data-testid="shift-meaning">{shiftMeaning(c.shift.level, c)}</p>
      {placed ? <LargestMoves c={c} /> : null}
      {unmatched ? (
        <p className="hint" data-testid="fit-shift">
          Personas with no counterpart: {pct(unmatched.then)} of the baseline, {pct(unmatched.now)} of this run.
          {placed
            ? ` The two persona lists differ by PSI ${psiFigure(fit)} (${fit.level})` +
              (c.shift.level === "stable" && fit.level !== "stable"
                ? ": the conversations themselves moved little, so most of that is how the two fits cut the same kind of conversations."
                : ", counting how the two fits cut the conversations as well as how they moved.")
            : null}
        </p>
      ) : null}
      <p className="hint">
        PSI (population stability index) compares shares over one set of groups: under {c.shift.moderate} stable,{" "}
        {c.shift.moderate}–{c.shift.major} moderate, {c.shift.major} or more major.{" "}
        {placed
          ? "Here the groups are the baseline's personas: each member of this run is placed on the persona of its nearest baseline member, the baseline's own members are placed the same way, and members unlike anything in the baseline count as new kinds of conversation."
          : "Here the groups are the personas linked across the two runs, plus one for those with no counterpart."}
      </p>
    </section>
  );
}

/** "— 3 of them drawn smaller or larger by this run's fit: …": continued personas whose own share moved past the growth
 * ratio while their placed share did not (NewPersona.share_recut). */
function RedrawnCount({ n }: { n: number }) {
  if (!n) return null;
  return (
    <span className="muted" data-testid="redrawn-count">
      {" "}
      — {n} of them drawn smaller or larger by this run&apos;s fit while their kind of conversation did not move that way (shown under
      {n === 1 ? " its badge" : " their badges"} below)
    </span>
  );
}

/** "— 3 personas here are re-cuts: …": how many split / merged pieces are re-cuts of conversations both runs have. */
function RecutNote({ n, what }: { n: number; what: string }) {
  if (!n) return null;
  return (
    <span className="muted" data-testid="recut-count">
      {" "}
      — {n} {n === 1 ? "persona" : "personas"} {what} {n === 1 ? "is a re-cut" : "are re-cuts"}: conversations both
      runs have, cut differently
    </span>
  );
}

/** The placed shift's largest moves, by the baseline persona's name ("novel": conversations the baseline had none of). */
function LargestMoves({ c }: { c: Comparison }) {
  const names = personaNames(c).base;
  const homes = novelHomes(c);
  const label = (bucket: string) =>
    bucket === "novel"
      ? `new kinds of conversation (${homes.length ? `among them ${homes.join(" and ")}` : "unlike any in the baseline"})`
      : (names.get(Number(bucket.split(" ")[1])) ?? bucket);
  const moves = [...c.shift.buckets]
    .sort((a, b) => b.contribution - a.contribution)
    .slice(0, 3)
    .filter((b) => b.contribution >= 0.005)
    .map((b) => `${label(b.bucket)} ${pct(b.then)} → ${pct(b.now)}`);
  return moves.length ? (
    <p data-testid="largest-moves">
      Largest moves: {moves.join("; ")}.{" "}
      <span className="hint">
        Shares of both runs&apos; members placed on the baseline&apos;s personas; the table below gives each run&apos;s
        own shares.
      </span>
    </p>
  ) : null;
}

/** The (at most two) personas of this run, mostly novel, that hold the most novel members: "Name, 97% of it novel". */
export function novelHomes(c: Comparison): string[] {
  return c.new_personas
    .map((p) => ({ p, novel: p.scores?.novel_share ?? 0 }))
    .filter(({ novel }) => novel >= 0.5)
    .sort((a, b) => b.novel * b.p.now.share - a.novel * a.p.now.share)
    .slice(0, 2)
    .map(({ p, novel }) => `${p.name}, ${pct(novel)} of it novel`);
}

const SAME_MEMBERS = "both runs hold the same members";

/** The comparison's notes (ml/lineage/compare.py) in an analyst's words; a note not known here is shown as written. */
export function plainNote(note: string, unit = "member", moversKey = "none"): string {
  if (note.startsWith(SAME_MEMBERS)) return "Both runs hold the same members: the changes come from the fit, not the data.";
  if (note === "matches confirmed by recurring member ids")
    return "Matches were checked against the members found in both runs (same ids), not only by how alike the personas read.";
  if (note === "matches confirmed by recurring identical texts")
    return "Matches were checked against the texts found word for word in both runs, not only by how alike the personas read.";
  if (note.startsWith("the baseline's data is later"))
    return "The baseline's data is later than this run's: the two runs may have been given the wrong way round.";
  if (note.startsWith("too few members recur"))
    return (
      `Too few of the same ${unit}s appear in both runs to check the matches by who is in them: they rest on how ` +
      "alike the personas read alone." +
      (moversKey === "author" ? " Authors found in both runs are followed below, under Who moved." : "")
    );
  return `Note: ${note}.`;
}
