export { compareEnvironment, ignored, show, type DriftItem, type DriftKind } from './compare.js';
export { detectDrift, exitCodeOf, outstanding, type DriftReport, type DriftRequest, type EnvironmentDrift, type HealResult } from './detect.js';
export { formatEnvironmentMarkdown, formatMarkdown, formatText, lasted } from './format.js';
export { openDrifts, transition, type OpenDrift } from './state.js';
