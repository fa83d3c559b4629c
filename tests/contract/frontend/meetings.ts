/**
 * What a front-end (the business unit's web app, a partnership website)
 * writes against the API: list a partnership's meetings and read one, with
 * `fetch`, typed only by what openapi-typescript generates from
 * openapi/openapi.json. `.ci/clients` writes ./generated/openapi.d.ts at run
 * time (never committed) and compiles this file with `tsc --strict`: if the
 * document spells an enum, a field or a response differently from the wire
 * the service answers (see the README), this stops compiling.
 */
import type { components, paths } from "./generated/openapi";

type ListMeetings = paths["/v1/partnerships/{id}/meetings"]["get"];
type GetMeeting = paths["/v1/meetings/{id}"]["get"];

export type ListMeetingsQuery = NonNullable<ListMeetings["parameters"]["query"]>;
export type MeetingsPage = ListMeetings["responses"][200]["content"]["application/json"];
export type Meeting = GetMeeting["responses"][200]["content"]["application/json"];
export type MeetingStatus = components["schemas"]["MeetingStatus"];
export type MinutesStatus = components["schemas"]["MinutesStatus"];
export type Problem = components["schemas"]["Problem"];

export interface ApiConfig {
  /** e.g. "https://api.example.org", no trailing slash */
  baseUrl: string;
  /** A bearer token (from POST /v1/oauth/token, or the council's own sign-in). */
  token: string;
  fetch?: typeof fetch;
}

/** A non-2xx answer: its RFC 9457 problem document when it sent one. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
  ) {
    super(problem ? `${status} ${problem.title}: ${problem.detail}` : `HTTP ${status}`);
  }
}

async function getJson<T>(config: ApiConfig, path: string): Promise<{ body: T; response: Response }> {
  const response = await (config.fetch ?? fetch)(config.baseUrl + path, {
    headers: { Authorization: `Bearer ${config.token}`, Accept: "application/json" },
  });
  if (!response.ok) {
    const isProblem = (response.headers.get("Content-Type") ?? "").startsWith("application/problem+json");
    throw new ApiProblem(response.status, isProblem ? ((await response.json()) as Problem) : null);
  }
  return { body: (await response.json()) as T, response };
}

function queryString(query: ListMeetingsQuery): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** Every meeting of a partnership that matches `query`, following `next_cursor` page by page. */
export async function listMeetings(
  config: ApiConfig,
  partnershipId: string,
  query: ListMeetingsQuery = {},
): Promise<Meeting[]> {
  const meetings: Meeting[] = [];
  let cursor: string | undefined;
  do {
    const path = `/v1/partnerships/${encodeURIComponent(partnershipId)}/meetings${queryString({ ...query, cursor })}`;
    const { body } = await getJson<MeetingsPage>(config, path);
    meetings.push(...body.items);
    cursor = body.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return meetings;
}

/** One meeting, with the ETag to send as If-Match when changing it. */
export async function getMeeting(config: ApiConfig, meetingId: string): Promise<{ meeting: Meeting; etag: string | null }> {
  const { body, response } = await getJson<Meeting>(config, `/v1/meetings/${encodeURIComponent(meetingId)}`);
  return { meeting: body, etag: response.headers.get("ETag") };
}

// Exhaustive over the generated unions, keyed by the wire spellings: an enum
// value the document spells otherwise is a compile error here.
const statusLabel: Record<MeetingStatus, string> = {
  scheduled: "Scheduled",
  held: "Held",
  cancelled: "Cancelled",
};

const minutesLabel: Record<MinutesStatus, string> = {
  none: "no minutes yet",
  draft: "draft minutes",
  approved: "minutes approved",
  published: "minutes published",
};

/** The line a meetings page shows for one meeting. */
export function describeMeeting(meeting: Meeting): string {
  const when = new Date(meeting.starts_at).toLocaleString("en-GB", {
    timeZone: "Europe/London",
    dateStyle: "long",
    timeStyle: "short",
  });
  const where = meeting.location ? `, ${meeting.location}` : "";
  const quorum = meeting.status === "held" ? (meeting.quorate ? ", quorate" : ", not quorate") : "";
  return `${when} ${meeting.title}${where} — ${statusLabel[meeting.status]}${quorum}; ${minutesLabel[meeting.minutes_status]}`;
}

/** The meetings a partnership website lists: not the cancelled ones, soonest first. */
export async function upcomingAndPast(config: ApiConfig, partnershipId: string): Promise<Meeting[]> {
  const meetings = await listMeetings(config, partnershipId);
  return meetings
    .filter((meeting) => meeting.status !== "cancelled")
    .sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at));
}
