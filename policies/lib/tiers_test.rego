package lib.tiers_test

import data.fixtures
import data.lib.tiers

test_tiers if {
	tiers.tier("pr-7") == "preview" with input as fixtures.ecosystem
	tiers.strict("staging") with input as fixtures.ecosystem
	tiers.prod("prod") with input as fixtures.ecosystem
	not tiers.prod("staging") with input as fixtures.ecosystem
	tiers.ephemeral("sbx-one") with input as fixtures.ecosystem
	not tiers.ephemeral("dev") with input as fixtures.ecosystem
	not tiers.tier("nowhere") with input as fixtures.ecosystem
}

test_ceiling_and_override if {
	eco := object.union(fixtures.ecosystem, {"settings": {"tiers": {"dev": {"severity": {"images.pinned": "note"}}}}})
	tiers.ceiling("prod", "memoryMb") == 16384 with input as eco
	tiers.severity_override("dev", "images.pinned") == "note" with input as eco
	not tiers.severity_override("prod", "images.pinned") with input as eco
}
