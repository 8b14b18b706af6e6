/**
 * Kept for older instructions: the injection model's training pipeline is `npx tsx guards/injection/train.ts`
 * (validation by source, then the shipped model; `--check` verifies model.json is reproduced byte for byte).
 */
import { main } from '../guards/injection/train-by-source.js';

void main(process.argv.slice(2));
