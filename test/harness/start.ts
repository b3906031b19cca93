/**
 * The launcher for people (`npm start`): a real VS Code (code-server) with Sequence Lab loaded from
 * this repository and a sample workspace, on 127.0.0.1. The workspace and profile are kept in
 * .cache/ between launches, so runs and settings survive; delete that folder to start afresh.
 *   SEQLAB_PORT   port to listen on (default 8080)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeWorkspace } from './sampleWorkspace';
import { makeProfile, ROOT, startCodeServer } from './workbench';

async function main(): Promise<void> {
  const cache = path.join(ROOT, '.cache');
  const workspace = path.join(cache, 'sample-workspace');
  if (!fs.existsSync(workspace)) makeWorkspace(workspace, { withFullCorpora: true });
  const profile = makeProfile(path.join(cache, 'launcher-profile'));
  const port = Number(process.env.SEQLAB_PORT ?? 8080);
  const server = await startCodeServer({ workspace, profile, port });
  console.log(`
  Sequence Lab is running in VS Code (code-server) at

      ${server.url}

  Open it in a browser on this machine. Workspace: ${path.relative(process.cwd(), workspace)}
  Right-click a .txt file in the explorer and choose "Train Language Model on File".
  After \`npm run build\`, run "Developer: Reload Window" to load the new code.
  Log: ${server.service.logFile}
  Ctrl-C stops it.`);
  const stop = (): void => void server.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  server.service.process.once('exit', (code) => {
    console.error(`code-server exited (code ${code}); see ${server.service.logFile}`);
    process.exit(1);
  });
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
