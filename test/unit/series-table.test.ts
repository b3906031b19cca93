/** Numeric columns from CSV, TSV and JSON-lines files, and a clear refusal for each kind of bad table. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SeqLabError } from '../../src/core/errors';
import { readNumericTable, type TableOptions } from '../../src/core/series/table';

describe('numeric sequences: reading tables', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-table-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function write(name: string, text: string | Buffer): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  }

  function refuses(file: string, code: string, message: RegExp, options: TableOptions = {}): void {
    assert.throws(
      () => readNumericTable(file, options),
      (e: unknown) => {
        assert.ok(e instanceof SeqLabError, String(e));
        assert.equal(e.code, code);
        assert.match(e.message, message);
        assert.ok(e.hint && e.hint.length > 10, 'says what to do');
        return true;
      },
    );
  }

  it('reads the numeric columns of a CSV with a header, leaving out the time column', () => {
    const file = write('load.csv', 'date,load,temp,site\n2024-01-01,1.5,3,"a, b"\n2024-01-02,2.5,4,x\n2024-01-03,2,5.5,y\n2024-01-04,3,6,z\n');
    const t = readNumericTable(file, { timeColumn: 'date' });
    assert.deepEqual(t.series.names, ['load', 'temp']);
    assert.equal(t.series.dim, 2);
    assert.equal(t.series.length, 4);
    assert.deepEqual([...t.series.values], [1.5, 3, 2.5, 4, 2, 5.5, 3, 6]);
    assert.deepEqual(t.time, ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04']);
    assert.deepEqual(t.allColumns, ['date', 'load', 'temp', 'site']);
  });

  it('reads TSV, headerless CSV (columns by number) and JSON lines', () => {
    const tsv = readNumericTable(write('a.tsv', 'x\ty\n1\t10\n2\t20\n3\t31\n'), { columns: ['y'] });
    assert.deepEqual([...tsv.series.values], [10, 20, 31]);
    const bare = readNumericTable(write('b.csv', '1,5\n2,6\n4,8\n'), { columns: ['2'] });
    assert.deepEqual([...bare.series.values], [5, 6, 8]);
    assert.deepEqual(bare.series.names, ['column 2']);
    const jsonl = readNumericTable(write('c.jsonl', '{"t":1,"v":0.5}\n{"t":2,"v":0.25}\n{"t":3,"v":1}\n'), { timeColumn: 't' });
    assert.deepEqual([...jsonl.series.values], [0.5, 0.25, 1]);
  });

  it('missing values: refused with the column, count and first line; interpolated linearly when asked', () => {
    const file = write('gaps.csv', 'v\n1\n\n3\nNA\nNA\n9\n');
    refuses(file, 'TABLE_MISSING', /"v" .* 3 missing values, the first on line 3/);
    const t = readNumericTable(file, { interpolate: true });
    assert.deepEqual([...t.series.values], [1, 2, 3, 5, 7, 9]);
    assert.equal(t.interpolated, 3);
    const edges = readNumericTable(write('edges.csv', 'v\n\n2\n4\n\n'.replace(/\n\n$/, '\nnull\n')), { interpolate: true });
    assert.deepEqual([...edges.series.values], [2, 2, 4, 4]);
  });

  it('a non-numeric cell names its line, column and content', () => {
    refuses(write('words.csv', 'v,w\n1,2\n2,3\nthree,4\n'), 'TABLE_NOT_NUMERIC', /line 4, column "v": "three" is not a number/, { columns: ['v'] });
    refuses(write('text.csv', 'name,city\nann,paris\nbob,rome\n'), 'TABLE_NOT_NUMERIC', /no numeric column/);
  });

  it('a constant column, a single row, a header-only file, an unknown column', () => {
    refuses(write('flat.csv', 'v\n7\n7\n7\n7\n'), 'TABLE_CONSTANT', /"v" .* constant \(7 on every row\)/);
    refuses(write('one.csv', 'v\n1\n'), 'TABLE_NO_ROWS', /1 data row: a series needs at least 3/);
    refuses(write('header.csv', 'a,b,c\n'), 'TABLE_NO_ROWS', /a header but no data rows/);
    refuses(write('cols.csv', 'a,b\n1,2\n2,3\n3,5\n'), 'TABLE_NO_COLUMN', /no column "z"/, { columns: ['z'] });
  });

  it('mixed delimiters: the line where the cells stop matching, and which delimiters it mixes', () => {
    refuses(write('mixed.csv', 'a,b\n1,2\n3;4\n'), 'TABLE_RAGGED', /line 3, has 1 cells where the header has 2 \(it uses semicolons, the file commas: mixed delimiters\?\)/);
  });

  it('a 1 GB file is refused by its size before anything is read; empty, binary and non-UTF-8 files get the text checks', () => {
    const huge = path.join(dir, 'huge.csv');
    fs.writeFileSync(huge, 'v\n1\n');
    fs.truncateSync(huge, 1024 ** 3); // sparse: no gigabyte is written
    const before = process.memoryUsage().rss;
    refuses(huge, 'TOO_LARGE', /1024\.0 MB, above the limit of 50\.0 MB/);
    assert.ok(process.memoryUsage().rss - before < 100 * 1024 * 1024, 'nothing of the file was loaded');
    refuses(write('empty.csv', ''), 'EMPTY', /empty/);
    refuses(write('bin.csv', Buffer.from([0x76, 0x0a, 0x00, 0x01])), 'BINARY', /NUL byte/);
    refuses(write('latin1.csv', Buffer.from([0x76, 0x0a, 0xe9, 0x0a])), 'NOT_UTF8', /not valid UTF-8/);
  });
});
