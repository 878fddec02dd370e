// Resolution (DESIGN §3): template chain → platform → environment config → instance
// overrides. Maps merge deeply, lists replace, lists of objects keyed by `name` merge by
// name. Every resolved value remembers the file/line/column of the layer that set it.
import type { PlatformSpec } from './kinds.js';
import { FORBIDDEN_KEYS, locate, setOwn, type PositionMap } from './load.js';
import type { Ecosystem, ManifestRecord, SourceLoc } from './ecosystem.js';

export const MAX_TEMPLATE_DEPTH = 5;

/** One layer: a value and where its positions live. */
export interface Layer {
  value: Record<string, unknown>;
  file: string;
  positions: PositionMap;
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
  /** Pointer into `spec` → where the value came from. */
  provenance: Map<string, SourceLoc>;
  /** The layers applied, first to last. */
  layers: string[];
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isNameKeyedList(v: unknown): v is Obj[] {
  return Array.isArray(v) && v.length > 0 && v.every((e) => isObj(e) && typeof e.name === 'string');
}

function esc(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
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

export class ProvenanceMerger {
  readonly value: Obj = {};
  readonly provenance = new Map<string, SourceLoc>();
  readonly layers: string[] = [];

  apply(layer: Layer, skip: ReadonlySet<string> = new Set()): void {
    this.layers.push(layer.label);
    this.mergeInto(this.value, '', layer.value, layer.base, layer, skip);
  }

  private src(layer: Layer, pointer: string): SourceLoc {
    const [line, column] = locate(layer.positions, pointer);
    return { file: layer.file, line, column };
  }

  private record(target: string, value: unknown, layerPtr: string, layer: Layer): void {
    this.provenance.set(target, this.src(layer, layerPtr));
    if (Array.isArray(value)) value.forEach((v, i) => this.record(`${target}/${i}`, v, `${layerPtr}/${i}`, layer));
    else if (isObj(value)) for (const k of Object.keys(value)) if (!FORBIDDEN_KEYS.has(k)) this.record(`${target}/${esc(k)}`, value[k], `${layerPtr}/${esc(k)}`, layer);
  }

  private forget(prefix: string): void {
    for (const key of [...this.provenance.keys()]) {
      if (key === prefix || key.startsWith(`${prefix}/`)) this.provenance.delete(key);
    }
  }

  private mergeInto(target: Obj, targetPtr: string, layer: Obj, layerPtr: string, src: Layer, skip: ReadonlySet<string>): void {
    for (const key of Object.keys(layer)) {
      // The loader reports these keys; they are never merged, so no prototype can be reached.
      if (FORBIDDEN_KEYS.has(key) || (targetPtr === '' && skip.has(key))) continue;
      const lv = layer[key];
      const tv = Object.prototype.hasOwnProperty.call(target, key) ? target[key] : undefined;
      const tp = `${targetPtr}/${esc(key)}`;
      const lp = `${layerPtr}/${esc(key)}`;
      if (isObj(tv) && isObj(lv)) {
        this.provenance.set(tp, this.provenance.get(tp) ?? this.src(src, lp));
        this.mergeInto(tv, tp, lv, lp, src, skip);
      } else if (isNameKeyedList(tv) && isNameKeyedList(lv)) {
        lv.forEach((item, i) => {
          const at = tv.findIndex((e) => e.name === item.name);
          if (at >= 0) {
            this.mergeInto(tv[at]!, `${tp}/${at}`, item, `${lp}/${i}`, src, skip);
          } else {
            tv.push(clone(item) as Obj);
            this.record(`${tp}/${tv.length - 1}`, item, `${lp}/${i}`, src);
          }
        });
      } else {
        this.forget(tp);
        setOwn(target, key, clone(lv));
        this.record(tp, lv, lp, src);
      }
    }
  }
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

/** The effective spec of a platform in an environment, or undefined if either is unknown. */
export function resolvePlatform(eco: Ecosystem, platformName: string, envName: string): ResolvedPlatform | undefined {
  const platform = eco.platforms.get(platformName);
  const env = eco.environments.get(envName);
  if (!platform || !env) return undefined;
  const instance = eco.instances.get(envName);
  const entryIndex = instance?.manifest.spec.platforms.findIndex((p) => p.name === platformName) ?? -1;

  const m = new ProvenanceMerger();
  for (const t of templateChain(eco, platform.manifest.spec.extends).chain) {
    m.apply(
      { value: t.manifest.spec as Obj, file: t.file, positions: t.positions, base: '/spec', label: `template ${t.name}` },
      new Set(['extends']),
    );
  }
  m.apply(
    { value: platform.manifest.spec as Obj, file: platform.file, positions: platform.positions, base: '/spec', label: `platform ${platform.name}` },
    new Set(['extends']),
  );
  const envSpec = env.manifest.spec;
  if (envSpec.config) {
    m.apply({ value: envSpec.config as Obj, file: env.file, positions: env.positions, base: '/spec/config', label: `environment ${env.name} config` });
  }
  if (envSpec.secrets) {
    m.apply({ value: { secrets: envSpec.secrets }, file: env.file, positions: env.positions, base: '/spec', label: `environment ${env.name} secrets` });
  }
  if (instance && entryIndex >= 0) {
    const entry = instance.manifest.spec.platforms[entryIndex]!;
    const overrides: Obj = { version: entry.version };
    for (const k of INSTANCE_OVERRIDES) if (entry[k] !== undefined) overrides[k] = entry[k];
    m.apply({
      value: overrides,
      file: instance.file,
      positions: instance.positions,
      base: `/spec/platforms/${entryIndex}`,
      label: `instance ${envName}`,
    });
  }
  const spec = m.value as ResolvedPlatform['spec'];
  if (typeof spec.image === 'string') spec.image = spec.image.split('${version}').join(spec.version);
  return { platform: platformName, environment: envName, spec, provenance: m.provenance, layers: m.layers };
}

/** Every platform placed in every environment, resolved. */
export function resolveAll(eco: Ecosystem): ResolvedPlatform[] {
  const out: ResolvedPlatform[] = [];
  for (const [envName, instance] of eco.instances) {
    if (!eco.environments.has(envName)) continue;
    for (const entry of instance.manifest.spec.platforms) {
      const r = resolvePlatform(eco, entry.name, envName);
      if (r) out.push(r);
    }
  }
  return out;
}

/** Where a resolved value came from; falls back to the nearest ancestor with provenance. */
export function provenanceOf(resolved: ResolvedPlatform, pointer: string): SourceLoc | undefined {
  let p = pointer;
  for (;;) {
    const hit = resolved.provenance.get(p);
    if (hit) return hit;
    if (p === '') return undefined;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}
