// Public API of the PII guard: pure, synchronous, in-process. See README.md and docs/guards.md.
export { PII_CATEGORIES } from './types.js';
export { ENTITY_CATEGORIES, PATTERN_CATEGORIES } from './entities/index.js';
export type { PiiAction, PiiCategory, PiiDetector, PiiFinding, PiiPolicy, StreamTransform } from './types.js';
export { createPiiDetector, type PiiDetectorOptions } from './detector.js';
export { createPiiSession, type AppliedFinding, type PiiApplyResult, type PiiSession } from './session.js';
export { createOutputRedactor, type OutputRedactorOptions } from './output-redactor.js';
export type { RestoreOptions } from './stream-restorer.js';
export { PLACEHOLDER_NAMES, maskValue } from './placeholders.js';
export { summariseFindings, blockedMessage, type PiiAuditSummary } from './audit.js';
export { actionFor } from './actions.js';
export { createNerRecognizer, type NerRecognizer, type NerRecognizerOptions } from './ner.js';
