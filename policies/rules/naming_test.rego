package rules.naming_test

import data.fixtures
import data.rules.naming

test_platform_name_fires if {
	eco := object.union(fixtures.ecosystem, {"platforms": {"Billing": fixtures.manifest("Platform", "Billing", {})}})
	vs := naming.violation with input as eco
	some f in vs
	f.ruleId == "naming.platform"
	f.kind == "Platform"
	f.name == "Billing"
	f.path == "/metadata/name"
	f.resolved == false
	not f.environment
	contains(f.message, "Billing")
}

test_platform_name_ok if {
	count(naming.violation) == 0 with input as fixtures.ecosystem
}

test_platform_name_uses_settings_pattern if {
	eco := object.union(fixtures.ecosystem, {"settings": {"naming": {"platform": `^[a-z-]+$`}}})
	count(naming.violation) == 0 with input as object.union(eco, {"platforms": {"billing": {}}})
}

test_platform_name_default_pattern_without_settings if {
	eco := json.remove(fixtures.ecosystem, ["settings/naming"])
	vs := naming.violation with input as object.union(eco, {"platforms": {"billing": {}}})
	{f.name | some f in vs} == {"billing"}
}

test_environment_name_fires if {
	eco := object.union(fixtures.ecosystem, {"environments": {"Prod_EU": fixtures.manifest("Environment", "Prod_EU", {"tier": "dev"})}})
	vs := naming.violation with input as eco
	some f in vs
	f.ruleId == "naming.environment"
	f.kind == "Environment"
	f.environment == "Prod_EU"
}

test_environment_name_ok if {
	not "naming.environment" in {f.ruleId | some f in naming.violation} with input as fixtures.ecosystem
}
