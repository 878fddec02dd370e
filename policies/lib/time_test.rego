package lib.time_test

import data.lib.time

test_valid_times if {
	time.ns("2026-11-23T14:00:00Z") == 1795442400000000000
	time.ns("2026-11-23T15:00:00+01:00") == 1795442400000000000
	time.valid("2026-11-23T14:00:00.123Z")
}

test_invalid_times if {
	not time.valid("2026-11-23 14:00:00Z")
	not time.valid("2026-11-23t14:00:00z")
	not time.valid("next monday")
	not time.valid(null)
	not time.ns("2026-11-23")
}
