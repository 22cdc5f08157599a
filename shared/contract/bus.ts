// Filled by the messaging issue. Channels are named `msg:*` and `memory:set|get`.
export const busChannels = {} as const;
