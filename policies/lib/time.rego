# RFC 3339 times, parsed only when well-formed: the host's time.parse_rfc3339_ns fails the
# whole evaluation on a bad string (fail closed), so rules check the shape first and report
# a bad time as a finding or a reason instead.
package lib.time

rfc3339 := `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`

# valid(s) holds for a string in the RFC 3339 shape the host parses.
valid(s) if {
	is_string(s)
	regex.match(rfc3339, s)
}

# ns(s) is s in nanoseconds since the epoch; undefined unless valid(s).
ns(s) := time.parse_rfc3339_ns(s) if valid(s)
