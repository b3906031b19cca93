/** Settings: absurd values are rejected one by one, with the range in the message. */
import * as assert from 'node:assert/strict';
import { ConfigError, DEFAULT_CONFIG, parseConfigStrict, validateConfig } from '../../src/core/config';

describe('configuration', () => {
  it('keeps the defaults when nothing is given', () => {
    assert.deepEqual(validateConfig({}), { config: DEFAULT_CONFIG, problems: [] });
  });

  it('rejects hidden size 0 and 100000 with the supported range', () => {
    for (const hidden of [0, 100000]) {
      const { config, problems } = validateConfig({ hidden });
      assert.equal(config.hidden, DEFAULT_CONFIG.hidden);
      assert.match(problems[0], new RegExp(`hidden = ${hidden} is out of range: use 8 to 1024`));
    }
  });

  it('rejects NaN, fractions where whole numbers are needed, strings and unknown keys', () => {
    const { problems } = validateConfig({ lr: NaN, layers: 1.5, steps: '100' as unknown as number, cell: 'transformer', bogus: 1 } as never);
    assert.equal(problems.length, 5);
    assert.ok(problems.some((p) => /cell must be one of rnn, gru, lstm, window/.test(p)));
  });

  it('strict parsing throws every problem at once', () => {
    assert.throws(
      () => parseConfigStrict({ hidden: 0, window: 1 }),
      (e: ConfigError) => e.problems.length === 2,
    );
  });
});
