/** Exit codes of both commands (`hydracluster`, `hydranode`): sysexits(3), docs/operations.md#the-cli. */
export const EX_OK = 0;
export const EX_USAGE = 64;
export const EX_NOINPUT = 66;
export const EX_UNAVAILABLE = 69;
export const EX_SOFTWARE = 70;
export const EX_OSERR = 71;
export const EX_CANTCREAT = 73;
export const EX_PROTOCOL = 76;
export const EX_NOPERM = 77;
export const EX_CONFIG = 78;
/** As timeout(1): the command did not finish in time. */
export const EX_TIMEOUT = 124;
