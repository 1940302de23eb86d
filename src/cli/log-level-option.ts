// `--log-level`, shared by the long-running commands (serve, review).
import { Option } from 'commander';
import { LOG_LEVELS } from '../log.js';

/** The option, checked by commander against the levels: a typo is an error, not silence. */
export function logLevelOption(): Option {
  return new Option(
    '--log-level <level>',
    'how much to say on stderr (default: logLevel in the config)',
  ).choices(LOG_LEVELS);
}
