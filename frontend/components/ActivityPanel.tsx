"use client";

import ActivityChart from "@/components/ActivityChart";
import type { Activity, WeekdayDates } from "@/lib/api";
import { finite, WEEKDAYS } from "@/lib/format";

const HOURS = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0"));

/**
 * The clock the hours and weekdays are read in (`activity.time_basis`, ml/ingest/timebasis.py): "UTC" when the
 * timestamps carry no offset of their own, "local time" when they carry differing offsets, the offset itself
 * ("UTC-08:00") when every timestamp carries the same one, or the zone of `--timezone`.
 * Runs made before it was recorded cannot say which.
 */
export function clockLabel(basis: string | null | undefined): string {
  if (basis === "UTC") return "UTC";
  if (basis === "local") return "local time";
  return basis ? basis : "UTC or local, unknown";
}

function usable(series: number[] | null | undefined): series is number[] {
  return Array.isArray(series) && series.length > 0;
}

const DAY_MS = 86_400_000;

/** The day a bin starts on, "25 May" (UTC: the dates are calendar days), for bins from an ISO start date. */
function binStart(start: string, i: number, bin: number): Date {
  return new Date(Date.parse(`${start}T00:00:00Z`) + i * bin * DAY_MS);
}

function shortDate(d: Date, withYear = false): string {
  return d.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: withYear ? "numeric" : undefined, timeZone: "UTC" });
}

/** Each bin's label: the date it starts on when the days are dates; else the day offset it starts at, as the data
 * numbers its days and the description says it ("starts at day -2": OULAD counts from the course start); else its
 * number from the first event. */
export function byDayLabels(n: number, bin: number, start: string | null | undefined, startDay?: number | null): string[] {
  const offset = finite(startDay);
  return Array.from({ length: n }, (_, i) =>
    start ? shortDate(binStart(start, i, bin)) : offset !== null ? `day ${Math.round(offset + i * bin)}` : String(i + 1),
  );
}

export function byDayTitle(what: string, bin: number, start: string | null | undefined, yearKnown: boolean | null | undefined,
  startDay?: number | null): string {
  const head = `Share of ${what} per ${bin}-day period`;
  if (!start && finite(startDay) !== null) return `${head}, by the day offset each starts at (the data's own day numbers)`;
  if (!start) return `${head}, from the first event in the data (period 1)`;
  if (yearKnown === false) return `${head}, by the day each starts on (the dates have no year)`;
  return `${head}, by the day each starts on (from ${shortDate(binStart(start, 0, bin), true)})`;
}

/**
 * Under the weekday chart, when some bars are dates rather than a weekly habit: a short dump ("The data covers
 * 9 dates, so each bar is 1–2 dates") or weekdays one date dominates in the data ("one date holds most of the
 * data's Tuesdays (Tue 31 Oct 2017: 99%)").
 * Null when every weekday is seen on enough dates, or the run predates the count.
 */
const DAYS = ["Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays"];

function fewDatesNote(perDay: WeekdayDates[] | null | undefined) {
  if (!perDay || perDay.length !== 7) return null;
  // `date_bound` is the run's own rule (ml/profile/activity.py date_bound_reason), served with the dates.
  const bound = perDay.map((d, i) => ({ ...d, day: WEEKDAYS[i] ?? "", days: DAYS[i] ?? "" })).filter((d) => d.date_bound);
  if (!bound.length) return null;
  const covered = perDay.filter((d) => d.dates > 0);
  const total = covered.reduce((s, d) => s + d.dates, 0);
  const counts = covered.map((d) => d.dates);
  let text: string;
  if (bound.length === covered.length && bound.every((d) => d.date_bound === "few_dates")) {
    const each = Math.min(...counts) === Math.max(...counts) ? `${counts[0]}` : `${Math.min(...counts)}–${Math.max(...counts)}`;
    const days = covered.length < 7 ? ` on ${covered.length} of the 7 weekdays` : "";
    text = `The data covers ${total} ${total === 1 ? "date" : "dates"}${days}, so each bar is ${each} ${Math.max(...counts) === 1 ? "date" : "dates"}: read the bars as dates as much as a weekly habit.`;
  } else {
    const few = bound.filter((d) => d.date_bound === "few_dates");
    const one = bound.filter((d) => d.date_bound === "one_date");
    const parts = [];
    // the data's own dates, not this persona's (a support review read the data's shares as the bars' members')
    if (one.length) {
      const each = one.map((d) =>
        `${d.days} (${shortDate(new Date(`${d.busiest_date}T00:00:00Z`), true)}: ${Math.round(100 * (d.busiest_share ?? 0))}%)`);
      const listed = each.length > 1 ? `${each.slice(0, -1).join(", ")} and ${each[each.length - 1]}` : each[0];
      parts.push(`one date holds most of the data's ${listed}`);
    }
    if (few.length) parts.push(few.map((d) => `${d.day} is only ${d.dates} ${d.dates === 1 ? "date" : "dates"}`).join(", "));
    text = `Of ${total} dates in the data, ${parts.join("; ")}. Read ${bound.length === 1 ? "that bar" : "those bars"} as dates as much as a weekly habit.`;
  }
  return (
    <p className="hint" data-testid="activity-weekday-dates">
      {text}
    </p>
  );
}

/**
 * Under both charts, when the persona is one date's burst (`one_day_burst`, the run's rule in
 * ml/profile/activity.py): "Most of this persona's members (86%) wrote on one date, Tue 31 Oct 2017 (everyone: 59%):
 * the hour and weekday bars are that date's, not a routine" (event runs: its events fall on one date). Null otherwise
 * and for runs without dates.
 */
function burstNote(a: Activity, what: string) {
  if (!a.one_day_burst || !a.busiest_date || a.busiest_date_share == null) return null;
  const when = new Date(`${a.busiest_date}T00:00:00Z`);
  const day = shortDate(when, true);
  const weekday = when.toLocaleDateString("en-GB", { weekday: "short", timeZone: "UTC" });
  const everyone = a.population_busiest_date_share == null ? "" : ` (everyone: ${Math.round(100 * a.population_busiest_date_share)}%)`;
  return (
    <p className="hint" data-testid="activity-burst">
      {`Most of this persona's ${what} (${Math.round(100 * a.busiest_date_share)}%) ${what === "events" ? "fall" : "wrote"} ` +
        `on one date, ${weekday} ${day}${everyone}: ` +
        "the hour and weekday bars are that date's, not a routine."}
    </p>
  );
}

/**
 * "When they are active": hour of day and weekday (persona vs. everyone) when the data has them,
 * and for event runs the share of events per 7-day bin (`by_day`). A run whose times carry no year
 * (Moodle's "11 May, 09:44") has hours but `weekday: null`; that chart is replaced by the run's note.
 */
export default function ActivityPanel({ activity, eventRun }: { activity: Activity | null | undefined; eventRun: boolean }) {
  const a = activity;
  // An event run's activity (EventActivity, `unit: "events"`) adds `resolution` and `by_day`.
  const events = a && "unit" in a ? a : null;
  const what = eventRun || events?.unit === "events" ? "events" : "members";
  const everyone = eventRun ? "All users" : "All members";
  const hasHours = a && a.has_timestamps !== false && usable(a.hourly) && usable(a.population_hourly);
  const hasWeekdays = hasHours && usable(a.weekday) && usable(a.population_weekday);
  const byDay = events?.by_day && usable(events.by_day.persona) && usable(events.by_day.population) ? events.by_day : null;
  const note = a?.note ?? "The data has no timestamps, so no activity pattern can be shown.";
  if (!hasHours && !byDay) return <p className="state-none">{note}</p>;
  const bin = byDay?.bin_days ?? 7;
  const offsetStart = events?.resolution === "offset" ? byDay?.start_day : null; // day offsets: bins named by them
  const clock = clockLabel(a?.time_basis);
  return (
    <>
      {hasHours ? (
        <div className="grid grid-2">
          <ActivityChart
            testId="activity-hourly"
            title={`Share of ${what} by hour of day (${clock})`}
            axisLabel={`Hour of day (${clock})`}
            labels={HOURS}
            persona={a.hourly ?? []}
            population={a.population_hourly ?? []}
            populationName={everyone}
          />
          {hasWeekdays ? (
            <div>
              <ActivityChart
                testId="activity-weekday"
                title={`Share of ${what} by weekday (${clock})`}
                axisLabel={`Weekday (${clock})`}
                labels={WEEKDAYS}
                persona={a.weekday ?? []}
                population={a.population_weekday ?? []}
                populationName={everyone}
              />
              {fewDatesNote(a.population_weekday_dates)}
            </div>
          ) : (
            <p className="state-none" data-testid="activity-weekday-missing">
              {a.note ?? "The times carry no weekday, so no weekday pattern can be shown."}
            </p>
          )}
        </div>
      ) : (
        <p className="state-none">{note}</p>
      )}
      {hasHours ? burstNote(a, what) : null}
      {byDay ? (
        <ActivityChart
          testId="activity-by-day"
          title={byDayTitle(what, bin, byDay.start_date, byDay.year_known, offsetStart)}
          labels={byDayLabels(byDay.persona.length, bin, byDay.start_date, offsetStart)}
          persona={byDay.persona}
          population={byDay.population}
          populationName={everyone}
        />
      ) : null}
    </>
  );
}
