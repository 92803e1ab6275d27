#!/bin/sh
# Written by underlay (cluster {{ cluster.name }}, step {{ step.name }}).
#
#   etcd-member-data check|set-aside DATA_DIR CLIENT_URL PEER_URL ENDPOINTS
#
# A member removed from the cluster that joins again under the same name is a new member: it must not start
# on its old data (etcd would offer the removed member ID, be refused, and never join). Such data is in
# DATA_DIR when this member does not serve (CLIENT_URL does not answer) and the cluster (ENDPOINTS) lists
# PEER_URL as added but not started, or not at all. `check` exits 1 then, 0 otherwise: also when there is no
# data yet, when the cluster cannot tell (no endpoint answers: never guess), and for a member that is merely
# down (the cluster lists it as started). `set-aside` renames DATA_DIR to DATA_DIR.removed-<UTC time>, only
# between the `member add` and the first start (PEER_URL unstarted), so etcd starts as the member just added.
set -eu
mode=$1 data=$2 client=$3 peer=$4 endpoints=$5
case "$mode" in check|set-aside) ;; *) echo "usage: etcd-member-data check|set-aside DATA_DIR CLIENT_URL PEER_URL ENDPOINTS" >&2; exit 64 ;; esac
[ -d "$data/member" ] || exit 0
# The TLS settings (ETCDCTL_CACERT, _CERT, _KEY) where the etcd module writes them.
if [ -r /etc/etcd/etcdctl.env ]; then set -a; . /etc/etcd/etcdctl.env; set +a; fi
unset ETCDCTL_ENDPOINTS
export ETCDCTL_API=3
ctl() { etcdctl --dial-timeout=2s --command-timeout=3s "$@"; }
ctl --endpoints="$client" endpoint health >/dev/null 2>&1 && exit 0
list=$(ctl --endpoints="$endpoints" member list -w simple 2>/dev/null) || exit 0
status=$(printf '%s\n' "$list" | awk -F', ' -v u="$peer" '$4 == u { print $2 }')
[ "$status" = started ] && exit 0
[ "$mode" = set-aside ] || exit 1
if [ "$status" != unstarted ]; then
  echo "$data holds the data of a member the cluster does not list ($peer): left in place until its member add" >&2
  exit 1
fi
aside="$data.removed-$(date -u +%Y%m%dT%H%M%SZ)"
mv -- "$data" "$aside"
echo "$data held the data of a removed member: moved to $aside, so etcd starts as the member just added"
