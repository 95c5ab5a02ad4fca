#!/bin/sh
# Starts a throwaway ocomms server on loopback with its data in a temporary
# directory, runs ocomms-bench against it (with the server's PID, so its
# memory is reported), then stops the server and removes the directory.
# Arguments go to ocomms-bench; `make loadtest` passes LOADTEST_ARGS.
#
# The server gets a random registration shared secret and send and
# register rate limits raised far above what the bench asks for, so the
# figures are the server's and not its rate limiter's. Other OCOMMS_
# variables in the environment reach the server, e.g.
#   OCOMMS_DATABASE_BACKEND=postgres OCOMMS_DATABASE_POSTGRES_DSN=... make loadtest
set -eu

OCOMMS=${OCOMMS:-bin/ocomms}
BENCH=${BENCH:-bin/ocomms-bench}
for b in "$OCOMMS" "$BENCH"; do
	[ -x "$b" ] || { echo "loadtest: $b is missing; run make build first" >&2; exit 2; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/ocomms-loadtest.XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
		wait "$pid" || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

secret=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
"$OCOMMS" generate-config -server-name loadtest.localhost -data-dir "$dir/data" -o "$dir/ocomms.yaml" >/dev/null

# Port 0 and JSON logs: the server picks a free port and its "listening"
# line says which, so runs never collide on a shared machine.
OCOMMS_CLIENT_API_LISTEN=127.0.0.1:0 \
OCOMMS_METRICS_ENABLED=false \
OCOMMS_FEDERATION_ENABLED=false \
OCOMMS_LOGGING_FORMAT=json \
OCOMMS_REGISTRATION_SHARED_SECRET="$secret" \
OCOMMS_RATE_LIMITS_SEND_PER_SECOND=100000 OCOMMS_RATE_LIMITS_SEND_BURST=100000 \
OCOMMS_RATE_LIMITS_REGISTER_PER_SECOND=100000 OCOMMS_RATE_LIMITS_REGISTER_BURST=100000 \
OCOMMS_ALLOW_EPHEMERAL_DATA=1 \
	"$OCOMMS" run -config "$dir/ocomms.yaml" >"$dir/server.out" 2>"$dir/server.log" &
pid=$!

addr=
tries=0
while [ -z "$addr" ]; do
	if ! kill -0 "$pid" 2>/dev/null; then
		pid=
		echo "loadtest: the server exited; its log:" >&2
		cat "$dir/server.log" >&2
		exit 1
	fi
	tries=$((tries + 1))
	if [ "$tries" -gt 300 ]; then
		echo "loadtest: the server did not listen within 30s; its log:" >&2
		cat "$dir/server.log" >&2
		exit 1
	fi
	sleep 0.1
	addr=$(sed -n 's/.*"msg":"listening","listener":"client","addr":"\([^"]*\)".*/\1/p' "$dir/server.log" | head -n 1)
done

echo "loadtest: server pid $pid on http://$addr, data in $dir" >&2
status=0
BENCH_SHARED_SECRET="$secret" "$BENCH" -url "http://$addr" -registration shared-secret -pid "$pid" "$@" || status=$?
exit "$status"
