"use client";

import type { Persona } from "@/lib/api";
import { categoryColor, textOn } from "@/lib/colors";
import { int, pct } from "@/lib/format";
import { nameDescribesFew } from "@/lib/runs";

type ConversationPersona = Extract<Persona, { kind: "conversations" }>;
export type SubPersona = NonNullable<ConversationPersona["sub_personas"]>[number];

/** The persona's sub-personas (level 2), largest first; [] for event runs and personas that do not split. */
export function subPersonasOf(p: Persona): SubPersona[] {
  return p.kind === "conversations" ? (p.sub_personas ?? []) : [];
}

/**
 * The level below a persona: a bar split by share of the persona (one segment per sub-persona, a link to its
 * card) and one card each with its name, share, the terms that set it apart from its siblings and one
 * masked evidence snippet (or why there is none).
 */
export default function SubPersonaPanel({ p }: { p: Persona }) {
  const subs = subPersonasOf(p);
  if (subs.length === 0) return null;
  return (
    <section className="panel span-2" aria-labelledby="subpersonas-title" data-testid="subpersonas">
      <h2 id="subpersonas-title">
        Sub-personas <span className="muted">({subs.length})</span>
      </h2>
      <p className="hint">
        Finer groups inside this persona, found in the same clustering read at a finer grain; every member of the
        persona is in exactly one. Their names and terms say what sets each apart from the others in this persona.
      </p>
      <SplitBar subs={subs} />
      <ol className="subpersona-list" data-testid="subpersona-list" style={{ listStyle: "none", padding: 0, margin: 0 }}>
        {subs.map((s, i) => (
          <SubPersonaCard key={s.id} s={s} color={categoryColor(i)} />
        ))}
      </ol>
    </section>
  );
}

/** A one-row treemap: the persona's width split by its sub-personas' shares of it. */
function SplitBar({ subs }: { subs: SubPersona[] }) {
  return (
    <div
      role="list"
      aria-label="The persona split into its sub-personas"
      data-testid="subpersona-bar"
      style={{ display: "flex", height: "2.6rem", borderRadius: 6, overflow: "hidden", margin: "0.5rem 0 1rem" }}
    >
      {subs.map((s, i) => {
        const fill = categoryColor(i);
        return (
          <a
            key={s.id}
            role="listitem"
            href={`#subpersona-${s.id}`}
            title={`${s.name}: ${pct(s.share_of_parent, 0)} of this persona`}
            aria-label={`${s.name}: ${pct(s.share_of_parent, 0)} of this persona`}
            style={{
              flex: `${s.share_of_parent} 1 0`,
              minWidth: "2px",
              background: fill,
              color: textOn(fill),
              borderRight: "2px solid #fff",
              padding: "0 0.4rem",
              display: "flex",
              alignItems: "center",
              fontSize: "0.8rem",
              lineHeight: 1.2,
              overflow: "hidden",
              whiteSpace: "nowrap",
              textOverflow: "ellipsis",
              textDecoration: "none",
            }}
          >
            <span style={{ overflow: "hidden", textOverflow: "ellipsis" }}>
              <strong>{pct(s.share_of_parent, 0)}</strong> {s.name}
            </span>
          </a>
        );
      })}
    </div>
  );
}

function SubPersonaCard({ s, color }: { s: SubPersona; color: string }) {
  const terms = (s.top_terms ?? []).slice(0, 6).map((t) => t.term);
  const snippet = s.evidence?.[0];
  return (
    <li
      id={`subpersona-${s.id}`}
      data-subpersona-id={s.id}
      style={{ borderLeft: `6px solid ${color}`, padding: "0.4rem 0.75rem", marginBottom: "0.75rem" }}
    >
      <h3 style={{ margin: "0 0 0.2rem" }} data-testid="subpersona-name">
        {s.name}
      </h3>
      <p className="muted" style={{ margin: "0 0 0.35rem" }} data-testid="subpersona-share">
        {pct(s.share_of_parent, 0)} of this persona · {int(s.size)} members · {pct(s.share)} of the run
        {nameDescribesFew(s) ? (
          <span
            data-testid="subpersona-name-few"
            title="Its name's words are in few of its members' texts: read its quote and terms before presenting it"
          >
            {" "}· name in {pct(s.name_share ?? 0, 0)} of its texts
          </span>
        ) : null}
      </p>
      {s.one_voice ? (
        <p className="hint" style={{ margin: "0 0 0.35rem" }} data-testid="subpersona-one-voice">
          {s.one_voice}
        </p>
      ) : null}
      {terms.length ? (
        <ul className="chips" aria-label="Distinguishing terms" data-testid="subpersona-terms">
          {terms.map((t) => (
            <li key={t}>{t}</li>
          ))}
        </ul>
      ) : null}
      {snippet ? (
        <ul className="snippets" data-testid="subpersona-evidence">
          <li>{snippet.text}</li>
        </ul>
      ) : (
        <p className="hint" style={{ marginTop: "0.4rem" }}>
          {s.evidence_withheld
            ? "No quote: too few distinct authors behind this sub-persona to quote one without identifying them."
            : "No quote was stored for this sub-persona."}
        </p>
      )}
    </li>
  );
}
