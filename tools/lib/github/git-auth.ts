// Git pushes authenticated by the action's token input, never by a token left in .git/config:
// the workflows check out with persist-credentials: false, so no later step, artifact or
// cache can read the token from the working tree. The credential lives only in this
// process's environment (and the git processes it starts), as the same extra header
// actions/checkout would have written.
import * as core from '@actions/core';

/** The extraheader config key for a server, e.g. http.https://github.com/.extraheader. */
export function extraHeaderKey(serverUrl: string): string {
  return `http.${serverUrl.replace(/\/+$/, '')}/.extraheader`;
}

/**
 * Makes `git push` (and fetch) to `serverUrl` use `token`, through GIT_CONFIG_COUNT /
 * GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n in `env`. An empty value first resets the header
 * list, so a header actions/checkout persisted anyway is replaced, not sent twice. The
 * header's value is masked in the log. Returns the variables it set.
 */
export function useTokenForGit(token: string, serverUrl: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const header = `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`, 'utf8').toString('base64')}`;
  core.setSecret(header.slice('AUTHORIZATION: basic '.length));
  const count = Number(env.GIT_CONFIG_COUNT);
  const n = Number.isSafeInteger(count) && count > 0 ? count : 0;
  const key = extraHeaderKey(serverUrl);
  const set: Record<string, string> = {
    [`GIT_CONFIG_KEY_${n}`]: key,
    [`GIT_CONFIG_VALUE_${n}`]: '',
    [`GIT_CONFIG_KEY_${n + 1}`]: key,
    [`GIT_CONFIG_VALUE_${n + 1}`]: header,
    GIT_CONFIG_COUNT: String(n + 2),
  };
  Object.assign(env, set);
  return set;
}
