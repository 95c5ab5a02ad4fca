package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"
)

// ClientVersions are the path versions an endpoint answers on. Most
// endpoints live under both r0 (still called by older clients and bots) and
// v3; newer ones under v1 only.
var (
	ClientR0V3 = []string{"r0", "v3"}
	ClientV1   = []string{"v1"}
	// ClientMSC3814 is the unstable prefix of dehydrated devices.
	ClientMSC3814 = []string{"unstable/org.matrix.msc3814.v1"}
)

// HandleClient mounts h at /_matrix/client/{version}{path} for each version,
// so one handler serves every spelling of the endpoint. path starts with "/"
// and may hold mux variables such as {roomId}.
func HandleClient(r *mux.Router, method, path string, h http.Handler, versions []string) {
	for _, v := range versions {
		r.Handle("/_matrix/client/"+v+path, h).Methods(method)
	}
}
