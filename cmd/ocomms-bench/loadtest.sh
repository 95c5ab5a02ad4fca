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
#
# LOADTEST_INSTANCES=N (1 to 8, default 1) starts N instances of one
# homeserver, each on its own loopback port, sharing the PostgreSQL
# database and the NATS server named by OCOMMS_DATABASE_POSTGRES_DSN and
# OCOMMS_BUS_NATS_URLS (SQLite and the embedded NATS belong to one process,
# so they cannot be shared). The bench gets every instance's URL: its
# latency senders use the first, the other users sync on the others. The
# database and the bus streams are the caller's: use throwaway ones.
set -eu

OCOMMS=${OCOMMS:-bin/ocomms}
BENCH=${BENCH:-bin/ocomms-bench}
for b in "$OCOMMS" "$BENCH"; do
	[ -x "$b" ] || { echo "loadtest: $b is missing; run make build first" >&2; exit 2; }
done

instances=${LOADTEST_INSTANCES:-1}
case $instances in
[1-8]) ;;
*) echo "loadtest: LOADTEST_INSTANCES=$instances: want 1 to 8" >&2; exit 2 ;;
esac
if [ "$instances" -gt 1 ] && { [ "${OCOMMS_DATABASE_BACKEND:-}" != postgres ] ||
	[ -z "${OCOMMS_DATABASE_POSTGRES_DSN:-}" ] || [ -z "${OCOMMS_BUS_NATS_URLS:-}" ]; }; then
	echo "loadtest: LOADTEST_INSTANCES=$instances needs instances sharing one PostgreSQL database and one NATS server;" \
		"set OCOMMS_DATABASE_BACKEND=postgres, OCOMMS_DATABASE_POSTGRES_DSN and OCOMMS_BUS_NATS_URLS" \
		"(SQLite and the embedded NATS cannot be shared between processes)" >&2
	exit 2
fi
# On an external NATS, streams of a prefix of the run's own, unless one is
# given, so a throwaway server never publishes into a real deployment's.
if [ -n "${OCOMMS_BUS_NATS_URLS:-}" ] && [ -z "${OCOMMS_BUS_PREFIX:-}" ]; then
	OCOMMS_BUS_PREFIX=loadtest$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	export OCOMMS_BUS_PREFIX
	echo "loadtest: bus prefix $OCOMMS_BUS_PREFIX" >&2
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/ocomms-loadtest.XXXXXX")
pids=
cleanup() {
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $pids; do
		wait "$p" || true
	done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

secret=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
"$OCOMMS" generate-config -server-name loadtest.localhost -data-dir "$dir/data" -o "$dir/ocomms.yaml" >/dev/null

# start launches instance $1 in the background and sets pid. Port 0 and
# JSON logs: the server picks a free port and its "listening" line says
# which, so runs never collide on a shared machine. The instances share
# the configuration and data directory (signing key, media) as instances
# of one homeserver do.
start() {
	OCOMMS_CLIENT_API_LISTEN=127.0.0.1:0 \
	OCOMMS_METRICS_ENABLED=false \
	OCOMMS_FEDERATION_ENABLED=false \
	OCOMMS_LOGGING_FORMAT=json \
	OCOMMS_REGISTRATION_SHARED_SECRET="$secret" \
	OCOMMS_RATE_LIMITS_SEND_PER_SECOND=100000 OCOMMS_RATE_LIMITS_SEND_BURST=100000 \
	OCOMMS_RATE_LIMITS_REGISTER_PER_SECOND=100000 OCOMMS_RATE_LIMITS_REGISTER_BURST=100000 \
	OCOMMS_ALLOW_EPHEMERAL_DATA=1 \
		"$OCOMMS" run -config "$dir/ocomms.yaml" >"$dir/server$1.out" 2>"$dir/server$1.log" &
	pid=$!
	pids="$pids $pid"
}

# wait_listening waits for instance $1 (process $2) to listen and sets addr.
wait_listening() {
	addr=
	tries=0
	while [ -z "$addr" ]; do
		if ! kill -0 "$2" 2>/dev/null; then
			echo "loadtest: server $1 exited; its log:" >&2
			cat "$dir/server$1.log" >&2
			exit 1
		fi
		tries=$((tries + 1))
		if [ "$tries" -gt 300 ]; then
			echo "loadtest: server $1 did not listen within 30s; its log:" >&2
			cat "$dir/server$1.log" >&2
			exit 1
		fi
		sleep 0.1
		addr=$(sed -n 's/.*"msg":"listening","listener":"client","addr":"\([^"]*\)".*/\1/p' "$dir/server$1.log" | head -n 1)
	done
}

# One at a time: the first migrates a fresh database before the others
# start on it.
urls=
first=
i=1
while [ "$i" -le "$instances" ]; do
	start "$i"
	wait_listening "$i" "$pid"
	first=${first:-$pid}
	urls="$urls -url http://$addr"
	if [ "$instances" -eq 1 ]; then
		echo "loadtest: server pid $pid on http://$addr, data in $dir" >&2
	else
		echo "loadtest: instance $i pid $pid on http://$addr, data in $dir" >&2
	fi
	i=$((i + 1))
done

status=0
# $urls is split on purpose: one -url flag per instance, no spaces inside.
# shellcheck disable=SC2086
BENCH_SHARED_SECRET="$secret" "$BENCH" $urls -registration shared-secret -pid "$first" "$@" || status=$?
exit "$status"
