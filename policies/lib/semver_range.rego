# Semantic-version ranges in the npm style, on top of the host's semver.compare.
#
#   1.2.3            exactly 1.2.3 (also "=1.2.3")
#   ^1.2.3           >=1.2.3 <2.0.0   (^0.2.3 := >=0.2.3 <0.3.0, ^0.0.3 := >=0.0.3 <0.0.4)
#   ~1.2.3           >=1.2.3 <1.3.0
#   >=1.0.0 <2.0.0   comparators separated by spaces must all hold (AND)
#   ^1.0.0 || ^2.0.0 alternatives separated by || (OR)
#   *                any valid version
#
# Versions compare by semver precedence (pre-releases sort before their release); unlike
# npm, a pre-release is not excluded from a range that does not name one. An invalid
# version or bound never satisfies anything: semver.compare is only called on valid input.
package lib.semver_range

# satisfies(version, range) is true when the version is valid semver and matches range.
satisfies(version, range) if {
	semver.is_valid(version)
	some alternative in split(range, "||")
	alternative_ok(version, trim_space(alternative))
}

alternative_ok(_, "*")

alternative_ok(_, "")

alternative_ok(version, alternative) if {
	not alternative in {"*", ""}
	comparators := [c | some c in split(alternative, " "); c != ""]
	every c in comparators {
		comparator_ok(version, c)
	}
}

# Two-character operators first so ">=" is not read as ">".
comparator_ok(version, c) if {
	startswith(c, ">=")
	compare(version, substring(c, 2, -1)) >= 0
}

comparator_ok(version, c) if {
	startswith(c, "<=")
	compare(version, substring(c, 2, -1)) <= 0
}

comparator_ok(version, c) if {
	startswith(c, ">")
	not startswith(c, ">=")
	compare(version, substring(c, 1, -1)) > 0
}

comparator_ok(version, c) if {
	startswith(c, "<")
	not startswith(c, "<=")
	compare(version, substring(c, 1, -1)) < 0
}

comparator_ok(version, c) if {
	startswith(c, "=")
	compare(version, substring(c, 1, -1)) == 0
}

comparator_ok(version, c) if {
	startswith(c, "^")
	base := substring(c, 1, -1)
	compare(version, base) >= 0
	compare(version, caret_upper(base)) < 0
}

comparator_ok(version, c) if {
	startswith(c, "~")
	base := substring(c, 1, -1)
	compare(version, base) >= 0
	compare(version, tilde_upper(base)) < 0
}

comparator_ok(version, c) if {
	not operator(c)
	compare(version, c) == 0
}

operator(c) if {
	some op in [">", "<", "=", "^", "~"]
	startswith(c, op)
}

# compare is semver.compare on valid versions only (undefined otherwise, so the
# comparator fails instead of raising an error in the host).
compare(a, b) := semver.compare(a, b) if {
	semver.is_valid(a)
	semver.is_valid(b)
}

# parts("1.2.3-rc.1+build") == [1, 2, 3]
parts(v) := [to_number(p) | some p in split(split(split(v, "+")[0], "-")[0], ".")]

# The first version a caret range excludes: bump the left-most non-zero part.
caret_upper(base) := sprintf("%d.0.0", [p[0] + 1]) if {
	p := parts(base)
	p[0] > 0
}

caret_upper(base) := sprintf("0.%d.0", [p[1] + 1]) if {
	p := parts(base)
	p[0] == 0
	p[1] > 0
}

caret_upper(base) := sprintf("0.0.%d", [p[2] + 1]) if {
	p := parts(base)
	p[0] == 0
	p[1] == 0
}

tilde_upper(base) := sprintf("%d.%d.0", [p[0], p[1] + 1]) if {
	p := parts(base)
}

# major(version) is the major number of a valid version.
major(version) := parts(version)[0] if semver.is_valid(version)
