/**
 * Runs meetings.ts against a live service (node, after tsc): `.ci/clients`
 * calls it with BASE_URL, TOKEN and PARTNERSHIP_ID (the demo's Herefordshire
 * partnership). It checks what the types promised against what arrived.
 */
import { describeMeeting, getMeeting, listMeetings, upcomingAndPast, type ApiConfig } from "./meetings";

// Only what this file needs of Node's globals (no @types/node dependency).
declare const process: { env: Record<string, string | undefined>; exitCode?: number };

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`check failed: ${message}`);
}

async function main(): Promise<void> {
  const config: ApiConfig = { baseUrl: required("BASE_URL"), token: required("TOKEN") };
  const partnershipId = required("PARTNERSHIP_ID");

  const all = await listMeetings(config, partnershipId, { limit: 1 });
  check(all.length > 0, "the partnership has meetings (walked with limit=1, so through next_cursor)");
  const held = await listMeetings(config, partnershipId, { status: "held" });
  check(held.length > 0 && held.every((m) => m.status === "held"), "status=held filters");
  const listed = await upcomingAndPast(config, partnershipId);

  const { meeting, etag } = await getMeeting(config, all[0].id);
  check(meeting.id === all[0].id, "the meeting read is the one listed");
  check(etag === `"${meeting.version}"`, `ETag ${etag} is the version ${meeting.version} quoted`);
  check(Array.isArray(meeting.quorum_missing_organisation_ids), "quorum_missing_organisation_ids is a list");
  check(!Number.isNaN(Date.parse(meeting.starts_at)), `starts_at ${meeting.starts_at} is a date-time`);

  for (const m of listed) console.log(`  ${describeMeeting(m)}`);
  console.log(`frontend smoke: ${all.length} meetings listed, ${held.length} held, meeting ${meeting.id} read (ETag ${etag})`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
