#!/usr/bin/env bash
# Quick start: three local test hosts (network namespaces with sshd and runit), a site repository made
# from examples/three-node-etcd with the real git, then validate, plan and apply with underlay: one apply
# brings up BIND on node3, a 3-member etcd with TLS (certificates from a site CA made here, keys made on
# the nodes) and haproxy on a VIP, and etcdctl on node2 reaches https://etcd.lab.example.net:2379 by name.
#
#   bash scripts/quickstart.sh        # bring everything up and converge it
#   bash scripts/quickstart.sh down   # tear the test hosts down again
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

if [[ "${1:-}" == "down" ]]; then
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

cat <<EOT

Done. To change something, edit the site and commit, then plan and apply:

  \$EDITOR $site/templates/haproxy.cfg.liquid   # e.g. change "maxconn 2048"
  git -C $site commit -am "haproxy: more connections"
  node bin/underlay.js plan  --repo $site --secrets-dir $secrets --state-dir $state
  node bin/underlay.js apply --repo $site --secrets-dir $secrets --state-dir $state

Only the changed file is written and haproxy reloads in place (no connection dropped). Log in to a node with
  ssh -i $secrets/ssh-client-key -o UserKnownHostsFile=$base/known_hosts root@$node1
and ask etcd there:  set -a; . /etc/etcd/etcdctl.env; etcdctl member list
Tear down:  bash scripts/quickstart.sh down
EOT
