// The engine's units: nanoseconds and nano-CPUs, bytes.
export const NS = 1_000_000_000;
export const MB = 1024 * 1024;
