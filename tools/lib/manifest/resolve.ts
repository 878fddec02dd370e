// Resolution: template chain → platform → environment config → instance
// overrides. Maps merge deeply, lists replace, lists of objects keyed by `name` merge by
// name. Every resolved value remembers the file/line/column of the layer that set it.
import type { PlatformSpec } from './kinds.js';
import { FORBIDDEN_KEYS, locate, setOwn, type PositionMap } from './load.js';
import type { Ecosystem, ManifestRecord, SourceLoc } from './ecosystem.js';
import { escapePointerToken, unescapePointerToken } from '../json/pointer.js';

export const MAX_TEMPLATE_DEPTH = 5;

/** One layer: a value and where its positions live. */
export interface Layer {
  value: Record<string, unknown>;
  /** The manifest the layer comes from; its positions are read only when provenance is asked for. */
  from: { file: string; readonly positions: PositionMap };
  /** Pointer of `value` inside its own document, e.g. `/spec` or `/spec/platforms/3`. */
  base: string;
  /** Short description for explanations: `template base-service`, `environment prod config`. */
  label: string;
}

export interface ResolvedPlatform {
  platform: string;
  environment: string;
  /** The effective spec; `version` is the instance's, `${version}` in image is replaced. */
  spec: PlatformSpec & { version: string };
  /** Labels of the layers applied, first to last. */
  layers: string[];
  /** The layers themselves: provenance is computed from them on demand (provenanceOf). */
  sources: Layer[];
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isNameKeyedList(v: unknown): v is Obj[] {
  return Array.isArray(v) && v.length > 0 && v.every((e) => isObj(e) && typeof e.name === 'string');
}

function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (isObj(v)) {
    const out: Obj = {};
    for (const k of Object.keys(v)) if (!FORBIDDEN_KEYS.has(k)) setOwn(out, k, clone(v[k]));
    return out;
  }
  return v;
}

/** Deep merge of one layer into the target (maps merge, lists replace, name-keyed lists merge by name). */
function mergeInto(target: Obj, layer: Obj, skip: ReadonlySet<string>, top: boolean): void {
  for (const key of Object.keys(layer)) {
    // The loader reports these keys; they are never merged, so no prototype can be reached.
    if (FORBIDDEN_KEYS.has(key) || (top && skip.has(key))) continue;
    const lv = layer[key];
    const tv = Object.prototype.hasOwnProperty.call(target, key) ? target[key] : undefined;
    if (isObj(tv) && isObj(lv)) {
      mergeInto(tv, lv, skip, false);
    } else if (isNameKeyedList(tv) && isNameKeyedList(lv)) {
      for (const item of lv) {
        const at = tv.findIndex((e) => e.name === item.name);
        if (at >= 0) mergeInto(tv[at]!, item, skip, false);
        else tv.push(clone(item) as Obj);
      }
    } else {
      setOwn(target, key, clone(lv));
    }
  }
}

/** Applies layers in order. Provenance is not tracked here: it is recomputed per query. */
export function mergeLayers(layers: { layer: Layer; skip?: ReadonlySet<string> }[]): Obj {
  const out: Obj = {};
  for (const { layer, skip } of layers) mergeInto(out, layer.value, skip ?? new Set(), true);
  return out;
}

/** One step of a resolved pointer: a map key, a list index, or a name in a name-keyed list. */
type Step = { key: string } | { index: number } | { name: string };

/** Translates a pointer into the resolved spec to steps that also apply to each layer. */
function stepsOf(spec: unknown, pointer: string): Step[] | undefined {
  const steps: Step[] = [];
  let cur: unknown = spec;
  for (const raw of pointer === '' ? [] : pointer.slice(1).split('/')) {
    const token = unescapePointerToken(raw);
    if (Array.isArray(cur)) {
      const i = Number(token);
      if (!Number.isInteger(i) || i < 0 || i >= cur.length) return undefined;
      steps.push(isNameKeyedList(cur) ? { name: (cur[i] as Obj).name as string } : { index: i });
      cur = cur[i];
    } else if (isObj(cur) && Object.prototype.hasOwnProperty.call(cur, token)) {
      steps.push({ key: token });
      cur = cur[token];
    } else return undefined;
  }
  return steps;
}

/** The pointer of `steps` inside a layer's value, or undefined if the layer does not set it. */
function pointerInLayer(layer: Layer, steps: Step[]): string | undefined {
  let cur: unknown = layer.value;
  let ptr = layer.base;
  for (const step of steps) {
    if ('key' in step) {
      if (!isObj(cur) || !Object.prototype.hasOwnProperty.call(cur, step.key)) return undefined;
      cur = cur[step.key];
      ptr += `/${escapePointerToken(step.key)}`;
    } else {
      if (!Array.isArray(cur)) return undefined;
      const i = 'index' in step ? step.index : cur.findIndex((e) => isObj(e) && e.name === step.name);
      if (i < 0 || i >= cur.length) return undefined;
      cur = cur[i];
      ptr += `/${i}`;
    }
  }
  return ptr;
}

function sourceOf(layer: Layer, pointer: string): SourceLoc {
  const [line, column] = locate(layer.from.positions, pointer);
  return { file: layer.from.file, line, column };
}

/**
 * Where a resolved value came from. A value is set by the last layer that has it; a map
 * that several layers fill is attributed to the first layer that created it. Falls back to
 * the nearest ancestor that exists in the resolved spec.
 */
export function provenanceOf(resolved: ResolvedPlatform, pointer: string): SourceLoc | undefined {
  let p = pointer;
  for (;;) {
    const steps = stepsOf(resolved.spec, p);
    if (steps && steps.length > 0) {
      const isMap = isObj(valueAt(resolved.spec, p)) && !('name' in (steps[steps.length - 1] ?? {}));
      const order = isMap ? resolved.sources : [...resolved.sources].reverse();
      for (const layer of order) {
        const lp = pointerInLayer(layer, steps);
        if (lp !== undefined) return sourceOf(layer, lp);
      }
    }
    if (p === '') return undefined;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

function valueAt(root: unknown, pointer: string): unknown {
  let cur = root;
  for (const raw of pointer === '' ? [] : pointer.slice(1).split('/')) {
    const t = unescapePointerToken(raw);
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObj(cur)) cur = cur[t];
    else return undefined;
  }
  return cur;
}

export interface TemplateChain {
  /** Furthest ancestor first. */
  chain: ManifestRecord<'PlatformTemplate'>[];
  /** Why the chain stopped early, if it did (reported by the registry as ref.* findings). */
  broken?: 'unknown' | 'cycle' | 'too-deep';
}

/** Walk `extends` upwards from a template name. Never loops: cycles and depth stop it. */
export function templateChain(eco: Ecosystem, start: string | undefined): TemplateChain {
  const chain: ManifestRecord<'PlatformTemplate'>[] = [];
  const seen = new Set<string>();
  let name = start;
  while (name !== undefined) {
    if (seen.has(name)) return { chain: chain.reverse(), broken: 'cycle' };
    if (chain.length >= MAX_TEMPLATE_DEPTH) return { chain: chain.reverse(), broken: 'too-deep' };
    seen.add(name);
    const t = eco.templates.get(name);
    if (!t) return { chain: chain.reverse(), broken: 'unknown' };
    chain.push(t);
    name = t.manifest.spec.extends;
  }
  return { chain: chain.reverse() };
}

const INSTANCE_OVERRIDES = ['replicas', 'resources', 'env', 'config'] as const;

function pick(value: Obj, only: readonly string[] | undefined): Obj {
  if (!only) return value;
  const out: Obj = {};
  for (const k of only) if (Object.prototype.hasOwnProperty.call(value, k)) out[k] = value[k];
  return out;
}

/**
 * The effective spec of a platform in an environment, or undefined if either is unknown.
 * `only` resolves just those top-level fields (a cheap pass for one rule, e.g. secrets).
 */
export function resolvePlatform(eco: Ecosystem, platformName: string, envName: string, only?: readonly string[]): ResolvedPlatform | undefined {
  const platform = eco.platforms.get(platformName);
  const env = eco.environments.get(envName);
  if (!platform || !env) return undefined;
  const instance = eco.instances.get(envName);
  const entryIndex = instance?.manifest.spec.platforms.findIndex((p) => p.name === platformName) ?? -1;

  const skipExtends = new Set(['extends']);
  const applied: { layer: Layer; skip?: ReadonlySet<string> }[] = [];
  for (const t of templateChain(eco, platform.manifest.spec.extends).chain) {
    applied.push({
      layer: { value: pick(t.manifest.spec, only), from: t, base: '/spec', label: `template ${t.name}` },
      skip: skipExtends,
    });
  }
  applied.push({
    layer: { value: pick(platform.manifest.spec, only), from: platform, base: '/spec', label: `platform ${platform.name}` },
    skip: skipExtends,
  });
  const envSpec = env.manifest.spec;
  if (envSpec.config) {
    applied.push({ layer: { value: pick(envSpec.config, only), from: env, base: '/spec/config', label: `environment ${env.name} config` } });
  }
  if (envSpec.secrets && (!only || only.includes('secrets'))) {
    applied.push({ layer: { value: { secrets: envSpec.secrets }, from: env, base: '/spec', label: `environment ${env.name} secrets` } });
  }
  if (instance && entryIndex >= 0) {
    const entry = instance.manifest.spec.platforms[entryIndex]!;
    const overrides: Obj = { version: entry.version };
    for (const k of INSTANCE_OVERRIDES) if (entry[k] !== undefined) overrides[k] = entry[k];
    applied.push({
      layer: { value: pick(overrides, only), from: instance, base: `/spec/platforms/${entryIndex}`, label: `instance ${envName}` },
    });
  }
  const spec = mergeLayers(applied) as ResolvedPlatform['spec'];
  if (typeof spec.image === 'string') spec.image = spec.image.split('${version}').join(spec.version);
  return { platform: platformName, environment: envName, spec, layers: applied.map((a) => a.layer.label), sources: applied.map((a) => a.layer) };
}

/** Every platform placed in every environment (or in these environments), resolved. */
export function resolveAll(eco: Ecosystem, environments?: ReadonlySet<string>): ResolvedPlatform[] {
  const out: ResolvedPlatform[] = [];
  for (const [envName, instance] of eco.instances) {
    if (!eco.environments.has(envName) || (environments && !environments.has(envName))) continue;
    for (const entry of instance.manifest.spec.platforms) {
      const r = resolvePlatform(eco, entry.name, envName);
      if (r) out.push(r);
    }
  }
  return out;
}
