"use client";

import { useState } from "react";

import { ErrorState, Loading } from "@/components/States";
import { paths, type Comparison, type Move } from "@/lib/api";
import { int } from "@/lib/format";
import { personaNames } from "@/lib/lineage";
import { useApi } from "@/lib/useApi";

const PAGE = 20;

/** An author the loader replaced by a pseudonym (ml/ingest/pseudonyms.py): em-, wa- or au- and 10 hex digits. */
const PSEUDONYM = /^(?:em|wa|au)-[0-9a-f]{10}$/;

/** What the pseudonyms on this page are, said only where the page shows one. */
function PseudonymHint({ items }: { items: Move[] }) {
  if (!items.some((m) => PSEUDONYM.test(m.key))) return null;
  return (
    <p className="hint" data-testid="movers-pseudonyms">
      Keys such as <code>em-…</code>, <code>wa-…</code> and <code>au-…</code> are pseudonyms: the export named these authors
      by an e-mail address (em-), a WhatsApp contact (wa-), or a name or a phone number (au-), which Personas replaces when
      it reads the file, so none reaches the run. The same author has the same pseudonym in every run made with the same
      pseudonym key (none by default), so movers can be followed; the name behind one cannot be read here.
    </p>
  );
}

const KEY_WORDS: Record<Comparison["movers"]["key"], string> = {
  member: "Member",
  author: "Author",
  text: "Text",
  none: "Member",
};

function PersonaFilter({
  id,
  label,
  value,
  options,
  onChange,
}: {
  id: string;
  label: string;
  value: number | null;
  options: Map<number, string>;
  onChange: (value: number | null) => void;
}) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <select id={id} data-testid={id} value={value ?? ""} onChange={(e) => onChange(e.target.value === "" ? null : Number(e.target.value))}>
        <option value="">any persona</option>
        {[...options].map(([pid, name]) => (
          <option key={pid} value={pid}>
            {name}
          </option>
        ))}
      </select>
    </>
  );
}

/** Whether a mover holds what the baseline did not: "wrote more" in a conversation run; in an event run, whose
 * members' texts are their event mixes, "other events" (an events review read "wrote more" for every OULAD student). */
function sinceWords(wroteNew: boolean | null | undefined, events: boolean): string {
  if (wroteNew === true) return events ? "other events" : "wrote more";
  if (wroteNew === false) return events ? "same events: grouped anew" : "same texts: grouped anew";
  return "–";
}

function MoverRows({
  items,
  moverKey,
  names,
  unit,
  events = false,
}: {
  items: Move[];
  moverKey: Comparison["movers"]["key"];
  names: ReturnType<typeof personaNames>;
  /** The run's unit: a member of an author run is an author, of an event run a user. */
  unit?: string | null;
  /** an event run: its members did things, they wrote nothing */
  events?: boolean;
}) {
  const head = moverKey === "member" && unit && unit !== "message" ? unit.charAt(0).toUpperCase() + unit.slice(1) : KEY_WORDS[moverKey];
  // whether each mover wrote since the baseline (runs before 2026-12-06 and movers by identical texts: not known)
  const known = items.some((m) => typeof m.wrote_new === "boolean");
  return (
    <div className="table-scroll">
      <table data-testid="movers-table">
        <caption className="sr-only">Who moved from which baseline persona to which persona of this run</caption>
        <thead>
          <tr>
            <th scope="col">{head}</th>
            <th scope="col">Was in (baseline)</th>
            <th scope="col">Now in (this run)</th>
            {known ? <th scope="col">Since the baseline</th> : null}
          </tr>
        </thead>
        <tbody>
          {items.map((m) => (
            <tr key={`${m.key}-${m.from_id}-${m.to_id}`}>
              <td><code>{m.key}</code></td>
              <td>{names.base.get(m.from_id) ?? `#${m.from_id}`}</td>
              <td>{names.now.get(m.to_id) ?? `#${m.to_id}`}</td>
              {known ? (
                <td data-testid="mover-wrote">
                  {sinceWords(m.wrote_new, events)}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Members found in both runs whose persona lineage changed (`GET /runs/{id}/movers`), 20 a page,
 * filtered by the persona they left and the one they joined.
 */
export default function MoversTable({ comparison }: { comparison: Comparison }) {
  const runId = comparison.new.run_id;
  const [offset, setOffset] = useState(0);
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  const names = personaNames(comparison);
  const key = comparison.movers.key;
  const page = useApi(key === "none" ? null : paths.movers(runId, offset, PAGE, from, to));

  if (key === "none") {
    return (
      <p className="state-none">
        No member, author or text recurs in both runs, so nobody can be followed from one persona to another.
      </p>
    );
  }
  const filters = (
    <div className="controls">
      <PersonaFilter id="movers-from" label="Left" value={from} options={names.base} onChange={(v) => { setFrom(v); setOffset(0); }} />
      <PersonaFilter id="movers-to" label="Joined" value={to} options={names.now} onChange={(v) => { setTo(v); setOffset(0); }} />
    </div>
  );
  if (page.status === "error") return <>{filters}<ErrorState error={page.error} title="Could not load the movers" /></>;
  if (page.status !== "ok") return <>{filters}<Loading what="movers" /></>;
  const { items, total, truncated, n_moved } = page.data;
  const last = Math.min(offset + items.length, total);
  return (
    <div data-testid="movers">
      {filters}
      <p className="hint" aria-live="polite" data-testid="movers-count">
        {total === 0
          ? "Nobody moved between these personas."
          : `Showing ${int(offset + 1)}–${int(last)} of ${int(total)} listed${truncated ? ` (${int(n_moved)} moved in all; the comparison lists the first ${int(page.data.listed)})` : ""}.`}
      </p>
      {items.length ? <MoverRows items={items} moverKey={key} names={names} unit={comparison.new.unit} events={comparison.new.kind === "events"} /> : null}
      <PseudonymHint items={items} />
      <div className="controls pager">
        <button type="button" className="secondary" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          ← Previous
        </button>
        <button type="button" className="secondary" disabled={last >= total} onClick={() => setOffset(offset + PAGE)} data-testid="movers-next">
          Next →
        </button>
      </div>
    </div>
  );
}
