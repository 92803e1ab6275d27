/**
 * runit: the definition lives in /etc/sv/NAME, the /etc/service/NAME link enables it, and runsvdir
 * (rescanning every 5 s) starts a runsv for it. Waits are bounded polls on the node, inside one exec.
 * runit keeps no log without a log service, so a failure reports what `sv status` says.
 */
import { writeFileAtomic } from '../file-write.js';
import { ApplyError, outputTail, runScript, runScriptOk } from '../node-exec.js';
import type { NodeApplyContext } from '../kind-effects.js';
import { assertServiceName, CONFIRM_POLLS, RELOAD_NOT_RUNNING, type ServiceBackend, type ServiceInstall } from './service-backend.js';

const PID = `sed -n 's/^run: [^(]*(pid \\([0-9]*\\)).*/\\1/p'`;
const UPTIME = `sed -n 's/^run: [^)]*) \\([0-9]*\\)s.*/\\1/p'`;

/** $1 link, $2 target, $3 up|restart, $4 polls. Running means: a pid (new after a restart), up for >= 1 s. */
const START_SCRIPT = `set -u
ln -sfn -- "$2" "$1"
i=0
until sv status "$1" >/dev/null 2>&1; do
  i=$((i + 1)); if [ "$i" -ge "$4" ]; then echo "runsvdir did not start a runsv for $1" >&2; exit 4; fi; sleep 0.1
done
old=$(sv status "$1" | ${PID})
if [ "$3" = restart ]; then sv restart "$1" >/dev/null 2>&1 || true; else sv up "$1" >/dev/null 2>&1 || true; fi
i=0
while :; do
  s=$(sv status "$1" 2>&1) || true
  pid=$(printf '%s\\n' "$s" | ${PID})
  up=$(printf '%s\\n' "$s" | ${UPTIME})
  if [ -n "$pid" ] && { [ "$3" != restart ] || [ "$pid" != "$old" ]; } && [ "\${up:-0}" -ge 1 ]; then printf '%s\\n' "$s"; exit 0; fi
  i=$((i + 1)); if [ "$i" -ge "$4" ]; then printf 'not running: %s\\n' "$s" >&2; exit 5; fi
  sleep 0.1
done
`;

/**
 * $1 link, $2 service dir. runsv's control/h is the declared reload (definition.ts); it is run here rather
 * than through `sv hup` so that its exit status is seen (runsv would send HUP after a failed one). The same
 * pid a second later is a reload; a process that died of it and was started again is not.
 */
const RELOAD_SCRIPT = `set -u
old=$(sv status "$1" 2>/dev/null | ${PID})
[ -n "$old" ] || exit ${RELOAD_NOT_RUNNING}
if [ -x "$2/control/h" ]; then
  (cd "$2" && exec ./control/h) || { echo "$2/control/h exited $?" >&2; exit 7; }
else
  sv hup "$1" >/dev/null || { echo "sv hup $1 failed" >&2; exit 7; }
fi
sleep 1
s=$(sv status "$1" 2>&1) || true
pid=$(printf '%s\\n' "$s" | ${PID})
if [ "$pid" = "$old" ]; then printf '%s\\n' "$s"; exit 0; fi
printf 'did not survive its reload (pid %s before): %s\\n' "$old" "$s" >&2; exit 5
`;

/** $1 link, $2 service dir, $3 polls, $4 purge (1: remove the definition too). */
const STOP_SCRIPT = `set -u
if [ -L "$1" ] && sv status "$1" >/dev/null 2>&1; then sv down "$1" >/dev/null 2>&1 || true; fi
rm -f -- "$1"
i=0
while sv status "$2" >/dev/null 2>&1; do
  i=$((i + 1)); if [ "$i" -ge "$3" ]; then echo "runsv for $2 still running: $(sv status "$2" 2>&1)" >&2; exit 4; fi; sleep 0.1
done
if [ "$4" = 1 ]; then rm -rf -- "$2"; fi
`;

/** $1 link. Healthy: runsv reports it running, up for >= 1 s (a crash loop keeps resetting the uptime). */
const HEALTH_SCRIPT = `s=$(sv status "$1" 2>&1) || { printf '%s\\n' "$s"; exit 1; }
up=$(printf '%s\\n' "$s" | ${UPTIME})
printf '%s\\n' "$s"
case "$s" in run:*) [ "\${up:-0}" -ge 1 ] ;; *) exit 1 ;; esac
`;

const REMOVE_STALE_SCRIPT = `for f in "$@"; do rm -f -- "$f"; done`;

const serviceDir = (name: string): string => `/etc/sv/${name}`;
const serviceLink = (name: string): string => `/etc/service/${name}`;

export const runitBackend: ServiceBackend = {
  async install(ctx: NodeApplyContext, install: ServiceInstall): Promise<void> {
    assertServiceName(install.name);
    const dir = serviceDir(install.name);
    for (const file of install.files) {
      await writeFileAtomic(ctx, { ...file, owner: 'root', group: 'root', createParent: true });
    }
    // A finish script from an earlier restart policy would otherwise keep applying.
    const stale = ['run', 'finish', 'control/h'].map((f) => `${dir}/${f}`).filter((p) => !install.files.some((f) => f.path === p));
    if (stale.length > 0) await runScriptOk(ctx, REMOVE_STALE_SCRIPT, stale, { what: `removing stale files of ${install.name}` });
    if (!install.enabled) {
      await runScriptOk(ctx, STOP_SCRIPT, [serviceLink(install.name), dir, String(CONFIRM_POLLS), '0'], { what: `disabling ${install.name}` });
      return;
    }
    await install.beforeStart?.();
    await runScriptOk(ctx, START_SCRIPT, [
      serviceLink(install.name),
      dir,
      install.restart ? 'restart' : 'up',
      String(CONFIRM_POLLS),
    ], { what: `starting ${install.name}` });
  },

  async restart(ctx: NodeApplyContext, name: string): Promise<void> {
    assertServiceName(name);
    await runScriptOk(ctx, START_SCRIPT, [serviceLink(name), serviceDir(name), 'restart', String(CONFIRM_POLLS)], { what: `restarting ${name}` });
  },

  async reload(ctx: NodeApplyContext, name: string) {
    assertServiceName(name);
    const result = await runScript(ctx, RELOAD_SCRIPT, [serviceLink(name), serviceDir(name)]);
    if (result.code === 0) return 'reloaded';
    if (result.code !== RELOAD_NOT_RUNNING) throw new ApplyError(ctx.node.name, `reloading ${name} failed (exit ${result.code}): ${outputTail(result)}`, result);
    await runScriptOk(ctx, START_SCRIPT, [serviceLink(name), serviceDir(name), 'up', String(CONFIRM_POLLS)], { what: `starting ${name}` });
    return 'started';
  },

  async remove(ctx: NodeApplyContext, name: string): Promise<void> {
    assertServiceName(name);
    await runScriptOk(ctx, STOP_SCRIPT, [serviceLink(name), serviceDir(name), String(CONFIRM_POLLS), '1'], { what: `removing ${name}` });
  },

  async health(ctx: NodeApplyContext, name: string) {
    assertServiceName(name);
    const result = await runScript(ctx, HEALTH_SCRIPT, [serviceLink(name)]);
    if (result.code === 0) return { healthy: true as const };
    return { healthy: false as const, message: `${name} is not running: ${outputTail(result, 3) || `sv status exited ${result.code}`}` };
  },
};
