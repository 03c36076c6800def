"use client";

import { useEffect, useState } from "react";

import Highlight from "@/components/Highlight";
import { ErrorState, Loading } from "@/components/States";
import { paths, type Evidence } from "@/lib/api";
import { int, num, pct } from "@/lib/format";
import { memberNoun } from "@/lib/runs";
import { useApi } from "@/lib/useApi";

const PAGE = 20;

/**
 * The persona's evidence snippets; typing searches the text of all its members (server-side,
 * case-insensitive) and lists the matches, nearest the persona's centre first. In an event run the
 * members are users and their text is their event mix ("Course viewed 40%, Quiz attempt viewed 20%").
 */
export default function MemberSearch({
  runId,
  personaId,
  evidence,
  size,
  eventRun = false,
}: {
  runId: string;
  personaId: number;
  evidence: Evidence[];
  size: number;
  eventRun?: boolean;
}) {
  const noun = memberNoun(eventRun);
  const [input, setInput] = useState("");
  const [query, setQuery] = useState("");
  const [limit, setLimit] = useState(PAGE);

  useEffect(() => {
    const t = window.setTimeout(() => {
      setQuery(input.trim());
      setLimit(PAGE);
    }, 250);
    return () => window.clearTimeout(t);
  }, [input]);

  const page = useApi(query ? paths.members(runId, personaId, query, 0, limit) : null);

  return (
    <div data-testid="member-search">
      <div className="controls">
        <label htmlFor="member-q">Search all {int(size)} {noun}</label>
        <input
          id="member-q"
          type="search"
          placeholder={eventRun ? "e.g. quiz, forum, viewed" : "e.g. refund, delay, password"}
          value={input}
          onChange={(e) => setInput(e.target.value)}
          data-testid="member-search-input"
          autoComplete="off"
        />
      </div>
      {!query ? (
        <>
          <p className="hint" style={{ marginTop: "0.5rem" }}>
            {eventRun
              ? "Representative users and their event mix (share of their events)."
              : "Representative snippets (personal details masked)."}
          </p>
          {evidence.length === 0 ? (
            <p className="state-none">No evidence snippets were stored for this persona.</p>
          ) : (
            <ul className="snippets" data-testid="evidence-list">
              {evidence.map((e) => (
                <li key={e.member_id}>{e.text}</li>
              ))}
            </ul>
          )}
        </>
      ) : page.status === "error" ? (
        <ErrorState error={page.error} title="Search failed" />
      ) : page.status !== "ok" ? (
        <Loading what="matching members" />
      ) : (
        <>
          <p className="hint" style={{ marginTop: "0.5rem" }} aria-live="polite" data-testid="search-count">
            {page.data.total === 0
              ? `No ${memberNoun(eventRun, true)} of this persona ${eventRun ? "has" : "mentions"} “${query}”.`
              : `${int(page.data.total)} ${memberNoun(eventRun, page.data.total === 1)} match “${query}”${
                  page.data.total > page.data.items.length ? `, showing the ${page.data.items.length} nearest the centre` : ""
                }.`}
          </p>
          <ul className="snippets" data-testid="search-results">
            {page.data.items.map((m) => (
              <li key={m.member_id}>
                <Highlight text={m.text ?? ""} query={query} />
                <span className="snippet-meta">
                  {m.reassigned ? (eventRun ? "flagged as mixed · " : "reassigned from noise · ") : ""}
                  {typeof m.confidence === "number" ? (
                    <span title="How typical the member is of this persona: 100% at the centre of its core members, 0% at or beyond the edge.">
                      confidence {pct(m.confidence, 0)} ·{" "}
                    </span>
                  ) : null}
                  {eventRun ? `margin ${num(m.distance == null ? null : 1 - m.distance, 2)}` : `distance ${num(m.distance ?? null, 3)}`}
                </span>
              </li>
            ))}
          </ul>
          {page.data.total > page.data.items.length ? (
            <button type="button" className="secondary" style={{ marginTop: "0.5rem" }} onClick={() => setLimit(limit + PAGE)}>
              Show more
            </button>
          ) : null}
        </>
      )}
    </div>
  );
}
