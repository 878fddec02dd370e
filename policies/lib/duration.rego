# Durations as written in Environment.spec.ttl: "<n>h" or "<n>d".
package lib.duration

# hours("72h") == 72, hours("7d") == 168; undefined for anything else.
hours(d) := to_number(n) if {
	is_string(d)
	endswith(d, "h")
	n := trim_suffix(d, "h")
	regex.match(`^[0-9]+$`, n)
}

hours(d) := to_number(n) * 24 if {
	is_string(d)
	endswith(d, "d")
	n := trim_suffix(d, "d")
	regex.match(`^[0-9]+$`, n)
}
