export { parseVerdict, parseLlamaGuard, parseJsonVerdict, countsAsHit, type JudgeFormat, type JudgeVerdict } from './verdict.js';
export { judgeMessages, type JudgedTurn } from './prompt.js';
export { createVerdictCache, verdictKey, type VerdictCache } from './cache.js';
