import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStateStore } from '../../src/state/index.js';
import { runStateStoreContract } from './state-store.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-state-'));
const path = join(dir, 'nested', 'state.db');

runStateStoreContract('sqlite', {
  open: () => createSqliteStateStore({ path }),
  reopen: async (store) => {
    await store.close();
    return createSqliteStateStore({ path });
  },
  holdsEndWithProcess: true,
  cleanup: async () => rmSync(dir, { recursive: true, force: true }),
});
