// Filled by the merge-conflict issue. Channels are named `conflicts:*`, `intent:*` and `merge:*`.
export const conflictsChannels = {} as const;
