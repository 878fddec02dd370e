# secrets.plaintext: a secret-looking key with a plain-text value, or a value in a known
# token format, in the env and config maps of platforms, templates, environment config,
# instance entries, and adapter settings. Manifest-level: paths point into the manifest.
# The message names where the value is, never the value.
#
# Cost matters here (every string of every map is checked, and WASM is slower than Go at
# this): the regexes run once per distinct string, the value patterns as one alternation,
# the maps are only walked for locations when something matched, and sprintf (a host
# call in WASM) only runs for a hit.
package rules.secrets

import data.lib.findings
import data.lib.settings

hint := "move it to spec.secrets as a reference ({name, from: env|file|swarm, key}) and rotate the value"

violation contains f if {
	suspicious
	some name, platform in input.platforms
	some field in ["env", "config"]
	some h in hits(platform.spec[field])
	f := finding("Platform", name, null, ["platform", name], ["spec", field], h)
}

violation contains f if {
	suspicious
	some name, template in input.templates
	some field in ["env", "config"]
	some h in hits(template.spec[field])
	f := finding("PlatformTemplate", name, null, ["template", name], ["spec", field], h)
}

violation contains f if {
	suspicious
	some name, env in input.environments
	some field in ["env", "config"]
	some h in hits(env.spec.config[field])
	f := finding("Environment", name, name, ["environment", name, "config"], ["spec", "config", field], h)
}

violation contains f if {
	suspicious
	some env, instance in input.instances
	some i, entry in instance.spec.platforms
	some field in ["env", "config"]
	some h in hits(entry[field])
	label := ["the", entry.name, "entry of instance", instance.metadata.name]
	f := finding("PlatformInstance", instance.metadata.name, env, label, ["spec", "platforms", i, field], h)
}

violation contains f if {
	suspicious
	some name, adapter in input.adapters
	some h in hits(adapter.spec.settings)
	f := finding("Adapter", name, null, ["adapter", name], ["spec", "settings"], h)
}

# hits(value): the secret-looking entries of a map, as {rel (path array), pattern?}.
hits(value) := {h |
	walk(value, [rel, v])
	is_string(v)
	h := hit(rel, v)
}

# A secret-looking key holding a non-empty value that is not a ${NAME} reference.
hit(rel, v) := {"rel": rel} if {
	secret_keys[rel[count(rel) - 1]]
	v != ""
	not placeholder(v)
}

# Any other value in a known token format (named by the first pattern it matches).
hit(rel, v) := {"rel": rel, "pattern": settings.value_patterns[min(matched)]} if {
	not secret_keys[rel[count(rel) - 1]]
	token_values[v]
	matched := {i | some i, p in settings.value_patterns; regex.match(p, v)}
}

# Two passes: collect every distinct string (cheap), match the regexes on those, and only
# if something looks like a secret walk the maps again to say where. A clean ecosystem
# (the common case) pays for the first pass only.
suspicious if count(secret_keys) + count(token_values) > 0

# The regexes run once per distinct key and value, not once per occurrence: real
# ecosystems repeat the same keys (LOG_LEVEL, ...) and many values thousands of times.
secret_keys := {k | some k in strings; regex.match(settings.key_pattern, k)}

token_values := {v | some v in strings; regex.match(any_value_pattern, v)}

any_value_pattern := concat("|", [concat("", ["(?:", p, ")"]) | some p in settings.value_patterns])

# Every distinct key and string value of the scanned maps. Written out per source and
# without walk's paths on purpose: in WASM, iterating a flat map directly is several
# times cheaper than walking it, and materializing walk paths is the most expensive part.
strings contains s if {
	some platform in input.platforms
	some s, _ in platform.spec.env
}

strings contains s if {
	some platform in input.platforms
	some s in platform.spec.env
	is_string(s)
}

strings contains s if {
	some platform in input.platforms
	some s in nested_strings(platform.spec.config)
}

strings contains s if {
	some template in input.templates
	some s, _ in template.spec.env
}

strings contains s if {
	some template in input.templates
	some s in template.spec.env
	is_string(s)
}

strings contains s if {
	some template in input.templates
	some s in nested_strings(template.spec.config)
}

strings contains s if {
	some env in input.environments
	some s, _ in env.spec.config.env
}

strings contains s if {
	some env in input.environments
	some s in env.spec.config.env
	is_string(s)
}

strings contains s if {
	some env in input.environments
	some s in nested_strings(env.spec.config.config)
}

strings contains s if {
	some instance in input.instances
	some entry in instance.spec.platforms
	some s, _ in entry.env
}

strings contains s if {
	some instance in input.instances
	some entry in instance.spec.platforms
	some s in entry.env
	is_string(s)
}

strings contains s if {
	some instance in input.instances
	some entry in instance.spec.platforms
	some s in nested_strings(entry.config)
}

strings contains s if {
	some adapter in input.adapters
	some s in nested_strings(adapter.spec.settings)
}

# nested_strings(value): the string keys and string values at any depth of a map.
nested_strings(value) := {s |
	walk(value, [_, node])
	some key, leaf in node
	is_string(leaf)
	some s in [key, leaf]
	is_string(s)
}

# ${NAME} is a reference filled at deploy time, not a value.
placeholder(value) if regex.match(`^\$\{[A-Za-z_][A-Za-z0-9_]*\}$`, value)

finding(kind, name, env, label, base, h) := findings.manifest_in(
	"secrets.plaintext", kind, name, env,
	findings.pointer(array.concat(base, h.rel)), message(label, base, h), hint,
) if env != null

finding(kind, name, null, label, base, h) := findings.manifest(
	"secrets.plaintext", kind, name,
	findings.pointer(array.concat(base, h.rel)), message(label, base, h), hint,
)

message(label, base, h) := sprintf("%s sets secret-looking key %s in plain text", [concat(" ", label), dotted(base, h.rel)]) if {
	not h.pattern
}

message(label, base, h) := sprintf("%s has a value at %s in a known token format (%s)", [concat(" ", label), dotted(base, h.rel), h.pattern])

# dotted(base, rel) is "env.API_TOKEN" or "config.db.password": where the value sits.
dotted(base, rel) := concat(".", [sprintf("%v", [s]) | some s in array.concat([base[count(base) - 1]], rel)])
