// Reads an .ics file with ical.js (the parser inside Thunderbird) and prints, as JSON, what
// a calendar built on it would show: each event's UID, summary, status, sequence, alarms,
// and its start and end as UTC instants (timed) or dates (all-day), plus the wall-clock
// time ical.js computes in the event's own zone.
import fs from "node:fs";
import ICAL from "ical.js";

const text = fs.readFileSync(process.argv[2], "utf8");
const root = new ICAL.Component(ICAL.parse(text));
for (const vtz of root.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(vtz));
}

function when(t) {
  if (t.isDate) return { date: t.toString() };
  return { unix: t.toUnixTime(), wall: t.toString(), zone: t.zone ? t.zone.tzid : null };
}

const events = root.getAllSubcomponents("vevent").map((ve) => {
  const ev = new ICAL.Event(ve);
  return {
    uid: ev.uid,
    summary: ev.summary,
    status: ve.getFirstPropertyValue("status"),
    sequence: ev.sequence,
    start: when(ev.startDate),
    end: when(ev.endDate),
    alarms: ve.getAllSubcomponents("valarm").map((a) => a.getFirstPropertyValue("trigger").toString()),
  };
});
process.stdout.write(JSON.stringify({ name: root.getFirstPropertyValue("x-wr-calname"), events }));
