# Rule settings with defaults, so a partial input.settings still works. The defaults
# mirror the ones documented in policies/README.md.
package lib.settings

default_naming := {
	"platform": `^[a-z][a-z0-9-]{1,40}-platform$`,
	"environment": `^[a-z][a-z0-9-]{1,30}$`,
}

default_key_pattern := `(?i)(passw(or)?d|passphrase|secret|token|api[_.-]?key|private[_.-]?key|access[_.-]?key|client[_.-]?secret|credentials?)`

default_value_patterns := [
	`-----BEGIN [A-Z ]*PRIVATE KEY-----`,
	`\bA(KIA|SIA)[0-9A-Z]{16}\b`,
	`\bgh[pousr]_[A-Za-z0-9]{36,}\b`,
	`\bgithub_pat_[A-Za-z0-9_]{22,}\b`,
	`\bxox[abposr]-[A-Za-z0-9-]{10,}`,
	`\bAIza[0-9A-Za-z_-]{35}\b`,
	`\b[rs]k_live_[0-9A-Za-z]{16,}\b`,
	`\bglpat-[0-9A-Za-z_-]{20,}\b`,
	`\bnpm_[A-Za-z0-9]{36}\b`,
	`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`,
	`://[^/\s:@]+:[^/\s:@]+@`,
]

# naming_pattern(kind) is the name pattern for "platform" or "environment".
naming_pattern(kind) := object.get(input, ["settings", "naming", kind], default_naming[kind])

key_pattern := object.get(input, ["settings", "secrets", "keyPattern"], default_key_pattern)

value_patterns := object.get(input, ["settings", "secrets", "valuePatterns"], default_value_patterns)

# ttl_max_hours(tier) is the longest ttl allowed for a tier, if the settings set one.
ttl_max_hours(tier) := input.settings.ttl.maxHours[tier]
