/**
 * Observing a service through its manager: whether its definition exists, whether it is enabled and runs
 * (with its pid), and the definition files themselves, hashed here exactly as the renderer hashes what it
 * renders (definition.ts).
 */
import { field, flag, ProbeOutputError } from '../probe/answer-fields.js';
import type { NodeProbe, ProbeRequest } from '../kind.js';
import { type DefinitionFile, definitionHash } from './definition.js';
import type { DesiredService, ObservedService } from './schema.js';

/** (path, mode, base64) triples; undefined when one could not be read, so no hash is claimed. */
function definitionFiles(request: ProbeRequest, fields: readonly string[]): DefinitionFile[] | undefined {
  if (fields.length % 3 !== 0) throw new ProbeOutputError(`${request.key}: malformed definition file list`);
  const files: DefinitionFile[] = [];
  for (let i = 0; i < fields.length; i += 3) {
    const [path, mode, content] = fields.slice(i, i + 3) as [string, string, string];
    if (!/^[0-7]{1,4}$/.test(mode) || content === '!') return undefined;
    files.push({ path, mode: mode.padStart(4, '0'), content: Buffer.from(content, 'base64').toString('utf8') });
  }
  return files;
}

function parse(request: ProbeRequest, answer: readonly string[]): ObservedService {
  const [name = '', manager] = request.args;
  const exists = flag(request, answer[0]);
  const state = field(answer, 1);
  const pidText = field(answer, 3);
  const pid = pidText !== undefined && /^\d+$/.test(pidText) && Number(pidText) > 0 ? Number(pidText) : undefined;
  const running = manager === 'systemd' ? state === 'active' : state === 'run';
  const enabled = manager === 'systemd' ? field(answer, 2) === 'enabled' : flag(request, answer[2]);
  const files = definitionFiles(request, answer.slice(4));
  return {
    kind: 'service',
    name,
    exists,
    ...(exists && files !== undefined ? { definitionHash: definitionHash(files) } : {}),
    running,
    enabled,
    ...(running && pid !== undefined ? { pid } : {}),
  };
}

export const serviceProbe: NodeProbe<DesiredService, ObservedService> = {
  functions: `deffile() { st "$1"; c=$(base64 -w0 < "$1" 2>/dev/null) || c='!'; frame "$1" "\${st_v%%:*}" "$c"; }\n`,
  arms: {
    service: `if [ "$b" = systemd ]; then
      u=/etc/systemd/system/$a.service
      ex=0; if [ -f "$u" ]; then ex=1; fi
      act=$(systemctl is-active "$a.service" 2>/dev/null) || true
      en=$(systemctl is-enabled "$a.service" 2>/dev/null) || true
      pid=$(systemctl show -p MainPID --value "$a.service" 2>/dev/null) || true
    else
      d=/etc/sv/$a
      ex=0; if [ -f "$d/run" ]; then ex=1; fi
      en=0; if [ -L "/etc/service/$a" ]; then en=1; fi
      act=; pid=
      if [ -e "/etc/service/$a/supervise/ok" ]; then
        act=$(sv status "/etc/service/$a" 2>/dev/null) || true
        # The pid of "run: PATH: (pid N) ...", read without a process: the first ( on its line must open "(pid N)".
        sv_pre=\${act%%"("*}
        case $act in "run: "*"(pid "*) case $sv_pre in *"$nl"*) ;; *)
          pid=\${act#"$sv_pre(pid "}; pid=\${pid%%")"*}
          case $pid in ''|*[!0-9]*) pid= ;; esac ;; esac ;;
        esac
        act=\${act%%:*}
      fi
    fi
    frame_begin R; frame "$i" "$ex" "\${act:--}" "\${en:--}" "\${pid:--}"
    if [ "$b" = systemd ]; then
      if [ "$ex" = 1 ]; then deffile "$u"; fi
    else
      if [ "$ex" = 1 ]; then deffile "$d/run"; fi
      if [ -f "$d/finish" ]; then deffile "$d/finish"; fi
      if [ -f "$d/control/h" ]; then deffile "$d/control/h"; fi
    fi
    frame_end`,
  },
  prefetch: { service: 'if [ "$b" = systemd ]; then prefetch "/etc/systemd/system/$a.service"; else prefetch "/etc/sv/$a/run"; prefetch "/etc/sv/$a/finish"; prefetch "/etc/sv/$a/control/h"; fi' },
  requests: (spec, node) => [{ tag: 'service', args: [spec.name, node.serviceManager] }],
  requestsForIdentity: (name, node) => [{ tag: 'service', args: [name, node.serviceManager] }],
  parse,
};
