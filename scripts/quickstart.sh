#!/usr/bin/env bash
# Quick start: three local test hosts (network namespaces with sshd and runit), a site repository made
# from examples/three-node-etcd with the real git, then validate, plan and apply with underlay: one apply
# brings up BIND on node3, a 3-member etcd with TLS (certificates from a site CA made here, keys made on
# the nodes) and haproxy on a VIP, and etcdctl on node2 reaches https://etcd.lab.example.net:2379 by name.
# It ends with `underlay controller` running in the background against the three hosts: a commit to the site
# is applied through the controller's watch of the repository, a hand edit on a node is corrected as drift,
# and the controller's API shows the site.
#
#   bash scripts/quickstart.sh        # bring everything up, converge it, leave the controller running
#   bash scripts/quickstart.sh down   # stop the controller and tear the test hosts down again
#
# Needs root on Debian (it installs the Debian packages it needs) and Node.js 20 with npm.
set -euo pipefail
cd "$(dirname "$0")/.."

base="$PWD/.state/quickstart"
hosts_state="$base/hosts"
site="$base/site"
secrets="$base/secrets"
state="$base/state"
underlay() { node bin/underlay.js "$@"; }
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

controller_pid="$base/controller.pid"

# Stops the controller of an earlier run (SIGTERM: it finishes the changes in flight, then exits).
stop_controller() {
  [[ -f "$controller_pid" ]] || return 0
  local pid
  pid=$(cat "$controller_pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
    echo "Controller (pid $pid) stopped."
  fi
  rm -f "$controller_pid"
}

if [[ "${1:-}" == "down" ]]; then
  stop_controller
  npx tsx test/hosts/cli.ts down --state "$hosts_state"
  rm -rf "$base"
  echo "Test hosts removed."
  exit 0
fi

if [[ $EUID -ne 0 ]]; then
  echo "The quick start makes network namespaces and mounts: run it as root." >&2
  exit 1
fi

step "Installing what the test hosts need (Debian packages) and underlay's npm dependencies"
bash .ci/install-system-packages.sh
# npm ci also builds the CLI into dist/ (prepare); an existing install is rebuilt, so dist/ is never older
# than the sources.
if [[ -d node_modules ]]; then npm run --silent build; else npm ci --no-audit --no-fund; fi

step "Bringing up three test hosts"
stop_controller
if [[ -f "$hosts_state/state.json" ]]; then
  npx tsx test/hosts/cli.ts down --state "$hosts_state" >/dev/null || true
fi
rm -rf "$base"
mkdir -p "$base"
npx tsx test/hosts/cli.ts up --count 3 --state "$hosts_state" > "$base/hosts.json"
node -e 'for (const h of require(process.argv[1]).hosts) console.log(`  ${h.name}  ${h.address}  ${h.hostKey}`)' "$base/hosts.json"

step "The controller's secrets in $secrets (never in Git): the SSH client key, the site CA's key, the zones' TSIG key"
mkdir -p "$secrets"
chmod 700 "$secrets"
# The site names its client key `ssh-client-key` (Site.spec.ssh.clientKeySecret).
install -m 0600 "$hosts_state/id_ed25519" "$secrets/ssh-client-key"
# The DNSZones name `lab-tsig`; BIND on node3 gets it as a secretFile, the controller signs with it.
(umask 077; tsig-keygen -a hmac-sha256 lab-tsig > "$secrets/lab-tsig")

step "Creating the site repository $site from examples/three-node-etcd (host keys and network pinned, a new site CA)"
cp -r examples/three-node-etcd "$site"
npx tsx scripts/pin-test-hosts.ts "$base/hosts.json" "$site"
# The example reports drift (`mode: alert`); here the controller puts hand edits back.
sed -i 's/^    mode: alert$/    mode: correct/' "$site/cluster.yaml"
grep -q '^    mode: correct$' "$site/cluster.yaml"
# A CA of your own: its key goes into the secret store, its certificate into the site, to commit.
rm -f "$site/ca/site-ca.pem"
underlay pki init --ca site-ca --key-secret site-ca-key --secrets-dir "$secrets" --out "$site/ca/site-ca.pem"
git -C "$site" init -q -b main
git -C "$site" add -A
git -C "$site" -c user.name=quickstart -c user.email=quickstart@underlay.invalid commit -q -m "Site: TLS etcd behind haproxy on a VIP, BIND for the zone"

step "underlay validate"
underlay validate --repo "$site"

step "underlay plan (observes the nodes over SSH, changes nothing)"
underlay plan --repo "$site" --secrets-dir "$secrets" --state-dir "$state"

step "underlay apply"
underlay apply --repo "$site" --secrets-dir "$secrets" --state-dir "$state"

step "underlay status"
underlay status --state-dir "$state"

step "The result, from node2: etcdctl with its client certificate, through etcd.lab.example.net (node3's BIND) to haproxy on the VIP"
# The hosts' pinned keys, so this ssh trusts exactly what the site trusts.
node -e 'for (const h of require(process.argv[1]).hosts) console.log(`${h.address} ${h.hostKey}`)' "$base/hosts.json" > "$base/known_hosts"
node1=$(node -e 'console.log(require(process.argv[1]).hosts[0].address)' "$base/hosts.json")
node2=$(node -e 'console.log(require(process.argv[1]).hosts[1].address)' "$base/hosts.json")
on_node2() { ssh -q -i "$secrets/ssh-client-key" -o UserKnownHostsFile="$base/known_hosts" -o StrictHostKeyChecking=yes "root@$node2" "$@"; }
on_node2 'dig +short etcd.lab.example.net A; set -a; . /etc/etcd/etcdctl.env; echo "ETCDCTL_ENDPOINTS=$ETCDCTL_ENDPOINTS"; for i in $(seq 30); do etcdctl endpoint health 2>/dev/null && break; sleep 1; done; etcdctl endpoint health && etcdctl member list'

step "A second apply has nothing to do"
underlay apply --repo "$site" --secrets-dir "$secrets" --state-dir "$state"

step "underlay controller, configured by $base/controller.yaml, running in the background"
# The API's bearer token is a secret like the others: in the secret store, never in the configuration.
(umask 077; openssl rand -hex 24 > "$secrets/controller-api-token")
api_port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
# The same state directory as the applies above: the controller continues from their store and journal.
cat > "$base/controller.yaml" <<EOT
apiVersion: underlay.dev/v1alpha1
kind: ControllerConfig
stateDir: $state
secretsDir: $secrets
api: {listen: "127.0.0.1:$api_port", tokenSecret: controller-api-token}
sites:
  - name: lab
    source: {repository: $site, ref: main}   # a local repository: watched, a commit is picked up at once
    apply: {policy: auto}
    drift: {schedule: "*/5 * * * * *"}        # every 5 seconds for the demo (the default is every 5 minutes)
EOT
# setsid: the controller outlives this script, and a Ctrl-C here does not reach it.
setsid node bin/underlay.js controller --config "$base/controller.yaml" > "$base/controller.log" 2>&1 < /dev/null &
echo $! > "$controller_pid"
api="http://127.0.0.1:$api_port"
token=$(cat "$secrets/controller-api-token")
api_get() { curl -sf -H "Authorization: Bearer $token" "$api$1"; }
# A field of the JSON on stdin, e.g. `json lastReconcile.runId` (empty when absent).
json() { node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { let v = JSON.parse(s); for (const k of process.argv[1].split(".")) v = v?.[k]; console.log(typeof v === "object" && v !== null ? JSON.stringify(v, null, 2) : (v ?? "")); })' "$1"; }
# Waits, bounded, for what the controller reports (its API or its log), never for a length of time.
wait_until() {
  local what=$1
  shift
  for _ in $(seq 1800); do
    if "$@"; then return 0; fi
    if ! kill -0 "$(cat "$controller_pid")" 2>/dev/null; then
      echo "The controller exited before $what; the end of $base/controller.log:" >&2
      tail -n 20 "$base/controller.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "No $what in 3 minutes; the end of $base/controller.log:" >&2
  tail -n 20 "$base/controller.log" >&2
  exit 1
}
ready() { curl -sf -o /dev/null "$api/readyz"; }
wait_until "the controller ready" ready
echo "  pid $(cat "$controller_pid"), API $api, log $base/controller.log"
echo "  first reconcile: $(api_get /api/v1/sites/lab | json lastReconcile.outcome) at revision $(api_get /api/v1/sites/lab | json revision | cut -c1-12)"

step "A commit to the site, applied by the controller through its watch of the repository"
sed -i 's/^    motd: .*/    motd: "Managed by underlay: applied by the controller, hand edits are put back."/' "$site/site.yaml"
committed_ms=$(node -e 'console.log(Date.now())')
git -C "$site" -c user.name=quickstart -c user.email=quickstart@underlay.invalid commit -q -am "motd: the controller applies it"
head=$(git -C "$site" rev-parse HEAD)
echo "  committed ${head:0:12}"
applied() { [[ "$(api_get /api/v1/sites/lab | json lastAppliedRevision)" == "$head" ]]; }
wait_until "an apply of $head" applied
status=$(api_get /api/v1/sites/lab)
finished=$(json lastReconcile.finishedAt <<< "$status")
run=$(json lastReconcile.runId <<< "$status")
took_ms=$(( $(node -e 'console.log(Date.parse(process.argv[1]))' "$finished") - committed_ms ))
echo "  applied by the controller as run $run, finished $finished: ${took_ms} ms from the commit to converged"
on_node1() { ssh -q -i "$secrets/ssh-client-key" -o UserKnownHostsFile="$base/known_hosts" -o StrictHostKeyChecking=yes "root@$node1" "$@"; }
echo "  node1:/etc/motd now reads:"
on_node1 cat /etc/motd | sed 's/^/    /'

step "A hand edit on node1, reported as drift and corrected by the controller (drift.mode: correct)"
managed=$(on_node1 cat /etc/motd)
edited_ms=$(node -e 'console.log(Date.now())')
on_node1 "echo 'edited by hand' > /etc/motd"
echo "  node1:/etc/motd edited by hand: $(on_node1 cat /etc/motd)"
# grep without -q or -m: under pipefail a grep that stops reading early fails the pipe.
drift_log() { grep '"msg":"drift checked"' "$base/controller.log" | grep "\"$1\":\[[^]]*\"node1/file:/etc/motd\"" > /dev/null; }
wait_until "drift of node1/file:/etc/motd reported" drift_log drifted
echo "  reported: $(grep '"msg":"drift checked"' "$base/controller.log" | grep '"drifted":\[[^]]*"node1/file:/etc/motd"' | sed -n 1p | json drifted | tr -d '\n ')"
wait_until "node1/file:/etc/motd corrected" drift_log corrected
correction=$(grep '"msg":"drift checked"' "$base/controller.log" | grep '"corrected":\[[^]]*"node1/file:/etc/motd"' | sed -n 1p)
corrected_at=$(json time <<< "$correction")
echo "  corrected: $(json corrected <<< "$correction" | tr -d '\n ') by the drift check at $corrected_at, $(( $(node -e 'console.log(Date.parse(process.argv[1]))' "$corrected_at") - edited_ms )) ms after the edit (the schedule: every 5 s)"
back=$(on_node1 cat /etc/motd)
[[ "$back" == "$managed" ]] || { echo "node1:/etc/motd was not put back: $back" >&2; exit 1; }
echo "  node1:/etc/motd is the managed file again:"
sed 's/^/    /' <<< "$back"

step "The controller's API: curl -H \"Authorization: Bearer \$(cat $secrets/controller-api-token)\" $api/api/v1/sites"
api_get /api/v1/sites | json sites

cat <<EOT

Done. underlay controller keeps running (pid $(cat "$controller_pid"), log $base/controller.log). To change
something, edit the site and commit; the controller applies it:

  \$EDITOR $site/templates/haproxy.cfg.liquid   # e.g. change "maxconn 2048"
  git -C $site commit -am "haproxy: more connections"

Only the changed file is written and haproxy reloads in place (no connection dropped). Ask the controller:

  export UNDERLAY_API_TOKEN=\$(cat $secrets/controller-api-token)
  curl -H "Authorization: Bearer \$UNDERLAY_API_TOKEN" $api/api/v1/sites/lab
  curl -H "Authorization: Bearer \$UNDERLAY_API_TOKEN" $api/api/v1/sites/lab/drift
  curl -H "Authorization: Bearer \$UNDERLAY_API_TOKEN" $api/api/v1/sites/lab/runs
  curl $api/metrics
  node bin/underlay.js reconcile --config $base/controller.yaml --site lab
  node bin/underlay.js suspend   --config $base/controller.yaml --site lab
  node bin/underlay.js resume    --config $base/controller.yaml --site lab
  node bin/underlay.js status    --state-dir $state

Log in to a node with
  ssh -i $secrets/ssh-client-key -o UserKnownHostsFile=$base/known_hosts root@$node1
and ask etcd there:  set -a; . /etc/etcd/etcdctl.env; etcdctl member list
Stop the controller and tear down:  bash scripts/quickstart.sh down
EOT
