package auth

import (
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// RequiredSigners are the servers whose valid signatures an event must carry
// before the authorization rules are applied: the sender's server; in
// versions 1-2, where the origin names the event, the server of the event
// ID; and from version 8, for a membership event naming
// join_authorised_via_users_server, that user's server. Allowed checks that
// a signature from the last is present; verifying each one is the signature
// check on receipt.
// https://spec.matrix.org/latest/server-server-api/#validating-hashes-and-signatures-on-received-events
// https://spec.matrix.org/latest/rooms/v8/#authorization-rules
func RequiredSigners(rules roomversion.Rules, ev event.PDU) []string {
	out := []string{domainOf(ev.Sender())}
	add := func(server string) {
		if server == "" {
			return
		}
		for _, have := range out {
			if have == server {
				return
			}
		}
		out = append(out, server)
	}
	if rules.EventIDFormat == roomversion.EventIDServerAssigned {
		add(domainOf(ev.EventID()))
	}
	if rules.RestrictedJoinRule && ev.Type() == typeMember {
		if user, ok := contentString(ev.Content(), keyAuthorisingUser); ok {
			add(domainOf(user))
		}
	}
	return out
}
