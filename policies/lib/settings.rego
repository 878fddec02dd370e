# Rule settings with defaults, so a partial input.settings still works. The defaults
# mirror the ones documented in policies/README.md; the secret shapes come from the input.
package lib.settings

default_naming := {
	"platform": `^[a-z][a-z0-9-]{1,40}-platform$`,
	"environment": `^[a-z][a-z0-9-]{1,30}$`,
}

# naming_pattern(kind) is the name pattern for "platform" or "environment".
naming_pattern(kind) := object.get(input, ["settings", "naming", kind], default_naming[kind])

# What looks like a secret has no Rego list: the CLI passes the one list its redaction uses
# (tools/lib/secrets/shapes.ts, plus the repository's additions) as input.settings.secrets.
key_pattern := input.settings.secrets.keyPattern

value_patterns := input.settings.secrets.valuePatterns

# ttl_max_hours(tier) is the longest ttl allowed for a tier, if the settings set one.
ttl_max_hours(tier) := input.settings.ttl.maxHours[tier]
