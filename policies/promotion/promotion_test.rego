package promotion_test

import data.promotion

# A promotion every check lets through.
base := {
	"now": "2026-11-23T14:00:00Z",
	"request": {
		"platform": "runtime-platform", "version": "1.9.4", "from": "staging", "to": "prod",
		"actor": "alice", "approvals": ["bob", "carol"], "emergency": "", "rollback": false,
	},
	"target": {
		"name": "prod",
		"tier": "prod",
		"promotion": {"from": "staging", "requires": {"approvals": 2, "soakMinutes": 60}},
		"freezeWindows": [
			{"name": "year-end-2026", "start": "2026-12-17T00:00:00Z", "end": "2027-01-04T00:00:00Z", "reason": "Year-end change freeze"},
			{"name": "launch", "start": "2026-11-01T00:00:00Z", "end": "2026-11-23T14:00:00Z"},
		],
	},
	"observed": {
		"source": {"version": "1.9.4", "healthy": true, "healthySince": "2026-11-22T14:00:00Z"},
		"target": {"version": "1.9.1"},
	},
}

with_request(patch) := object.union(base, {"request": patch})

with_source(patch) := object.union(base, {"observed": {"source": patch}})

# A freeze window open now.
frozen := object.union(base, {"target": {"freezeWindows": [{
	"name": "thanksgiving", "start": "2026-11-23T00:00:00Z", "end": "2026-11-30T00:00:00Z",
	"reason": "Holiday freeze",
}]}})

# denied(decision, reasons): the gate said no, for exactly these reasons. (Functions take
# the decision rather than the input: `with` inside a function body that reaches an
# entrypoint breaks `opa build -t wasm`.)
denied(decision, reasons) if {
	decision.allow == false
	decision.reasons == reasons
}

test_allowed if {
	promotion.allow with input as base
	promotion.reasons == [] with input as base
	promotion.overrides == [] with input as base
}

# --- soak time

test_soak_not_met if {
	decision := promotion with input as with_source({"healthySince": "2026-11-23T13:48:00Z"})
	denied(decision, ["runtime-platform 1.9.4 has soaked 12 of 60 minutes in staging — wait 48 more minutes"])
}

test_soak_one_minute_left_is_singular if {
	decision := promotion with input as with_source({"healthySince": "2026-11-23T13:00:30Z"})
	denied(decision, ["runtime-platform 1.9.4 has soaked 59 of 60 minutes in staging — wait 1 more minute"])
}

test_soak_partial_minutes_round_up_the_wait if {
	decision := promotion with input as with_source({"healthySince": "2026-11-23T13:59:30Z"})
	denied(decision, ["runtime-platform 1.9.4 has soaked 0 of 60 minutes in staging — wait 60 more minutes"])
}

test_soak_exactly_met if {
	promotion.allow with input as with_source({"healthySince": "2026-11-23T13:00:00Z"})
}

test_soak_unknown_since if {
	decision := promotion with input as with_source({"healthySince": null})
	denied(decision, ["runtime-platform 1.9.4 reports no healthy-since time in staging, so its 60-minute soak cannot be measured — wait for the next health report"])
}

test_no_soak_required if {
	req := object.union(with_source({"healthySince": null}), {"target": {"promotion": {"requires": {"soakMinutes": 0}}}})
	promotion.allow with input as req
}

# --- approvals

test_own_approval_does_not_count if {
	decision := promotion with input as with_request({"approvals": ["alice", "bob"]})
	denied(decision, ["prod needs 2 approvals from someone other than alice, has 1 (bob); alice's own approval does not count — ask 1 more reviewer (locally: --approved-by NAME; in GitHub Actions: a review of the prod deployment)"])
}

test_duplicate_approvals_count_once if {
	decision := promotion with input as with_request({"approvals": ["bob", "bob", "Bob"]})
	denied(decision, ["prod needs 2 approvals from someone other than alice, has 1 (bob) — ask 1 more reviewer (locally: --approved-by NAME; in GitHub Actions: a review of the prod deployment)"])
}

test_no_approvals if {
	decision := promotion with input as with_request({"approvals": []})
	denied(decision, ["prod needs 2 approvals from someone other than alice, has 0 — ask 2 more reviewers (locally: --approved-by NAME; in GitHub Actions: a review of the prod deployment)"])
}

test_single_approval_wording if {
	req := object.union(with_request({"approvals": ["ALICE"]}), {"target": {"promotion": {"requires": {"approvals": 1}}}})
	decision := promotion with input as req
	denied(decision, ["prod needs 1 approval from someone other than alice, has 0; alice's own approval does not count — ask 1 more reviewer (locally: --approved-by NAME; in GitHub Actions: a review of the prod deployment)"])
}

test_no_approvals_required if {
	req := object.union(with_request({"approvals": []}), {"target": {"promotion": {"requires": {"approvals": 0}}}})
	promotion.allow with input as req
}

# --- freeze windows

test_open_freeze_window_denies if {
	decision := promotion with input as frozen
	denied(decision, ["prod is frozen by thanksgiving until 2026-11-30T00:00:00Z (Holiday freeze) — wait, or request an emergency override with a written reason"])
	promotion.overrides == [] with input as frozen
}

test_open_freeze_window_without_reason_text if {
	req := json.remove(frozen, ["target/freezeWindows/0/reason"])
	decision := promotion with input as req
	denied(decision, ["prod is frozen by thanksgiving until 2026-11-30T00:00:00Z — wait, or request an emergency override with a written reason"])
}

test_closed_freeze_windows_allow if {
	# base has one window ahead and one that ended at `now` (end is exclusive).
	promotion.allow with input as base
}

test_emergency_override_with_reason if {
	req := object.union(frozen, {"request": {"emergency": "  CVE-2026-1234 actively exploited "}})
	promotion.allow with input as req
	promotion.overrides == ["freeze window thanksgiving of prod (until 2026-11-30T00:00:00Z) bypassed by alice's emergency override: CVE-2026-1234 actively exploited"] with input as req
}

test_emergency_override_without_reason if {
	req := object.union(frozen, {"request": {"emergency": "   "}})
	decision := promotion with input as req
	denied(decision, [
		"an emergency override needs a written reason (request.emergency) — say why this cannot wait",
		"prod is frozen by thanksgiving until 2026-11-30T00:00:00Z (Holiday freeze) — wait, or request an emergency override with a written reason",
	])
	not promotion.allow with input as object.union(frozen, {"request": {"emergency": true}})
}

test_emergency_without_freeze_records_nothing if {
	req := with_request({"emergency": "just in case"})
	promotion.allow with input as req
	promotion.overrides == [] with input as req
}

# --- downgrades

test_downgrade_denied if {
	req := object.union(base, {"observed": {"target": {"version": "2.0.0"}}})
	decision := promotion with input as req
	denied(decision, ["runtime-platform 1.9.4 is older than 2.0.0 running in prod — set rollback to promote a downgrade on purpose"])
}

test_rollback_allows_downgrade if {
	req := object.union(base, {"observed": {"target": {"version": "2.0.0"}}, "request": {"rollback": true}})
	promotion.allow with input as req
	promotion.overrides == ["rollback of runtime-platform in prod from 2.0.0 to 1.9.4 requested by alice"] with input as req
}

test_same_version_or_first_deploy_is_not_a_downgrade if {
	promotion.allow with input as object.union(base, {"observed": {"target": {"version": "1.9.4"}}})
	promotion.allow with input as object.union(base, {"observed": {"target": {"version": null}}})
}

test_invalid_version if {
	req := object.union(with_request({"version": "latest"}), {"observed": {"source": {"version": "latest"}}})
	decision := promotion with input as req
	denied(decision, ["version latest of runtime-platform is not a valid semantic version — request an exact version such as 1.2.3"])
}

# --- the version in the source

test_version_not_running_in_source if {
	decision := promotion with input as with_source({"version": "1.9.3"})
	denied(decision, ["runtime-platform 1.9.4 is not running in staging (it runs 1.9.3) — deploy it to staging first"])
}

test_nothing_running_in_source if {
	decision := promotion with input as with_source({"version": null, "healthy": false, "healthySince": null})
	denied(decision, ["runtime-platform 1.9.4 is not running in staging (no version of runtime-platform runs there) — deploy it to staging first"])
}

test_source_unhealthy if {
	decision := promotion with input as with_source({"healthy": false})
	denied(decision, ["runtime-platform 1.9.4 is not healthy in staging — fix it there before promoting"])
}

# --- the source environment

test_wrong_source_environment if {
	req := object.union(with_request({"from": "dev"}), {"observed": {"source": {"version": "1.9.4"}}})
	decision := promotion with input as req
	denied(decision, ["prod promotes from staging, not dev — promote runtime-platform 1.9.4 from staging"])
}

test_strict_target_without_source if {
	req := json.remove(base, ["target/promotion/from"])
	decision := promotion with input as req
	denied(decision, ["prod environment prod names no source environment (spec.promotion.from) — add one before promoting into it"])
}

test_dev_target_without_promotion_config if {
	req := object.union(json.remove(base, ["target/promotion"]), {"target": {"name": "prod", "tier": "dev"}})
	promotion.allow with input as req
}

test_request_for_other_target if {
	decision := promotion with input as with_request({"to": "customer-acme"})
	denied(decision, ["the request promotes into customer-acme but the gate was given environment prod — re-run the gate for customer-acme"])
}

test_reasons_are_sorted if {
	req := object.union(frozen, {"request": {"approvals": []}, "observed": {"source": {"healthy": false}}})
	rs := promotion.reasons with input as req
	count(rs) == 3
	rs == sort(rs)
}

# --- malformed input is denied, never waved through

test_missing_request_field if {
	req := json.remove(base, ["request/actor"])
	decision := promotion with input as req
	decision.allow == false
	"the promotion request has no actor — fill in request.actor" in decision.reasons
}

test_empty_request_field if {
	decision := promotion with input as with_request({"version": ""})
	decision.allow == false
	"the promotion request has an empty version — fill in request.version" in decision.reasons
}

test_missing_target if {
	req := json.remove(base, ["target"])
	decision := promotion with input as req
	decision.allow == false
	"the gate was given no target name — pass the target Environment's spec and name" in decision.reasons
}

test_missing_now if {
	req := json.remove(base, ["now"])
	decision := promotion with input as req
	denied(decision, ["the gate was given no valid current time (input.now, RFC 3339) — pass the time of the request"])
}

test_unknown_health_is_not_healthy if {
	req := json.remove(base, ["observed/source/healthy"])
	decision := promotion with input as req
	denied(decision, ["runtime-platform 1.9.4 is not healthy in staging — fix it there before promoting"])
}

test_unreadable_freeze_window if {
	req := object.union(base, {"target": {"freezeWindows": [{"name": "typo", "start": "next monday", "end": "2026-11-30T00:00:00Z"}]}})
	decision := promotion with input as req
	denied(decision, ["freeze window typo of prod has a start or end that is not an RFC 3339 time — fix the Environment before promoting"])
}

test_unreadable_healthy_since if {
	decision := promotion with input as with_source({"healthySince": "yesterday"})
	denied(decision, ["runtime-platform 1.9.4 reports no healthy-since time in staging, so its 60-minute soak cannot be measured — wait for the next health report"])
}

test_null_promotion_config if {
	# the CLI passes `promotion: null` for an environment without one
	req := object.union(base, {"target": {"tier": "dev", "promotion": null}})
	decision := promotion with input as req
	decision.allow == true
}

# --- rollbacks to the version the audit trail says ran before

# prod runs 2.0.0, promoted over 1.9.4; staging has moved on to 2.1.0 (soaked, healthy).
rollback := object.union(base, {
	"request": {"version": "1.9.4", "rollback": true},
	"observed": {
		"source": {"version": "2.1.0"},
		"target": {"version": "2.0.0", "previous": "1.9.4"},
	},
})

rolled_back_over := "rollback of runtime-platform in prod from 2.0.0 to 1.9.4 requested by alice"

skipped(problem) := sprintf("source check skipped for alice's rollback of runtime-platform in prod to 1.9.4, the version the audit trail says ran there before: %s", [problem])

test_rollback_to_previous_skips_the_source if {
	promotion.allow with input as rollback
	promotion.overrides == [rolled_back_over, skipped("runtime-platform 1.9.4 is not running in staging (it runs 2.1.0)")] with input as rollback
}

test_rollback_to_previous_skips_every_source_check if {
	nothing := object.union(rollback, {"observed": {"source": {"version": null, "healthy": false, "healthySince": null}}})
	promotion.allow with input as nothing
	promotion.overrides == [rolled_back_over, skipped("runtime-platform 1.9.4 is not running in staging (no version of runtime-platform runs there)")] with input as nothing

	unhealthy := object.union(rollback, {"observed": {"source": {"version": "1.9.4", "healthy": false}}})
	promotion.allow with input as unhealthy
	promotion.overrides == [rolled_back_over, skipped("runtime-platform 1.9.4 is not healthy in staging")] with input as unhealthy

	unsoaked := object.union(rollback, {"observed": {"source": {"version": "1.9.4", "healthySince": "2026-11-23T13:48:00Z"}}})
	promotion.allow with input as unsoaked
	promotion.overrides == [rolled_back_over, skipped("runtime-platform 1.9.4 has soaked 12 of 60 minutes in staging")] with input as unsoaked

	unknown_since := object.union(rollback, {"observed": {"source": {"version": "1.9.4", "healthySince": null}}})
	promotion.allow with input as unknown_since
	promotion.overrides == [rolled_back_over, skipped("runtime-platform 1.9.4 reports no healthy-since time in staging, so its 60-minute soak cannot be measured")] with input as unknown_since
}

test_rollback_to_previous_running_in_source_skips_nothing if {
	req := object.union(rollback, {"observed": {"source": {"version": "1.9.4"}}})
	promotion.overrides == [rolled_back_over] with input as req
}

test_rollback_to_previous_still_needs_approvals if {
	decision := promotion with input as object.union(rollback, {"request": {"approvals": ["alice", "bob"]}})
	denied(decision, ["prod needs 2 approvals from someone other than alice, has 1 (bob); alice's own approval does not count — ask 1 more reviewer (locally: --approved-by NAME; in GitHub Actions: a review of the prod deployment)"])
}

test_rollback_to_previous_respects_freeze_windows if {
	req := object.union(rollback, {"target": {"freezeWindows": frozen.target.freezeWindows}})
	decision := promotion with input as req
	denied(decision, ["prod is frozen by thanksgiving until 2026-11-30T00:00:00Z (Holiday freeze) — wait, or request an emergency override with a written reason"])

	blank := object.union(req, {"request": {"emergency": " "}})
	not promotion.allow with input as blank

	emergency := object.union(req, {"request": {"emergency": "INC-2041: 2.0.0 corrupts writes"}})
	promotion.allow with input as emergency
	promotion.overrides == [
		"freeze window thanksgiving of prod (until 2026-11-30T00:00:00Z) bypassed by alice's emergency override: INC-2041: 2.0.0 corrupts writes",
		rolled_back_over,
		skipped("runtime-platform 1.9.4 is not running in staging (it runs 2.1.0)"),
	] with input as emergency
}

test_previous_version_without_rollback_is_a_denied_downgrade if {
	decision := promotion with input as object.union(rollback, {"request": {"rollback": false}})
	denied(decision, [
		"runtime-platform 1.9.4 is not running in staging (it runs 2.1.0) — deploy it to staging first",
		"runtime-platform 1.9.4 is older than 2.0.0 running in prod — set rollback to promote a downgrade on purpose",
	])
}

test_rollback_to_another_version_still_needs_the_source if {
	decision := promotion with input as object.union(rollback, {"request": {"version": "1.9.1"}})
	denied(decision, ["runtime-platform 1.9.1 is not running in staging (it runs 2.1.0) — deploy it to staging first"])
}

test_rollback_without_a_known_previous_version_still_needs_the_source if {
	every req in [
		object.union(rollback, {"observed": {"target": {"previous": null}}}),
		json.remove(rollback, ["observed/target/previous"]),
		object.union(rollback, {"observed": {"target": {"previous": ["1.9.4"]}}}),
	] {
		decision := promotion with input as req
		denied(decision, ["runtime-platform 1.9.4 is not running in staging (it runs 2.1.0) — deploy it to staging first"])
	}
}

test_rollback_does_not_exempt_a_promotion_forward if {
	# a rollback flag on a version that is neither the previous one nor running in the source
	decision := promotion with input as object.union(rollback, {"request": {"version": "2.2.0"}})
	denied(decision, ["runtime-platform 2.2.0 is not running in staging (it runs 2.1.0) — deploy it to staging first"])
}

test_rollback_to_a_newer_previous_version if {
	# prod was rolled back 2.0.0 → 1.9.4; rolling forward again to 2.0.0 is a rollback of that.
	req := object.union(rollback, {"request": {"version": "2.0.0"}, "observed": {"target": {"version": "1.9.4", "previous": "2.0.0"}}})
	promotion.allow with input as req
	promotion.overrides == ["source check skipped for alice's rollback of runtime-platform in prod to 2.0.0, the version the audit trail says ran there before: runtime-platform 2.0.0 is not running in staging (it runs 2.1.0)"] with input as req
}

test_rollback_still_needs_the_promotion_source if {
	decision := promotion with input as object.union(rollback, {"request": {"from": "dev"}})
	denied(decision, ["prod promotes from staging, not dev — promote runtime-platform 1.9.4 from staging"])
}
