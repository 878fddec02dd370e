# promotion.source: staging and prod environments name the environment they promote from.
package rules.promotion_source

import data.lib.findings
import data.lib.tiers

violation contains f if {
	some name, env in input.environments
	tiers.strict(name)
	not env.spec.promotion.from
	f := findings.manifest_in(
		"promotion.source", "Environment", name, name, "/spec/promotion/from",
		sprintf("%s environment %s does not name the environment it promotes from", [env.spec.tier, name]),
		"set spec.promotion.from (e.g. staging for prod, dev for staging)",
	)
}
