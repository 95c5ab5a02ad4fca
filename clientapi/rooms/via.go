package rooms

import (
	"net/url"
	"strings"

	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
)

// viaServers reads the servers a client names for joining or knocking on a
// room through (POST /join/{roomIdOrAlias} and /knock/{roomIdOrAlias}):
// via since v1.12, else server_name, which v1.12 deprecated and v1.14
// removed but clients written earlier still send. Every value must be a
// server name.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3joinroomidoralias
func viaServers(q url.Values) ([]id.ServerName, error) {
	for _, param := range []string{"via", "server_name"} {
		if len(q[param]) == 0 {
			continue
		}
		servers := make([]id.ServerName, 0, len(q[param]))
		for _, s := range q[param] {
			name, err := id.ParseServerName(s)
			if err != nil {
				return nil, errcode.InvalidParam(param + " must be server names: " + err.Error())
			}
			servers = append(servers, name)
		}
		return servers, nil
	}
	return nil, nil
}

// unknownRoom answers a join or knock on a room this server is not in.
// Reaching it would take a join or knock over federation through one of
// the via servers, which this server does not make yet.
func unknownRoom(via []id.ServerName) error {
	if len(via) == 0 {
		return errcode.NotFound("no known servers for this room")
	}
	names := make([]string, len(via))
	for i, s := range via {
		names[i] = string(s)
	}
	return errcode.NotFound("this server is not in the room, and joining rooms of other servers (via " +
		strings.Join(names, ", ") + ") is not supported")
}
