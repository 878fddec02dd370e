# naming.platform, naming.environment: names follow the conventions in settings.naming.
package rules.naming

import data.lib.findings
import data.lib.settings

violation contains f if {
	some name, _ in input.platforms
	pattern := settings.naming_pattern("platform")
	not regex.match(pattern, name)
	f := findings.manifest(
		"naming.platform", "Platform", name, "/metadata/name",
		sprintf("platform name %s does not match %s", [name, pattern]),
		"rename metadata.name (and its folder under platforms/) to lower-case words ending in -platform, e.g. billing-platform",
	)
}

violation contains f if {
	some name, _ in input.environments
	pattern := settings.naming_pattern("environment")
	not regex.match(pattern, name)
	f := findings.manifest_in(
		"naming.environment", "Environment", name, name, "/metadata/name",
		sprintf("environment name %s does not match %s", [name, pattern]),
		"rename metadata.name (and its folder under ecosystem/platform-cloud/) to a short lower-case name, e.g. staging or customer-acme",
	)
}
