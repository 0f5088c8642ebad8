// A synthetic Linux machine: U users × P projects, each project with a shared and a local settings file
// (≈ 2·U·P + U files), a fraction of them drifted (a `model` key, or ANTHROPIC_MODEL in env).
import fs from 'node:fs';
import path from 'node:path';

export function buildMachine(root, { users = 50, projects = 200, driftRatio = 0.1, seed = 42 } = {}) {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const passwd = ['root:x:0:0:root:/root:/bin/bash'];
  let files = 0;
  let drifted = 0;
  const write = (f, text) => {
    fs.writeFileSync(f, text);
    files++;
  };
  for (let u = 0; u < users; u++) {
    const name = `dev${u}`;
    const home = path.join(root, 'home', name);
    passwd.push(`${name}:x:${1000 + u}:${1000 + u}::/home/${name}:/bin/bash`);
    fs.mkdirSync(path.join(home, '.claude'), { recursive: true });
    const projectKeys = {};
    for (let p = 0; p < projects; p++) {
      const dir = path.join(home, 'src', `proj${p}`);
      fs.mkdirSync(path.join(dir, '.claude'), { recursive: true });
      projectKeys[`/home/${name}/src/proj${p}`] = { allowedTools: [], hasTrustDialogAccepted: true };
      const driftShared = rand() < driftRatio;
      const driftLocal = rand() < driftRatio;
      drifted += Number(driftShared) + Number(driftLocal);
      write(path.join(dir, '.claude', 'settings.json'), JSON.stringify({ permissions: { allow: ['Bash(npm test)', 'Read'] }, ...(driftShared ? { model: 'claude-opus-4-5' } : {}), env: { DEBUG: '0' } }, null, 2) + '\n');
      write(path.join(dir, '.claude', 'settings.local.json'), JSON.stringify({ ...(driftLocal ? { env: { ANTHROPIC_MODEL: 'opus' } } : {}), theme: 'dark' }, null, 2) + '\n');
    }
    const driftUser = rand() < driftRatio;
    drifted += Number(driftUser);
    write(path.join(home, '.claude', 'settings.json'), JSON.stringify({ theme: 'dark', ...(driftUser ? { model: 'sonnet' } : {}) }, null, 2) + '\n');
    fs.writeFileSync(path.join(home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, projects: projectKeys }));
  }
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc', 'passwd'), passwd.join('\n') + '\n');
  return { files, drifted };
}
