# Entrypoint `promotion`: may this version of a platform be promoted into the target?
#
#   allow      true when no reason denies it
#   reasons    sorted sentences, each saying what blocks the promotion and what to do
#   overrides  sorted sentences recording what an explicit override bypassed
#              (a freeze window under an emergency override, a rollback)
#
# The checks live in promotion_rules.rego; see policies/README.md for the input.
package promotion

import data.promotion_rules

default allow := false

allow if count(promotion_rules.reason) == 0

reasons := sort(promotion_rules.reason)

overrides := sort(promotion_rules.override)
