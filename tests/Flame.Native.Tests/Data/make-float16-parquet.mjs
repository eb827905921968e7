// Writes a Parquet file shaped like a released FLAME-MoE routing trace: `scores` LIST of six
// FLOAT16 and `indices` LIST of six INT16, plus a flat FLOAT16 column `top_score`.
// Values are exact in float16 except 1/3, which rounds to 0.333251953125.
import * as arrow from 'apache-arrow';
import { Table as WasmTable, writeParquet, WriterPropertiesBuilder } from 'parquet-wasm/node';
import { writeFileSync } from 'node:fs';

const scores = [[0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625], [1 / 3, 0.25, 0.125, 0.0625, 0.03125, 0.015625]];
const indices = [[63, 0, 17, 5, 2, 40], [1, 2, 3, 4, 5, 6]];
const table = new arrow.Table({
  scores: arrow.vectorFromArray(scores, new arrow.List(new arrow.Field('item', new arrow.Float16(), true))),
  indices: arrow.vectorFromArray(indices, new arrow.List(new arrow.Field('item', new arrow.Int16(), true))),
  top_score: arrow.vectorFromArray(scores.map(s => s[0]), new arrow.Float16()),
});
const ipc = arrow.tableToIPC(table, 'stream');
const bytes = writeParquet(WasmTable.fromIPCStream(ipc), new WriterPropertiesBuilder().build());
writeFileSync(process.argv[2], bytes);
console.log(`wrote ${bytes.length} bytes to ${process.argv[2]}`);
