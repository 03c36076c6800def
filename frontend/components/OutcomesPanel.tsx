"use client";

import { paths, type OutcomeTable, type Outcomes, type PersonaSummary, type RunManifest } from "@/lib/api";
import { int, num, pct } from "@/lib/format";
import { useApi } from "@/lib/useApi";

const MAX_CATEGORIES = 6;
const INTERVAL = /^[([]\s*(-?[\d.]+)\s*,/;

/** Categories in reading order: numeric bins ("(5.999, 40.0]", as a numeric outcome is cut) by their lower edge, then
 * any other category ("outside the bands", values `--outcome-bins` did not cover). */
export function orderedCategories(categories: string[]): string[] {
  const lower = (c: string) => Number(INTERVAL.exec(c)?.[1] ?? Number.NaN);
  const bands = categories.filter((c) => Number.isFinite(lower(c)));
  if (!bands.length) return categories;
  return [...bands.sort((a, b) => lower(a) - lower(b)), ...categories.filter((c) => !Number.isFinite(lower(c)))];
}

const BAND = /^([([])\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*([)\]])$/;

/** A band as people read it: "(5.999, 40.0]" (three equal bands; each holds its upper edge; the lowest starts
 * just under the smallest value) → "6 to 40", "(40.0, 62.5]" → "over 40 to 62.5", "[40, 70)" (`--outcome-bins`)
 * → "40 to under 70"; a category as it is. `lowest`: the first band in reading order. */
export function bandLabel(category: string, lowest = false): string {
  const m = BAND.exec(category.trim());
  if (!m) return category;
  const round = (x: number) => (Math.abs(x - Math.round(x)) < 0.01 ? Math.round(x) : Number(x.toFixed(2)));
  const [lo, hi] = [round(Number(m[2])), round(Number(m[3]))];
  return `${m[1] === "(" && !lowest ? "over " : ""}${lo} to ${m[4] === ")" ? "under " : ""}${hi}`;
}

/** The head of an outcome table: a label column, a count column, then one column per category as people read it. */
function BandHead({ first, count, column, cats }: { first: string; count: string; column?: string; cats: string[] }) {
  return (
    <thead>
      <tr>
        <th scope="col">{first}</th>
        <th scope="col" className="num">
          {count}
        </th>
        {cats.map((c) => (
          <th scope="col" className="num" key={c} title={c}>
            {column ?? "outcome"}: {bandLabel(c, c === cats[0])}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/** A row of plain rates: a label, a count, then each category's share. */
function RatesRow({ label, n, rates, cats, testId }: {
  label: React.ReactNode; n: number; rates: Record<string, number>; cats: string[]; testId?: string;
}) {
  return (
    <tr data-testid={testId}>
      <th scope="row">{label}</th>
      <td className="num">{int(n)}</td>
      {cats.map((c) => (
        <td className="num" key={c}>
          {pct(rates[c] ?? 0)}
        </td>
      ))}
    </tr>
  );
}

function readOutcomes(m: RunManifest): Outcomes | null {
  if (m.kind !== "events") return null;
  const o = m.metrics?.outcomes ?? null;
  return o?.nmf.personas.length ? o : null;
}

/** Cramér's V gaps under this read "about the same" (as the printable report, backend/routes/report_outcome.py). */
const SAME_V = 0.05;

/** " {head} 0.57" and how it compares with the personas' V: ": {more}" from SAME_V higher, ", about the same." within
 * it, "." otherwise; "" when `other` is not a number. The gap is taken as shown, two decimals (0.43 − 0.38 is 0.0499…;
 * "0.42 against 0.43" was called a difference: an events review). As the printable report says it. */
function beside(v: number, other: number | null | undefined, head: string, more: string): string {
  if (typeof other !== "number") return "";
  const gap = Math.round(100 * other) - Math.round(100 * v);
  const tail = gap >= 100 * SAME_V ? `: ${more}` : Math.abs(gap) < 100 * SAME_V ? ", about the same." : ".";
  return ` ${head} ${num(other)}${tail}`;
}

/** How the personas, k-means (same k, same matrix) and a plain split by how many events users logged (an events
 * review found OULAD's personas at 0.42 against 0.57 for it, unsaid) tell the outcome apart, in words. */
function strength(nmf: OutcomeTable, kmeans: OutcomeTable | null | undefined, volume?: OutcomeTable | null): string {
  const v = nmf.cramers_v;
  if (typeof v !== "number") return "";
  const p = typeof nmf.p_value === "number" ? (nmf.p_value < 0.001 ? "p < 0.001" : `p = ${num(nmf.p_value, 3)}`) : null;
  const n = volume?.personas.length ?? 0; // ties keep users together: there may be fewer groups than personas
  return (
    `How strongly the persona goes with the outcome: Cramér's V ${num(v)} (0 = not at all, 1 = fully${p ? `; ${p}` : ""}).` +
    beside(v, kmeans?.cramers_v, "k-means with the same number of groups on the same matrix reaches",
      "its groups tell the outcome apart more than these personas do, which are cut by behaviour, not by outcome.") +
    beside(v, volume?.cramers_v, `Users cut into ${n} groups of about equal size by how many events they logged reach`,
      "how much users do tells the outcome apart more than these personas, which describe what they do.")
  );
}

/**
 * An event run with an outcome file (`--outcome-file`, `--outcome-col`): each persona's outcome rates beside
 * everyone's, and how strongly personas go with the outcome. Nothing for runs without one.
 */
export default function OutcomesPanel({ manifest, personas }: { manifest: RunManifest; personas: PersonaSummary[] | null }) {
  const o = readOutcomes(manifest);
  if (!o) return null;
  const t = o.nmf;
  const cats = orderedCategories(t.categories).slice(0, MAX_CATEGORIES);
  const names = new Map((personas ?? []).map((p) => [p.id, p.name]));
  const rows = [...t.personas].sort((a, b) => b.n - a.n);
  return (
    <section className="panel span-3" aria-labelledby="outcomes-title" data-testid="outcomes">
      <h2 id="outcomes-title">Outcome by persona</h2>
      <p className="hint">
        Share of each persona&apos;s users by <code>{o.column ?? "outcome"}</code>, from the outcome file, beside everyone&apos;s
        ({int(t.n)} users with an outcome).
        {t.categories.length > cats.length ? ` The first ${cats.length} of ${t.categories.length} values are shown.` : ""}
      </p>
      <div className="table-scroll">
        <table>
          <caption className="sr-only">Outcome rates per persona</caption>
          <BandHead first="Persona" count="Users" column={o.column ?? undefined} cats={cats} />
          <tbody>
            {rows.map((r) => (
              <tr key={r.persona_id}>
                <th scope="row">{names.get(r.persona_id) ?? `Persona ${r.persona_id}`}</th>
                <td className="num">{int(r.n)}</td>
                {cats.map((c) => {
                  const rate = r.rates[c] ?? 0;
                  const diff = rate - (t.overall[c] ?? 0);
                  return (
                    <td className="num" key={c} title={`everyone: ${pct(t.overall[c] ?? 0)}`}>
                      {pct(rate)}
                      {Math.abs(diff) >= 0.005 ? <span className="muted"> ({diff > 0 ? "+" : "−"}{(100 * Math.abs(diff)).toFixed(1)} pts)</span> : null}
                    </td>
                  );
                })}
              </tr>
            ))}
            <RatesRow label="Everyone in a persona" n={t.n} rates={t.overall} cats={cats} />
            {t.set_aside && t.set_aside.n > 0 ? (
              <RatesRow
                label={
                  <>
                    Set aside before the personas (too few events)
                    {t.set_aside.other ? <span className="muted"> · {pct(t.set_aside.other)} in no band above</span> : null}
                  </>
                }
                n={t.set_aside.n}
                rates={t.set_aside.rates}
                cats={cats}
                testId="outcomes-set-aside"
              />
            ) : null}
          </tbody>
        </table>
      </div>
      <p className="hint" data-testid="outcomes-strength">
        {strength(t, o.kmeans, o.volume)} In brackets: the difference from everyone in a persona, in percentage points.
        {t.set_aside && t.set_aside.n > 0
          ? ` The users set aside before the personas (too few events) are not in any row above theirs: read their outcome before presenting a persona's as the worst.`
          : ""}
      </p>
    </section>
  );
}

/**
 * One event persona's outcome on its own page (`--outcome-file`): its rates beside everyone's in a persona and the
 * users set aside, so the page that is presented says what the overview's table does (KDD's light persona: 89.5 %
 * dropout against 77.4 %). Nothing for runs without an outcome.
 */
export function PersonaOutcome({ runId, personaId }: { runId: string; personaId: number }) {
  const run = useApi(paths.run(runId));
  if (run.status !== "ok") return null;
  const o = readOutcomes(run.data);
  const mine = o?.nmf.personas.find((r) => r.persona_id === personaId);
  if (!o || !mine) return null;
  const t = o.nmf;
  const cats = orderedCategories(t.categories).slice(0, MAX_CATEGORIES);
  const rows: [string, number, Record<string, number>][] = [
    ["This persona", mine.n, mine.rates],
    ["Everyone in a persona", t.n, t.overall],
  ];
  if (t.set_aside && t.set_aside.n > 0) rows.push(["Set aside before the personas", t.set_aside.n, t.set_aside.rates]);
  return (
    <section className="panel span-2" aria-labelledby="persona-outcome-title" data-testid="persona-outcome">
      <h2 id="persona-outcome-title">Outcome</h2>
      <p className="hint">
        Share of its users by <code>{o.column ?? "outcome"}</code>, from the outcome file (used for this comparison only,
        never to form the personas).
      </p>
      <div className="table-scroll">
        <table>
          <BandHead first="Users" count="n" column={o.column ?? undefined} cats={cats} />
          <tbody>
            {rows.map(([label, n, rates]) => (
              <RatesRow key={label} label={label} n={n} rates={rates} cats={cats} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
