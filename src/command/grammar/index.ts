/** Argument grammars of command-line programs: mined from --help / -h / man, amended by the user. */
export type { ArgKind, Grammar, OptionSpec, PositionalSpec } from './types.js';
export { ARG_KINDS } from './types.js';
export { parseHelpText, parseManText, kindFromMetavar, type HelpParse } from './parse-help.js';
export { mineGrammar, mergeOptions, emptyGrammar, type MineOptions } from './mine.js';
export { parseGrammarOverride, applyOverride, type GrammarOverride } from './override.js';
export { isInformational, defaultRemovals } from './informational.js';
