// JSON Schema validation of manifests: ajv in strict mode, every kind compiled once.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { API_VERSION, KIND_SCHEMAS, KINDS, isKindName, type KindName } from './kinds.js';
import { escapePointerToken, unescapePointerToken } from '../json/pointer.js';
import { closestName } from '../suggest/closest-name.js';

// ajv-formats ships CJS with a default export; NodeNext sees the module object.
type AddFormats = (ajv: Ajv, formats: string[]) => Ajv;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

export interface SchemaProblem {
  /** JSON pointer of the value the problem is about. */
  pointer: string;
  message: string;
  hint: string;
}

let compiled: Map<KindName, ValidateFunction> | undefined;

function validators(): Map<KindName, ValidateFunction> {
  if (compiled) return compiled;
  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true, verbose: true });
  addFormats(ajv, ['date', 'date-time']);
  compiled = new Map(KINDS.map((k) => [k, ajv.compile(KIND_SCHEMAS[k])]));
  return compiled;
}

/** Human path for a pointer: /spec/resources/memoryMb → spec.resources.memoryMb, /a/0/b → a[0].b */
export function pointerToPath(pointer: string): string {
  if (pointer === '') return '(document)';
  return pointer
    .slice(1)
    .split('/')
    .map(unescapePointerToken)
    .reduce((acc, t) => (/^\d+$/.test(t) ? `${acc}[${t}]` : acc ? `${acc}.${t}` : t), '');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value as string | number | boolean | bigint | undefined);
}

function valueAt(root: unknown, pointer: string): unknown {
  let cur = root;
  for (const raw of pointer.split('/').slice(1)) {
    const t = unescapePointerToken(raw);
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, t)) return undefined;
    cur = (cur as Record<string, unknown>)[t];
  }
  return cur;
}

function toProblem(err: ErrorObject, doc: unknown, kind: KindName): SchemaProblem {
  const at = err.instancePath;
  const where = pointerToPath(at);
  const actual = valueAt(doc, at);
  const p = err.params as Record<string, unknown>;
  const schemaDesc = (err.parentSchema as { description?: string } | undefined)?.description;
  switch (err.keyword) {
    case 'required': {
      const prop = String(p.missingProperty);
      const full = at ? `${where}.${prop}` : prop;
      return { pointer: at, message: `${full} is missing`, hint: `add "${prop}:" ${at ? `under ${where}` : 'at the top of the document'}` };
    }
    case 'additionalProperties': {
      const prop = String(p.additionalProperty);
      const parent = err.parentSchema as { properties?: object; patternProperties?: object } | undefined;
      const keyPatterns = Object.keys(parent?.patternProperties ?? {});
      if (keyPatterns.length) {
        // A map whose keys are names (env, labels, rule ids): the key is what is wrong.
        return {
          pointer: `${at}/${escapePointerToken(prop)}`,
          message: `${where} has the key ${describe(prop)}, which is not a valid name there`,
          hint: `rename it to match ${keyPatterns.join(' or ')}`,
        };
      }
      const known = Object.keys(parent?.properties ?? {});
      const guess = closestName(prop, known);
      const token = escapePointerToken(prop);
      return {
        pointer: `${at}/${token}`,
        message: `unknown field "${prop}" in ${at ? where : 'the document'}`,
        hint: guess ? `did you mean "${guess}"?` : known.length ? `allowed fields: ${known.join(', ')}` : `remove "${prop}"`,
      };
    }
    case 'enum':
      return {
        pointer: at,
        message: `${where} is ${describe(actual)}, not one of ${(p.allowedValues as unknown[]).join(' | ')}`,
        hint: `use one of: ${(p.allowedValues as unknown[]).join(', ')}`,
      };
    case 'const':
      return { pointer: at, message: `${where} is ${describe(actual)}, expected ${JSON.stringify(p.allowedValue)}`, hint: `set ${where}: ${String(p.allowedValue)}` };
    case 'type': {
      const version = isVersionSchema(schemaDesc) ? versionFix(actual) : undefined;
      if (version !== undefined && typeof actual === 'number') {
        return {
          pointer: at,
          message: `${where} is the number ${String(actual)}; versions are semantic-version strings (major.minor.patch)`,
          hint: `write ${lastKey(at)}: "${version}"`,
        };
      }
      if (typeof actual === 'number' && p.type === 'string') {
        return { pointer: at, message: `${where} is the number ${String(actual)}, expected a string`, hint: `quote it: ${lastKey(at)}: "${String(actual)}"` };
      }
      return { pointer: at, message: `${where} is ${describe(actual)}, expected ${String(p.type)}`, hint: `write ${where} as ${article(String(p.type))}` };
    }
    case 'pattern': {
      const version = isVersionSchema(schemaDesc) ? versionFix(actual) : undefined;
      if (version !== undefined) {
        return { pointer: at, message: `${where} ${describe(actual)} is not a semantic version: it needs major.minor.patch`, hint: `write ${lastKey(at)}: "${version}"` };
      }
      return {
        pointer: at,
        message: schemaDesc
          ? `${where} ${describe(actual)} is not a valid ${schemaDesc.replace(/, e\.g\..*$/, '')}`
          : `${where} ${describe(actual)} does not match ${String(p.pattern)}`,
        hint: schemaDesc ? `write ${schemaDesc.replace(/^(an? )?/, 'a ')}` : `change it to match ${String(p.pattern)}`,
      };
    }
    case 'format':
      return { pointer: at, message: `${where} ${describe(actual)} is not a valid ${String(p.format)}`, hint: p.format === 'date' ? 'write it as YYYY-MM-DD' : 'write it as an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z' };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { pointer: at, message: `${where} is ${describe(actual)}, it must be ${String(p.comparison)} ${String(p.limit)}`, hint: `use a value ${String(p.comparison)} ${String(p.limit)}` };
    case 'minItems':
    case 'minLength':
      return { pointer: at, message: `${where} is too short: ${err.message ?? ''}`.trim(), hint: `give ${where} ${String(p.limit)} or more ${err.keyword === 'minItems' ? 'items' : 'characters'}` };
    default:
      return { pointer: at, message: `${where} ${err.message ?? 'is invalid'}`, hint: `change ${where || 'the document'} to what schemas/${kind}.json allows there` };
  }
}

function isVersionSchema(description: string | undefined): boolean {
  return description?.startsWith('semantic version') ?? false;
}

/** `0.1` / `"0.1"` / `2` → the full version a user most likely meant (`0.1.0`, `2.0.0`); otherwise undefined. */
function versionFix(value: unknown): string | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  const m = /^v?(\d+)(?:\.(\d+))?$/.exec(String(value));
  if (!m) return undefined;
  return `${Number(m[1])}.${Number(m[2] ?? 0)}.0`;
}

function lastKey(pointer: string): string {
  return unescapePointerToken(pointer.slice(pointer.lastIndexOf('/') + 1));
}

function article(t: string): string {
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

/** Problems of one document, at most one per pointer (the first is the most specific). */
export function validateDocument(doc: unknown): { kind?: KindName; problems: SchemaProblem[] } {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return { problems: [{ pointer: '', message: `a manifest must be a map, got ${describe(doc)}`, hint: 'start the document with apiVersion, kind, metadata and spec' }] };
  }
  const d = doc as Record<string, unknown>;
  if (d.apiVersion !== API_VERSION) {
    return {
      problems: [
        {
          pointer: '/apiVersion' in d || Object.prototype.hasOwnProperty.call(d, 'apiVersion') ? '/apiVersion' : '',
          message: d.apiVersion === undefined ? 'apiVersion is missing' : `apiVersion is ${describe(d.apiVersion)}, expected ${API_VERSION}`,
          hint: `set apiVersion: ${API_VERSION}`,
        },
      ],
    };
  }
  if (!isKindName(d.kind)) {
    const guess = typeof d.kind === 'string' ? closestName(d.kind, KINDS) : undefined;
    return {
      problems: [
        {
          pointer: Object.prototype.hasOwnProperty.call(d, 'kind') ? '/kind' : '',
          message: d.kind === undefined ? 'kind is missing' : `kind ${describe(d.kind)} is not a manifest kind`,
          hint: guess ? `did you mean ${guess}?` : `use one of: ${KINDS.join(', ')}`,
        },
      ],
    };
  }
  const validate = validators().get(d.kind)!;
  if (validate(doc)) return { kind: d.kind, problems: [] };
  const seen = new Set<string>();
  const problems: SchemaProblem[] = [];
  for (const err of validate.errors ?? []) {
    const prob = toProblem(err, doc, d.kind);
    const key = `${prob.pointer}|${err.keyword === 'required' ? prob.message : ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(prob);
  }
  return { kind: d.kind, problems };
}
