/** The layout of nodes.yaml shared by its writer (nodes-file.ts) and its loader (nodes-load.ts). */
export const FORMAT = 'hydracluster-nodes/1';
/** Every record line starts with this (a YAML block sequence item), then the record's JSON. */
export const ITEM = '  - ';
export const NL = 0x0a;
