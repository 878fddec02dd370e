package lib.duration_test

import data.lib.duration

test_hours if {
	duration.hours("72h") == 72
	duration.hours("7d") == 168
	duration.hours("0h") == 0
}

test_not_a_duration if {
	not duration.hours("1w")
	not duration.hours("h")
	not duration.hours("1.5d")
	not duration.hours(48)
}
