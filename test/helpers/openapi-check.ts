// GitHub's published OpenAPI description (@octokit/openapi, api.github.com.json) as a contract
// checker for test fakes: route a request to its operation, validate its parameters and body,
// and generate and validate response bodies. The 13 MB spec is parsed once per process and
// validators are compiled per operation on first use: compiling all ~1100 would take far longer.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { sample } from 'openapi-sampler';

// ajv-formats ships CJS with a default export; NodeNext sees the module object.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

type Json = Record<string, unknown>;
type Schema = Json;

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}
interface MediaTypes {
  content?: Record<string, { schema?: Schema }>;
}
export interface Operation {
  operationId: string;
  externalDocs?: { url?: string };
  parameters?: Json[];
  requestBody?: Json;
  responses: Record<string, Json>;
}
interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** A request matched to its operation. */
export interface Route {
  method: string;
  /** The spec's path template, e.g. /repos/{owner}/{repo}/issues. */
  template: string;
  operation: Operation;
  pathParams: Record<string, string>;
}

const SPEC_FILE = createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json');
const SAMPLER_OPTIONS = { skipReadOnly: false, skipWriteOnly: true, quiet: true } as const;
const MAX_ERRORS = 6;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// OpenAPI 3.0 schemas → ajv (JSON Schema draft-07) schemas.

const SCHEMA_MAPS = new Set(['properties', 'patternProperties']);
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf']);
const SCHEMA_VALUES = new Set(['items', 'additionalProperties', 'not']);
// Documentation and code-generation hints; no validation meaning.
const DROPPED = new Set(['nullable', 'example', 'examples', 'discriminator', 'xml', 'externalDocs']);
const COMPOSITION = ['$ref', 'allOf', 'anyOf', 'oneOf', 'not', 'enum', 'type'];

/**
 * Rewrites one OpenAPI schema for ajv: `nullable: true` becomes a real null branch, and `$ref`s
 * get `refBase` prefixed. ajv 8 knows `nullable` only beside a `type` and does not add null to
 * an `enum`, but this spec puts `nullable` next to `oneOf`/`allOf`/`anyOf` (ajv throws) and next
 * to enums without null (`state_reason`, which GitHub returns as null).
 */
export function toAjvSchema(schema: unknown, refBase: string): unknown {
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED.has(key) || key.startsWith('x-')) continue;
    if (key === '$ref' && typeof value === 'string') out.$ref = value.startsWith('#') ? refBase + value : value;
    else if (SCHEMA_MAPS.has(key) && isObject(value)) out[key] = mapValues(value, (s) => toAjvSchema(s, refBase));
    else if (SCHEMA_LISTS.has(key) && Array.isArray(value)) out[key] = value.map((s) => toAjvSchema(s, refBase));
    else if (SCHEMA_VALUES.has(key)) out[key] = toAjvSchema(value, refBase);
    else out[key] = value;
  }
  return schema.nullable === true ? allowNull(out) : out;
}

function allowNull(s: Json): Json {
  // A bare `type` (optionally with an enum): widen the type, and the enum, to take null.
  if (typeof s.type === 'string' && !s.$ref && !s.allOf && !s.anyOf && !s.oneOf && !s.not) {
    const withNull: Json = { ...s, type: [s.type, 'null'] };
    if (Array.isArray(s.enum) && !s.enum.includes(null)) withNull.enum = [...s.enum, null];
    return withNull;
  }
  // No constraint on the type at all: null already validates.
  if (!COMPOSITION.some((k) => k in s)) return s;
  return { anyOf: [s, { type: 'null' }] };
}

function mapValues(o: Json, f: (v: unknown) => unknown): Json {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

// ---------------------------------------------------------------------------------------------
// The router: path templates become regexes, tried most literal first, so that
// /repos/{owner}/{repo}/issues/comments wins over /repos/{owner}/{repo}/issues/{issue_number}.

interface Template {
  template: string;
  regex: RegExp;
  names: string[];
  /** One character per segment: 0 literal, 1 with a parameter; sorts literal-first. */
  rank: string;
}

function compileTemplate(template: string): Template {
  const names: string[] = [];
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const m = /^\{([^}]+)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return '([^/]+?)';
    })
    .join('');
  const rank = template.split('/').map((seg) => (seg.includes('{') ? '1' : '0')).join('');
  return { template, regex: new RegExp(`^${source}$`), names, rank };
}

// ---------------------------------------------------------------------------------------------

export class ContractChecker {
  private readonly templates: Template[];
  /** Validates bodies and responses, types as they are. */
  private readonly strictAjv: Ajv;
  /** Validates path and query parameters, which arrive as strings. */
  private readonly coercingAjv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly samples = new Map<string, unknown>();

  constructor(private readonly spec: Spec) {
    this.templates = Object.keys(spec.paths)
      .map(compileTemplate)
      .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
    const components = { schemas: mapValues(spec.components.schemas, (s) => toAjvSchema(s, '')) };
    this.strictAjv = makeAjv(false, components);
    this.coercingAjv = makeAjv(true, components);
  }

  /** The operation for a request, or why there is none. */
  route(method: string, pathname: string): Route | string {
    const lower = method.toLowerCase();
    let matched: string | undefined;
    for (const t of this.templates) {
      const m = t.regex.exec(pathname);
      if (!m) continue;
      matched ??= t.template;
      const operation = this.spec.paths[t.template]?.[lower];
      if (!operation) continue;
      const pathParams = Object.fromEntries(t.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
      return { method: method.toUpperCase(), template: t.template, operation, pathParams };
    }
    return matched ? `no ${method.toUpperCase()} operation on ${matched}` : `no path in the spec matches ${pathname}`;
  }

  /** Violations of the request: path and query parameters and the JSON body. */
  checkRequest(route: Route, query: Record<string, string>, body: unknown): string[] {
    const params = this.parameters(route);
    const problems = [
      ...this.checkParams(route, 'path', params, route.pathParams),
      ...this.checkParams(route, 'query', params, query),
    ];
    const requestBody = route.operation.requestBody ? this.deref<Json & MediaTypes>(route.operation.requestBody) : undefined;
    const schema = requestBody?.content?.['application/json']?.schema;
    if (body === undefined) {
      if (requestBody?.required) problems.push('the request body is required but none was sent');
      return problems;
    }
    if (!requestBody) return [...problems, 'the operation takes no request body but one was sent'];
    if (!schema) return [...problems, `the request body is not among its media types (${Object.keys(requestBody.content ?? {}).join(', ')})`];
    const validate = this.validator(`${route.method} ${route.template} request`, this.strictAjv, () => toAjvSchema(schema, 'gh'));
    if (!validate(body)) problems.push(`request body: ${formatErrors(validate.errors)}`);
    // GitHub silently ignores properties it does not know: a misspelt one is a bug the
    // schema alone (no additionalProperties: false) would let through.
    const declared = this.declaredProperties(schema);
    if (declared && isObject(body)) {
      const unknown = Object.keys(body).filter((k) => !declared.has(k));
      if (unknown.length) problems.push(`request body: undeclared propert${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')}`);
    }
    return problems;
  }

  /** Violations of a response the fake is about to return. */
  checkResponse(route: Route, status: number, body: unknown): string[] {
    const declared = route.operation.responses[String(status)];
    if (!declared) {
      // GitHub answers any operation with 4xx/5xx errors the spec does not list (403, 500…).
      return status < 400 ? [`response status ${status} is not declared (declared: ${Object.keys(route.operation.responses).join(', ')})`] : [];
    }
    const schema = this.responseSchema(route, status);
    // GitHub sends its JSON error body even where the spec declares an error without one.
    if (!schema) return body === undefined || status >= 400 ? [] : [`response ${status} declares no body but one was returned`];
    if (body === undefined) return [`response ${status} declares a body but none was returned`];
    const validate = this.validator(`${route.method} ${route.template} ${status}`, this.strictAjv, () => toAjvSchema(schema, 'gh'));
    return validate(body) ? [] : [`response ${status} body: ${formatErrors(validate.errors)}`];
  }

  /** The JSON schema of a response, if the operation declares that status with a JSON body. */
  responseSchema(route: Route, status: number): Schema | undefined {
    const declared = route.operation.responses[String(status)];
    return declared ? this.deref<MediaTypes>(declared).content?.['application/json']?.schema : undefined;
  }

  /**
   * A fresh, complete, valid sample of a response body (of one item, for a list), generated from
   * the schema with openapi-sampler; the fake overlays its own state on it.
   */
  sampleResponse(route: Route, status: number): unknown {
    const key = `${route.method} ${route.template} ${status}`;
    if (!this.samples.has(key)) {
      const schema = this.responseSchema(route, status);
      if (!schema) throw new Error(`${key} declares no JSON body to sample`);
      const item = schema.type === 'array' && isObject(schema.items) ? schema.items : schema;
      this.samples.set(key, sample(item, SAMPLER_OPTIONS, this.spec));
    }
    return structuredClone(this.samples.get(key));
  }

  private parameters(route: Route): Parameter[] {
    return (route.operation.parameters ?? []).map((p) => this.deref<Parameter>(p));
  }

  private checkParams(route: Route, where: 'path' | 'query', all: Parameter[], values: Record<string, string>): string[] {
    const params = all.filter((p) => p.in === where);
    const schema = {
      type: 'object',
      properties: Object.fromEntries(params.map((p) => [p.name, toAjvSchema(p.schema ?? {}, 'gh')])),
      required: params.filter((p) => p.required).map((p) => p.name),
      additionalProperties: false,
    };
    const validate = this.validator(`${route.method} ${route.template} ${where}`, this.coercingAjv, () => schema);
    // Array parameters travel comma-separated (octokit joins them so).
    const data = mapValues(values, (v) => v);
    for (const p of params) if (p.schema?.type === 'array' && typeof data[p.name] === 'string') data[p.name] = (data[p.name] as string).split(',');
    return validate(data) ? [] : [`${where} parameters: ${formatErrors(validate.errors)}`];
  }

  /** Top-level property names of a plain object schema, or undefined when it is open or composed. */
  private declaredProperties(schema: Schema): Set<string> | undefined {
    const s = this.deref<Schema>(schema);
    if (!isObject(s.properties) || s.additionalProperties !== undefined || s.allOf || s.anyOf || s.oneOf) return undefined;
    return new Set(Object.keys(s.properties));
  }

  private validator(key: string, ajv: Ajv, schema: () => unknown): ValidateFunction {
    let v = this.validators.get(key);
    if (!v) {
      v = ajv.compile(schema() as Schema);
      this.validators.set(key, v);
    }
    return v;
  }

  /** Follows local `$ref`s (#/components/...) to the object they name. */
  private deref<T>(value: Json): T {
    let v: unknown = value;
    for (let hops = 0; isObject(v) && typeof v.$ref === 'string'; hops++) {
      if (hops > 10 || !v.$ref.startsWith('#/')) throw new Error(`cannot resolve $ref ${String(v.$ref)}`);
      v = v.$ref
        .slice(2)
        .split('/')
        .reduce<unknown>((node, part) => (isObject(node) ? node[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), this.spec);
    }
    if (!isObject(v)) throw new Error(`dangling $ref in ${JSON.stringify(value)}`);
    return v as T;
  }
}

function makeAjv(coerceTypes: boolean, components: Json): Ajv {
  // strict: false ignores the OpenAPI keywords ajv does not know (readOnly, deprecated, …).
  const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes, validateSchema: false, unicodeRegExp: false, logger: false });
  addFormats(ajv);
  // GitHub returns "" for unset URL fields the spec marks as uri (deployment status target_url).
  ajv.addFormat('uri', (s: string) => s === '' || /^[a-z][a-z0-9+.-]*:[^\s]*$/i.test(s));
  ajv.addFormat('repo.nwo', /^[^/\s]+\/[^/\s]+$/);
  // The components under their spec pointers, so '#/components/schemas/x' resolves as 'gh#/…'.
  ajv.addSchema({ $id: 'gh', components }, 'gh');
  return ajv;
}

/** ajv errors as one line: "/user must have required property 'login'; …". */
export function formatErrors(errors: ErrorObject[] | null | undefined): string {
  const lines = (errors ?? []).map((e) => {
    const extra = 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : '';
    return `${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}`;
  });
  const shown = [...new Set(lines)];
  return shown.length > MAX_ERRORS ? `${shown.slice(0, MAX_ERRORS).join('; ')}; … ${shown.length - MAX_ERRORS} more` : shown.join('; ');
}

let checker: ContractChecker | undefined;

/** The process-wide checker; the first call reads and parses the spec. */
export function githubContract(): ContractChecker {
  checker ??= new ContractChecker(JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as Spec);
  return checker;
}
