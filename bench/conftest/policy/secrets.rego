# secrets.plaintext (policies/rules/secrets.rego): a secret-looking key with a plain-text value,
# or a value in a known token format, in the env/config maps of platforms, templates,
# environment config and instance entries, and in adapter settings. The shapes are the CLI's
# one list (tools/lib/secrets/shapes.ts), passed with --data as data.mnops.secrets.
package main

# Without the shapes nothing would match: say so on every file rather than pass silently.
deny contains "secrets.plaintext: no data.mnops.secrets.keyPattern (pass the shapes with --data)" if {
	not data.mnops.secrets.keyPattern
}

secret_maps contains [field, input.spec[field]] if {
	input.kind in {"Platform", "PlatformTemplate"}
	some field in ["env", "config"]
}

secret_maps contains [sprintf("config.%s", [field]), input.spec.config[field]] if {
	input.kind == "Environment"
	some field in ["env", "config"]
}

secret_maps contains [sprintf("platforms[%d].%s", [i, field]), entry[field]] if {
	input.kind == "PlatformInstance"
	some i, entry in input.spec.platforms
	some field in ["env", "config"]
}

secret_maps contains ["settings", input.spec.settings] if input.kind == "Adapter"

secret_value_pattern := concat("|", [concat("", ["(?:", p, ")"]) | some p in data.mnops.secrets.valuePatterns]) if {
	count(data.mnops.secrets.valuePatterns) > 0
}

deny contains msg if {
	some [where, value] in secret_maps
	walk(value, [rel, leaf])
	is_string(leaf)
	secret_key(rel)
	leaf != ""
	not regex.match(`^\$\{[A-Za-z_][A-Za-z0-9_]*\}$`, leaf)
	msg := sprintf("secrets.plaintext: %s %v sets secret-looking key %s.%s in plain text", [input.kind, input.metadata.name, where, concat(".", [sprintf("%v", [s]) | some s in rel])])
}

deny contains msg if {
	some [where, value] in secret_maps
	walk(value, [rel, leaf])
	is_string(leaf)
	not secret_key(rel)
	regex.match(secret_value_pattern, leaf)
	msg := sprintf("secrets.plaintext: %s %v has a value at %s.%s in a known token format", [input.kind, input.metadata.name, where, concat(".", [sprintf("%v", [s]) | some s in rel])])
}

secret_key(rel) if {
	key := rel[count(rel) - 1]
	is_string(key)
	regex.match(data.mnops.secrets.keyPattern, key)
}
