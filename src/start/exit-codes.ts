/** Exit codes: 0 fine, 1 a cycle or a container failed, 2 the configuration is invalid. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_INVALID_CONFIG = 2;
