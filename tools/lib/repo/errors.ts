// Typed errors per failure family. The CLI maps every one of them to exit 2 with its
// message as one clear sentence; anything else is a bug and shows a stack only with --debug.

export class MnopsError extends Error {
  constructor(
    message: string,
    /** What the user should do, one line. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad arguments or configuration. */
export class UsageError extends MnopsError {}
/** The repository cannot be read or a path escapes it. */
export class RepoError extends MnopsError {}
/** git failed. */
export class GitError extends MnopsError {}
