// Fixed shell scripts run on the host side of a node; every value arrives as a positional argument.

/**
 * First boot of a node, run with the overlay mounted at $root before the node's init starts.
 * The marker file makes later boots (startHost) keep the node's files and host key.
 */
export const FIRST_BOOT = `
first_boot() {
  root=$1 name=$2 authkeys=$3 sshdconf=$4 machineid=$5
  [ -e "$root/etc/underlay-test-node" ] && return 0
  # The lower layer's host keys belong to the host (or to every node at once): each node gets its own.
  rm -f "$root"/etc/ssh/ssh_host_*
  ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$root/etc/ssh/ssh_host_ed25519_key"
  mkdir -p "$root/etc/ssh/sshd_config.d"
  cp "$sshdconf" "$root/etc/ssh/sshd_config.d/00-underlay-test.conf"
  mkdir -p "$root/root/.ssh"
  chmod 700 "$root/root/.ssh"
  cp "$authkeys" "$root/root/.ssh/authorized_keys"
  chmod 600 "$root/root/.ssh/authorized_keys"
  # Stock dotfiles: the host's /root/.bashrc runs slow tool setup on every ssh command.
  cp "$root/etc/skel/.bashrc" "$root/etc/skel/.profile" "$root/root/"
  # policy-rc.d exits 101 and makes invoke-run refuse to start services.
  rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/service/default-syslog"
  echo "$name" > "$root/etc/hostname"
  echo "$machineid" > "$root/etc/machine-id"
  date -u +%FT%TZ > "$root/etc/underlay-test-node"
}
`;

/** Runs inside fresh mount/pid/uts/ipc namespaces (and the node's netns) as the node's PID 1-to-be. */
export const RUNIT_INIT = `${FIRST_BOOT}
set -eu
root=$1 upper=$2 work=$3 name=$4 authkeys=$5 sshdconf=$6 machineid=$7
mount -t overlay overlay -o "lowerdir=/,upperdir=$upper,workdir=$work" "$root"
first_boot "$root" "$name" "$authkeys" "$sshdconf" "$machineid"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
# Debian's /etc/sv/*/supervise point into /run/runit/supervise: every node needs its own /run.
mount -t tmpfs -o mode=755 tmpfs "$root/run"
mkdir -p "$root/run/runit/supervise" "$root/run/sshd" "$root/run/lock"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
hostname "$name"
cd "$root"
exec chroot "$root" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 runsvdir -P /etc/service
`;

/**
 * Outer part of a systemd node: joins its own cgroup (nspawn --keep-unit builds payload/ and
 * supervisor/ below the cgroup it starts in, so nodes must not share one), then enters a private
 * mount namespace so the overlay never shows up in the host's mount table.
 */
export const SYSTEMD_OUTER = `
set -eu
cgroup=$1; shift
for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
  [ -e "$h/cgroup.procs" ] || continue
  mkdir -p "$h/$cgroup"
  echo $$ > "$h/$cgroup/cgroup.procs"
done
exec unshare --mount --propagation private -- "$@"
`;

export const SYSTEMD_INNER = `${FIRST_BOOT}
set -eu
lower=$1 upper=$2 work=$3 root=$4 name=$5 authkeys=$6 sshdconf=$7 machineid=$8 netns=$9 machine=\${10}
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$upper,workdir=$work" "$root"
first_boot "$root" "$name" "$authkeys" "$sshdconf" "$machineid"
# ssh.service is enabled by the package; make sure it is wanted even if a preset disabled it.
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sf /lib/systemd/system/ssh.service "$root/etc/systemd/system/multi-user.target.wants/ssh.service"
exec systemd-nspawn --quiet --boot --register=no --keep-unit --console=read-only \\
  --network-namespace-path="/run/netns/$netns" --machine="$machine" --hostname="$name" -D "$root"
`;

export const SSHD_CONFIG = `# underlay test node: many parallel logins, keys only, no PAM (no login session setup to wait for)
UsePAM no
MaxStartups 100:30:200
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
HostKey /etc/ssh/ssh_host_ed25519_key
`;
