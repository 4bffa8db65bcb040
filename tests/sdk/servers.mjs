// Real servers for the SDK scenarios: an SMTP server (PyPI aiosmtpd,
// ../fixtures/smtp_server.py) whose messages are read back from disk, and
// an OAuth2/OIDC provider (npm oauth2-mock-server, ./oauth2_server.mjs).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const children = [];
process.on('exit', () => children.forEach((c) => c.kill()));

function startChild(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', (line) => {
      // the server may outlive the scenario's work: it must not keep node running
      rl.close();
      child.stdout.destroy();
      child.unref();
      const m = /^READY (\d+)/.exec(line);
      m ? resolve(Number(m[1])) : reject(new Error(`unexpected output: ${line}`));
    });
    child.once('exit', (code) => reject(new Error(`${cmd} exited with ${code}`)));
  });
}

export async function startMailbox() {
  const dir = mkdtempSync(join(tmpdir(), 'mailbox-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const port = await startChild('python3', [new URL('../fixtures/smtp_server.py', import.meta.url).pathname, dir]);
  const messages = () =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
  return {
    port,
    settings: {
      smtp: { enabled: true, host: '127.0.0.1', port, tls: false },
      meta: { appName: 'SdkApp', appURL: 'http://sdk.test', senderName: 'Sdk', senderAddress: 'sdk@sdk.test' },
    },
    /** Waits for the n-th (1-based) message to `to`. */
    async waitFor(to, n = 1) {
      const deadline = Date.now() + 20000;
      for (;;) {
        const found = messages().filter((m) => m.rcpt_tos.includes(to));
        if (found.length >= n) return found[n - 1];
        if (Date.now() > deadline) throw new Error(`no mail #${n} to ${to}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** The token at the end of a `…{path}{TOKEN}` link in a mail. */
export function tokenIn(mail, path) {
  const text = `${mail.html} ${mail.text}`;
  const i = text.indexOf(path);
  if (i < 0) throw new Error(`${path} not in ${text}`);
  return /^[A-Za-z0-9._-]+/.exec(text.slice(i + path.length))[0];
}

export async function startProvider() {
  const port = await startChild('node', [new URL('./oauth2_server.mjs', import.meta.url).pathname]);
  return { port, url: (p) => `http://127.0.0.1:${port}${p}` };
}
