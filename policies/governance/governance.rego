# Entrypoint `governance`: the findings of every rule over the whole resolved ecosystem.
#
#   findings  what to report: raw violations minus those waived by an active
#             PolicyException, with per-tier severity overrides applied ("off" drops).
#   waived    the findings an exception waived, each with "exception": <name>.
#
# Rule packages are listed explicitly (WASM has no rule indexing, and a forgotten package
# must be a visible omission, not a silent one): a new rule package goes in BOTH lists.
# See policies/README.md for the input and the finding shape.
package governance

import data.lib.waivers

findings := waivers.reported(union({
	data.rules.naming.violation,
	data.rules.ownership.violation,
	data.rules.resources.violation,
	data.rules.network.violation,
	data.rules.secrets.violation,
	data.rules.images.violation,
	data.rules.sandbox.violation,
	data.rules.health.violation,
	data.rules.contracts.violation,
	data.rules.environments.violation,
	data.rules.promotion_source.violation,
	data.rules.exceptions.violation,
}))

waived := waivers.used(union({
	data.rules.naming.violation,
	data.rules.ownership.violation,
	data.rules.resources.violation,
	data.rules.network.violation,
	data.rules.secrets.violation,
	data.rules.images.violation,
	data.rules.sandbox.violation,
	data.rules.health.violation,
	data.rules.contracts.violation,
	data.rules.environments.violation,
	data.rules.promotion_source.violation,
	data.rules.exceptions.violation,
}))
