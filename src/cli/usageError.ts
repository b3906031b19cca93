/** A command line the program cannot act on: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {}
