package lib.settings_test

import data.lib.settings

test_defaults_without_settings if {
	settings.naming_pattern("platform") == `^[a-z][a-z0-9-]{1,40}-platform$` with input as {}
	not settings.key_pattern with input as {}
	not settings.value_patterns with input as {}
	not settings.ttl_max_hours("sandbox") with input as {}
}

test_settings_win if {
	s := {"settings": {"naming": {"environment": "^e$"}, "ttl": {"maxHours": {"preview": 24}}}}
	settings.naming_pattern("environment") == "^e$" with input as s
	settings.ttl_max_hours("preview") == 24 with input as s
}

test_secret_shapes_from_input if {
	s := {"settings": {"secrets": {"keyPattern": "^K$", "valuePatterns": ["^v"]}}}
	settings.key_pattern == "^K$" with input as s
	settings.value_patterns == ["^v"] with input as s
}
