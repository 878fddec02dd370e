package rules.promotion_source_test

import data.fixtures
import data.rules.promotion_source

test_prod_without_source_fires if {
	eco := json.remove(fixtures.ecosystem, ["environments/prod/spec/promotion"])
	vs := promotion_source.violation with input as eco
	count(vs) == 1
	some f in vs
	f.ruleId == "promotion.source"
	f.kind == "Environment"
	f.environment == "prod"
	f.path == "/spec/promotion/from"
}

test_staging_without_source_fires if {
	eco := json.remove(fixtures.ecosystem, ["environments/staging/spec/promotion/from"])
	count(promotion_source.violation) == 1 with input as eco
}

test_sources_named_ok if {
	count(promotion_source.violation) == 0 with input as fixtures.ecosystem
}

test_dev_needs_no_source if {
	# dev, sandbox and preview environments in the fixture name no source.
	not fixtures.ecosystem.environments.dev.spec.promotion
	count(promotion_source.violation) == 0 with input as fixtures.ecosystem
}
