#!/usr/bin/env bash
# local-district.sh — a whole district on this machine, for trying baoxue:
# the bureau's node, two more voters and two township non-voters, all on
# 127.0.0.1.
#
#   deploy/local-district.sh start    build, then start (or restart) the five nodes
#   deploy/local-district.sh stop     stop them (SIGTERM; waits for each to exit)
#   deploy/local-district.sh status   which nodes run, and what each says of itself
#
# Data, logs and pid files go to $BAOXUE_LOCAL_DIR (default: local-district/
# at the top of the repository). Delete that folder (after stop) to start
# over with an empty register.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${BAOXUE_LOCAL_DIR:-$ROOT/local-district}
BIN=$DIR/bin/baoxue
HOST=127.0.0.1

# id  http-port  cluster-port  role  township
NODES=(
	"bureau 8081 7401 bureau -"
	"voter2 8082 7402 voter -"
	"voter3 8083 7403 voter -"
	"lapu 8084 7404 township 450206100"
	"jinde 8085 7405 township 450206101"
)

# All nodes are on one machine: LAN timeouts (elections in about a second)
# instead of the WAN defaults made for township links. See sync/config.go.
RAFT_FLAGS=(--raft-heartbeat-timeout 1s --raft-election-timeout 1s --raft-lease-timeout 500ms --raft-commit-timeout 50ms)

die() { echo "local-district: $*" >&2; exit 1; }
field() { echo "$1" | cut -d' ' -f"$2"; }

pid_of() { # prints the pid of a running node, or fails
	local f=$DIR/$1.pid
	[[ -f $f ]] || return 1
	local pid
	pid=$(<"$f")
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

wait_http() { # id url seconds
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		curl -fsS -m 2 "$2/healthz" >/dev/null 2>&1 && return 0
		pid_of "$1" >/dev/null || die "$1 exited; see $DIR/$1.log"
		sleep 0.1
	done
	die "$1 did not answer on $2 within $3s; see $DIR/$1.log"
}

api() { # method url token [json]
	curl -fsS -m 30 -X "$1" -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} \
		${4:+--data "$4"} "$2"
}

json_field() { sed -n "s/.*\"$1\" *: *\"\([^\"]*\)\".*/\1/p"; }

login() { # url password: prints an admin API token, waiting (60s) for the register to have the admin
	local i tok
	for ((i = 0; i < 600; i++)); do
		tok=$(api POST "$1/api/v1/login" "" "{\"username\":\"admin\",\"password\":\"$2\"}" 2>/dev/null | json_field token) || true
		[[ -n $tok ]] && echo "$tok" && return 0
		sleep 0.1
	done
	die "cannot log in as admin on $1"
}

extra_flags() { # flags a local district wants
	echo "--mdns=false" # stay off the LAN: this is a demo on one machine
	echo "--http-plain" # plain HTTP on 127.0.0.1, so curl and a browser need no district CA
}

run_node() { # id args...: start one node in the background
	local id=$1
	shift
	# shellcheck disable=SC2046
	nohup "$BIN" serve --data "$DIR/$id" "$@" "${RAFT_FLAGS[@]}" $(extra_flags) >>"$DIR/$id.log" 2>&1 &
	echo $! >"$DIR/$id.pid"
}

start() {
	mkdir -p "$DIR/bin"
	echo "building baoxue into $BIN …"
	(cd "$ROOT" && go build -o "$BIN" ./cmd/baoxue)

	local fresh=1 pw
	[[ -d $DIR/bureau ]] && fresh=0
	if ((fresh)); then
		pw=$(head -c 64 /dev/urandom | tr -dc 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789' | head -c 12)
		(umask 077 && echo "$pw" >"$DIR/admin-password")
	else
		pw=$(cat "$DIR/admin-password" 2>/dev/null || echo "(see $DIR/admin-password)")
	fi

	local line id http cport role town url
	for line in "${NODES[@]}"; do
		id=$(field "$line" 1) http=$HOST:$(field "$line" 2) cport=$HOST:$(field "$line" 3)
		role=$(field "$line" 4) town=$(field "$line" 5) url=http://$http
		if pid_of "$id" >/dev/null; then
			echo "$id is already running (pid $(pid_of "$id"))"
			continue
		fi
		if [[ -d $DIR/$id ]]; then # a node that exists restarts with only its data directory
			run_node "$id"
			wait_http "$id" "$url" 60
			echo "restarted $id"
			continue
		fi
		case $role in
		bureau)
			run_node "$id" --node-id "$id" --http "$http" --cluster-addr "$cport" --bootstrap --admin-password "$pw"
			wait_http "$id" "$url" 60
			local token
			token=$(login "$url" "$pw")
			# Wait until the district is set up and takes writes.
			local i
			for ((i = 0; i < 300; i++)); do
				api POST "$url/api/v1/townships" "$token" '{"code":"450206100","name":"拉堡镇"}' >/dev/null 2>&1 && break
				sleep 0.1
			done
			api POST "$url/api/v1/townships" "$token" '{"code":"450206101","name":"进德镇"}' >/dev/null
			echo "started $id (bootstrap; townships 450206100 拉堡镇 and 450206101 进德镇 created)"
			;;
		voter | township)
			local bureau_url=http://$HOST:$(field "${NODES[0]}" 2) token jt voter=false args=()
			[[ $role == voter ]] && voter=true
			token=$(login "$bureau_url" "$pw")
			jt=$(api POST "$bureau_url/api/v1/cluster/tokens" "$token" "{\"voter\":$voter,\"ttl\":\"1h\"}" | json_field token)
			[[ -n $jt ]] || die "no join token from the bureau"
			args=(--node-id "$id" --http "$http" --cluster-addr "$cport" --join "$jt")
			[[ $town != - ]] && args+=(--township "$town")
			run_node "$id" "${args[@]}"
			wait_http "$id" "$url" 60
			if [[ $town == - ]]; then echo "started $id ($role)"; else echo "started $id ($role, township $town)"; fi
			;;
		esac
	done
	echo
	echo "A local district is running (data, logs: $DIR):"
	for line in "${NODES[@]}"; do
		printf '  %-7s %-9s http://%s:%s\n' "$(field "$line" 1)" "$(field "$line" 4)" "$HOST" "$(field "$line" 2)"
	done
	echo "Log in on any node as admin / $pw"
	echo "Nodes and their state: the Cluster page (/cluster) or '$0 status'. Stop with '$0 stop'."
}

stop() {
	local line id pid i any=0
	# Townships first, the bureau last: the voters keep a quorum while others go.
	for ((i = ${#NODES[@]} - 1; i >= 0; i--)); do
		id=$(field "${NODES[$i]}" 1)
		pid=$(pid_of "$id") || continue
		any=1
		kill -TERM "$pid"
		local waited
		for ((waited = 0; waited < 300; waited++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "$id (pid $pid) did not stop within 30s of SIGTERM; killing it" >&2
			kill -KILL "$pid"
		else
			echo "stopped $id"
		fi
		rm -f "$DIR/$id.pid"
	done
	((any)) || echo "no node of $DIR is running"
}

status() {
	local line id url pid
	for line in "${NODES[@]}"; do
		id=$(field "$line" 1) url=http://$HOST:$(field "$line" 2)
		if pid=$(pid_of "$id"); then
			printf '%-7s pid %-7s %s  %s\n' "$id" "$pid" "$url" "$(curl -fsS -m 2 "$url/healthz" 2>/dev/null || echo 'not answering')"
		else
			printf '%-7s stopped\n' "$id"
		fi
	done
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) status ;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
