// Reads .ics files with ical.js (the parser inside Thunderbird) and prints, as JSON keyed by
// path, what a calendar built on it would show: each event's UID, summary, status, sequence,
// alarms, and its start and end as UTC instants (timed) or dates (all-day), plus the
// wall-clock time ical.js computes in the event's own zone. Each file is read on its own:
// the zone registry is reset first, so one file's VTIMEZONE never serves another.
import fs from "node:fs";
import ICAL from "ical.js";

function when(t) {
  if (t.isDate) return { date: t.toString() };
  return { unix: t.toUnixTime(), wall: t.toString(), zone: t.zone ? t.zone.tzid : null };
}

function read(path) {
  ICAL.TimezoneService.reset();
  const root = new ICAL.Component(ICAL.parse(fs.readFileSync(path, "utf8")));
  for (const vtz of root.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(new ICAL.Timezone(vtz));
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
  return { name: root.getFirstPropertyValue("x-wr-calname"), events };
}

const out = {};
for (const path of process.argv.slice(2)) out[path] = read(path);
process.stdout.write(JSON.stringify(out));
