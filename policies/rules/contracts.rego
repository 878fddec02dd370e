# contracts.semver: a contract version is valid semver and equals its file's base name.
# contracts.breaking: within one major version, a later contract keeps every operation,
#   event and output/payload field of the earlier one (same type) and requires no new input.
# contracts.unsatisfied: every `consumes` range of a platform is met in its environment by
#   a platform running there (`provides`) or by the environment's adapter (`implements`).
#
# Contract findings name the contract as "<name>@<version>" (the manifest's key); a
# PolicyException may target either that or the bare contract name.
package rules.contracts

import data.lib.findings
import data.lib.semver_range

# --- contracts.semver ---------------------------------------------------------------

violation contains f if {
	some name, versions in input.contracts
	some key, contract in versions
	version := contract.spec.version
	not semver.is_valid(version)
	f := findings.manifest(
		"contracts.semver", "Contract", sprintf("%s@%s", [name, key]), "/spec/version",
		sprintf("contract %s version %v is not a valid semantic version", [name, version]),
		"use MAJOR.MINOR.PATCH, e.g. 1.2.0, and name the file after it",
	)
}

violation contains f if {
	some name, versions in input.contracts
	some key, contract in versions
	version := contract.spec.version
	file := input.contract_files[name][key]
	file != version
	f := findings.manifest(
		"contracts.semver", "Contract", sprintf("%s@%s", [name, key]), "/spec/version",
		sprintf("contract %s declares version %v in file %s.yaml", [name, version, file]),
		rename_hint(version, file),
	)
}

rename_hint(version, file) := sprintf("rename the file to %v.yaml, or set spec.version to %s", [version, file]) if {
	semver.is_valid(file)
}

rename_hint(version, file) := sprintf("rename the file to %v.yaml", [version]) if not semver.is_valid(file)

# --- contracts.breaking --------------------------------------------------------------

# Consecutive versions within one major: [name, a, b] with a < b and nothing in between.
# Checking each step is enough: anything lost between a and a later b is lost in some step.
pairs contains [name, a, b] if {
	some name, versions in input.contracts
	some a, _ in versions
	later := {v |
		some v, _ in versions
		semver.is_valid(v)
		semver.is_valid(a)
		semver_range.major(v) == semver_range.major(a)
		semver.compare(v, a) > 0
	}
	some b in later
	every c in later {
		semver.compare(b, c) <= 0
	}
}

# Index of operations and events by name: [name][version][opName] -> {array index}.
operation_index[name][version][op_name] contains i if {
	some name, versions in input.contracts
	some version, contract in versions
	some i, op in contract.spec.operations
	op_name := op.name
}

event_index[name][version][event_name] contains i if {
	some name, versions in input.contracts
	some version, contract in versions
	some i, event in object.get(contract.spec, "events", [])
	event_name := event.name
}

operation(name, version, op_name) := input.contracts[name][version].spec.operations[min(operation_index[name][version][op_name])]

event(name, version, event_name) := input.contracts[name][version].spec.events[min(event_index[name][version][event_name])]

breaking(name, a, b, path, what, fix) := findings.manifest(
	"contracts.breaking", "Contract", sprintf("%s@%s", [name, b]), path,
	sprintf("contract %s %s is not compatible with %s: it %s", [name, b, a, what]),
	sprintf("bump the major version or %s", [fix]),
)

violation contains f if {
	some [name, a, b] in pairs
	some op_name, _ in operation_index[name][a]
	not operation_index[name][b][op_name]
	f := breaking(name, a, b, "/spec/operations", sprintf("removes operation %s", [op_name]), sprintf("restore operation %s", [op_name]))
}

violation contains f if {
	some [name, a, b] in pairs
	some event_name, _ in event_index[name][a]
	not event_index[name][b][event_name]
	f := breaking(name, a, b, "/spec/events", sprintf("removes event %s", [event_name]), sprintf("restore event %s", [event_name]))
}

# Output fields of an operation: removed or retyped.
violation contains f if {
	some [name, a, b] in pairs
	some op_name, _ in operation_index[name][a]
	ib := min(operation_index[name][b][op_name])
	props_a := object.get(operation(name, a, op_name), ["output", "properties"], {})
	props_b := object.get(operation(name, b, op_name), ["output", "properties"], {})
	some change in property_changes(props_a, props_b)
	f := breaking(
		name, a, b, findings.pointer(array.concat(["spec", "operations", ib, "output", "properties"], change.at)),
		sprintf("%s output field %s of operation %s", [change.verb, change.field, op_name]),
		sprintf("restore output field %s of operation %s%s", [change.field, op_name, change.restore]),
	)
}

# Event payload fields: removed or retyped.
violation contains f if {
	some [name, a, b] in pairs
	some event_name, _ in event_index[name][a]
	ib := min(event_index[name][b][event_name])
	props_a := object.get(event(name, a, event_name), ["payload", "properties"], {})
	props_b := object.get(event(name, b, event_name), ["payload", "properties"], {})
	some change in property_changes(props_a, props_b)
	f := breaking(
		name, a, b, findings.pointer(array.concat(["spec", "events", ib, "payload", "properties"], change.at)),
		sprintf("%s payload field %s of event %s", [change.verb, change.field, event_name]),
		sprintf("restore payload field %s of event %s%s", [change.field, event_name, change.restore]),
	)
}

# Input fields an operation newly requires.
violation contains f if {
	some [name, a, b] in pairs
	some op_name, _ in operation_index[name][a]
	ib := min(operation_index[name][b][op_name])
	required_a := {r | some r in object.get(operation(name, a, op_name), ["input", "required"], [])}
	required_b := {r | some r in object.get(operation(name, b, op_name), ["input", "required"], [])}
	added := required_b - required_a
	count(added) > 0
	fields := concat(", ", sort(added))
	f := breaking(
		name, a, b, findings.pointer(["spec", "operations", ib, "input", "required"]),
		sprintf("newly requires input field(s) %s of operation %s", [fields, op_name]),
		sprintf("make input field(s) %s of operation %s optional again", [fields, op_name]),
	)
}

# property_changes(a, b): fields of schema properties `a` that `b` removes or retypes.
property_changes(props_a, props_b) := {change |
	some field, schema_a in props_a
	change := property_change(field, schema_a, props_b)
}

property_change(field, _, props_b) := {"field": field, "verb": "removes", "at": [], "restore": ""} if {
	not has_key(props_b, field)
}

property_change(field, schema_a, props_b) := {
	"field": field,
	"verb": sprintf("changes the type (%s to %s) of", [type_label(schema_a), type_label(props_b[field])]),
	"at": [field, "type"],
	"restore": sprintf(" as %s", [type_label(schema_a)]),
} if {
	object.get(schema_a, "type", null) != object.get(props_b[field], "type", null)
}

type_label(schema) := object.get(schema, "type", "any") if is_string(object.get(schema, "type", "any"))

type_label(schema) := concat("|", schema.type) if is_array(schema.type)

has_key(obj, key) if _ = obj[key]

# --- contracts.unsatisfied -----------------------------------------------------------
#
# Work is per distinct (environment, consumed ref), not per consumer: a hundred platforms
# consuming storage@^1.0.0 in one environment check it once. semver.compare is a host call
# in WASM, so version matching runs once per distinct (contract, range, version).

# split_ref("storage@^1.0.0") == ["storage", "^1.0.0"]
split_ref(ref) := [substring(ref, 0, at), substring(ref, at + 1, -1)] if {
	at := indexof(ref, "@")
	at > 0
}

# providers[env][contract] contains version: what platforms and the adapter offer there.
providers[env][contract] contains version if {
	some env, platforms in input.resolved
	some spec in platforms
	some ref in object.get(spec, "provides", [])
	[contract, version] := split_ref(ref)
}

providers[env][contract] contains version if {
	some env, _ in input.resolved
	adapter := input.environments[env].spec.adapter
	some ref in input.adapters[adapter].spec.implements
	[contract, version] := split_ref(ref)
}

# env_refs[env] contains ref: every distinct `consumes` entry in an environment.
env_refs[env] contains ref if {
	some env, platforms in input.resolved
	some spec in platforms
	some ref in object.get(spec, "consumes", [])
}

consumed contains split_ref(ref) if {
	some refs in env_refs
	some ref in refs
}

offered_versions[contract] contains version if {
	some contract_versions in providers
	some contract, versions in contract_versions
	some version in versions
}

satisfying[contract][range] contains version if {
	some [contract, range] in consumed
	some version in offered_versions[contract]
	semver_range.satisfies(version, range)
}

provided(env, contract, range) if {
	some version in providers[env][contract]
	satisfying[contract][range][version]
}

# unmet[env] contains ref: consumed in env, and nothing there satisfies it.
unmet[env] contains ref if {
	some env, refs in env_refs
	some ref in refs
	[contract, range] := split_ref(ref)
	not provided(env, contract, range)
}

violation contains f if {
	some env, refs in unmet
	some name, spec in input.resolved[env]
	some i, ref in object.get(spec, "consumes", [])
	ref in refs
	[contract, _] := split_ref(ref)
	f := findings.resolved(
		"contracts.unsatisfied", env, name, sprintf("/consumes/%d", [i]),
		sprintf("%s consumes %s but %s", [name, ref, offered(env, contract)]),
		sprintf("run a platform that provides %s in %s, use an adapter that implements it, or change the range", [ref, env]),
	)
}

offered(env, contract) := sprintf("nothing in %s provides %s", [env, contract]) if not providers[env][contract]

offered(env, contract) := sprintf("%s only offers %s %s", [env, contract, concat(", ", sort(providers[env][contract]))]) if {
	providers[env][contract]
}
