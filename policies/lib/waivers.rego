# Waivers (PolicyExceptions) and per-tier severity overrides, applied to raw findings.
#
# An exception waives a finding when spec.rule equals its ruleId, spec.target.kind and
# .name equal its kind and name (for contracts, "<name>@<version>" or the bare name),
# spec.target.environment is absent or equals its environment, and spec.expires (a date)
# is today or later. Severity: input.settings.tiers[<tier of the finding's
# environment>].severity[<ruleId>] replaces the rule's default; "off" drops the finding.
package lib.waivers

import data.lib.tiers

severities := {"error", "warning", "note", "off"}

# reported(raw): the findings to report: not waived, severity applied, "off" dropped.
reported(raw) := {object.union(f, {"severity": s}) |
	some f in raw
	not waiver(f)
	s := severity(f)
	s != "off"
}

# used(raw): the findings an active exception waived, each with "exception": <name>.
used(raw) := {object.union(f, {"severity": s, "exception": w}) |
	some f in raw
	w := waiver(f)
	s := severity(f)
	s != "off"
}

# Active exceptions by "<rule> <kind> <name> <environment or *>" (space cannot occur in
# any of them). Multi-valued: two exceptions may waive the same thing.
active[key] contains name if {
	some name, exception in input.exceptions
	exception.spec.expires >= input.today
	target := exception.spec.target
	key := waiver_key(exception.spec.rule, target.kind, target.name, object.get(target, "environment", "*"))
}

waiver_key(rule, kind, name, env) := concat(" ", [rule, kind, name, env])

# waiver(f) is the name of the exception that waives f (the first by name if several).
waiver(f) := min(names) if {
	names := {name |
		some key in finding_keys(f)
		some name in active[key]
	}
	count(names) > 0
}

finding_keys(f) := {waiver_key(f.ruleId, f.kind, name, env) |
	some name in {f.name, split(f.name, "@")[0]}
	some env in target_environments(f)
}

target_environments(f) := {"*", f.environment} if f.environment

target_environments(f) := {"*"} if not f.environment

# severity(f): the tier override for the finding's environment, else the rule's default.
severity(f) := s if {
	s := tiers.severity_override(f.environment, f.ruleId)
	s in severities
}

severity(f) := f.severity if not overridden(f)

overridden(f) if tiers.severity_override(f.environment, f.ruleId) in severities
