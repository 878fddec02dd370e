package rules.environments_test

import data.fixtures
import data.rules.environments

with_env(name, patch) := object.union(fixtures.ecosystem, {"environments": {name: {"spec": patch}}})

rule_messages(vs, rule) := {f.message | some f in vs; f.ruleId == rule}

# --- environments.ttl

test_sandbox_without_ttl_fires if {
	eco := json.remove(fixtures.ecosystem, ["environments/sbx-one/spec/ttl"])
	vs := environments.violation with input as eco
	some f in vs
	f.ruleId == "environments.ttl"
	f.kind == "Environment"
	f.name == "sbx-one"
	f.environment == "sbx-one"
	f.path == "/spec/ttl"
	f.resolved == false
	f.message == "sandbox environment sbx-one has no ttl"
	f.hint == "set spec.ttl (e.g. 48h or 3d, at most 168h)"
}

test_preview_without_ttl_or_limit_fires if {
	eco := json.remove(fixtures.ecosystem, ["environments/pr-7/spec/ttl", "settings/ttl"])
	vs := environments.violation with input as eco
	some f in vs
	f.hint == "set spec.ttl (e.g. 48h or 3d, at most the tier limit)"
}

test_without_created_at_fires if {
	eco := json.remove(fixtures.ecosystem, ["environments/pr-7/spec/createdAt"])
	vs := environments.violation with input as eco
	{f.path | some f in vs} == {"/spec/createdAt"}
}

test_ttl_over_limit_fires if {
	vs := environments.violation with input as with_env("pr-7", {"ttl": "4d"})
	rule_messages(vs, "environments.ttl") == {"ttl 4d (96 hours) of preview environment pr-7 exceeds the preview limit of 72 hours"}
}

test_unparsable_ttl_fires if {
	vs := environments.violation with input as with_env("sbx-one", {"ttl": "1w"})
	rule_messages(vs, "environments.ttl") == {"ttl 1w of environment sbx-one is not a duration like 48h or 7d"}
}

test_ttl_on_prod_fires if {
	vs := environments.violation with input as with_env("prod", {"ttl": "72h"})
	rule_messages(vs, "environments.ttl") == {"prod environment prod declares ttl 72h, but only sandbox and preview environments expire"}
}

test_ttl_within_limit_ok if {
	count(environments.violation) == 0 with input as with_env("sbx-one", {"ttl": "7d"})
}

# --- environments.expired

test_expired_sandbox_fires if {
	vs := environments.violation with input as with_env("sbx-one", {"createdAt": "2026-11-19T09:30:00Z"})
	some f in vs
	f.ruleId == "environments.expired"
	f.severity == "warning"
	f.environment == "sbx-one"
	f.message == "sandbox environment sbx-one (created 2026-11-19T09:30:00Z, ttl 72h) expired 28 hours ago"
}

test_not_yet_expired_ok if {
	# created 2026-11-22T14:00Z with ttl 2d: expires 2026-11-24T14:00Z
	count(environments.violation) == 0 with input as fixtures.ecosystem
	count(environments.violation) == 0 with input as object.union(fixtures.ecosystem, {"now": "2026-11-24T14:00:00Z"})
}

test_expired_at_the_next_instant if {
	vs := environments.violation with input as object.union(fixtures.ecosystem, {"now": "2026-11-24T14:00:01Z"})
	{[f.ruleId, f.name] | some f in vs} == {["environments.expired", "pr-7"]}
}

test_unreadable_created_at_fires if {
	vs := environments.violation with input as with_env("sbx-one", {"createdAt": "2026-11-21 09:00:00Z"})
	some f in vs
	f.ruleId == "environments.ttl"
	f.path == "/spec/createdAt"
	f.message == "createdAt 2026-11-21 09:00:00Z of environment sbx-one is not an RFC 3339 time"
	not "environments.expired" in {g.ruleId | some g in vs}
}
