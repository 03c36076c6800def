"use client";

import Link from "next/link";

import { ErrorState } from "@/components/States";
import { isNoComparison } from "@/components/WhatChangedView";
import { paths } from "@/lib/api";
import { psiFigure } from "@/lib/lineage";
import { useApi } from "@/lib/useApi";

/**
 * On the run overview: a link to "What changed" with the headline when the run was compared with a
 * baseline (`hasComparison`, from the run's manifest), else one line on how to get a comparison (`--baseline latest`).
 */
export default function ComparisonLink({
  runId,
  series,
  hasComparison,
  events = false,
}: {
  runId: string;
  series?: string | null;
  hasComparison: boolean;
  /** an event run: the command it shows needs --kind events (as the What changed page's, docs/frontend.md) */
  events?: boolean;
}) {
  // asked only when the run has one (the manifest's has_comparison), so a run without one makes no 404
  const comparison = useApi(hasComparison ? paths.comparison(runId) : null);
  // the baseline may have been deleted since (a re-runs review: the link read "since run R2" with no word of it)
  const base = useApi(comparison.status === "ok" ? paths.run(comparison.data.base.run_id) : null);
  if (comparison.status === "loading") return null;
  if (comparison.status === "idle" || comparison.status === "error") {
    if (comparison.status === "error" && !isNoComparison(comparison.error))
      return <ErrorState error={comparison.error} title="Could not load the comparison" />;
    return (
      <p className="hint comparison-note" data-testid="no-comparison-hint">
        {series ? (
          <>
            Series {series}. No comparison is stored with this run: it is the series&apos; first run, or its comparison
            could not be made (the run&apos;s log says why). The next run with <code>--series {series}</code> is compared
            with the series&apos; latest run.
          </>
        ) : (
          <>
            Not compared with an earlier run: re-run with{" "}
            <code>{events ? "--kind events " : ""}--series NAME --baseline latest</code> to see what changed.
          </>
        )}
      </p>
    );
  }
  const c = comparison.data;
  const died = c.counts.base_died ?? 0;
  const born = c.counts.new_born ?? 0;
  // what recurs: authors, threads or texts; an event run's users (key "member"); nothing when no one recurs
  const who = c.movers.key === "none" || c.movers.key === "member" ? `${c.new.unit}s` : `${c.movers.key}s`;
  const moved =
    c.movers.key !== "none" && c.movers.n_shared > 0
      ? `${c.movers.n_moved.toLocaleString("en-US")} of ${c.movers.n_shared.toLocaleString("en-US")} ${who} in both runs ${
          // personas of messages: an author "moves" when most of their messages sit elsewhere, which is no churn
          c.movers.key === "author" ? `now write mostly in another persona` : "changed persona"
        }${
          // movers that hold the same texts were regrouped by the fit (an airline review: 537 of 541, said only on
          // the What changed page and in the CLI, while this line read as churn)
          c.movers.n_unchanged
            ? `, ${c.movers.n_unchanged.toLocaleString("en-US")} of them with the same ${c.new.kind === "events" ? "events" : "texts"} as before (regrouped by the fit)`
            : ""
        }`
      : `too few ${who} recur in both runs to count who moved`;
  return (
    <p className="comparison-note" data-testid="comparison-link">
      <Link href={`/changes/?run=${encodeURIComponent(runId)}`}>
        <strong>What changed</strong> since run {c.base.run_id} →
      </Link>{" "}
      {base.status === "error" && base.error.status === 404 ? (
        <span className="muted" data-testid="comparison-base-deleted">
          (that run is not in the store: deleted since, or a run directory never published; the comparison stored
          with this run still reads) ·
        </span>
      ) : null}{" "}
      <span className="muted">
        {series ? `series ${series} · ` : ""}
        {born} new persona{born === 1 ? "" : "s"}, {died} gone · {moved} · mix of personas {c.shift.level} (
        {c.shift.note ? "most members are in personas with no counterpart" : `PSI ${psiFigure(c.shift)}`})
      </span>
    </p>
  );
}

/**
 * On the run overview of a series' run: the later runs compared with this one, each a link to its What changed
 * (a re-runs review: month 1's overview did not lead to the comparison month 2 made against it). Nothing when no
 * later run names this one as its baseline, or the series cannot be read.
 */
export function ComparedLater({ runId, series }: { runId: string; series?: string | null }) {
  const history = useApi(series ? paths.series(series) : null);
  if (history.status !== "ok") return null;
  const later = history.data.items.filter((i) => i.comparison?.base_run_id === runId);
  if (!later.length) return null;
  return (
    <p className="comparison-note" data-testid="compared-later">
      Compared later:{" "}
      {later.map((i, k) => (
        <span key={i.run_id}>
          {k ? "; " : ""}
          <Link href={`/changes/?run=${encodeURIComponent(i.run_id)}`}>
            what changed in run {i.run_id} since this one →
          </Link>
        </span>
      ))}
    </p>
  );
}
