package pushrules

// Merge combines the server-default rules with what a user has stored: their
// own rules, in their order, and their settings for default rules. The
// result is the ruleset clients see and events are evaluated against.
//
// Within each kind the user's rules come before the server-default rules,
// except that .m.rule.master always comes first. A stored entry for a
// server-default rule (an ID starting with ".") changes only that rule's
// enabled flag and, unless nil, its actions; its conditions and pattern
// always come from defaults, so a server upgrade that changes a default rule
// reaches every user. Stored entries for server-default rules that defaults
// no longer has are dropped.
//
// https://spec.matrix.org/latest/client-server-api/#predefined-rules
func Merge(defaults, user Ruleset) Ruleset {
	var out Ruleset
	for _, kind := range Kinds() {
		out = out.withRules(kind, mergeKind(kind, defaults.Rules(kind), user.Rules(kind)))
	}
	return out
}

func mergeKind(kind Kind, defaults, user []Rule) []Rule {
	out := make([]Rule, 0, len(defaults)+len(user))
	applied := func(d Rule) Rule {
		if i := indexOf(user, d.RuleID); i >= 0 {
			d.Enabled = user[i].Enabled
			if user[i].Actions != nil {
				d.Actions = user[i].Actions
			}
		}
		d.Default = true
		return d
	}
	if kind == KindOverride {
		for _, d := range defaults {
			if d.RuleID == RuleMaster {
				out = append(out, applied(d))
			}
		}
	}
	seen := make(map[string]bool, len(user))
	for _, u := range user {
		if IsServerDefault(u.RuleID) || seen[u.RuleID] {
			continue
		}
		seen[u.RuleID] = true
		u.Default = false
		out = append(out, u)
	}
	for _, d := range defaults {
		if kind == KindOverride && d.RuleID == RuleMaster {
			continue
		}
		out = append(out, applied(d))
	}
	return out
}

// Customisations is the inverse of Merge: from a merged ruleset it keeps
// what differs from defaults, which is what a homeserver stores for the
// user. User-defined rules are kept whole and in order; a server-default
// rule is kept, with its enabled flag and actions only, when either differs
// from the default. Merge(defaults, Customisations(defaults, merged))
// equals merged.
func Customisations(defaults, merged Ruleset) Ruleset {
	var out Ruleset
	for _, kind := range Kinds() {
		var kept []Rule
		defs := defaults.Rules(kind)
		for _, r := range merged.Rules(kind) {
			if !IsServerDefault(r.RuleID) {
				r.Default = false
				kept = append(kept, r)
				continue
			}
			i := indexOf(defs, r.RuleID)
			if i < 0 || (r.Enabled == defs[i].Enabled && r.Actions.Equal(defs[i].Actions)) {
				continue
			}
			actions := r.Actions
			if actions == nil {
				// A nil Actions in a stored entry means "keep the default's";
				// this entry means "no actions".
				actions = Actions{}
			}
			kept = append(kept, Rule{RuleID: r.RuleID, Default: true, Enabled: r.Enabled, Actions: actions})
		}
		out = out.withRules(kind, kept)
	}
	return out
}
