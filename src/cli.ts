/**
 * The gateway from its modules as they are (`npm run dev` = `tsx src/cli.ts`, and the tests' child processes).
 * `npm start` runs the same `main` bundled, through `launch.ts`.
 */
import { main, startFailed } from './main.js';

main().catch(startFailed);
