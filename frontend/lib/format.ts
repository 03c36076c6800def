/** Small display helpers shared by the pages. */

export function pct(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return `${(value * 100).toFixed(digits)}%`;
}

export function num(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return value.toFixed(digits);
}

export function int(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return Math.round(value).toLocaleString("en-US");
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "unknown date";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString("en-GB", {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: "UTC",
    timeZoneName: "short",
  });
}

/** Feature names like `author_msg_count_log` → "author msg count (log)". */
export function featureLabel(name: string): string {
  const log = name.endsWith("_log");
  const base = (log ? name.slice(0, -4) : name).replace(/_/g, " ");
  return log ? `${base} (log)` : base;
}

/** A term or event name as people read it: event columns joined with "|" become "Assignment · Submission form
 * viewed", without a closing full stop (Moodle's event names end with one). Conversation terms are unchanged. */
export function termLabel(term: string): string {
  return term
    .split("|")
    .map((part) => part.trim().replace(/\.+$/, "").trim())
    .join(" · ");
}

/** What a top term's chip or list shows: the members' wording when the run recorded one (`written`: "card isn't
 * working" for "card working", "ATM"), else the term as people read it (`termLabel`). */
export function shownTerm(t: { term: string; written?: string | null }): string {
  return t.written ?? termLabel(t.term);
}

export function truncate(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** How many sub-personas, in words ("3 sub-personas"). */
export function subPersonaWords(n: number): string {
  return `${n} sub-persona${n === 1 ? "" : "s"}`;
}

export const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** `v` where it is a finite number, else null (NaN, Infinity, null and undefined alike). */
export function finite(v: number | null | undefined): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** The clock a run's dates are read on: its hours' clock (manifest `time.basis`) where that is one offset
 * ("UTC-08:00": every timestamp carried it) or a zone ("Europe/London"), so the dates agree with the charts;
 * UTC otherwise ("local", "UTC", none). */
export function periodClock(basis: string | null | undefined): string {
  if (!basis || basis === "local" || basis === "UTC") return "UTC";
  if (/^UTC[+-]\d{2}:\d{2}$/.test(basis)) return basis;
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: basis });
    return basis;
  } catch {
    return "UTC";
  }
}

/** The dates a run's data covers, on `periodClock(basis)` (manifest `time`, comparison `base`/`new`): "16 Feb 2015 –
 * 24 Feb 2015", one date when both are the same day, and where 90% of the timestamps lie when a few stray messages
 * stretch the range ("29 Aug 2011 – 3 Dec 2017; 90% within 30 Oct 2017 – 26 Nov 2017"); null without timestamps. */
export function dataPeriod(
  t: {
    first?: string | null;
    last?: string | null;
    p05?: string | null;
    p95?: string | null;
  },
  basis?: string | null,
): string | null {
  if (!t.first) return null;
  const clock = periodClock(basis);
  const offset = /^UTC([+-])(\d{2}):(\d{2})$/.exec(clock);
  const shift = offset ? (offset[1] === "-" ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) * 60_000 : 0;
  const zone = offset || clock === "UTC" ? "UTC" : clock;
  const day = (iso: string) => {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso.slice(0, 10);
    return new Date(d.getTime() + shift).toLocaleDateString("en-GB", { year: "numeric", month: "short", day: "numeric", timeZone: zone });
  };
  const span = (a: string, b: string | null | undefined) => (day(a) === day(b || a) ? day(a) : `${day(a)} – ${day(b || a)}`);
  const whole = span(t.first, t.last);
  const middle = t.p05 ? span(t.p05, t.p95) : whole;
  return middle === whole ? whole : `${whole}; 90% within ${middle}`;
}
