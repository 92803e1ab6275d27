#!/bin/sh
# Written by underlay (cluster {{ cluster.name }}, step {{ step.name }}).
#
#   etcd-membership check ENDPOINT MEMBERS_FILE   exit 0: etcd's members are exactly the file's peer URLs;
#                                            1: they differ; 2: etcd did not answer (all within a few seconds)
#   etcd-membership sync  ENDPOINT MEMBERS_FILE   removes the members the file does not list, then adds the listed
#                                            ones that are missing; waits (bounded) for etcd to answer
#
# MEMBERS_FILE holds one NAME=PEER_URL a line. Members are matched by peer URL: a member added but not
# started yet has no name. etcd admits one unstarted member at a time (its strict reconfiguration check):
# with two missing, the first (by name) is added and the other is left for the next apply, after it started.
set -eu
mode=$1 endpoint=$2 file=$3
# The TLS settings (ETCDCTL_CACERT, _CERT, _KEY) where the etcd module writes them; its endpoint list is
# not used: every call goes to the member this runs on.
if [ -r /etc/etcd/etcdctl.env ]; then set -a; . /etc/etcd/etcdctl.env; set +a; fi
unset ETCDCTL_ENDPOINTS
export ETCDCTL_API=3

ctl() { etcdctl --endpoints="$endpoint" --dial-timeout=2s --command-timeout=5s "$@"; }
# "ID, STATUS, NAME, PEER_URLS, CLIENT_URLS, IS_LEARNER" -> "ID STATUS PEER_URLS NAME"
members() {
  list=$(ctl member list -w simple) || return 1
  printf '%s\n' "$list" | awk -F', ' 'NF >= 4 { print $1, $2, $4, $3 }'
}
wanted_urls() { sed -n 's/^[^=]*=//p' "$file" | sort; }

if [ "$mode" = check ]; then
  have=$(members) || exit 2
  [ "$(printf '%s\n' "$have" | awk 'NF { print $3 }' | sort)" = "$(wanted_urls)" ] && exit 0
  exit 1
fi
[ "$mode" = sync ] || { echo "usage: etcd-membership check|sync ENDPOINT MEMBERS_FILE" >&2; exit 64; }

# Right after the bootstrap set starts, a member answers only once its peers are up.
tries=0
until have=$(members 2>/dev/null); do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "etcd at $endpoint did not answer for 60 s" >&2; exit 2; }
  sleep 1
done

# etcd refuses reconfiguration while a member was heard from too recently or not at all (ErrUnhealthy):
# bounded retries, then its own message.
retry() {
  n=0
  until out=$(ctl "$@" 2>&1); do
    n=$((n + 1))
    [ "$n" -lt 30 ] || { printf '%s\n' "$out" >&2; return 1; }
    sleep 1
  done
  printf '%s\n' "$out"
}

wanted=$(wanted_urls)
printf '%s\n' "$have" | while read -r id status url name; do
  [ -n "$id" ] || continue
  if ! printf '%s\n' "$wanted" | grep -qxF -- "$url"; then
    echo "member remove ${name:-(unstarted)} $url (id $id): not a member in Git"
    retry member remove "$id"
  fi
done

unstarted=$(printf '%s\n' "$have" | awk '$2 == "unstarted" { print $3 }')
while IFS= read -r entry; do
  name=${entry%%=*} url=${entry#*=}
  [ -n "$name" ] || continue
  if printf '%s\n' "$have" | awk '{ print $3 }' | grep -qxF -- "$url"; then continue; fi
  if [ -n "$unstarted" ]; then
    echo "member add $name $url: left for the next apply (etcd admits one unstarted member at a time; $unstarted has not started yet)"
    continue
  fi
  echo "member add $name $url"
  retry member add "$name" --peer-urls="$url"
  unstarted=$url
done < "$file"
