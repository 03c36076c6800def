import type { Separators } from "@/lib/api";
import { CLOCK_ENDS, useFeatureWords } from "@/lib/features";
import { num, pct, termLabel } from "@/lib/format";


/**
 * The direction as the members differ: "higher"/"lower" for most features; the end of the clock a time-of-day
 * feature leans to; for an event run the part of the users' mix of events the event takes (the classifier reads
 * each user's mix, volume removed: a persona of light users can do fewer of an event yet give it more of their mix).
 */
export function directionWords(signal: string, direction: string, events: boolean): string {
  const higher = direction === "higher";
  if (events) return higher ? "more of their mix" : "less of their mix";
  const ends = CLOCK_ENDS[signal];
  if (ends) return higher ? ends[0] : ends[1];
  return direction;
}

/** "What separates it": the signals a simple classifier leans on to tell this persona from the rest. */
export default function SeparatorsPanel({
  separators,
  clock,
  noun = "members",
  events = false,
}: {
  separators: Separators | null | undefined;
  clock?: string | null;
  noun?: string;
  events?: boolean;
}) {
  const words = useFeatureWords(clock);
  const signals = separators?.signals ?? [];
  if (!separators || signals.length === 0) {
    return <p className="state-none">No separating signals were found for this persona.</p>;
  }
  const top = Math.max(...signals.map((s) => s.importance), 1e-9);
  return (
    <div data-testid="separators">
      {typeof separators.accuracy === "number" ? (
        <p>
          A simple classifier tells this persona from the others with <strong>{pct(separators.accuracy, 0)}</strong>{" "}
          balanced accuracy on held-out {noun}
          {typeof separators.overall_accuracy === "number" ? ` (all personas: ${pct(separators.overall_accuracy, 0)})` : ""}
          {separators.accuracy < 0.6
            ? "; for one persona against the rest 50% is chance, so it is a loose grouping rather than a distinct segment"
            : separators.accuracy < 0.7
              ? "; for one persona against the rest 50% is chance, so it stands apart only in part"
              : ""}
          . It relies most on:
        </p>
      ) : null}
      <table>
        <thead>
          <tr>
            <th scope="col">Signal</th>
            {events ? null : <th scope="col">Kind</th>}
            <th scope="col">Weight</th>
          </tr>
        </thead>
        <tbody>
          {signals.map((s) => (
            <tr key={`${s.kind}:${s.signal}`}>
              <td>
                {s.kind === "feature" ? (
                  <span title={words.meaning(s.signal)}>{events ? termLabel(s.signal) : words.label(s.signal)}</span>
                ) : (
                  `“${s.signal}”`
                )}
                {s.direction ? <span className="muted"> ({directionWords(s.signal, s.direction, events)})</span> : null}
              </td>
              {/* an event run's signals are all events: a "Kind" column would say "behaviour" on every row */}
              {events ? null : (
                <td className="muted">{s.kind === "feature" ? "behaviour" : s.kind === "term" ? "word" : s.kind}</td>
              )}
              <td>
                <span className="bar-cell" style={{ width: `${Math.max(4, (s.importance / top) * 80)}px` }} aria-hidden="true" />{" "}
                {num(s.importance)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
