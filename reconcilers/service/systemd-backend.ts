/**
 * systemd: one unit file in /etc/systemd/system, daemon-reload, enable --now. A failure to stay running
 * reports the unit's last journal lines.
 */
import { writeFileAtomic } from '../file-write.js';
import { ApplyError, outputTail, runScript, runScriptOk } from '../node-exec.js';
import type { NodeApplyContext } from '../kind-effects.js';
import { assertServiceName, CONFIRM_POLLS, RELOAD_NOT_RUNNING, type ServiceBackend, type ServiceInstall } from './service-backend.js';

/**
 * $1 unit, $2 start|restart, $3 polls. Running means active with a main PID (a new one after a restart)
 * that is still the same, still active, a second later.
 */
const START_SCRIPT = `set -u
systemctl daemon-reload || exit 6
old=$(systemctl show -p MainPID --value "$1" 2>/dev/null) || old=0
if [ "$2" = restart ]; then systemctl enable "$1" >/dev/null 2>&1 && systemctl restart "$1"
else systemctl enable --now "$1" >/dev/null 2>&1; fi
rc=$?
fail() { echo "$1" >&2; journalctl -u "$2" -n 20 --no-pager >&2 2>/dev/null; exit 5; }
[ "$rc" = 0 ] || fail "systemctl could not start $1" "$1"
i=0
while :; do
  act=$(systemctl is-active "$1" 2>/dev/null) || true
  pid=$(systemctl show -p MainPID --value "$1" 2>/dev/null) || pid=0
  if [ "$act" = active ] && [ "\${pid:-0}" != 0 ] && { [ "$2" != restart ] || [ "$pid" != "$old" ]; }; then
    sleep 1
    act=$(systemctl is-active "$1" 2>/dev/null) || true
    now=$(systemctl show -p MainPID --value "$1" 2>/dev/null) || now=0
    if [ "$act" = active ] && [ "$now" = "$pid" ]; then echo "$pid"; exit 0; fi
  fi
  i=$((i + 1)); [ "$i" -lt "$3" ] || fail "$1 is not running ($act)" "$1"
  sleep 0.1
done
`;

/**
 * $1 unit. `systemctl reload` waits for ExecReload; the same main PID, still active, a second later is a
 * reload (a unit without ExecReload makes systemctl fail, loudly).
 */
const RELOAD_SCRIPT = `set -u
[ "$(systemctl is-active "$1" 2>/dev/null)" = active ] || exit ${RELOAD_NOT_RUNNING}
old=$(systemctl show -p MainPID --value "$1" 2>/dev/null) || old=0
fail() { echo "$1" >&2; journalctl -u "$2" -n 20 --no-pager >&2 2>/dev/null; exit 5; }
systemctl reload "$1" || fail "systemctl reload $1 failed" "$1"
sleep 1
act=$(systemctl is-active "$1" 2>/dev/null) || true
now=$(systemctl show -p MainPID --value "$1" 2>/dev/null) || now=0
[ "$act" = active ] && [ "$now" = "$old" ] || fail "$1 did not survive its reload ($act, main pid $old -> $now)" "$1"
echo "$now"
`;

/** $1 unit, $2 unit file path ('' keeps the file: disable only). */
const STOP_SCRIPT = `set -u
systemctl disable --now "$1" >/dev/null 2>&1 || true
if [ -n "$2" ]; then
  rm -f -- "$2"
  systemctl daemon-reload || exit 6
  systemctl reset-failed "$1" >/dev/null 2>&1 || true
fi
`;

const unitName = (name: string): string => `${name}.service`;
const unitPath = (name: string): string => `/etc/systemd/system/${name}.service`;

export const systemdBackend: ServiceBackend = {
  async install(ctx: NodeApplyContext, install: ServiceInstall): Promise<void> {
    assertServiceName(install.name);
    for (const file of install.files) {
      await writeFileAtomic(ctx, { ...file, owner: 'root', group: 'root', createParent: true });
    }
    if (!install.enabled) {
      await runScriptOk(ctx, `systemctl daemon-reload && ${STOP_SCRIPT}`, [unitName(install.name), ''], { what: `disabling ${install.name}` });
      return;
    }
    await install.beforeStart?.();
    await runScriptOk(ctx, START_SCRIPT, [unitName(install.name), install.restart ? 'restart' : 'start', String(CONFIRM_POLLS)], { what: `starting ${install.name}` });
  },

  async restart(ctx: NodeApplyContext, name: string): Promise<void> {
    assertServiceName(name);
    await runScriptOk(ctx, START_SCRIPT, [unitName(name), 'restart', String(CONFIRM_POLLS)], { what: `restarting ${name}` });
  },

  async reload(ctx: NodeApplyContext, name: string) {
    assertServiceName(name);
    const result = await runScript(ctx, RELOAD_SCRIPT, [unitName(name)]);
    if (result.code === 0) return 'reloaded';
    if (result.code !== RELOAD_NOT_RUNNING) throw new ApplyError(ctx.node.name, `reloading ${name} failed (exit ${result.code}): ${outputTail(result)}`, result);
    await runScriptOk(ctx, START_SCRIPT, [unitName(name), 'start', String(CONFIRM_POLLS)], { what: `starting ${name}` });
    return 'started';
  },

  async remove(ctx: NodeApplyContext, name: string): Promise<void> {
    assertServiceName(name);
    await runScriptOk(ctx, STOP_SCRIPT, [unitName(name), unitPath(name)], { what: `removing ${name}` });
  },

  async health(ctx: NodeApplyContext, name: string) {
    assertServiceName(name);
    const result = await runScript(ctx, 'systemctl is-active --quiet "$1" || { systemctl status --no-pager -n 5 "$1"; exit 1; }', [unitName(name)]);
    if (result.code === 0) return { healthy: true as const };
    return { healthy: false as const, message: `${name} is not active: ${outputTail(result, 6)}` };
  },
};
