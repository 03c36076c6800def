import type { RunSource, RunSummary } from "./api";

/** Human-readable data source of a run: file names, the detected layout and (`withNotes`, the run overview)
 * what ingest read without being told (`readNotes`); the run selector leaves the notes out. */
export function sourceText(source: RunSource | null | undefined, withNotes = true): string {
  const list = source?.inputs ?? [];
  const names = list.map((p) => p.split(/[\\/]/).filter(Boolean).slice(-2).join("/"));
  const shown = names.length > 3 ? `${names.slice(0, 3).join(", ")} and ${names.length - 3} more` : names.join(", ");
  // Event runs record the layout beside the inputs; conversation runs inside the ingest report (`load`).
  const rawLayout = source && "layout" in source ? source.layout : source?.load?.layout;
  const layout = typeof rawLayout === "string" ? rawLayout : null;
  // the selector's short form still names a --where, so runs of one file cut by segment can be told apart
  const load = source && "load" in source && isRecord(source.load) ? source.load : null;
  const where = !withNotes && typeof load?.where === "string" && load.where ? `only ${load.where}` : "";
  const notes = [layoutLabel(layout), where, ...(withNotes ? readNotes(source) : [])].filter(Boolean);
  return [shown || "unknown files", notes.length ? `(${notes.join("; ")})` : ""].filter(Boolean).join(" ");
}

/** What a layout is called on screen: the tool whose export it is ("Slack export"), the public set whose columns it
 * has, an event log's shape; none for columns found by their names or given by flags ("generic", "mapped"), which
 * the overview's "columns read" note (`readNotes`) says instead. */
export function layoutLabel(layout: string | null): string {
  if (!layout || layout === "generic" || layout === "mapped") return "";
  const named: Record<string, string> = {
    slack: "Slack export", reddit: "Reddit dump", discord: "Discord export", whatsapp: "WhatsApp chats",
    mailbox: "mailbox", qualtrics: "Qualtrics export", surveymonkey: "SurveyMonkey export",
    twcs: "Customer Support on Twitter columns", twitter_airline: "Twitter US Airline Sentiment columns",
    rows: "one row per user and event", matrix: "a users × events count table",
  };
  return named[layout] ?? `${layout} layout`;
}

/** How the overview names each field of an ingest mapping, in this order (ml.ingest.report.FIELD_NAMES, less the
 * evaluation-only label). */
const FIELDS: [string, string][] = [
  ["text", "text"], ["author", "author"], ["timestamp", "time"], ["thread", "conversation"], ["reply_to", "reply to"],
  ["id", "id"], ["inbound", "side"], ["outbound", "company's side"],
];

/** "columns read: text 'Message Body', author 'Customer', time 'Created At' (found by its values)" for a file whose
 * columns were found by their names or flags; "no author column" when none named who wrote. */
function columnsNote(f: Record<string, unknown>): string {
  const mapping = isRecord(f.mapping) ? f.mapping : {};
  const parts = FIELDS.filter(([key]) => text(mapping[key])).map(([key, label]) => {
    const guessed = (key === "text" && f.text_guessed === true) || (key === "timestamp" && f.time_guessed === true);
    return `${label} '${mapping[key]}'${guessed ? " (found by its values)" : ""}`;
  });
  if (!parts.length) return "";
  // columns of the authors' names beside the author column: read to mask those names, never shown (docs/privacy.md)
  const names = Array.isArray(f.names) ? f.names.filter((n): n is string => typeof n === "string" && n !== "") : [];
  const masked = names.length ? `, authors' names ${names.map((n) => `'${n}'`).join(", ")} (only to mask them in the texts)` : "";
  return `columns read: ${parts.join(", ")}${masked}${text(mapping.author) ? "" : "; no author column"}`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const text = (v: unknown): string | null => (typeof v === "string" && v ? v : null);
/** "1 text", "2,310 texts". */
const counted = (n: number, one: string, many: string): string => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
const clip = (s: string, limit = 80): string => (s.length <= limit ? s : `${s.slice(0, limit - 1).trimEnd()}…`);

/** What ingest read without a name or a flag (the ingest report's `files`, conversation runs only): the sheet of
 * a workbook, the array of messages inside a JSON object, each conversation's nested messages, a text or time column found by its values, HTML bodies
 * read as text, email bodies cut to their latest reply, Slack's and WhatsApp's notices and Reddit's deleted
 * posts left out, WhatsApp's business account, a survey's question and time zone, and the rows kept by
 * `--where` (docs/ingest.md). */
export function readNotes(source: RunSource | null | undefined): string[] {
  const load = source && "load" in source && isRecord(source.load) ? source.load : null;
  const files = Array.isArray(load?.files) ? load.files.filter(isRecord) : [];
  const notes: string[] = [];
  const where = text(load?.where);
  const outside = typeof load?.dropped_where === "number" ? load.dropped_where : 0;
  // conversation runs count rows read in `rows_read`, event runs in `rows`
  const read = typeof load?.rows_read === "number" ? load.rows_read : typeof load?.rows === "number" ? load.rows : 0;
  // rows --where kept (`kept_where`; runs of the first day of --where: read less those it left out)
  const matched = typeof load?.kept_where === "number" ? load.kept_where : read - outside;
  if (where) notes.push(`only rows where ${where} (--where): ${matched.toLocaleString("en-US")} of ${read.toLocaleString("en-US")}`);
  for (const f of files) {
    const mapping = isRecord(f.mapping) ? f.mapping : {};
    const sheet = text(f.sheet);
    if (sheet) notes.push(`sheet ${sheet}`);
    const under = text(f.records_at);
    if (under) notes.push(`messages from the JSON array under '${under}'`);
    const nested = text(f.messages_in);
    const count = typeof f.conversations === "number" ? f.conversations : 0;
    if (nested) notes.push(`${count.toLocaleString("en-US")} conversations with their messages under '${nested}'`);
    const company = text(f.company);
    if (company) notes.push(`messages from ${company} read as the company's side`);
    const survey = text(f.survey);
    const question = text(f.question);
    if (survey) {
      // the layout's label names the survey tool ("Qualtrics export") where the layout is the tool's; else the note does
      const named = f.layout === survey.toLowerCase();
      const answers = question ? `answers to '${clip(question)}'` : "";
      const said = named ? answers : [`${survey} export`, answers].filter(Boolean).join(": ");
      if (said) notes.push(said);
    }
    const zone = text(f.time_zone);
    if (zone) notes.push(`times in ${zone}, as the export says`);
    const read = (f.layout === "generic" || f.layout === "mapped") && files.length === 1 ? columnsNote(f) : "";
    if (read) {
      notes.push(read);
      continue; // the columns note says which were found by their values
    }
    const found = [
      f.text_guessed === true && text(mapping.text) ? `text column '${mapping.text}'` : "",
      f.time_guessed === true && text(mapping.timestamp) ? `time column '${mapping.timestamp}'` : "",
    ].filter(Boolean);
    if (found.length) notes.push(`${found.join(" and ")} found by ${found.length > 1 ? "their" : "its"} values`);
  }
  const html = typeof load?.html_texts === "number" ? load.html_texts : 0;
  if (html > 0) notes.push(`${counted(html, "HTML message body", "HTML message bodies")} read as text`);
  const emails = typeof load?.email_replies === "number" ? load.email_replies : 0;
  if (emails > 0) notes.push(`${counted(emails, "text", "texts")} cut to their latest reply`);
  const skipped = isRecord(load?.skipped_files) ? load.skipped_files : {};
  const notRead = Object.entries(skipped).filter((e): e is [string, number] => typeof e[1] === "number" && e[1] > 0);
  if (notRead.length)
    notes.push(
      `files not read (not a format read here): ${notRead
        .sort((a, b) => b[1] - a[1])
        .map(([suffix, n]) => `${n.toLocaleString("en-US")} ${suffix}`)
        .join(", ")}`,
    );
  const garbled = typeof load?.mojibake_repaired === "number" ? load.mojibake_repaired : 0;
  if (garbled > 0) notes.push(`${counted(garbled, "text", "texts")} garbled by a wrong encoding repaired`);
  const system = typeof load?.dropped_system_messages === "number" ? load.dropped_system_messages : 0;
  const layouts = new Set(files.map((f) => f.layout));
  const only = (layout: string) => layouts.size === 1 && layouts.has(layout);
  // a mailbox's notices: the mail system's delivery failures, and with .eml files those that are no email
  const mail: [string, string] = files.some((f) => f.format === "eml")
    ? ["delivery-failure notice or .eml file that is not an email", "delivery-failure notices and .eml files that are not emails"]
    : ["delivery-failure notice", "delivery-failure notices"];
  const [one, many] = only("reddit")
    ? ["deleted or removed Reddit post or comment", "deleted or removed Reddit posts and comments"]
    : only("mailbox")
      ? mail
      : only("whatsapp")
        ? ["WhatsApp notice (media placeholders, …)", "WhatsApp notices (media placeholders, …)"]
        : only("discord")
          ? ["Discord notice (joins, pins, calls, …)", "Discord notices (joins, pins, calls, …)"]
        : layouts.has("reddit")
          ? ["chat-tool notice or deleted post", "chat-tool notices and deleted posts"]
          : layouts.has("whatsapp") || layouts.has("discord")
            ? ["chat-tool notice", "chat-tool notices"]
            : layouts.has("mailbox")
              ? mail
            : ["Slack notice (joins, topic changes, …)", "Slack notices (joins, topic changes, …)"];
  if (system > 0) notes.push(`${counted(system, one, many)} left out`);
  const chats = typeof load?.chats === "number" ? load.chats : 0;
  const business = typeof load?.chat_business_accounts === "number" ? load.chat_business_accounts : 0;
  if (chats > 0)
    notes.push(
      business > 0
        ? `${counted(chats, "chat", "chats")}; the account in half of them or more is read as the business`
        : chats < 3
          ? `${counted(chats, "chat", "chats")}; which side is the business is unknown (3 chats or more needed)`
          : `${counted(chats, "chat", "chats")}; no account writes in half of them, so the business is unknown`,
    );
  return [...new Set(notes)];
}

/** True for a run made from product-usage event logs (members are users, texts are event mixes). */
export function isEventRun(run: Pick<RunSummary, "kind"> | null | undefined): boolean {
  return run?.kind === "events";
}

/** What one member of a run is called on screen: "users" for event runs, else "members". */
export function memberNoun(eventRun: boolean, one = false): string {
  return eventRun ? (one ? "user" : "users") : one ? "member" : "members";
}

/** Under this share of its members' texts holding its name's words, a name describes few of them: the persona page
 * says to read the evidence before presenting it, and the overview's table marks it (ml/profile/name_share.py
 * FEW_NAME_SHARE, the report's threshold too). */
export const FEW_NAME_SHARE = 0.25;

/** A conversation persona whose name's words are in under ``FEW_NAME_SHARE`` of its members' texts. */
export function nameDescribesFew(p: { name_share?: number | null }): boolean {
  return typeof p.name_share === "number" && p.name_share < FEW_NAME_SHARE;
}

/** More than half of a persona's members were reassigned from noise (event runs: flagged as mixed): a loose
 * grouping, which the persona page cautions about and the overview's table marks. */
export function mostlyForced(p: { size: number; reassigned_count?: number | null }): boolean {
  return typeof p.reassigned_count === "number" && p.size > 0 && p.reassigned_count > p.size / 2;
}
