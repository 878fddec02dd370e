# The promotion gate's checks (policies/README.md). Each `reason` is a sentence a release manager
# can act on; any reason denies. `override` records what an explicit override bypassed.
#
# Input:
#   input.now       RFC 3339
#   input.request   {platform, version, from, to, actor, approvals: [user], emergency: "<reason>" | "", rollback: bool}
#   input.target    {name, tier, promotion: {from, requires: {approvals, soakMinutes}}, freezeWindows: [{name, start, end, reason}]}
#   input.observed  {source: {version, healthy, healthySince: RFC 3339 | null},
#                    target: {version | null, previous: version | null}}
#                   target.previous: the version the audit trail says ran in the target
#                   before target.version (what `mnops rollback` restores by default)
package promotion_rules

import data.lib.tiers
import data.lib.time

request := object.get(input, "request", {})

target := object.get(input, "target", {})

source := object.get(input, ["observed", "source"], {})

subject := sprintf("%s %s", [request.platform, request.version])

minute_ns := 60000000000

now_ns := time.ns(input.now)

# --- a well-formed request (a malformed one is denied, never waved through) -----------

request_fields := ["platform", "version", "from", "to", "actor"]

reason contains msg if {
	some field in request_fields
	not is_string(object.get(request, field, null))
	msg := sprintf("the promotion request has no %s — fill in request.%s", [field, field])
}

reason contains msg if {
	some field in request_fields
	object.get(request, field, null) == ""
	msg := sprintf("the promotion request has an empty %s — fill in request.%s", [field, field])
}

reason contains msg if {
	some field in ["name", "tier"]
	not is_string(object.get(target, field, null))
	msg := sprintf("the gate was given no target %s — pass the target Environment's spec and name", [field])
}

reason contains "the gate was given no valid current time (input.now, RFC 3339) — pass the time of the request" if {
	not now_ns
}

# --- source environment ---------------------------------------------------------------

reason contains msg if {
	request.to != target.name
	msg := sprintf("the request promotes into %s but the gate was given environment %s — re-run the gate for %s", [request.to, target.name, request.to])
}

reason contains msg if {
	expected := target.promotion.from
	request.from != expected
	msg := sprintf("%s promotes from %s, not %s — promote %s from %s", [target.name, expected, request.from, subject, expected])
}

reason contains msg if {
	not target.promotion.from
	target.tier in tiers.strict_tiers
	msg := sprintf("%s environment %s names no source environment (spec.promotion.from) — add one before promoting into it", [target.tier, target.name])
}

# --- the version runs, healthy, in the source, and has soaked there ----------------------
#
# Each failing source check is a {problem, hint}. A rollback to the version the audit trail
# says ran in the target before the current one (observed.target.previous) skips them —
# that version ran there, and the source has usually moved on — and records each one it
# skipped as an override. Every other promotion, rollback or not, must pass them.

runs_in_source if source.version == request.version

source_problem contains {
	"problem": sprintf("%s is not running in %s (it runs %s)", [subject, request.from, source.version]),
	"hint": sprintf("deploy it to %s first", [request.from]),
} if {
	not runs_in_source
	is_string(source.version)
}

source_problem contains {
	"problem": sprintf("%s is not running in %s (no version of %s runs there)", [subject, request.from, request.platform]),
	"hint": sprintf("deploy it to %s first", [request.from]),
} if {
	not is_string(source.version)
}

source_problem contains {
	"problem": sprintf("%s is not healthy in %s", [subject, request.from]),
	"hint": "fix it there before promoting",
} if {
	runs_in_source
	object.get(source, "healthy", false) != true
}

soak_minutes := object.get(target, ["promotion", "requires", "soakMinutes"], 0)

source_problem contains {
	"problem": sprintf("%s reports no healthy-since time in %s, so its %v-minute soak cannot be measured", [subject, request.from, soak_minutes]),
	"hint": "wait for the next health report",
} if {
	runs_in_source
	source.healthy == true
	soak_minutes > 0
	not time.valid(object.get(source, "healthySince", null))
}

source_problem contains {
	"problem": sprintf("%s has soaked %v of %v minutes in %s", [subject, soaked, soak_minutes, request.from]),
	"hint": sprintf("wait %s", [plural(ceil(soak_minutes - elapsed), "more minute")]),
} if {
	runs_in_source
	source.healthy == true
	soak_minutes > 0
	elapsed := (now_ns - time.ns(source.healthySince)) / minute_ns
	elapsed < soak_minutes
	soaked := max([0, floor(elapsed)])
}

previous := object.get(input, ["observed", "target", "previous"], null)

# rollback_to_previous: an explicit rollback to the version that ran in the target before.
rollback_to_previous if {
	request.rollback == true
	is_string(previous)
	request.version == previous
}

reason contains sprintf("%s — %s", [p.problem, p.hint]) if {
	some p in source_problem
	not rollback_to_previous
}

override contains msg if {
	some p in source_problem
	rollback_to_previous
	msg := sprintf("source check skipped for %s's rollback of %s in %s to %s, the version the audit trail says ran there before: %s", [request.actor, request.platform, target.name, request.version, p.problem])
}

# --- approvals ------------------------------------------------------------------------

required_approvals := object.get(target, ["promotion", "requires", "approvals"], 0)

actor := lower(object.get(request, "actor", ""))

# Approvals count once per person, and never the actor's own.
approvers := {lower(a) | some a in object.get(request, "approvals", [])} - {actor}

reason contains msg if {
	count(approvers) < required_approvals
	msg := sprintf("%s needs %s from someone other than %s, has %v%s%s — ask %s (locally: --approved-by NAME; in GitHub Actions: a review of the %s deployment)", [
		target.name, plural(required_approvals, "approval"), request.actor, count(approvers), approvers_label, own_label,
		plural(required_approvals - count(approvers), "more reviewer"), target.name,
	])
}

approvers_label := sprintf(" (%s)", [concat(", ", sort(approvers))]) if count(approvers) > 0

approvers_label := "" if count(approvers) == 0

own_label := sprintf("; %s's own approval does not count", [request.actor]) if {
	some a in object.get(request, "approvals", [])
	lower(a) == actor
}

own_label := "" if {
	not actor in {lower(a) | some a in object.get(request, "approvals", [])}
}

plural(1, word) := sprintf("1 %s", [word])

plural(n, word) := sprintf("%v %ss", [n, word]) if n != 1

# --- freeze windows -------------------------------------------------------------------

open_windows contains window if {
	some window in object.get(target, "freezeWindows", [])
	time.ns(window.start) <= now_ns
	now_ns < time.ns(window.end)
}

# A window whose times cannot be read blocks like an open one: better a question than a
# promotion into a freeze.
reason contains msg if {
	some window in object.get(target, "freezeWindows", [])
	not readable(window)
	msg := sprintf("freeze window %v of %s has a start or end that is not an RFC 3339 time — fix the Environment before promoting", [object.get(window, "name", "(unnamed)"), target.name])
}

readable(window) if {
	time.valid(window.start)
	time.valid(window.end)
}

emergency_reason := trim_space(request.emergency) if is_string(request.emergency)

emergency if count(emergency_reason) > 0

# An emergency flag with no words: denied with a hint (a bare `true` or "   ").
emergency_without_reason if {
	not emergency
	request.emergency
	request.emergency != ""
}

reason contains msg if {
	some window in open_windows
	not emergency
	msg := sprintf("%s is frozen by %s until %s%s — wait, or request an emergency override with a written reason", [target.name, window.name, window.end, why(window)])
}

reason contains msg if {
	count(open_windows) > 0
	emergency_without_reason
	msg := "an emergency override needs a written reason (request.emergency) — say why this cannot wait"
}

override contains msg if {
	some window in open_windows
	emergency
	msg := sprintf("freeze window %s of %s (until %s) bypassed by %s's emergency override: %s", [window.name, target.name, window.end, request.actor, emergency_reason])
}

why(window) := sprintf(" (%s)", [window.reason]) if window.reason

why(window) := "" if not window.reason

# --- downgrades -----------------------------------------------------------------------

current := input.observed.target.version

downgrade if {
	is_string(current)
	semver.is_valid(current)
	semver.is_valid(request.version)
	semver.compare(request.version, current) < 0
}

reason contains msg if {
	not semver.is_valid(request.version)
	msg := sprintf("version %v of %s is not a valid semantic version — request an exact version such as 1.2.3", [request.version, request.platform])
}

reason contains msg if {
	downgrade
	request.rollback != true
	msg := sprintf("%s is older than %s running in %s — set rollback to promote a downgrade on purpose", [subject, current, target.name])
}

override contains msg if {
	downgrade
	request.rollback == true
	msg := sprintf("rollback of %s in %s from %s to %s requested by %s", [request.platform, target.name, current, request.version, request.actor])
}
