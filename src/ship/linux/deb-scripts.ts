/**
 * The .deb's maintainer scripts (Debian policy ch. 6 call forms). Install: folders, the default
 * /etc/ccfleet/agent.json when there is none (it is not a conffile: dpkg never prompts), enable, start.
 * Upgrade: the new postinst try-restarts (prerm does nothing on upgrade, so the old daemon runs until the
 * new binary is in place); enablement is left as the admin had it. Remove: stop and disable (remembering
 * whether it was enabled, so a reinstall re-enables it); config, state and logs stay. Purge: state, logs,
 * config and the daemon's managed drop-in go. dpkg exports DPKG_ROOT for `dpkg --root` installs.
 * Upgrading from a version that shipped agent.json as a conffile: dpkg keeps a conffile the new version no
 * longer ships (it becomes "obsolete", removed only on purge), so the admin's file stays untouched.
 */
import { PURGE_STEPS, REENABLE_MARK, shellScript, type ShellOptions } from './shell.js';

const DEB: ShellOptions = { root: '"${DPKG_ROOT:-}"' };

export function debScripts(o: ShellOptions = DEB): { postinst: string; prerm: string; postrm: string } {
  const postinst = shellScript('ccfleet postinst: folders, then enable+start (install) or try-restart (upgrade).', o, `
case "$1" in
  configure|abort-upgrade|abort-remove|abort-deconfigure)
    make_dirs
    seed_config
    protect_config
    if { [ "$1" = configure ] && [ -z "\${2:-}" ]; } || [ -e "$ROOT${REENABLE_MARK}" ]; then
      rm -f "$ROOT${REENABLE_MARK}"
      enable_units
      reload_manager
      start_units
    else
      reload_manager
      restart_units
    fi
    ;;
esac
exit 0`);
  const prerm = shellScript('ccfleet prerm: on removal stop and disable the service (an upgrade restarts it in postinst).', o, `
case "$1" in
  remove)
    if was_enabled && [ -d "$ROOT/var/lib/ccfleet" ]; then : > "$ROOT${REENABLE_MARK}"; fi
    stop_units
    disable_units
    ;;
esac
exit 0`);
  const postrm = shellScript('ccfleet postrm: purge removes state, logs, config and the managed drop-in.', o, `
case "$1" in
  purge)
    ${PURGE_STEPS.split('\n').join('\n    ')}
    reload_manager
    ;;
  remove|abort-install|abort-upgrade)
    reload_manager
    ;;
esac
exit 0`);
  return { postinst, prerm, postrm };
}
