package lib.findings_test

import data.lib.findings

test_pointer_escapes_segments if {
	findings.pointer(["spec", "env", "a/b~c", 3]) == "/spec/env/a~1b~0c/3"
	findings.pointer([]) == ""
}

test_default_severity if {
	findings.severity("environments.expired") == "warning"
	findings.severity("resources.ceiling") == "error"
	findings.severity("no.such-rule") == "error"
}

test_manifest_finding_has_no_environment if {
	f := findings.manifest("naming.platform", "Platform", "x", "/metadata/name", "m", "h")
	not "environment" in object.keys(f)
	f.resolved == false
	g := findings.manifest_in("naming.environment", "Environment", "e", "e", "/metadata/name", "m", "h")
	g.environment == "e"
}

test_resolved_finding if {
	f := findings.resolved("health.required", "prod", "x", "/healthCheck", "m", "h")
	f == {
		"ruleId": "health.required", "severity": "error", "message": "m", "hint": "h",
		"kind": "Platform", "name": "x", "environment": "prod", "path": "/healthCheck", "resolved": true,
	}
}

test_strict_tier_finding_says_why if {
	f := findings.strict_tier("network.open-in-prod", "prod", "x", "/network/policy", "m", "h")
	f.because == "tier"
	f.resolved == true
	f.environment == "prod"
}
