/**
 * End to end, as a person: right-click files that cannot be trained on as they are (empty, binary,
 * not UTF-8, 200 MB, in a folder Sequence Lab cannot write to, deleted while it trains) and read what
 * the workbench says.
 * Each must get a notification that says what is wrong and what to do, and leave no run behind
 * (the 200 MB file trains on its first part once the user agrees).
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURE_FILE } from '../harness/sampleWorkspace';
import { session } from './hooks';
import { TRAIN_ITEM, atLeast, lossPoints, panelOf, panelState, runIds, runRecord, runsDir, stopFromPanel, trainFromExplorer, until } from './runPanels';

/** 200 MB of real text: the fixture, repeated. */
function writeLargeText(file: string, megabytes: number): void {
  const chunk = fs.readFileSync(path.join(path.dirname(file), FIXTURE_FILE));
  const fd = fs.openSync(file, 'w');
  try {
    for (let written = 0; written < megabytes * 1024 * 1024; written += chunk.length) fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Makes `dir` refuse new entries, and returns how to undo it, or undefined when this machine cannot.
 * Root ignores permission bits, so as root the folder is made immutable (ext4/xfs/btrfs).
 */
function makeReadOnly(dir: string): (() => void) | undefined {
  try {
    if (process.getuid?.() === 0) {
      execFileSync('chattr', ['+i', dir], { stdio: 'ignore' });
      const undo = () => execFileSync('chattr', ['-i', dir], { stdio: 'ignore' });
      try {
        fs.writeFileSync(path.join(dir, '.probe'), '');
        fs.rmSync(path.join(dir, '.probe'));
        undo();
        return undefined;
      } catch {
        return undo;
      }
    }
    const mode = fs.statSync(dir).mode;
    fs.chmodSync(dir, 0o555);
    return () => fs.chmodSync(dir, mode);
  } catch {
    return undefined;
  }
}

describe('bad input through the explorer', function () {
  this.timeout(300_000);

  beforeEach(async () => {
    await session().driver.clearNotifications();
  });

  it('refuses an empty, a binary and a non-UTF-8 file with a notification that says why, and creates no run', async () => {
    const { driver, workspace } = session();
    const files: [string, Uint8Array | string, RegExp][] = [
      ['empty.txt', '', /empty\.txt is empty\. Train on a file with some text in it/],
      [
        'photo.txt',
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]),
        /photo\.txt looks binary: it contains a NUL byte at offset 8\. Sequence Lab trains on plain text/,
      ],
      [
        'latin1.txt',
        Buffer.from('caf\xe9 au lait, cr\xe8me br\xfbl\xe9e\n'.repeat(50), 'latin1'),
        /latin1\.txt is not valid UTF-8 \(first bad byte at offset 3\)\. Convert it to UTF-8 first/,
      ],
    ];
    for (const [name, content] of files) fs.writeFileSync(path.join(workspace, name), content);
    const before = runIds(workspace).length;
    for (const [name, , message] of files) {
      await driver.waitForExplorerItem(name);
      await driver.explorerContextMenu(name, TRAIN_ITEM);
      await driver.waitForNotification(message);
    }
    assert.equal(runIds(workspace).length, before, 'a run folder was created for a file that cannot be trained on');
  });

  it('offers to train on the first 50 MB of a 200 MB file, and does so when asked', async () => {
    const { driver, workspace } = session();
    const name = 'huge-corpus.txt';
    writeLargeText(path.join(workspace, name), 200);
    try {
      await driver.waitForExplorerItem(name);
      const before = new Set(runIds(workspace));
      await driver.explorerContextMenu(name, TRAIN_ITEM);
      const limit = /huge-corpus\.txt is 200 MB, above the limit of 50 MB per file \(setting sequenceLab\.maxFileSizeMB\)/;
      await driver.waitForNotification(limit);
      assert.deepEqual(
        runIds(workspace).filter((id) => !before.has(id)),
        [],
        'nothing starts before the user chooses',
      );
      await driver.clickNotificationButton(limit, 'Train on the First 50 MB');
      const runId = (await until(
        'a run on the first 50 MB',
        () => runIds(workspace).find((id) => !before.has(id)),
        (id) => !!id,
        30_000,
      )) as string;
      const record = await until(
        `run ${runId} to train`,
        () => runRecord(workspace, runId),
        (r) => r?.state === 'training' && r.step > 0,
        120_000,
      );
      assert.ok(record && record.info, 'the run says what it trains on');
      // 50 MB of the text, a tenth of it held out: about 45 million training tokens at character level.
      assert.ok(record.info!.trainTokens > 40e6 && record.info!.trainTokens < 50e6, `train tokens ${record.info!.trainTokens}`);
      const panel = await panelOf(driver, runId);
      await atLeast('loss points of the 50 MB run', () => lossPoints(panel), 3);
      await stopFromPanel(panel, workspace, runId);
    } finally {
      fs.rmSync(path.join(workspace, name), { force: true });
    }
  });

  it('trains on when its file is deleted mid-run, and says why it cannot resume it, keeping the run', async () => {
    const { driver, workspace } = session();
    const name = 'deleted-while-training.txt';
    const file = path.join(workspace, name);
    fs.copyFileSync(path.join(workspace, FIXTURE_FILE), file);
    await driver.waitForExplorerItem(name);
    const { panel, runId } = await trainFromExplorer(driver, workspace, name);
    const before = await atLeast('loss points before the file goes', () => lossPoints(panel), 5);
    // Deleted from outside the editor (a terminal, another program): the explorer follows.
    fs.rmSync(file);
    await driver.waitForExplorerItem(name, 'detached');
    // The text was read when training started: the run goes on.
    await atLeast('loss points after the file went', () => lossPoints(panel), before + 10);
    assert.equal(await panelState(panel), 'training');
    const stopped = await stopFromPanel(panel, workspace, runId);

    await driver.clearNotifications();
    await panel.locator('[data-testid="resume-run"]').first().click();
    await driver.waitForNotification(
      /cannot resume deleted-while-training\.txt: .*deleted-while-training\.txt does not exist \(was it moved or deleted\?\)\. Resuming reads the same text again\./,
    );
    const after = runRecord(workspace, runId)!;
    assert.deepEqual([after.state, after.step, after.checkpoints.length], ['stopped', stopped.step, stopped.checkpoints.length], 'the run is as it was');
    assert.ok(after.checkpoints.length >= 1, 'it keeps a checkpoint');
    assert.equal(await panelState(panel), 'stopped');
  });

  it('says so when the runs folder cannot be written, and leaves the existing runs as they were', async function () {
    const { driver, workspace } = session();
    fs.mkdirSync(runsDir(workspace), { recursive: true });
    const before = runIds(workspace);
    const undo = makeReadOnly(runsDir(workspace));
    if (!undo) {
      console.log('      (this machine cannot make a folder read-only for this user: chattr is missing or unsupported here)');
      this.skip();
    }
    try {
      await driver.explorerContextMenu(FIXTURE_FILE, TRAIN_ITEM);
      await driver.waitForNotification(
        /cannot save runs in \S+: Cannot write to .*\.seqlab[/\\]runs: permission denied \(the folder is read-only for you\)\..*open a folder you can write to/,
      );
    } finally {
      undo!();
    }
    assert.deepEqual(runIds(workspace), before, 'the runs are as they were');
  });
});
